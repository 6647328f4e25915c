package mobile

import (
	"sync"

	"fyne.io/fyne/v2"

	"civicdesk/app/ui"
	"civicdesk/sync/engine"
)

// follow is where the sync engine's events meet the screens: the Sync
// tab's bindings are set here, widget changes go through fyne.Do, and a
// status change or a hall's reply the engine pulled raises a notification.
// A conflict over an application handed off at the hall is answered here
// (see handoff_conflict.go), first for those recorded while the app was
// not running.
func (s *Shell) follow(events <-chan engine.Event) {
	defer s.bg.Done()
	s.adoptHandoffs()
	for ev := range events {
		st := ev.Status
		if ev.Kind != engine.StatusChanged && ev.Kind != engine.SyncFinished {
			st = s.d.Sync.Status()
		}
		fyne.Do(func() { s.syncInd.Update(st) })
		switch ev.Kind {
		case engine.StatusChanged:
			s.sync.update(ev.Status)
		case engine.Progress:
			s.sync.progressed(ev)
		case engine.SyncFinished:
			if ev.Err == "" && (ev.Report == nil || ev.Report.Waiting == 0) {
				s.sendNow.Store(false) // every attachment went: the saver applies again
			}
			s.sync.finished()
			s.sync.update(ev.Status)
			fyne.Do(func() { s.reloadApplications("") })
		case engine.Accepted, engine.Refused:
			fyne.Do(func() { s.reloadApplications(ev.ID) })
		case engine.Conflict:
			s.handoffConflict(ev.ID)
			fyne.Do(func() { s.reloadApplications(ev.ID) })
		case engine.ApplicationUpdated:
			fyne.Do(func() { s.reloadApplications(ev.ID) })
			s.notify(ev)
		case engine.NoticesUpdated:
			fyne.Do(s.noticesUpdated)
		case engine.InteractionAccepted, engine.InteractionRefused:
			fyne.Do(s.interactionsChanged)
		case engine.ReplyReceived:
			fyne.Do(s.interactionsChanged)
			s.notifyReply(ev)
		}
		if ev.Dropped > 0 {
			s.adoptHandoffs() // a conflict may be among the lost events
			s.sync.update(s.d.Sync.Status())
			fyne.Do(func() { s.reloadApplications("") })
			fyne.Do(s.noticesUpdated)
			fyne.Do(s.interactionsChanged)
		}
	}
}

// quietSync is the engine for widgets the shell feeds itself (the sync
// line): its subscription never delivers, so that one goroutine, follow,
// hands every event to the screens.
type quietSync struct{ ui.Sync }

func (quietSync) Subscribe(int) (<-chan engine.Event, func()) {
	ch := make(chan engine.Event)
	var once sync.Once
	return ch, func() { once.Do(func() { close(ch) }) }
}

// notify tells the resident that an application moved on: the service's
// name and its new status, in the current language. No personal data.
func (s *Shell) notify(ev engine.Event) {
	status := ui.StatusText(s.d.Loc, ev.AppStatus)
	body := s.t("mobile.notify.body_unknown", "Status", status)
	if a, err := s.d.Store.Get(ev.ID); err == nil {
		body = s.t("mobile.notify.body", "Service", s.serviceName(a.Service), "Status", status)
	}
	s.cfg.Notify(s.t("mobile.notify.title"), body)
}
