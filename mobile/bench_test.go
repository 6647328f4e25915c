package mobile

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"civicdesk/app/catalog"
	"civicdesk/app/i18n"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/app/ui"
	"civicdesk/app/ui/uitest"
)

const benchApps = 1_000

// phoneScreen is a 1080x2340 phone at a scale of 3, in Fyne units.
var phoneScreen = fyne.NewSize(1080/3, 2340/3)

// BenchmarkPhoneColdStart1000: open a personal store holding 1,000
// applications (drafts, queued and accepted ones), build the screen
// dependencies and the phone shell, and paint the first frame of the
// Services tab at phone size.
func BenchmarkPhoneColdStart1000(b *testing.B) {
	dir := b.TempDir()
	opts := store.Options{Dir: dir, Policy: store.PolicyPersonal, Clock: func() time.Time { return uitest.Epoch }}
	st, err := store.Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	for i := range benchApps {
		switch {
		case i%10 == 0:
			_, err = st.CreateDraft(store.NewApplication{Service: medical, ServiceVersion: 1, Values: sample})
		default:
			var a store.Application
			a, err = st.Submit(store.NewApplication{Service: medical, ServiceVersion: 1, Values: sample})
			if err == nil && i%3 == 0 {
				err = st.MarkAccepted(a.ID, store.Acceptance{Tracking: fmt.Sprintf("XZ2026%06d", i), VerificationCode: "4821", Status: lifecycle.Received, At: uitest.Epoch})
			}
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	b.ResetTimer()
	for range b.N {
		test.NewTempApp(b)
		start := time.Now()
		st, err := store.Open(opts)
		if err != nil {
			b.Fatal(err)
		}
		cat := catalog.Default()
		d := &ui.Deps{Store: st, Sync: &uitest.FakeSync{}, Loc: i18n.New(),
			Catalog: func() *catalog.Catalog { return cat }, Now: time.Now, TrackURL: ui.TrackLink}
		s := New(d, Config{})
		w := test.NewWindow(s.Object())
		w.Resize(phoneScreen)
		s.Attach(w)
		img := w.Canvas().Capture() // the first frame, painted
		total += time.Since(start)
		if img.Bounds().Dx() == 0 || s.CurrentTab() != TabServices || len(s.Drafts()) != maxDraftsShown {
			b.Fatal("no Services tab with drafts")
		}
		b.StopTimer()
		s.Close()
		w.Close()
		st.Close()
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/start")
}
