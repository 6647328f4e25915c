package handoff

import (
	"errors"
	"maps"
	"slices"
	"testing"

	"civicdesk/app/store"
)

// FuzzDecode: Decode never panics, fails only with its sentinels, and what
// it accepts is a well-formed payload that encodes back to the same
// application.
func FuzzDecode(f *testing.F) {
	for _, code := range slices.Sorted(maps.Keys(samples)) {
		a, svc := sampleApp(f, code)
		text, err := Encode(a, svc)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(text)
		f.Add(text[:len(text)/2])
	}
	for _, s := range []string{"", Prefix, "CDH2:AAAA", "CDH1:AAAAAAAAAAAAAAAA", "civicdesk://track?no=1&code=2", "CDH1:____________"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p, err := Decode(text)
		if err != nil {
			for _, want := range []error{ErrNotHandoff, ErrMalformed, ErrTampered, ErrVersion} {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("Decode: %v, which wraps none of the package's errors", err)
		}
		if !canonicalID(p.ID) || !plainName(p.Service) || p.ServiceVersion < 0 || p.Values == nil {
			t.Fatalf("accepted a malformed payload: %+v", p)
		}
		a := store.Application{ID: p.ID, Service: p.Service, ServiceVersion: p.ServiceVersion, Values: p.Values, CreatedAt: p.CreatedAt}
		for _, field := range p.MissingAttachments {
			a.Attachments = append(a.Attachments, store.Attachment{Field: field})
		}
		again, err := Encode(a, nil)
		if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrInvalid) { // another compression, or a date JSON cannot write
			return
		}
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		q, err := Decode(again)
		if err != nil {
			t.Fatalf("re-encoded code does not decode: %v", err)
		}
		if q.ID != p.ID || q.Service != p.Service || q.ServiceVersion != p.ServiceVersion || !q.CreatedAt.Equal(p.CreatedAt) ||
			len(q.Values) != len(p.Values) || !slices.Equal(slices.Sorted(slices.Values(q.MissingAttachments)), slices.Sorted(slices.Values(p.MissingAttachments))) {
			t.Fatalf("re-encoded payload differs:\n%+v\n%+v", q, p)
		}
	})
}
