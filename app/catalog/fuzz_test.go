package catalog

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// FuzzValidate feeds arbitrary JSON answers to every service of the embedded
// catalog and to the all-types test service. Validate must never panic, must
// be deterministic, and its messages must be the fixed templates.
func FuzzValidate(f *testing.F) {
	for _, v := range sampleAnswers(f) {
		b, _ := json.Marshal(v)
		f.Add(b)
	}
	for _, seed := range []string{
		`{}`, `null`, `[]`, `{"name": null}`, `{"size": "1e999"}`, `{"size": -0}`,
		`{"tags": [null, 1, "a"]}`, `{"scan": {"size": -1e300, "type": "", "sha256": 5}}`,
		`{"scan": {"type": "image/png; x=\"", "size": 1, "sha256": "` + sha + `"}}`,
		`{"reason": "lost", "date_lost": "2026-01-01", "place_lost": ""}`,
		`{"id_number": "11010519491231002X", "phone": "13800000000", "email": "a@b.c"}`,
	} {
		f.Add([]byte(seed))
	}
	services := append(Default().Services, *testService(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v Values
		if json.Unmarshal(data, &v) != nil {
			return
		}
		for i := range services {
			s := &services[i]
			a, b := ValidateAt(s, v, testNow), ValidateAt(s, v, testNow)
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("%s: not deterministic", s.Code)
			}
			for _, e := range a {
				// The message is the code's template filled with schema
				// numbers only, so it cannot carry a value.
				want := messages[e.Code]
				for k, p := range e.Params {
					want = strings.ReplaceAll(want, "{"+k+"}", p)
				}
				if want == "" || e.Message != want {
					t.Fatalf("%s: field %q code %q: message %q is not the code's template", s.Code, e.Field, e.Code, e.Message)
				}
			}
			s.Visible(v)
		}
	})
}

// FuzzDecode feeds arbitrary documents to Decode: it must never panic, and
// what it accepts must encode and decode again to an accepted catalog.
func FuzzDecode(f *testing.F) {
	// One real service rather than the whole 110 KB asset keeps the fuzzer
	// fast; TestDefaultDecodes covers the asset.
	def := Default()
	small, _ := json.Marshal(Catalog{Version: def.Version, Categories: def.Categories, Services: def.Services[1:2]})
	f.Add(small)
	f.Add([]byte(testServiceJSON))
	for _, seed := range []string{
		``, `null`, `{}`, `{"version":"1","services":[]}`,
		`{"version":"1","services":[{"code":"a","version":1,"name":{"zh-Hans":"a","en":"a"},"description":{"zh-Hans":"a","en":"a"},"department":{"zh-Hans":"a","en":"a"},"materials":null,"form":{"fields":[{"name":"x","type":"text","label":{"zh-Hans":"a","en":"a"},"pattern":"(a"}]}}]}`,
		`{"version":"1","services":[{"code":"a","version":1,"name":{"zh-Hans":"a","en":"a"},"description":{"zh-Hans":"a","en":"a"},"department":{"zh-Hans":"a","en":"a"},"materials":null,"form":{"fields":[{"name":"x","type":"select","label":{"zh-Hans":"a","en":"a"},"options":[{"value":"v","label":{"zh-Hans":"a","en":"a"}}]},{"name":"y","type":"text","label":{"zh-Hans":"a","en":"a"},"show_if":{"field":"x","value":"v"}}]}}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Decode(data)
		if err != nil {
			return
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("accepted catalog does not encode: %v", err)
		}
		if _, err := Decode(b); err != nil {
			t.Fatalf("accepted catalog refused after a round trip: %v", err)
		}
		for i := range c.Services {
			ValidateAt(&c.Services[i], Values{}, testNow)
		}
	})
}
