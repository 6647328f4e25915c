package mobile

import (
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/catalog"
	"civicdesk/app/store"
	"civicdesk/app/ui"
	"civicdesk/app/ui/uitest"
)

const (
	medical     = "medical_insurance_enrolment"
	sampleID    = "320302199003070026"
	samplePhone = "13852012345"
)

// phoneSize is the test window: a phone in Fyne units.
var phoneSize = fyne.NewSize(400, 800)

// notes records the notifications the shell raises.
type notes struct {
	mu  sync.Mutex
	got []string
	ch  chan string
}

func (n *notes) notify(title, body string) {
	n.mu.Lock()
	n.got = append(n.got, title+"|"+body)
	n.mu.Unlock()
	n.ch <- title + "|" + body
}

// rig is a phone shell in a headless test window.
type rig struct {
	s     *Shell
	d     *ui.Deps
	fs    *uitest.FakeSync
	w     fyne.Window
	notes *notes
	set   *MemSettings
}

// newRig builds a shell over fresh dependencies (a personal store); before,
// if given, runs first (to seed the store or set the engine's status).
func newRig(t *testing.T, before ...func(*ui.Deps, *uitest.FakeSync)) *rig {
	t.Helper()
	test.NewTempApp(t)
	d, fs := uitest.Deps(t, store.PolicyPersonal)
	for _, f := range before {
		f(d, fs)
	}
	return startRig(t, d, fs, &MemSettings{})
}

func startRig(t *testing.T, d *ui.Deps, fs *uitest.FakeSync, set SettingsStore) *rig {
	t.Helper()
	return startRigWith(t, d, fs, set, Config{})
}

// startRigWith is startRig with a configuration; its Settings, Notify and
// Clock are the rig's.
func startRigWith(t *testing.T, d *ui.Deps, fs *uitest.FakeSync, set SettingsStore, cfg Config) *rig {
	t.Helper()
	n := &notes{ch: make(chan string, 8)}
	// Under -tags mobile the test driver applies a theme on a goroutine of
	// its own, which refreshes the window's widgets: wait until it is done
	// before the test drives them.
	applied := make(chan struct{}, 1)
	fyne.CurrentApp().Settings().AddListener(func(fyne.Settings) {
		select {
		case applied <- struct{}{}:
		default:
		}
	})
	cfg.Settings, cfg.Notify, cfg.Clock = set, n.notify, func() time.Time { return uitest.Epoch }
	s := New(d, cfg)
	w := test.NewTempWindow(t, s.Object())
	w.Resize(phoneSize)
	s.Attach(w)
	t.Cleanup(s.Close)
	select {
	case <-applied:
	case <-time.After(5 * time.Second):
		t.Fatal("the shell's theme was not applied")
	}
	ms, _ := set.(*MemSettings)
	return &rig{s: s, d: d, fs: fs, w: w, notes: n, set: ms}
}

// at fails unless the tab shows screen.
func (r *rig) at(t *testing.T, tab, screen string) {
	t.Helper()
	if got := r.s.CurrentTab(); got != tab {
		t.Fatalf("on tab %q, want %q", got, tab)
	}
	if got := r.s.Nav(tab).Current(); got != screen {
		t.Fatalf("on screen %q, want %q", got, screen)
	}
}

// texts lists every text drawn in the window (content and overlays).
func (r *rig) texts() []string { return uitest.Texts(r.w) }

func (r *rig) shows(t *testing.T, want string) {
	t.Helper()
	for _, s := range r.texts() {
		if strings.Contains(s, want) {
			return
		}
	}
	t.Fatalf("%q is not on screen; texts: %q", want, r.texts())
}

func (r *rig) lacks(t *testing.T, unwanted string) {
	t.Helper()
	for _, s := range r.texts() {
		if strings.Contains(s, unwanted) {
			t.Fatalf("%q is on screen (in %q)", unwanted, s)
		}
	}
}

// button finds a visible button by its text.
func (r *rig) button(t *testing.T, text string) *widget.Button {
	t.Helper()
	for _, o := range test.LaidOutObjects(r.w.Canvas().Content()) {
		if b, ok := o.(*widget.Button); ok && b.Text == text && b.Visible() {
			return b
		}
	}
	t.Fatalf("no button %q on screen; texts: %q", text, r.texts())
	return nil
}

func service(t *testing.T, d *ui.Deps, code string) *catalog.Service {
	t.Helper()
	svc, ok := d.Catalog().Service(code)
	if !ok {
		t.Fatalf("no service %s", code)
	}
	return svc
}

// sample is a valid medical insurance enrolment, as submitted.
var sample = catalog.Values{
	"insured_name":      "王秀兰",
	"id_number":         sampleID,
	"phone":             samplePhone,
	"insured_category":  "senior",
	"district":          "320302",
	"address":           "鼓楼区中山北路 1 号",
	"contribution_year": 2026.0,
	"payment_method":    "hall",
	"declaration":       true,
}

// queue puts a valid application in the outbox, as a submission would.
func queue(t testing.TB, d *ui.Deps, atts ...store.Attachment) store.Application {
	t.Helper()
	a, err := d.Store.Submit(store.NewApplication{Service: medical, ServiceVersion: 1, Values: sample, Attachments: atts})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func entry(t *testing.T, wz *ui.Wizard, name string) *widget.Entry {
	return uitest.Entry(t, wz, name)
}

func choose(t *testing.T, wz *ui.Wizard, name, label string) { uitest.Choose(t, wz, name, label) }

// lang fails unless the localizer speaks want.
func lang(t *testing.T, d *ui.Deps, want string) {
	t.Helper()
	if got := d.Loc.Lang(); got != want {
		t.Fatalf("language %q, want %q", got, want)
	}
}

// check finds a visible check box by its text.
func (r *rig) check(t *testing.T, text string) *widget.Check {
	t.Helper()
	for _, o := range test.LaidOutObjects(r.w.Canvas().Content()) {
		if c, ok := o.(*widget.Check); ok && c.Text == text && c.Visible() {
			return c
		}
	}
	t.Fatalf("no check %q on screen; texts: %q", text, r.texts())
	return nil
}
