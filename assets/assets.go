// Package assets holds the files civicdesk embeds in its binaries: the sample service catalog.
package assets

import _ "embed"

// CatalogJSON is the sample service catalog (catalog.Catalog as JSON) that a
// device uses until it has fetched one from the central API.
//
//go:embed catalog.json
var CatalogJSON []byte
