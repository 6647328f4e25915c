package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"civicdesk/sync/engine"
)

// SyncIndicator is the always-visible connectivity and sync line: online,
// offline, or sending N. It follows the engine's events until Close.
type SyncIndicator struct {
	d      *Deps
	icon   *widget.Icon
	text   binding.String // bound to the label; safe to read from any goroutine
	obj    fyne.CanvasObject
	cancel func()
}

// NewSyncIndicator subscribes to the engine and shows its status.
func NewSyncIndicator(d *Deps) *SyncIndicator {
	s := &SyncIndicator{d: d, icon: widget.NewIcon(theme.ConfirmIcon()), text: binding.NewString()}
	s.obj = container.NewHBox(s.icon, widget.NewLabelWithData(s.text))
	events, cancel := d.Sync.Subscribe(16)
	s.cancel = cancel
	s.Update(d.Sync.Status())
	go func() {
		for ev := range events {
			st := ev.Status
			if ev.Kind != engine.StatusChanged && ev.Kind != engine.SyncFinished {
				st = d.Sync.Status()
			}
			fyne.Do(func() { s.Update(st) })
		}
	}()
	return s
}

// Object is the widget to place in a screen's bar.
func (s *SyncIndicator) Object() fyne.CanvasObject { return s.obj }

// Text is what the indicator says now (for tests).
func (s *SyncIndicator) Text() string {
	t, _ := s.text.Get()
	return t
}

// Update shows st; the language is read at each call, so a language switch
// followed by Update (or the next event) re-labels it.
func (s *SyncIndicator) Update(st engine.Status) {
	l := s.d.Loc
	switch {
	case st.State == engine.Syncing && st.Pending > 0:
		s.icon.SetResource(theme.UploadIcon())
		s.text.Set(l.T("sync.sending", "N", st.Pending))
	case st.State == engine.Offline && st.Pending > 0:
		s.icon.SetResource(theme.WarningIcon())
		s.text.Set(l.T("sync.offline_waiting", "N", st.Pending))
	case st.State == engine.Offline:
		s.icon.SetResource(theme.WarningIcon())
		s.text.Set(l.T("sync.offline"))
	case st.Pending > 0:
		s.icon.SetResource(theme.UploadIcon())
		s.text.Set(l.T("sync.online_waiting", "N", st.Pending))
	default:
		s.icon.SetResource(theme.ConfirmIcon())
		s.text.Set(l.T("sync.online"))
	}
}

// Close stops following the engine.
func (s *SyncIndicator) Close() { s.cancel() }
