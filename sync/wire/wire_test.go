package wire

import (
	"encoding/json"
	"testing"

	"civicdesk/app/catalog"
)

// A client holding Go values and a server holding what JSON decoding made of
// them must agree on the fingerprint; any change of content must change it.
func TestFingerprintSurvivesTheWire(t *testing.T) {
	it := SubmitItem{ID: "0190f0e2-0000-7000-8000-000000000001", Service: "residence_permit", ServiceVersion: 1,
		Values: catalog.Values{
			"applicant_name": "王秀英",
			"household_size": 3,
			"declaration":    true,
			"materials":      []string{"lease", "photo"},
			"photo":          catalog.AttachmentRef{Name: "a.jpg", Type: "image/jpeg", Size: 10, SHA256: "ab"},
		}}
	b, err := json.Marshal(it)
	if err != nil {
		t.Fatal(err)
	}
	var decoded SubmitItem
	if err := json.Unmarshal(b, &decoded); err != nil {
		t.Fatal(err)
	}
	if it.Fingerprint() != decoded.Fingerprint() {
		t.Fatal("fingerprint changes across a JSON round trip")
	}
	other := decoded
	other.Values = catalog.Values{}
	for k, v := range decoded.Values {
		other.Values[k] = v
	}
	other.Values["household_size"] = 4
	if other.Fingerprint() == decoded.Fingerprint() {
		t.Fatal("different values, same fingerprint")
	}
	staffed := decoded
	staffed.StaffID = "s-17"
	if staffed.Fingerprint() == decoded.Fingerprint() {
		t.Fatal("the staff id is not part of the fingerprint")
	}
}
