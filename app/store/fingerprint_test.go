package store

import (
	"encoding/json"
	"testing"

	"civicdesk/app/catalog"
	"civicdesk/sync/wire"
)

// toWire builds the item as the sync engine does (engine.WireItem; the
// engine imports the store, so this internal test cannot call it).
func toWire(a Application) wire.SubmitItem {
	it := wire.SubmitItem{ID: a.ID, Service: a.Service, ServiceVersion: a.ServiceVersion, Values: a.Values, StaffID: a.StaffID, CreatedAt: a.CreatedAt}
	for _, x := range a.Attachments {
		it.Attachments = append(it.Attachments, wire.Attachment{SHA256: x.Ref.SHA256, Type: x.Ref.Type, Size: x.Ref.Size})
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
			if got, want := Fingerprint(a), toWire(a).Fingerprint(); got != want || a.Fingerprint != want {
				t.Fatalf("Fingerprint %s, stored %s, wire %s", got, a.Fingerprint, want)
			}
			// The server computes it on what it decodes from the request:
			// the same answer, or every retry would look like a conflict.
			body, err := json.Marshal(toWire(a))
			noErr(t, err)
			var got wire.SubmitItem
			noErr(t, json.Unmarshal(body, &got))
			if fp := got.Fingerprint(); fp != a.Fingerprint {
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
