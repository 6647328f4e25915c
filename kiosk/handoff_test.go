package kiosk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/catalog"
	"civicdesk/app/handoff"
	"civicdesk/app/i18n"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/app/ui/uitest"
	"civicdesk/central"
	"civicdesk/sync/client"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

// newPhone is a resident's phone: a personal store of its own.
func newPhone(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(store.Options{Dir: t.TempDir(), Policy: store.PolicyPersonal,
		Clock: func() time.Time { return uitest.Epoch.Add(-20 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// document is an attached photo of a document, as the phone's form keeps it.
func document(field string, values catalog.Values) []store.Attachment {
	data := []byte("\xff\xd8\xff\xe0 a photo of the document for " + field)
	sum := sha256.Sum256(data)
	ref := catalog.AttachmentRef{Name: field + ".jpg", Type: "image/jpeg", Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	values[field] = ref
	return []store.Attachment{{Field: field, Ref: ref, Data: data}}
}

// phoneCode queues an application on the phone and returns it with its hand-off code.
func phoneCode(t *testing.T, phone *store.Store, service string, values catalog.Values, atts []store.Attachment) (store.Application, string) {
	t.Helper()
	svc, ok := catalog.Default().Service(service)
	if !ok {
		t.Fatalf("no service %s", service)
	}
	app, err := phone.Submit(store.NewApplication{Service: service, ServiceVersion: svc.Version, Values: values, Attachments: atts})
	if err != nil {
		t.Fatal(err)
	}
	if app, err = phone.Get(app.ID); err != nil {
		t.Fatal(err)
	}
	code, err := handoff.Encode(app, svc)
	if err != nil {
		t.Fatal(err)
	}
	return app, code
}

func clone(v catalog.Values) catalog.Values {
	out := catalog.Values{}
	for k, x := range v {
		out[k] = x
	}
	return out
}

// dialogText is the text of the dialogs over the window ("" when none).
func (r *rig) dialogText() string {
	var out []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch x := o.(type) {
		case *widget.Label:
			out = append(out, x.Text)
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				walk(c)
			}
		}
	}
	for _, o := range r.w.Canvas().Overlays().List() {
		walk(o)
	}
	return strings.Join(out, "\n")
}

// count is the number of applications on the kiosk.
func (r *rig) count(t *testing.T) int {
	t.Helper()
	n := 0
	if err := r.d.Store.ForEach(func(store.Summary) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// senior is a valid senior citizen card application but for its required photo.
var senior = catalog.Values{
	"applicant_name": "徐桂兰", "id_number": "320302199003070026", "phone": "13852012345",
	"applied_by": "self", "collection": "community", "district": "320302",
	"address": "江苏省徐州市鼓楼区中山北路 18 号", "declaration": true,
}

func TestHandoffScan(t *testing.T) {
	label := func(service, field string) string {
		svc, _ := catalog.Default().Service(service)
		f, _ := svc.Field(field)
		return f.Label.In(catalog.LangEn)
	}
	type result struct {
		queued   bool     // the application is queued on the kiosk under the phone's id
		dialog   []string // message ids (or texts) the dialog must show; none: no dialog
		absent   []string // texts the dialog must not show
		receipt  bool
		triggers int
	}
	cases := []struct {
		name   string
		screen string
		code   func(t *testing.T, phone *store.Store) (id, code string)
		want   result
	}{
		{"no attachments, on the home screen", ScreenHome, func(t *testing.T, p *store.Store) (string, string) {
			a, c := phoneCode(t, p, "medical_insurance_enrolment", clone(sample), nil)
			return a.ID, c
		}, result{queued: true, receipt: true, triggers: 1}},
		{"no attachments, on the status screen", ScreenStatus, func(t *testing.T, p *store.Store) (string, string) {
			a, c := phoneCode(t, p, "medical_insurance_enrolment", clone(sample), nil)
			return a.ID, c
		}, result{queued: true, receipt: true, triggers: 1}},
		{"an optional document left out", ScreenHome, func(t *testing.T, p *store.Store) (string, string) {
			v := clone(sample)
			a, c := phoneCode(t, p, "medical_insurance_enrolment", v, document("household_register_scan", v))
			return a.ID, c
		}, result{queued: true, receipt: true, triggers: 1,
			dialog: []string{"kiosk.handoff.documents_title", "• " + label("medical_insurance_enrolment", "household_register_scan")}}},
		{"a long code (a long address)", ScreenHome, func(t *testing.T, p *store.Store) (string, string) {
			v := clone(sample)
			rng := rand.New(rand.NewPCG(1, 2))
			var addr strings.Builder
			for range 190 { // the field's maximum is 200
				addr.WriteRune(rune(0x4E00 + rng.IntN(0x9FA5-0x4E00)))
			}
			v["address"] = addr.String()
			a, c := phoneCode(t, p, "medical_insurance_enrolment", v, nil)
			if len(c) < 2*512 {
				t.Fatalf("the code has only %d characters", len(c))
			}
			return a.ID, c
		}, result{queued: true, receipt: true, triggers: 1}},
		{"a required document left out", ScreenHome, func(t *testing.T, p *store.Store) (string, string) {
			v := clone(senior)
			a, c := phoneCode(t, p, "senior_citizen_card", v, document("photo", v))
			return a.ID, c
		}, result{dialog: []string{"kiosk.handoff.needs_documents_title", "• " + label("senior_citizen_card", "photo")}}},
		{"an invalid answer", ScreenHome, func(t *testing.T, p *store.Store) (string, string) {
			v := clone(sample)
			v["id_number"] = "320302199003070027" // wrong check character
			a, c := phoneCode(t, p, "medical_insurance_enrolment", v, nil)
			return a.ID, c
		}, result{dialog: []string{"kiosk.handoff.invalid_title", "• " + label("medical_insurance_enrolment", "id_number") + ": ",
			"error.id_number.checksum"}, absent: []string{"320302199003070027"}}},
		{"a service this kiosk does not offer", ScreenHome, func(t *testing.T, p *store.Store) (string, string) {
			a, _ := phoneCode(t, p, "medical_insurance_enrolment", clone(sample), nil)
			a.Service = "dog_licence"
			c, err := handoff.Encode(a, nil)
			if err != nil {
				t.Fatal(err)
			}
			return a.ID, c
		}, result{dialog: []string{"kiosk.handoff.unknown_service"}}},
		{"cut short", ScreenHome, func(t *testing.T, p *store.Store) (string, string) {
			a, c := phoneCode(t, p, "medical_insurance_enrolment", clone(sample), nil)
			return a.ID, c[:len(c)*2/3]
		}, result{dialog: []string{"kiosk.handoff.unreadable_title"}}},
		{"damaged", ScreenStatus, func(t *testing.T, p *store.Store) (string, string) {
			a, c := phoneCode(t, p, "medical_insurance_enrolment", clone(sample), nil)
			return a.ID, c[:40] + "*" + c[41:]
		}, result{dialog: []string{"kiosk.handoff.malformed"}}},
		{"tampered", ScreenHome, func(t *testing.T, p *store.Store) (string, string) {
			a, c := phoneCode(t, p, "medical_insurance_enrolment", clone(sample), nil)
			x := byte('A')
			if c[60] == 'A' {
				x = 'B'
			}
			return a.ID, c[:60] + string(x) + c[61:]
		}, result{dialog: []string{"kiosk.handoff.tampered"}}},
		{"a newer format", ScreenHome, func(t *testing.T, p *store.Store) (string, string) {
			a, c := phoneCode(t, p, "medical_insurance_enrolment", clone(sample), nil)
			return a.ID, "CDH2:" + c[len(handoff.Prefix):]
		}, result{dialog: []string{"kiosk.handoff.version"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t)
			r.k.SetLang(i18n.En)
			if c.screen == ScreenStatus {
				r.k.OpenStatus()
			}
			phone := newPhone(t)
			id, code := c.code(t, phone)
			r.scan(code) // through the scanner, as a hall scanner types it

			app, err := r.d.Store.Get(id)
			switch {
			case c.want.queued && err != nil:
				t.Fatalf("not on the kiosk: %v", err)
			case c.want.queued:
				if app.State != lifecycle.Queued || app.StaffID != "" {
					t.Fatalf("kiosk holds it %s with staff id %q, want queued without one", app.State, app.StaffID)
				}
				want, _ := phone.Get(id)
				if app.Fingerprint != want.Fingerprint && len(want.Attachments) == 0 {
					t.Fatalf("kiosk fingerprint %s, phone %s: the central API would see a conflict", app.Fingerprint, want.Fingerprint)
				}
				if len(app.Attachments) != 0 {
					t.Fatalf("the kiosk holds %d attachments", len(app.Attachments))
				}
			case r.count(t) != 0:
				t.Fatalf("%d applications on the kiosk; nothing may be queued", r.count(t))
			}
			if got := r.fs.Triggers; got != c.want.triggers {
				t.Errorf("sync triggered %d times, want %d", got, c.want.triggers)
			}
			if c.want.receipt {
				r.at(t, ScreenReceipt)
			} else {
				r.at(t, c.screen) // the resident stays where they were
			}
			text := r.dialogText()
			if len(c.want.dialog) == 0 && text != "" {
				t.Fatalf("a dialog shows: %q", text)
			}
			for _, want := range c.want.dialog {
				if strings.HasPrefix(want, "kiosk.") || strings.HasPrefix(want, "error.") {
					want = strings.SplitN(r.d.Loc.T(want), "\n", 2)[0]
				}
				if !strings.Contains(text, want) {
					t.Errorf("the dialog does not say %q:\n%s", want, text)
				}
			}
			for _, bad := range c.want.absent {
				if strings.Contains(text, bad) {
					t.Errorf("the dialog shows %q", bad)
				}
			}
		})
	}
}

// A code scanned twice shows the same receipt again: one application, no error.
func TestHandoffScannedTwice(t *testing.T) {
	r := newRig(t)
	app, code := phoneCode(t, newPhone(t), "medical_insurance_enrolment", clone(sample), nil)
	r.k.Scan(code)
	r.at(t, ScreenReceipt)
	r.k.GoHome()
	r.k.Scan(code)
	r.at(t, ScreenReceipt)
	if text := r.dialogText(); text != "" {
		t.Fatalf("the second scan shows a dialog: %q", text)
	}
	if n := r.count(t); n != 1 {
		t.Fatalf("%d applications on the kiosk, want 1", n)
	}
	if got, _ := r.d.Store.Get(app.ID); got.State != lifecycle.Queued {
		t.Fatalf("state %s", got.State)
	}
	if r.fs.Triggers != 1 {
		t.Fatalf("sync triggered %d times, want once", r.fs.Triggers)
	}
}

// Staff taking a hand-off in: recorded on the kiosk, never on the
// submission (the staff id would change its fingerprint).
func TestHandoffByStaff(t *testing.T) {
	r := newRig(t)
	if err := r.k.cfg.Staff.SetPIN(testPIN); err != nil {
		t.Fatal(err)
	}
	if err := r.k.SignIn("GL-0231", testPIN); err != nil {
		t.Fatal(err)
	}
	r.at(t, ScreenStaffHome) // at the counter
	app, code := phoneCode(t, newPhone(t), "medical_insurance_enrolment", clone(sample), nil)
	r.scan(code)
	r.at(t, ScreenReceipt)
	got, err := r.d.Store.Get(app.ID)
	if err != nil || got.State != lifecycle.Queued || got.StaffID != "" {
		t.Fatalf("kiosk application: %s, staff id %q, err %v; want queued without a staff id", got.State, got.StaffID, err)
	}
	if by, _ := r.d.Store.Meta(handoff.MetaKey(app.ID)); by != "staff:GL-0231" {
		t.Fatalf("meta %q, want staff:GL-0231", by)
	}
	// Other codes stay ignored on the staff home.
	r.k.GoHome()
	r.k.SignIn("GL-0231", testPIN)
	r.scan("3203202611270000001")
	r.at(t, ScreenStaffHome)
}

// Elsewhere than home and status (a form being filled in), a hand-off
// code is ignored like any scan.
func TestHandoffIgnoredInForm(t *testing.T) {
	r := newRig(t)
	r.startForm(t, "medical_insurance_enrolment")
	_, code := phoneCode(t, newPhone(t), "medical_insurance_enrolment", clone(sample), nil)
	r.scan(code)
	r.at(t, ScreenWizard)
	if len(r.drafts(t)) != 1 || r.count(t) != 1 {
		t.Fatalf("the scan changed the store: %d applications", r.count(t))
	}
}

// The round trip: the phone queues an application offline and shows
// its code; the kiosk scans and queues it and syncs; the phone syncs too;
// the central API holds one application and both devices the same receipt.
func TestHandoffRoundTripOneApplication(t *testing.T) {
	srv, err := central.Open(central.Options{Path: filepath.Join(t.TempDir(), "central.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ts := httptest.NewServer(srv.Handler()) // 127.0.0.1
	t.Cleanup(ts.Close)
	ctx := context.Background()
	enrol := func(kind string) *client.Client {
		code, err := srv.MintEnrollCode(time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		cl, err := client.New(ts.URL, client.Options{RetryMax: 1, WaitMin: time.Millisecond, WaitMax: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := cl.Enroll(ctx, wire.EnrollRequest{Code: code, DeviceName: kind + " under test", Kind: kind})
		if err != nil {
			t.Fatal(err)
		}
		cl.SetToken(resp.Token)
		return cl
	}

	// The phone, offline: the resident fills in the form and shows the code.
	phone := newPhone(t)
	app, code := phoneCode(t, phone, "medical_insurance_enrolment", clone(sample), nil)

	// The kiosk scans it.
	r := newRig(t)
	r.scan(code)
	r.at(t, ScreenReceipt)
	onKiosk, err := r.d.Store.Get(app.ID)
	if err != nil || onKiosk.State != lifecycle.Queued {
		t.Fatalf("kiosk: %+v, %v; want the application queued under the phone's id", onKiosk.State, err)
	}
	kioskEngine := engine.New(r.d.Store, enrol("kiosk"), engine.Config{NoCatalog: true})
	if _, err := kioskEngine.SyncOnce(ctx); err != nil {
		t.Fatalf("kiosk sync: %v", err)
	}
	onKiosk, _ = r.d.Store.Get(app.ID)
	if !onKiosk.State.Accepted() || onKiosk.Tracking == "" {
		t.Fatalf("kiosk after sync: %s, tracking %q", onKiosk.State, onKiosk.Tracking)
	}

	// Later the phone finds a network and syncs its own copy.
	phoneEngine := engine.New(phone, enrol("phone"), engine.Config{NoCatalog: true})
	if _, err := phoneEngine.SyncOnce(ctx); err != nil {
		t.Fatalf("phone sync: %v", err)
	}
	onPhone, _ := phone.Get(app.ID)
	if !onPhone.State.Accepted() || onPhone.Tracking != onKiosk.Tracking || onPhone.VerificationCode != onKiosk.VerificationCode {
		t.Fatalf("phone after sync: %s, tracking %q code %q; want accepted as %q %q", onPhone.State,
			onPhone.Tracking, onPhone.VerificationCode, onKiosk.Tracking, onKiosk.VerificationCode)
	}
	if n := srv.CountByID(app.ID); n != 1 {
		t.Fatalf("the central API holds the application %d times, want once", n)
	}
	for name, st := range map[string]*store.Store{"kiosk": r.d.Store, "phone": phone} {
		if s, err := st.Stats(); err != nil || s.Count != 0 {
			t.Errorf("%s: %d still queued (%v)", name, s.Count, err)
		}
		if err := st.Check(); err != nil {
			t.Errorf("%s store: %v", name, err)
		}
	}
}
