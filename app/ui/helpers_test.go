package ui_test

import (
	"strings"
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

// Sample applicant (see the UI notes): a valid ID number and phone.
const (
	sampleID    = "320302199003070026"
	samplePhone = "13852012345"
	medical     = "medical_insurance_enrolment"
)

// winSize is the test window: a kiosk's 1080x1920 makes huge markup files.
var winSize = fyne.NewSize(800, 1000)

// setup starts a headless app and fresh dependencies.
func setup(t *testing.T) (*ui.Deps, *uitest.FakeSync) {
	t.Helper()
	test.NewTempApp(t)
	return uitest.Deps(t, store.PolicyKiosk)
}

func service(t *testing.T, d *ui.Deps, code string) *catalog.Service {
	t.Helper()
	svc, ok := d.Catalog().Service(code)
	if !ok {
		t.Fatalf("no service %s in the catalog", code)
	}
	return svc
}

func window(t *testing.T, content fyne.CanvasObject) fyne.Window {
	t.Helper()
	w := test.NewTempWindow(t, content)
	w.Resize(winSize)
	return w
}

// objects lists everything under root, widgets and their renderers' parts.
func objects(root fyne.CanvasObject) []fyne.CanvasObject { return test.LaidOutObjects(root) }

// button finds the visible button with the given text.
func button(t *testing.T, root fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	for _, o := range objects(root) {
		if b, ok := o.(*widget.Button); ok && b.Text == text && b.Visible() {
			return b
		}
	}
	t.Fatalf("no button %q on screen; labels: %q", text, labels(root))
	return nil
}

// labels lists the text of every visible label under root.
func labels(root fyne.CanvasObject) []string {
	var out []string
	for _, o := range objects(root) {
		if l, ok := o.(*widget.Label); ok && l.Visible() && l.Text != "" {
			out = append(out, l.Text)
		}
	}
	return out
}

func hasLabel(root fyne.CanvasObject, text string) bool {
	for _, s := range labels(root) {
		if s == text {
			return true
		}
	}
	return false
}

func hasLabelContaining(root fyne.CanvasObject, part string) bool {
	for _, s := range labels(root) {
		if strings.Contains(s, part) {
			return true
		}
	}
	return false
}

// label finds the visible label with exactly this text.
func label(t *testing.T, root fyne.CanvasObject, text string) *widget.Label {
	t.Helper()
	for _, o := range objects(root) {
		if l, ok := o.(*widget.Label); ok && l.Visible() && l.Text == text {
			return l
		}
	}
	t.Fatalf("no label %q on screen; labels: %q", text, labels(root))
	return nil
}

// tapOn taps the canvas in the middle of o, as a finger would: whatever
// tappable lies under it gets the tap (a tile's button under its label).
func tapOn(w fyne.Window, o fyne.CanvasObject) {
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
	test.TapCanvas(w.Canvas(), pos.Add(fyne.NewPos(o.Size().Width/2, o.Size().Height/2)))
}

func entry(t *testing.T, wz *ui.Wizard, name string) *widget.Entry {
	return uitest.Entry(t, wz, name)
}

// typeIn types text into a wizard field, key by key.
func typeIn(t *testing.T, wz *ui.Wizard, name, text string) {
	t.Helper()
	test.Type(entry(t, wz, name), text)
}

// choose picks an option of a select or radio field by its label.
func choose(t *testing.T, wz *ui.Wizard, name, label string) { uitest.Choose(t, wz, name, label) }

// waitFor polls cond, for updates made by a goroutine that follows events.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for start := time.Now(); !cond(); time.Sleep(time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
