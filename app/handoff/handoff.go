// Package handoff carries an application from a phone to a kiosk in one QR
// code: its form data compressed and checksummed, its attachments named but
// left out.
package handoff

import (
	"time"

	"civicdesk/app/catalog"
)

// The format: a code is Prefix followed by the unpadded base64url encoding
// of the raw DEFLATE compression of a JSON document (v, id, service,
// service_version, values, left_out, created_at), followed by the first 8
// bytes of the SHA-256 of the compressed bytes.
//
// The id travels with the application, so that the central API sees one
// application when both the kiosk and, later, the phone submit it: the
// kiosk submits exactly ID, Service, ServiceVersion and Values, without a
// staff id and without attachments, so that its fingerprint equals the
// phone's. A phone whose application has attachments would meet a conflict
// syncing it after a hand-off: it should record the hand-off (store meta
// MetaKey(id)) and leave the application to the kiosk unless the resident
// chooses otherwise.
const (
	// Prefix starts every code of this format; CDH2: and later are newer formats.
	Prefix = "CDH1:"
	// Version is the format version carried in the JSON ("v").
	Version = 1
	// MaxText is the longest code, prefix included. A QR code of version
	// 40 at error correction level L holds 2,953 bytes in byte mode; 2,300
	// leaves room for the mode and length headers and keeps the code
	// scannable from a phone screen (go-qrcode picks version 35 for it, see
	// TestLargestCodeFitsOneQRCode).
	MaxText = 2300
	// MaxUnpacked bounds the decompressed JSON: a larger one is refused
	// (a "zip bomb" costs at most this much memory).
	MaxUnpacked = 64 << 10
	// sumLen is how many bytes of the SHA-256 follow the compressed data.
	sumLen = 8
)

// Payload is a decoded hand-off: the application's form data without its
// attachments.
type Payload struct {
	ID             string
	Service        string
	ServiceVersion int
	Values         catalog.Values
	CreatedAt      time.Time
	// MissingAttachments are the attachment fields the phone had answered
	// and the code left out, in form order: the resident brings those
	// documents to the counter. Nil when there are none.
	MissingAttachments []string
}

// MetaKey is the store setting a device records a hand-off under, for
// example the phone marking an application as handed off to a kiosk.
func MetaKey(id string) string { return "handoff." + id }

// document is the JSON inside a code.
type document struct {
	V              int            `json:"v"`
	ID             string         `json:"id"`
	Service        string         `json:"service"`
	ServiceVersion int            `json:"service_version"`
	Values         catalog.Values `json:"values"`
	// LeftOut replaces the attachment fields' values: what was attached,
	// never the file's bytes, name or hash.
	LeftOut   []leftOut `json:"left_out,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// leftOut is an attachment the code does not carry.
type leftOut struct {
	Field string `json:"field"`
	Type  string `json:"type,omitempty"`
	Size  int64  `json:"size,omitempty"`
}

// maxName bounds ids, service codes and field names (as the store does).
const maxName = 128

// canonicalID reports whether id is a UUID in canonical lowercase form, as
// the store makes them and the central API requires.
func canonicalID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// plainName reports whether s is a non-empty, short name without control characters.
func plainName(s string) bool {
	if s == "" || len(s) > maxName {
		return false
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f || c == 0xfffd {
			return false
		}
	}
	return true
}
