package kiosk

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

const benchApps = 10_000

// kioskSize is a portrait kiosk screen.
var kioskSize = fyne.NewSize(1080, 1920)

// seed10k fills st with benchApps submitted applications: most queued,
// every third accepted, every 50th refused.
func seed10k(b *testing.B, st *store.Store) {
	b.Helper()
	start := time.Now()
	for i := range benchApps {
		a, err := st.Submit(store.NewApplication{Service: "medical_insurance_enrolment", ServiceVersion: 1, Values: sample})
		if err != nil {
			b.Fatal(err)
		}
		switch {
		case i%50 == 0:
			err = st.MarkRefused(a.ID, store.Refusal{State: lifecycle.NeedsAttention, Message: "phone: invalid"})
		case i%3 == 0:
			err = st.MarkAccepted(a.ID, store.Acceptance{Tracking: fmt.Sprintf("GL2026%06d", i), VerificationCode: "4821", Status: lifecycle.Received, At: uitest.Epoch})
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d applications in %v", benchApps, time.Since(start).Round(time.Millisecond))
}

// BenchmarkStaffQueue10k opens the staff queue over 10,000 applications
// and scrolls to its end: the list must build only the rows it shows.
func BenchmarkStaffQueue10k(b *testing.B) {
	test.NewTempApp(b)
	d, _ := uitest.Deps(b, store.PolicyKiosk)
	seed10k(b, d.Store)
	k := New(d, Config{Clock: NewFakeClock(uitest.Epoch)})
	b.Cleanup(k.Close)
	w := test.NewTempWindow(b, k.Object())
	w.Resize(kioskSize)
	k.Attach(w)
	k.sess.staffID = "bench"
	var build, scroll time.Duration
	var rows, rowsAfterScroll int
	b.ResetTimer()
	for range b.N {
		k.Nav().Home()
		start := time.Now()
		k.Nav().Push(k.queueScreen())
		w.Canvas().Content().Refresh()
		test.RenderToMarkup(w.Canvas()) // lays out every visible object
		build += time.Since(start)
		v := k.sess.queue
		if len(v.shown) != benchApps {
			b.Fatalf("the queue lists %d, want %d", len(v.shown), benchApps)
		}
		rows = v.created
		start = time.Now()
		v.list.ScrollToBottom()
		test.RenderToMarkup(w.Canvas())
		scroll += time.Since(start)
		rowsAfterScroll = v.created
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(build.Milliseconds())/n, "build-ms")
	b.ReportMetric(float64(rows), "rows-built")
	b.ReportMetric(float64(scroll.Milliseconds())/n, "scroll-ms")
	b.ReportMetric(float64(rowsAfterScroll), "rows-after-scroll")
	if rowsAfterScroll > 200 {
		b.Fatalf("the list built %d rows for %d applications: it is not virtualised", rowsAfterScroll, benchApps)
	}
}

// BenchmarkColdStart10k: open a store holding 10,000 applications, build
// the screen dependencies and the kiosk, and paint the first frame of the
// home screen (target under 1.5 s).
func BenchmarkColdStart10k(b *testing.B) {
	dir := b.TempDir()
	opts := store.Options{Dir: dir, Policy: store.PolicyKiosk, Clock: func() time.Time { return uitest.Epoch }}
	st, err := store.Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	seed10k(b, st)
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
		d := &ui.Deps{
			Store: st, Sync: &uitest.FakeSync{}, Loc: i18n.New(),
			Catalog: func() *catalog.Catalog { return cat },
			Now:     time.Now, TrackURL: ui.TrackLink,
		}
		k := New(d, Config{})
		w := test.NewWindow(k.Object())
		w.Resize(kioskSize)
		k.Attach(w)
		img := w.Canvas().Capture() // the first frame, painted
		total += time.Since(start)
		if img.Bounds().Dx() == 0 || k.Nav().Current() != ScreenHome {
			b.Fatal("no home screen")
		}
		b.StopTimer()
		k.Close()
		w.Close()
		st.Close()
		b.StartTimer()
	}
	b.StopTimer()
	ms := float64(total.Milliseconds()) / float64(b.N)
	b.ReportMetric(ms, "ms/start")
	if ms > 1500 {
		b.Errorf("cold start took %.0f ms, target 1500 ms", ms)
	}
}
