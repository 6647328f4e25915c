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
	// The update arrives from the subscription goroutine: wait for it.
	for start := time.Now(); s.Text() != "Offline · 4 waiting, will send automatically"; time.Sleep(time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("the indicator did not follow the engine: %q", s.Text())
		}
	}
	d.Loc.SetLang(i18n.Zh)
	s.Update(fs.Status())
	if got := s.Text(); got != "离线 · 4 件待发送，联网后自动发送" {
		t.Errorf("in Chinese: %q", got)
	}
}
