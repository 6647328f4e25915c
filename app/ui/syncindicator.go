package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"civicdesk/sync/engine"
)

// SyncIndicator is the always-visible connectivity and sync line: online,
// offline, or sending N. It follows the engine's events until Close.
type SyncIndicator struct {
	d      *Deps
	icon   *widget.Icon
	label  *widget.Label
	obj    fyne.CanvasObject
	cancel func()
}

// NewSyncIndicator subscribes to the engine and shows its status.
func NewSyncIndicator(d *Deps) *SyncIndicator {
	s := &SyncIndicator{d: d, icon: widget.NewIcon(theme.ConfirmIcon()), label: widget.NewLabel("")}
	s.obj = container.NewHBox(s.icon, s.label)
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
func (s *SyncIndicator) Text() string { return s.label.Text }

// Update shows st; the language is read at each call, so a language switch
// followed by Update (or the next event) re-labels it.
func (s *SyncIndicator) Update(st engine.Status) {
	l := s.d.Loc
	switch {
	case st.State == engine.Syncing && st.Pending > 0:
		s.icon.SetResource(theme.UploadIcon())
		s.label.SetText(l.T("sync.sending", "N", st.Pending))
	case st.State == engine.Offline && st.Pending > 0:
		s.icon.SetResource(theme.WarningIcon())
		s.label.SetText(l.T("sync.offline_waiting", "N", st.Pending))
	case st.State == engine.Offline:
		s.icon.SetResource(theme.WarningIcon())
		s.label.SetText(l.T("sync.offline"))
	case st.Pending > 0:
		s.icon.SetResource(theme.UploadIcon())
		s.label.SetText(l.T("sync.online_waiting", "N", st.Pending))
	default:
		s.icon.SetResource(theme.ConfirmIcon())
		s.label.SetText(l.T("sync.online"))
	}
}

// Close stops following the engine.
func (s *SyncIndicator) Close() { s.cancel() }
