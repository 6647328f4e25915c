package store

import (
	"errors"
	"fmt"
	"maps"
	"strings"

	bolt "go.etcd.io/bbolt"

	"civicdesk/app/lifecycle"
)

// maxCause bounds the stored text of a transient failure.
const maxCause = 300

// Pending returns queued applications oldest first: at most maxItems and at
// most maxBytes of Size in total (either <= 0 means no limit), but always at
// least one when the queue is not empty. An application whose personal data
// no longer decrypts is moved to needs_attention instead of blocking the queue.
//
// Applications still waiting for attachment files to reach the central API
// (WaitingBlobs not empty) are returned too, in their place, but do not
// count towards maxItems and maxBytes, so they never hold back the ones
// behind them; the limits and the "at least one" apply to the others.
func (s *Store) Pending(maxItems, maxBytes int) ([]OutboxItem, error) {
	for {
		var items []OutboxItem
		var broken []string
		err := s.view(func(tx *bolt.Tx) error {
			ob := tx.Bucket(bucketOutbox)
			if ob == nil {
				return nil
			}
			total, ready := 0, 0
			c := ob.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if maxItems > 0 && ready >= maxItems {
					break
				}
				id := string(v)
				r, err := getRecord(tx, id)
				if err != nil || r.State != lifecycle.Queued || string(r.OutboxKey) != string(k) {
					continue // a stale entry; Check reports it
				}
				waiting, err := waitingBlobs(tx, &r)
				if err != nil {
					return err
				}
				if len(waiting) == 0 && maxBytes > 0 && ready > 0 && total+r.Size > maxBytes {
					break
				}
				pd, err := s.getPersonal(tx, id)
				if err != nil {
					if s.readOnly || s.seal == nil {
						return err
					}
					broken = append(broken, id)
					continue
				}
				a := r.Application
				a.Values, a.Attachments = pd.Values, pd.Attachments
				items = append(items, OutboxItem{Application: a, EnqueuedAt: r.EnqueuedAt, Size: r.Size, WaitingBlobs: waiting})
				if len(waiting) == 0 {
					ready++
					total += r.Size
				}
			}
			return nil
		})
		if err != nil || len(broken) == 0 {
			return items, err
		}
		if err := s.quarantine(broken); err != nil {
			return nil, err
		}
	}
}

// quarantine moves queued applications whose personal data cannot be read
// out of the queue, to needs_attention, so staff see them.
func (s *Store) quarantine(ids []string) error {
	return s.update(func(tx *bolt.Tx) error {
		for _, id := range ids {
			r, err := getRecord(tx, id)
			if err != nil || r.State != lifecycle.Queued {
				continue
			}
			if _, err := s.getPersonal(tx, id); err == nil {
				continue
			}
			if err := s.unqueue(tx, &r); err != nil {
				return err
			}
			r.LastError = "the personal data of this application on this device cannot be read (damaged record or another key); enter the application again"
			r.transition(lifecycle.NeedsAttention, s.now(), sourceDevice, nil)
			r.UpdatedAt = s.now()
			if err := putRecord(tx, &r); err != nil {
				return err
			}
			if err := s.event(tx, Event{Kind: EventRefused, ID: id, State: r.State, Detail: "local: personal data does not decrypt"}); err != nil {
				return err
			}
		}
		return nil
	})
}

// unqueue removes r's outbox entry.
func (s *Store) unqueue(tx *bolt.Tx, r *record) error {
	if r.OutboxKey != nil {
		if err := tx.Bucket(bucketOutbox).Delete(r.OutboxKey); err != nil {
			return err
		}
	}
	r.OutboxKey = nil
	return nil
}

// Stats summarises the queue.
func (s *Store) Stats() (QueueStats, error) {
	var st QueueStats
	err := s.view(func(tx *bolt.Tx) error {
		ob := tx.Bucket(bucketOutbox)
		if ob == nil {
			return nil
		}
		return ob.ForEach(func(k, v []byte) error {
			r, err := getRecord(tx, string(v))
			if err != nil || string(r.OutboxKey) != string(k) {
				return nil
			}
			st.Count++
			st.Bytes += int64(r.Size)
			if st.Oldest.IsZero() || r.EnqueuedAt.Before(st.Oldest) {
				st.Oldest = r.EnqueuedAt
			}
			return nil
		})
	})
	return st, err
}

// MarkAccepted records the central API's receipt: the outbox entry goes,
// the application becomes sent (then a.Status, usually received) at the
// server's time, and under the kiosk policy its personal data is deleted
// with its references to attachment files (a file no application
// references any more is deleted, chunks and all), all in one
// transaction. Recording the same acceptance again is a no-op.
func (s *Store) MarkAccepted(id string, a Acceptance) error {
	return s.update(func(tx *bolt.Tx) error {
		r, err := getRecord(tx, id)
		if err != nil {
			return err
		}
		if r.State.Accepted() {
			if r.Tracking != "" || a.Tracking == "" {
				return nil
			}
			r.Tracking, r.VerificationCode = a.Tracking, a.VerificationCode
			return putRecord(tx, &r)
		}
		if r.State != lifecycle.Queued {
			return fmt.Errorf("%w: application %s is %s, not queued: a receipt cannot be recorded for it", ErrState, id, r.State)
		}
		if err := s.unqueue(tx, &r); err != nil {
			return err
		}
		at, src := a.At, sourceServer
		if at.IsZero() {
			at, src = s.now(), sourceDevice
		} else {
			r.ServerAt = at
		}
		r.Tracking, r.VerificationCode, r.AcceptedAt = a.Tracking, a.VerificationCode, at
		r.LastError, r.FieldErrors = "", nil
		r.transition(lifecycle.Sent, at, src, nil)
		if a.Status.IsServer() {
			r.transition(a.Status, at, src, nil)
		}
		if err := s.event(tx, Event{Kind: EventSent, ID: id, State: r.State, Detail: "tracking " + a.Tracking}); err != nil {
			return err
		}
		if d := r.Deferred; d != nil && !d.At.Before(at) && d.Status != r.State {
			r.transition(d.Status, d.At, sourceServer, d.Note)
			r.ServerAt = d.At
			if err := s.event(tx, Event{Kind: EventStatus, ID: id, State: r.State}); err != nil {
				return err
			}
		}
		r.Deferred = nil
		if s.policy == PolicyKiosk {
			if err := s.purge(tx, &r); err != nil {
				return err
			}
		}
		r.UpdatedAt = s.now()
		return putRecord(tx, &r)
	})
}

// MarkRefused moves a queued application to needs_attention or conflict,
// keeping the server's field errors, and removes its outbox entry.
func (s *Store) MarkRefused(id string, rf Refusal) error {
	if rf.State != lifecycle.NeedsAttention && rf.State != lifecycle.Conflict {
		return fmt.Errorf("%w: a refusal moves an application to %s or %s, not %q", ErrInvalid, lifecycle.NeedsAttention, lifecycle.Conflict, rf.State)
	}
	return s.update(func(tx *bolt.Tx) error {
		r, err := getRecord(tx, id)
		if err != nil {
			return err
		}
		if r.State == rf.State {
			return nil
		}
		if r.State != lifecycle.Queued {
			return fmt.Errorf("%w: application %s is %s, not queued: a refusal cannot be recorded for it", ErrState, id, r.State)
		}
		if err := s.unqueue(tx, &r); err != nil {
			return err
		}
		now := s.now()
		r.FieldErrors, r.LastError, r.Deferred = rf.FieldErrors, truncate(rf.Message, maxCause), nil
		r.transition(rf.State, now, sourceDevice, nil)
		r.UpdatedAt = now
		if err := putRecord(tx, &r); err != nil {
			return err
		}
		var codes []string
		for _, fe := range rf.FieldErrors {
			codes = append(codes, fe.Field+":"+fe.Code)
		}
		return s.event(tx, Event{Kind: EventRefused, ID: id, State: rf.State, Detail: truncate(strings.Join(codes, " "), maxCause)})
	})
}

// MarkFailed records a transient failure: Attempts goes up, LastError is
// cause (which must hold no personal data), and the item stays queued.
func (s *Store) MarkFailed(id string, cause string) error {
	return s.update(func(tx *bolt.Tx) error {
		r, err := getRecord(tx, id)
		if err != nil {
			return err
		}
		if r.State != lifecycle.Queued {
			return fmt.Errorf("%w: application %s is %s, not queued", ErrState, id, r.State)
		}
		r.Attempts++
		r.LastError = truncate(cause, maxCause)
		r.UpdatedAt = s.now()
		return putRecord(tx, &r)
	})
}

// ApplyChanges applies a page of the changes feed and stores the cursor, in
// one transaction. Only the server's times are compared, so a device clock
// that is off changes nothing. Skipped: unknown ids, statuses the server
// does not decide, changes older than the application's latest server
// transition (an out-of-order feed), and applications that are drafts,
// need attention or are in conflict. A change for an application still
// queued here (its receipt was lost on the way) is kept and applied when
// the receipt arrives.
//
// A change of Kind ChangeReply is a staff reply to an interaction: it is
// added to the interaction's Replies (see applyReply: unknown ids, empty
// replies and a reply already recorded at the same time are skipped).
// Changes of other kinds, from a newer central API, are skipped.
func (s *Store) ApplyChanges(changes []StatusChange, cursor string) error {
	return s.update(func(tx *bolt.Tx) error {
		for _, c := range changes {
			switch c.Kind {
			case "":
			case ChangeReply:
				if err := s.applyReply(tx, c); err != nil {
					return err
				}
				continue
			default:
				continue
			}
			if !c.Status.IsServer() {
				continue
			}
			r, err := getRecord(tx, c.ID)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			switch {
			case r.State == lifecycle.Queued:
				if r.Deferred == nil || !c.At.Before(r.Deferred.At) {
					r.Deferred = &c
					if err := putRecord(tx, &r); err != nil {
						return err
					}
				}
				continue
			case !r.State.Accepted():
				continue
			case !r.ServerAt.IsZero() && c.At.Before(r.ServerAt):
				continue
			}
			// The feed's tracking number is authoritative: a backend may have
			// answered with a provisional one (an Open311 token) at submission.
			if c.Tracking != "" {
				r.Tracking = c.Tracking
			}
			// A new status, or a new note on the same status (an Open311
			// status_notes update, a back-office remark): both go into the
			// history, so the resident sees the note.
			if c.Status != r.State || (len(c.Note) > 0 && !maps.Equal(c.Note, r.lastNote())) {
				r.transition(c.Status, c.At, sourceServer, c.Note)
				if err := s.event(tx, Event{Kind: EventStatus, ID: r.ID, State: c.Status}); err != nil {
					return err
				}
			}
			r.ServerAt = c.At
			r.UpdatedAt = s.now()
			if err := putRecord(tx, &r); err != nil {
				return err
			}
		}
		if cursor == "" {
			return nil
		}
		return tx.Bucket(bucketSync).Put(keyCursor, []byte(cursor))
	})
}

// Cursor is the stored changes-feed cursor ("" at first).
func (s *Store) Cursor() (string, error) {
	var c string
	err := s.view(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketSync); b != nil {
			c = string(b.Get(keyCursor))
		}
		return nil
	})
	return c, err
}

// CachedCatalog returns the cached catalog body and its ETag ("" and nil if none).
func (s *Store) CachedCatalog() (etag string, body []byte, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketCatalog); b != nil {
			etag, body = string(b.Get(keyETag)), clone(b.Get(keyBody))
		}
		return nil
	})
	return etag, body, err
}

// PutCatalog caches a catalog body with its ETag.
func (s *Store) PutCatalog(etag string, body []byte) error {
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCatalog)
		if err := b.Put(keyETag, []byte(etag)); err != nil {
			return err
		}
		return b.Put(keyBody, body)
	})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
