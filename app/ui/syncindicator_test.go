package ui_test

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"civicdesk/app/i18n"
	"civicdesk/app/store"
	"civicdesk/app/ui"
	"civicdesk/app/ui/uitest"
	"civicdesk/sync/engine"
)

func TestSyncIndicator(t *testing.T) {
	test.NewTempApp(t)
	d, fs := uitest.Deps(t, store.PolicyKiosk)
	d.Loc.SetLang(i18n.En)
	s := ui.NewSyncIndicator(d)
	defer s.Close()
	cases := []struct {
		st   engine.Status
		want string
	}{
		{engine.Status{State: engine.Online}, "Online"},
		{engine.Status{State: engine.Online, Pending: 2}, "Online · 2 waiting"},
		{engine.Status{State: engine.Syncing, Pending: 3}, "Sending 3…"},
		{engine.Status{State: engine.Offline}, "Offline"},
		{engine.Status{State: engine.Offline, Pending: 1}, "Offline · 1 waiting, will send automatically"},
	}
	for _, tc := range cases {
		s.Update(tc.st)
		if got := s.Text(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.st, got, tc.want)
		}
	}
	// Events from the engine reach the label.
	fs.SetStatus(engine.Status{State: engine.Offline, Pending: 4})
	waitText(t, s, "Offline · 4 waiting, will send automatically")
	d.Loc.SetLang(i18n.Zh)
	fs.SetStatus(engine.Status{State: engine.Offline, Pending: 5})
	waitText(t, s, "离线 · 5 件待发送，联网后自动发送")
}

// waitText waits for an update that arrives from the subscription goroutine.
func waitText(t *testing.T, s *ui.SyncIndicator, want string) {
	t.Helper()
	for start := time.Now(); s.Text() != want; time.Sleep(time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("the indicator did not follow the engine: %q, want %q", s.Text(), want)
		}
	}
}
