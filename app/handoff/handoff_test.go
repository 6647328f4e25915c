package handoff

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"civicdesk/app/catalog"
	"civicdesk/app/store"
)

// normalised is v as the store and the kiosk hold it: through JSON.
func normalised(t testing.TB, v catalog.Values) catalog.Values {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out catalog.Values
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// formData is values without the attachment fields, normalised.
func formData(t testing.TB, svc *catalog.Service, values catalog.Values) (catalog.Values, []string) {
	t.Helper()
	out := catalog.Values{}
	var atts []string
	for _, f := range svc.Form.Fields {
		v, ok := values[f.Name]
		switch {
		case !ok:
		case f.Type == catalog.TypeAttachment:
			atts = append(atts, f.Name)
		default:
			out[f.Name] = v
		}
	}
	return normalised(t, out), atts
}

func TestRoundTripEveryService(t *testing.T) {
	codes := make([]string, 0, len(samples))
	for code := range samples {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		t.Run(code, func(t *testing.T) {
			a, svc := sampleApp(t, code)
			wantValues, wantMissing := formData(t, svc, a.Values)
			// As the form holds it (AttachmentRef values) with the service,
			// and as the store gives it back (JSON-decoded values) with and
			// without the service: the same code.
			stored := a
			stored.Values = normalised(t, a.Values)
			var first string
			for _, c := range []struct {
				name string
				a    store.Application
				svc  *catalog.Service
			}{{"form", a, svc}, {"stored", stored, svc}, {"stored, no service", stored, nil}} {
				text, err := Encode(c.a, c.svc)
				if err != nil {
					t.Fatalf("%s: Encode: %v", c.name, err)
				}
				if !strings.HasPrefix(text, Prefix) || len(text) > MaxText || !IsCode(text) {
					t.Fatalf("%s: code of %d characters starting %q", c.name, len(text), text[:min(8, len(text))])
				}
				want := wantMissing
				if c.svc == nil { // without the schema: by name, not form order
					want = slices.Sorted(slices.Values(wantMissing))
				}
				if first == "" {
					first = text
				} else if text != first && c.svc != nil {
					t.Errorf("%s: the code differs from the form's", c.name)
				}
				p, err := Decode(text)
				if err != nil {
					t.Fatalf("%s: Decode: %v", c.name, err)
				}
				if p.ID != a.ID || p.Service != a.Service || p.ServiceVersion != a.ServiceVersion || !p.CreatedAt.Equal(a.CreatedAt) {
					t.Errorf("%s: decoded %s %s v%d %v, want %s %s v%d %v", c.name, p.ID, p.Service, p.ServiceVersion, p.CreatedAt,
						a.ID, a.Service, a.ServiceVersion, a.CreatedAt)
				}
				if !reflect.DeepEqual(p.Values, wantValues) {
					t.Errorf("%s: values differ:\n got %v\nwant %v", c.name, p.Values, wantValues)
				}
				if !slices.Equal(p.MissingAttachments, want) {
					t.Errorf("%s: missing attachments %v, want %v", c.name, p.MissingAttachments, want)
				}
				if errs := catalog.ValidateAt(svc, p.Values, testNow); !onlyRequired(errs, wantMissing) {
					t.Errorf("%s: decoded values fail validation beyond the left-out documents: %v", c.name, errs)
				}
			}
			t.Logf("%d fields, %d attachments left out: %d characters", len(wantValues), len(wantMissing), len(first))
		})
	}
}

// onlyRequired reports whether errs are "required" errors of fields in missing only.
func onlyRequired(errs []catalog.FieldError, missing []string) bool {
	for _, e := range errs {
		if e.Code != catalog.CodeRequired || !slices.Contains(missing, e.Field) {
			return false
		}
	}
	return true
}

// Without attachments, what the kiosk submits from the code has the
// phone's fingerprint: the central API sees a duplicate, not a second
// application.
func TestFingerprintSurvivesTheHandoff(t *testing.T) {
	for _, code := range []string{"birth_registration", "real_estate_register_inquiry"} {
		t.Run(code, func(t *testing.T) {
			a, svc := sampleApp(t, code)
			a.Values = normalised(t, a.Values) // as the phone's store holds them
			text, err := Encode(a, svc)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Decode(text)
			if err != nil {
				t.Fatal(err)
			}
			kiosk := store.Application{ID: p.ID, Service: p.Service, ServiceVersion: p.ServiceVersion, Values: p.Values}
			if got, want := store.Fingerprint(kiosk), store.Fingerprint(a); got != want {
				t.Fatalf("kiosk fingerprint %s, phone %s", got, want)
			}
		})
	}
}

func TestUnicodeSurvives(t *testing.T) {
	svc, _ := catalog.Default().Service("disability_certificate")
	a, _ := sampleApp(t, "disability_certificate")
	for name, s := range map[string]string{
		"rare CJK (extension B)":   "𠀀𠀁𪚥𰻞𰻞面",
		"emoji and ZWJ sequences":  "👨‍👩‍👧 家庭 🏠 ♿️",
		"combining marks":          "e\u0301 n\u0303 ǖ",
		"right to left":            "مرحبا שלום",
		"full-width and ideograph": "ＡＢＣ１２３　〇〡",
		"newlines and tabs":        "第一行\n第二行\r\n\t第三行",
		"quotes and escapes":       `"<b>&amp;</b>" \ \u0000 '`,
	} {
		t.Run(name, func(t *testing.T) {
			b := a
			b.Values = catalog.Values{}
			for k, v := range a.Values {
				b.Values[k] = v
			}
			b.Values["condition_description"] = s
			text, err := Encode(b, svc)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Decode(text)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Values["condition_description"]; got != s {
				t.Fatalf("got %q, want %q", got, s)
			}
		})
	}
}

// randomHan is n random common Chinese characters: text that compresses
// as badly as real free text does.
func randomHan(rng *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteRune(rune(0x4E00 + rng.IntN(0x9FA5-0x4E00)))
	}
	return b.String()
}

func TestTooLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	svc, _ := catalog.Default().Service("disability_certificate")
	a, _ := sampleApp(t, "disability_certificate")
	a.Values["condition_description"] = randomHan(rng, 1000) // the field's maximum
	text, err := Encode(a, svc)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("1,000 random characters of free text: Encode = %d characters, %v; want ErrTooLarge", len(text), err)
	}
	if strings.Contains(err.Error(), "黄") || strings.Contains(err.Error(), a.Values["phone"].(string)) {
		t.Fatalf("the error quotes a form value: %v", err)
	}
	// 300 characters of the same kind still fit.
	a.Values["condition_description"] = randomHan(rng, 300)
	if _, err := Encode(a, svc); err != nil {
		t.Fatalf("300 characters of free text: %v", err)
	}
}

func TestEncodeRefuses(t *testing.T) {
	other, _ := catalog.Default().Service("birth_registration")
	for _, c := range []struct {
		name string
		mod  func(*store.Application)
		svc  *catalog.Service
	}{
		{"no id", func(a *store.Application) { a.ID = "" }, nil},
		{"upper-case id", func(a *store.Application) { a.ID = strings.ToUpper(a.ID) }, nil},
		{"id that is not a UUID", func(a *store.Application) { a.ID = "app-1" }, nil},
		{"no service", func(a *store.Application) { a.Service = "" }, nil},
		{"another service's schema", func(a *store.Application) {}, other},
		{"purged", func(a *store.Application) { a.Purged, a.Values = true, nil }, nil},
		{"negative version", func(a *store.Application) { a.ServiceVersion = -1 }, nil},
		{"NaN", func(a *store.Application) { a.Values["household_size"] = math.NaN() }, nil},
		{"a function", func(a *store.Application) { a.Values["household_size"] = func() {} }, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, _ := sampleApp(t, "minimum_living_allowance")
			c.mod(&a)
			if _, err := Encode(a, c.svc); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Encode = %v, want ErrInvalid", err)
			}
		})
	}
}

// typicalApp is a typical application: medical insurance enrolment paid
// online, no attachment, values as the phone's store holds them.
func typicalApp(t testing.TB) (store.Application, *catalog.Service) {
	t.Helper()
	a, svc := sampleApp(t, "medical_insurance_enrolment")
	delete(a.Values, "household_register_scan")
	delete(a.Values, "bank_account")
	a.Values["payment_method"] = "online"
	a.Attachments = nil
	a.Values = normalised(t, a.Values)
	return a, svc
}

// The typical application's code next to its raw JSON, for the report.
func TestTypicalSize(t *testing.T) {
	a, svc := typicalApp(t)
	text, err := Encode(a, svc)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(document{V: Version, ID: a.ID, Service: a.Service, ServiceVersion: a.ServiceVersion, Values: a.Values, CreatedAt: a.CreatedAt})
	t.Logf("typical application: raw JSON %d bytes, hand-off code %d characters", len(raw), len(text))
	if len(text) > 600 {
		t.Errorf("a typical application takes %d characters; it took 479 when this test was written", len(text))
	}
}
