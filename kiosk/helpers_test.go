package kiosk

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/app/ui"
	"civicdesk/app/ui/uitest"
)

// rig is a kiosk in a headless test window with a fake clock.
type rig struct {
	k   *Kiosk
	d   *ui.Deps
	fs  *uitest.FakeSync
	clk *FakeClock
	w   fyne.Window
}

const (
	testIdle      = DefaultIdleAfter
	testCountdown = DefaultCountdown
)

// newRig builds a kiosk over fresh dependencies; before, if given, runs
// first (e.g. to set the fake engine's status: events sent once the sync
// indicator listens would update it from another goroutine).
func newRig(t *testing.T, before ...func(*ui.Deps, *uitest.FakeSync)) *rig {
	t.Helper()
	test.NewTempApp(t)
	d, fs := uitest.Deps(t, store.PolicyKiosk)
	for _, f := range before {
		f(d, fs)
	}
	clk := NewFakeClock(uitest.Epoch)
	k := New(d, Config{Clock: clk})
	w := test.NewTempWindow(t, k.Object())
	w.Resize(fyne.NewSize(1080, 1400))
	k.Attach(w)
	t.Cleanup(k.Close)
	return &rig{k: k, d: d, fs: fs, clk: clk, w: w}
}

// at fails unless the navigator shows screen.
func (r *rig) at(t *testing.T, screen string) {
	t.Helper()
	if got := r.k.Nav().Current(); got != screen {
		t.Fatalf("on screen %q, want %q", got, screen)
	}
}

// texts lists every text drawn in the window (content and overlays).
func (r *rig) texts() []string { return uitest.Texts(r.w) }

// shows fails unless some text on screen contains want.
func (r *rig) shows(t *testing.T, want string) {
	t.Helper()
	for _, s := range r.texts() {
		if strings.Contains(s, want) {
			return
		}
	}
	t.Fatalf("%q is not on screen; texts: %q", want, r.texts())
}

// lacks fails if some text on screen contains unwanted.
func (r *rig) lacks(t *testing.T, unwanted string) {
	t.Helper()
	for _, s := range r.texts() {
		if strings.Contains(s, unwanted) {
			t.Fatalf("%q is still on screen (in %q)", unwanted, s)
		}
	}
}

// service returns a catalog service by code.
func (r *rig) service(t *testing.T, code string) *catalog.Service {
	t.Helper()
	svc, ok := r.d.Catalog().Service(code)
	if !ok {
		t.Fatalf("no service %s in the catalog", code)
	}
	return svc
}

// startForm goes home -> catalog -> detail -> wizard for a service, as
// the buttons do, and returns the wizard.
func (r *rig) startForm(t *testing.T, code string) *ui.Wizard {
	t.Helper()
	test.Tap(r.k.sess.home.apply)
	r.at(t, ScreenCatalog)
	r.k.PickService(r.service(t, code))
	r.at(t, ScreenDetail)
	r.k.BeginForm(r.service(t, code))
	r.at(t, ScreenWizard)
	if r.k.sess.wizard == nil || r.k.sess.apply == nil {
		t.Fatal("no wizard or view-model after starting a form")
	}
	return r.k.sess.wizard
}

// drafts lists the ids of the draft applications in the store.
func (r *rig) drafts(t *testing.T) []string {
	t.Helper()
	var ids []string
	err := r.d.Store.ForEach(func(s store.Summary) error {
		if s.State == lifecycle.Draft {
			ids = append(ids, s.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// sample is a valid medical insurance enrolment.
var sample = catalog.Values{
	"insured_name":      "王秀兰",
	"id_number":         "320302199003070026",
	"phone":             "13852012345",
	"insured_category":  "senior",
	"district":          "320302",
	"address":           "鼓楼区中山北路 1 号",
	"contribution_year": "2026",
	"payment_method":    "hall",
	"declaration":       true,
}

// signIn enters staff mode through the sign-in screen, typing on its keypad.
func (r *rig) signIn(t *testing.T, staffID, pin string) {
	t.Helper()
	test.Tap(r.k.bar.staff)
	r.at(t, ScreenStaffLogin)
	v := r.k.sess.loginView
	v.staffID.SetText("")
	test.Type(v.staffID, staffID)
	r.w.Canvas().Focus(v.pin)
	for _, c := range pin {
		test.Tap(v.keypad.Key(string(c)))
	}
	test.Tap(v.signIn)
}

// button finds a visible button by its text (content, then overlays).
func (r *rig) button(t *testing.T, text string) *widget.Button {
	t.Helper()
	c := r.w.Canvas()
	roots := append(c.Overlays().List(), c.Content())
	var found *widget.Button
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() || found != nil {
			return
		}
		switch x := o.(type) {
		case *widget.Button:
			if x.Text == text {
				found = x
			}
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
	for _, root := range roots {
		walk(root)
	}
	if found == nil {
		t.Fatalf("no button %q on screen; texts: %q", text, r.texts())
	}
	return found
}
