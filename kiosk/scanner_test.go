package kiosk

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/app/ui"
	"civicdesk/app/ui/uitest"
)

func TestScanner(t *testing.T) {
	type step struct {
		runes string
		key   fyne.KeyName
		wait  time.Duration // before the runes
	}
	cases := []struct {
		name  string
		steps []step
		want  []string
	}{
		{"one code", []step{{runes: "GL2026000123", key: fyne.KeyReturn}}, []string{"GL2026000123"}},
		{"keypad enter", []step{{runes: "civicdesk://track?no=A1&code=9", key: fyne.KeyEnter}}, []string{"civicdesk://track?no=A1&code=9"}},
		{"two codes", []step{{runes: "AAAA", key: fyne.KeyReturn}, {runes: "BBBB", key: fyne.KeyReturn}}, []string{"AAAA", "BBBB"}},
		{"empty enter", []step{{key: fyne.KeyReturn}, {runes: "   ", key: fyne.KeyReturn}}, nil},
		{"escape drops", []step{{runes: "junk", key: fyne.KeyEscape}, {runes: "CODE", key: fyne.KeyReturn}}, []string{"CODE"}},
		{"backspace", []step{{runes: "CODX", key: fyne.KeyBackspace}, {runes: "E", key: fyne.KeyReturn}}, []string{"CODE"}},
		{"a pause starts a new code", []step{{runes: "stray"}, {wait: 2 * time.Second, runes: "CODE", key: fyne.KeyReturn}}, []string{"CODE"}},
		{"quick keys stay one code", []step{{runes: "CO"}, {wait: 100 * time.Millisecond, runes: "DE", key: fyne.KeyReturn}}, []string{"CODE"}},
		{"control characters ignored", []step{{runes: "CO\x00DE\t", key: fyne.KeyReturn}}, []string{"CODE"}},
		{"too long is dropped", []step{{runes: strings.Repeat("9", MaxScanLen+1), key: fyne.KeyReturn}, {runes: "OK", key: fyne.KeyReturn}}, []string{"OK"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := NewFakeClock(uitest.Epoch)
			var got []string
			s := NewScanner(clk.Now, func(code string) { got = append(got, code) })
			for _, st := range tc.steps {
				clk.Advance(st.wait)
				for _, r := range st.runes {
					s.TypedRune(r)
				}
				if st.key != "" {
					s.TypedKey(st.key)
				}
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("scans %q, want %q", got, tc.want)
			}
		})
	}
}

// scan types a code and Enter at the window canvas, as a hall scanner does.
func (r *rig) scan(code string) {
	c := r.w.Canvas()
	test.TypeOnCanvas(c, code)
	c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
	r.k.bg.Wait() // the lookup runs off the UI goroutine
}

func TestScanOnStatusScreen(t *testing.T) {
	r := newRig(t)
	app, err := r.d.Store.Submit(store.NewApplication{Service: "medical_insurance_enrolment", ServiceVersion: 1, Values: sample})
	if err != nil {
		t.Fatal(err)
	}
	test.Tap(r.k.sess.home.status)
	r.at(t, ScreenStatus)
	if _, ok := r.k.sess.statusVM.Result(); ok {
		t.Fatal("a result before any lookup")
	}
	r.scan(ui.RefLink(app.ID)) // no tap anywhere
	res, ok := r.k.sess.statusVM.Result()
	if !ok || res.Ref != app.ID || res.Status != lifecycle.Queued {
		t.Fatalf("scan did not look the application up: %+v %v (err %v)", res, ok, r.k.sess.statusVM.Err())
	}
	r.at(t, ScreenStatus)
	r.shows(t, "等待发送")

	// A code that is not a receipt's says so on the screen.
	r.scan("http://example.com/")
	if r.k.sess.statusVM.Err() == nil {
		t.Fatal("a foreign code was accepted")
	}
	r.shows(t, r.k.sess.statusVM.ErrorText())
}

func TestScanOnHome(t *testing.T) {
	r := newRig(t)
	app, err := r.d.Store.Submit(store.NewApplication{Service: "medical_insurance_enrolment", ServiceVersion: 1, Values: sample})
	if err != nil {
		t.Fatal(err)
	}
	r.scan(ui.RefLink(app.ID))
	r.at(t, ScreenStatus)
	if res, ok := r.k.sess.statusVM.Result(); !ok || res.Ref != app.ID {
		t.Fatalf("the scan from home was not looked up: %+v %v", res, ok)
	}
	// A scan is someone there: the session will be wiped when they leave.
	r.clk.Advance(testIdle + testCountdown)
	r.at(t, ScreenHome)
	test.Tap(r.k.sess.home.status)
	if _, ok := r.k.sess.statusVM.Result(); ok {
		t.Fatal("the lookup survived the wipe")
	}
}

func TestScanIgnoredInForm(t *testing.T) {
	r := newRig(t)
	r.startForm(t, "medical_insurance_enrolment")
	r.scan("GL2026000123")
	r.at(t, ScreenWizard)
}
