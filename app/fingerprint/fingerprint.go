// Package fingerprint computes the content hash of an application that makes
// submissions idempotent: the same id with the same fingerprint is a retry,
// the same id with another fingerprint is a conflict. The device (store,
// sync engine) and the central API compute it with this one function.
package fingerprint

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"civicdesk/app/catalog"
)

// Attachment is what of an attached file enters the fingerprint.
type Attachment struct {
	SHA256 string `json:"sha256"`
	Type   string `json:"type"`
}

// Content is what an application says (not when it was made).
type Content struct {
	ID             string         `json:"id"`
	Service        string         `json:"service"`
	ServiceVersion int            `json:"service_version"`
	Values         catalog.Values `json:"values"`
	Attachments    []Attachment   `json:"attachments"`
	StaffID        string         `json:"staff_id"`
}

// Of returns the SHA-256 (hex) of c. Values are first given the shape JSON
// decoding gives them (maps with sorted keys instead of structs), so that a
// device holding an AttachmentRef and a server holding the decoded map hash
// the same bytes.
func Of(c Content) string {
	if b, err := json.Marshal(c.Values); err == nil {
		var v catalog.Values
		if json.Unmarshal(b, &v) == nil {
			c.Values = v
		}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
