package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"civicdesk/app/catalog"
)

// Fingerprint is the SHA-256 (hex) of what an application says, computed
// exactly as wire.SubmitItem.Fingerprint does for the item the sync engine
// builds from it (attachments as {sha256, type}). The store cannot import
// sync/wire (sync imports the store), so the algorithm is repeated here and
// tests on both sides pin it.
func Fingerprint(a Application) string {
	type att struct {
		SHA256 string `json:"sha256"`
		Type   string `json:"type"`
	}
	fp := struct {
		ID             string         `json:"id"`
		Service        string         `json:"service"`
		ServiceVersion int            `json:"service_version"`
		Values         catalog.Values `json:"values"`
		Attachments    []att          `json:"attachments"`
		StaffID        string         `json:"staff_id"`
	}{ID: a.ID, Service: a.Service, ServiceVersion: a.ServiceVersion, Values: a.Values, StaffID: a.StaffID}
	for _, x := range a.Attachments {
		fp.Attachments = append(fp.Attachments, att{x.Ref.SHA256, x.Ref.Type})
	}
	b, err := json.Marshal(fp)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
