// Package assets holds the files civicdesk embeds in its binaries: the sample service catalog and the translations.
package assets

import "embed"

// CatalogJSON is the sample service catalog and the translations.(catalog.Catalog as JSON) that a
// device uses until it has fetched one from the central API.
//
//go:embed catalog.json
var CatalogJSON []byte

// I18n holds the message files of the screens: i18n/<area>.<lang>.json.
//
//go:embed i18n
var I18n embed.FS
