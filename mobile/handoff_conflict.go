package mobile

import (
	"errors"
	"time"

	"civicdesk/app/handoff"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
)

// A hand-off code never carries attachments, so the kiosk submits the
// application without them. When the phone later syncs its own copy, with
// its photos, the central API sees the same id with other content and
// answers "conflict". For an application the phone handed off (store meta
// handoff.MetaKey(id)), that conflict is the hall's copy, not a mistake:
// the phone queues its copy again without the attachments (what the kiosk
// sent), syncs, and the central API answers with the kiosk's receipt, which
// the resident then sees as for any other application. The phone does this
// once per application (adoptedKey): a second conflict means the hall's copy
// really differs (staff corrected an answer), and it stays a conflict the
// resident sees.

// adoptedKey is the store setting recording that the phone requeued a
// handed-off application without its attachments (the time, RFC 3339).
func adoptedKey(id string) string { return handoff.MetaKey(id) + ".adopted" }

// adoptHandoff requeues application id without its attachments if it is in
// conflict, was handed off, has attachments (without them the phone's copy
// is the kiosk's already, so the conflict is real) and was not adopted
// before. It reports whether it did. The once-only record is written first,
// so that a failure never turns into a conflict-requeue loop; a requeue
// that fails for another reason than the application's state clears it
// again, so that the next start of the app tries once more.
func adoptHandoff(st *store.Store, id string, now time.Time) (bool, error) {
	if at, err := st.Meta(handoff.MetaKey(id)); err != nil || at == "" {
		return false, err
	}
	if done, err := st.Meta(adoptedKey(id)); err != nil || done != "" {
		return false, err
	}
	a, err := st.Get(id)
	if err != nil {
		return false, err
	}
	if a.State != lifecycle.Conflict || len(a.Attachments) == 0 {
		return false, nil
	}
	if err := st.SetMeta(adoptedKey(id), now.UTC().Format(time.RFC3339)); err != nil {
		return false, err
	}
	if _, err := st.RequeueWithoutAttachments(id); err != nil {
		if !errors.Is(err, store.ErrState) {
			_ = st.SetMeta(adoptedKey(id), "")
		}
		return false, err
	}
	return true, nil
}

// handoffConflict answers the engine's conflict for application id (on
// follow's goroutine): a handed-off application is requeued without its
// attachments, a sync is asked for, and the resident is told why. The
// caller reloads the screens.
func (s *Shell) handoffConflict(id string) {
	done, err := adoptHandoff(s.d.Store, id, s.cfg.Clock())
	if err != nil || !done {
		return // it stays a conflict, shown as one
	}
	s.d.Sync.Trigger()
	s.notifyHandoff(id)
}

// adoptHandoffs looks for handed-off applications in conflict that no
// event announced (the phone was stopped in between, or events were
// dropped) and adopts them. It reads summaries only, and leaves the
// screens alone: the caller reloads them, or the sync it asks for does.
func (s *Shell) adoptHandoffs() {
	var ids []string
	_ = s.d.Store.ForEach(func(sm store.Summary) error {
		if sm.State == lifecycle.Conflict {
			ids = append(ids, sm.ID)
		}
		return nil
	})
	for _, id := range ids {
		s.handoffConflict(id)
	}
}

// notifyHandoff tells the resident that the hall has the application and
// its photos stay on the phone. No personal data: the service's name only.
func (s *Shell) notifyHandoff(id string) {
	service := s.t("mobile.handoff.adopted_service")
	if a, err := s.d.Store.Get(id); err == nil {
		service = s.serviceName(a.Service)
	}
	s.cfg.Notify(s.t("mobile.handoff.adopted_title"), s.t("mobile.handoff.adopted_body", "Service", service))
}

// HandoffAdopted reports whether the phone requeued application id without
// its attachments after the hall's kiosk submitted it from a hand-off code.
func (s *Shell) HandoffAdopted(id string) bool {
	v, err := s.d.Store.Meta(adoptedKey(id))
	return err == nil && v != ""
}

// handoffAdoptedNote is the one line the application's details show for
// an adopted hand-off ("" for any other application).
func (s *Shell) handoffAdoptedNote(id string) string {
	if !s.HandoffAdopted(id) {
		return ""
	}
	return s.t("mobile.apps.handoff_adopted")
}
