package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
)

// handoffDetail is the journal detail of RequeueWithoutAttachments.
const handoffDetail = "hand-off: attachments left out"

// RequeueWithoutAttachments queues again an application in conflict, without
// its attachments: the answers of its attachment fields go from its values,
// its references to attachment files are dropped (a file no other
// application references is deleted), its fingerprint is computed afresh and
// it gets a new outbox entry, all in one transaction, with a "retried"
// journal event. It is what a phone does when the hall's kiosk submitted the
// same application from a hand-off code, which never carries attachments:
// sent again this way, the central API sees the kiosk's content and answers
// with the kiosk's receipt. Only an application in conflict can be requeued
// this way: anything else is ErrState.
func (s *Store) RequeueWithoutAttachments(id string) (Application, error) {
	err := s.update(func(tx *bolt.Tx) error {
		r, err := getRecord(tx, id)
		if err != nil {
			return err
		}
		if r.State != lifecycle.Conflict {
			return fmt.Errorf("%w: application %s is %s; only an application in conflict can be queued again without its attachments", ErrState, id, r.State)
		}
		pd, err := s.getPersonal(tx, id)
		if err != nil {
			return err
		}
		pd.Values = withoutAttachments(pd.Values, pd.Attachments)
		pd.Attachments = nil
		if err := dropRefs(tx, &r); err != nil {
			return err
		}
		if err := s.queue(tx, &r, pd); err != nil {
			return err
		}
		return s.event(tx, Event{Kind: EventRetried, ID: id, State: lifecycle.Queued, Detail: handoffDetail + " (was " + string(lifecycle.Conflict) + ")"})
	})
	if err != nil {
		return Application{}, err
	}
	return s.Get(id)
}

// withoutAttachments is a copy of values without the answers of attachment
// fields: the fields atts name and any value that is an attachment
// reference (as the form holds it, or as JSON decoding gives it back),
// which is what a hand-off code leaves out.
func withoutAttachments(values catalog.Values, atts []Attachment) catalog.Values {
	if values == nil {
		return nil
	}
	drop := map[string]bool{}
	for _, a := range atts {
		drop[a.Field] = true
	}
	out := make(catalog.Values, len(values))
	for k, v := range values {
		if drop[k] || isAttachmentRef(v) {
			continue
		}
		out[k] = v
	}
	return out
}

// isAttachmentRef reports whether v is an attachment reference.
func isAttachmentRef(v any) bool {
	switch r := v.(type) {
	case catalog.AttachmentRef:
		return true
	case *catalog.AttachmentRef:
		return r != nil
	case map[string]any:
		_, ok := r["sha256"].(string)
		return ok
	}
	return false
}
