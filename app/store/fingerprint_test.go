package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"civicdesk/app/catalog"
)

// wireItem and wireFingerprint copy sync/wire's SubmitItem and its
// Fingerprint method (the store may not import sync/wire). If wire changes,
// this copy and Fingerprint must change with it; the lead's cross-package
// test catches a drift.
type wireItem struct {
	ID             string           `json:"id"`
	Service        string           `json:"service"`
	ServiceVersion int              `json:"service_version"`
	Values         catalog.Values   `json:"values"`
	Attachments    []wireAttachment `json:"attachments,omitempty"`
	StaffID        string           `json:"staff_id,omitempty"`
	CreatedAt      time.Time        `json:"created_at"`
}

type wireAttachment struct {
	SHA256 string `json:"sha256"`
	Type   string `json:"type"`
	Data   []byte `json:"data"`
}

func (it wireItem) fingerprint() string {
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
	}{ID: it.ID, Service: it.Service, ServiceVersion: it.ServiceVersion, Values: it.Values, StaffID: it.StaffID}
	for _, a := range it.Attachments {
		fp.Attachments = append(fp.Attachments, att{a.SHA256, a.Type})
	}
	b, err := json.Marshal(fp)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// toWire builds the item as the sync engine does.
func toWire(a Application) wireItem {
	it := wireItem{ID: a.ID, Service: a.Service, ServiceVersion: a.ServiceVersion, Values: a.Values, StaffID: a.StaffID, CreatedAt: a.CreatedAt}
	for _, x := range a.Attachments {
		it.Attachments = append(it.Attachments, wireAttachment{SHA256: x.Ref.SHA256, Type: x.Ref.Type, Data: x.Data})
	}
	return it
}

func TestFingerprintMatchesWire(t *testing.T) {
	withStaff := sampleApp(1)
	withStaff.StaffID = "staff-07"
	noAtt := sampleApp(2)
	noAtt.Attachments = nil
	tests := map[string]NewApplication{
		"full":           sampleApp(0),
		"staff":          withStaff,
		"no attachments": noAtt,
		"no values":      {Service: "senior_card", ServiceVersion: 1},
		"empty values":   {Service: "senior_card", Values: catalog.Values{}},
	}
	s, _ := newTestStore(t)
	for name, n := range tests {
		t.Run(name, func(t *testing.T) {
			a := must[Application](t)(s.Submit(n))
			if got, want := Fingerprint(a), toWire(a).fingerprint(); got != want || a.Fingerprint != want {
				t.Fatalf("Fingerprint %s, stored %s, wire %s", got, a.Fingerprint, want)
			}
			// The server computes it on what it decodes from the request:
			// the same answer, or every retry would look like a conflict.
			body, err := json.Marshal(toWire(a))
			noErr(t, err)
			var got wireItem
			noErr(t, json.Unmarshal(body, &got))
			if fp := got.fingerprint(); fp != a.Fingerprint {
				t.Fatalf("server-side fingerprint %s, stored %s", fp, a.Fingerprint)
			}
		})
	}
	// What the application says matters; when it was made does not.
	a := sampleApp(0)
	a.ID = "fixed"
	x := Application{ID: "fixed", Service: a.Service, Values: a.Values, Attachments: a.Attachments}
	y := x
	y.CreatedAt = t0
	if Fingerprint(x) != Fingerprint(y) {
		t.Fatal("the creation time changed the fingerprint")
	}
	y.Values = catalog.Values{"name": "other"}
	if Fingerprint(x) == Fingerprint(y) {
		t.Fatal("other values, same fingerprint")
	}
}
