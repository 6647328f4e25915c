package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"

	"civicdesk/app/catalog"
)

// Interactions (queue tickets, ratings, feedback) live in three buckets:
// interactions holds a plain JSON record without the body, interaction_bodies
// the body sealed like personal data (bucket and id as additional data), and
// interaction_outbox the queue, seq(8, big-endian)+id -> id, oldest first.

// Interaction kinds, as in sync/wire.
const (
	interactionTicket   = "ticket"
	interactionRating   = "rating"
	interactionFeedback = "feedback"
)

// MaxInteractionBody is the largest interaction body the store takes, in
// bytes; a feedback at its longest is far smaller.
const MaxInteractionBody = 64 << 10

// interactionRecord is what the interactions bucket holds: the Interaction
// without its body, plus bookkeeping the API does not show.
type interactionRecord struct {
	ID         string           `json:"id"`
	Kind       string           `json:"kind"`
	State      InteractionState `json:"state"`
	CreatedAt  time.Time        `json:"created_at"`
	QueuedAt   time.Time        `json:"queued_at"`
	AcceptedAt time.Time        `json:"accepted_at,omitzero"`
	UpdatedAt  time.Time        `json:"updated_at"`
	Reference  string           `json:"reference,omitempty"`
	FollowUp   bool             `json:"follow_up,omitempty"`
	Attempts   int              `json:"attempts,omitempty"`
	LastError  string           `json:"last_error,omitempty"`
	Replies    []replyRecord    `json:"replies,omitempty"`
	Purged     bool             `json:"purged,omitempty"`
	// OutboxKey is the interaction_outbox entry of a queued interaction.
	OutboxKey []byte `json:"outbox_key,omitempty"`
	// Size is the approximate wire size, for QueueStats.Bytes.
	Size int `json:"size,omitempty"`
	// Digest is a keyed hash of kind and body (sealer.digest), so that
	// queuing the same id again is recognised even after the body is purged.
	Digest string `json:"digest"`
}

// replyRecord is a Reply as stored: staff words, no personal data.
type replyRecord struct {
	Text catalog.Text `json:"text"`
	At   time.Time    `json:"at"`
}

func (r *interactionRecord) interaction() Interaction {
	it := Interaction{ID: r.ID, Kind: r.Kind, State: r.State, CreatedAt: r.CreatedAt, QueuedAt: r.QueuedAt,
		AcceptedAt: r.AcceptedAt, Reference: r.Reference, FollowUp: r.FollowUp, Attempts: r.Attempts,
		LastError: r.LastError, Purged: r.Purged}
	for _, rp := range r.Replies {
		it.Replies = append(it.Replies, Reply{Text: rp.Text, At: rp.At})
	}
	return it
}

// checkInteraction validates QueueInteraction's arguments. Messages name
// what is wrong, never the body.
func checkInteraction(id, kind string, body []byte) error {
	if len(id) != 36 || uuid.Validate(id) != nil { // the canonical 8-4-4-4-12 form only
		return fmt.Errorf("%w: an interaction id must be a UUID in its 36-character form, made by the device when the interaction is created", ErrInvalid)
	}
	switch kind {
	case interactionTicket, interactionRating, interactionFeedback:
	default:
		return fmt.Errorf("%w: interaction %s: the kind must be %q, %q or %q", ErrInvalid, id, interactionTicket, interactionRating, interactionFeedback)
	}
	switch {
	case len(bytes.TrimSpace(body)) == 0:
		return fmt.Errorf("%w: interaction %s: the body is empty: pass the interaction encoded as JSON", ErrInvalid, id)
	case len(body) > MaxInteractionBody:
		return fmt.Errorf("%w: interaction %s: the body is %s, larger than the limit of %s: shorten the text", ErrInvalid, id, formatBytes(int64(len(body))), formatBytes(MaxInteractionBody))
	case !json.Valid(body):
		return fmt.Errorf("%w: interaction %s: the body is not valid JSON: pass the interaction encoded with encoding/json", ErrInvalid, id)
	}
	return nil
}

func checkInteractionKind(kind string) error {
	switch kind {
	case "", interactionTicket, interactionRating, interactionFeedback:
		return nil
	}
	return fmt.Errorf("%w: the interaction kind must be %q, %q, %q or empty for all", ErrInvalid, interactionTicket, interactionRating, interactionFeedback)
}

// interactionDigest is the digest of a kind and a body; the body is
// compacted first, so that whitespace alone does not make another body.
func (s *Store) interactionDigest(kind string, body []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, body) != nil {
		buf.Reset()
		buf.Write(body)
	}
	return s.seal.digest([]byte(kind), buf.Bytes())
}

func getInteractionRecord(tx *bolt.Tx, id string) (interactionRecord, error) {
	var r interactionRecord
	var v []byte
	if b := tx.Bucket(bucketInteractions); b != nil {
		v = b.Get([]byte(id))
	}
	if v == nil {
		return r, fmt.Errorf("%w: no interaction %s on this device", ErrNotFound, id)
	}
	if err := json.Unmarshal(v, &r); err != nil {
		return r, fmt.Errorf("%w: the record of interaction %s does not decode: %v", ErrCorrupt, id, err)
	}
	return r, nil
}

func putInteractionRecord(tx *bolt.Tx, r *interactionRecord) error {
	v, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode interaction %s: %w", r.ID, err)
	}
	return appendBucket(tx, bucketInteractions).Put([]byte(r.ID), v)
}

// getInteractionBody reads and opens an interaction's body. A body that
// does not open is the store's key error, as for personal data.
func (s *Store) getInteractionBody(tx *bolt.Tx, id string) ([]byte, error) {
	if s.seal == nil {
		return nil, s.keyErr
	}
	var v []byte
	if b := tx.Bucket(bucketInteractionBodies); b != nil {
		v = b.Get([]byte(id))
	}
	if v == nil {
		return nil, fmt.Errorf("%w: the body of interaction %s is missing", ErrCorrupt, id)
	}
	plain, err := s.seal.open(bucketInteractionBodies, []byte(id), v)
	if err != nil {
		return nil, keyMismatch(s.seal.source, "the body of interaction "+id)
	}
	return plain, nil
}

// withBody is r's Interaction with its body, decrypted unless purged.
func (s *Store) withBody(tx *bolt.Tx, r *interactionRecord) (Interaction, error) {
	it := r.interaction()
	if r.Purged {
		return it, nil
	}
	body, err := s.getInteractionBody(tx, r.ID)
	if err != nil {
		return Interaction{}, err
	}
	it.Body = body
	return it, nil
}

// unqueueInteraction removes r's outbox entry.
func unqueueInteraction(tx *bolt.Tx, r *interactionRecord) error {
	if r.OutboxKey != nil {
		if err := tx.Bucket(bucketInteractionOutbox).Delete(r.OutboxKey); err != nil {
			return err
		}
	}
	r.OutboxKey = nil
	return nil
}

// QueueInteraction stores a new interaction and queues it for sending: its
// record, its body (sealed, as personal data is) and its outbox entry are
// written in one transaction. The id must be a UUID (36 characters), the
// kind one of "ticket", "rating", "feedback", the body non-empty valid JSON
// of at most MaxInteractionBody bytes: ErrInvalid otherwise. Queuing an id
// already stored with the same kind and body (whitespace aside) is a no-op
// returning the stored interaction, whatever its state; with another kind or
// body it is ErrState.
func (s *Store) QueueInteraction(id, kind string, body []byte) (Interaction, error) {
	if err := checkInteraction(id, kind, body); err != nil {
		return Interaction{}, err
	}
	var out Interaction
	err := s.update(func(tx *bolt.Tx) error {
		digest := s.interactionDigest(kind, body)
		old, err := getInteractionRecord(tx, id)
		switch {
		case err == nil:
			if old.Kind != kind || old.Digest != digest {
				return fmt.Errorf("%w: interaction %s is already stored with another kind or content; a new interaction needs a new id", ErrState, id)
			}
			out, err = s.withBody(tx, &old)
			return err
		case !errors.Is(err, ErrNotFound):
			return err
		}
		sealed, err := s.seal.seal(bucketInteractionBodies, []byte(id), body)
		if err != nil {
			return err
		}
		if err := appendBucket(tx, bucketInteractionBodies).Put([]byte(id), sealed); err != nil {
			return err
		}
		ob := appendBucket(tx, bucketInteractionOutbox)
		seq, err := ob.NextSequence()
		if err != nil {
			return err
		}
		now := s.now()
		r := interactionRecord{ID: id, Kind: kind, State: InteractionQueued, CreatedAt: now, QueuedAt: now, UpdatedAt: now,
			OutboxKey: seqKey(seq, id), Size: len(body) + len(id) + len(kind) + 64, Digest: digest}
		if err := ob.Put(r.OutboxKey, []byte(id)); err != nil {
			return err
		}
		if err := putInteractionRecord(tx, &r); err != nil {
			return err
		}
		out = r.interaction()
		out.Body = clone(body)
		return s.event(tx, Event{Kind: EventInteractionQueued, ID: id, Detail: kind})
	})
	if err != nil {
		return Interaction{}, err
	}
	return out, nil
}

// PendingInteractions returns up to max (<= 0: all) queued interactions,
// oldest first, decrypted. An interaction whose body no longer decrypts
// (an altered record) is moved to InteractionRefused, with LastError
// saying why, instead of blocking the queue; in a read-only store the key
// error is returned instead.
func (s *Store) PendingInteractions(max int) ([]Interaction, error) {
	for {
		var items []Interaction
		var broken []string
		err := s.view(func(tx *bolt.Tx) error {
			ob := tx.Bucket(bucketInteractionOutbox)
			if ob == nil {
				return nil
			}
			c := ob.Cursor()
			for k, v := c.First(); k != nil && (max <= 0 || len(items) < max); k, v = c.Next() {
				r, err := getInteractionRecord(tx, string(v))
				if err != nil || r.State != InteractionQueued || !bytes.Equal(r.OutboxKey, k) {
					continue // a stale entry; Check reports it
				}
				it, err := s.withBody(tx, &r)
				if err != nil {
					if s.readOnly || s.seal == nil {
						return err
					}
					broken = append(broken, r.ID)
					continue
				}
				items = append(items, it)
			}
			return nil
		})
		if err != nil || len(broken) == 0 {
			return items, err
		}
		if err := s.quarantineInteractions(broken); err != nil {
			return nil, err
		}
	}
}

// quarantineInteractions takes queued interactions whose body cannot be
// read out of the queue, as refused, so they stop blocking it.
func (s *Store) quarantineInteractions(ids []string) error {
	return s.update(func(tx *bolt.Tx) error {
		for _, id := range ids {
			r, err := getInteractionRecord(tx, id)
			if err != nil || r.State != InteractionQueued {
				continue
			}
			if _, err := s.getInteractionBody(tx, id); err == nil {
				continue
			}
			if err := unqueueInteraction(tx, &r); err != nil {
				return err
			}
			r.State = InteractionRefused
			r.LastError = "the content of this " + r.Kind + " on this device cannot be read (damaged record or another key); enter it again"
			r.UpdatedAt = s.now()
			if err := putInteractionRecord(tx, &r); err != nil {
				return err
			}
			if err := s.event(tx, Event{Kind: EventInteractionRefused, ID: id, Detail: r.Kind + "; local: body does not decrypt"}); err != nil {
				return err
			}
		}
		return nil
	})
}

// InteractionStats counts the queued interactions, their approximate size
// in bytes and the oldest one's QueuedAt (zero when none).
func (s *Store) InteractionStats() (QueueStats, error) {
	var st QueueStats
	err := s.view(func(tx *bolt.Tx) error {
		ob := tx.Bucket(bucketInteractionOutbox)
		if ob == nil {
			return nil
		}
		return ob.ForEach(func(k, v []byte) error {
			r, err := getInteractionRecord(tx, string(v))
			if err != nil || r.State != InteractionQueued || !bytes.Equal(r.OutboxKey, k) {
				return nil
			}
			st.Count++
			st.Bytes += int64(r.Size)
			if st.Oldest.IsZero() || r.QueuedAt.Before(st.Oldest) {
				st.Oldest = r.QueuedAt
			}
			return nil
		})
	})
	return st, err
}

// MarkInteractionAccepted records the central API's acceptance (state
// InteractionSent, with Reference, FollowUp and AcceptedAt, the device's
// time when a.At is zero) and takes the interaction out of the queue; under
// the kiosk policy its body is deleted in the same transaction (Purged).
// An interaction no longer queued (already accepted, or refused) is left as
// it is and nil returned, but an accepted one gets a reference it lacked.
// ErrNotFound for an unknown id.
func (s *Store) MarkInteractionAccepted(id string, a InteractionAcceptance) error {
	return s.update(func(tx *bolt.Tx) error {
		r, err := getInteractionRecord(tx, id)
		if err != nil {
			return err
		}
		switch r.State {
		case InteractionQueued:
		case InteractionSent:
			if r.Reference != "" || a.Reference == "" {
				return nil
			}
			r.Reference = a.Reference
			return putInteractionRecord(tx, &r)
		default:
			return nil
		}
		if err := unqueueInteraction(tx, &r); err != nil {
			return err
		}
		at := a.At
		if at.IsZero() {
			at = s.now()
		}
		r.State, r.AcceptedAt, r.Reference, r.FollowUp, r.LastError = InteractionSent, at, a.Reference, a.FollowUp, ""
		r.UpdatedAt = s.now()
		detail := r.Kind
		if a.Reference != "" {
			detail += "; reference " + a.Reference
		}
		if err := s.event(tx, Event{Kind: EventInteractionSent, ID: id, Detail: detail}); err != nil {
			return err
		}
		if s.policy == PolicyKiosk {
			if err := tx.Bucket(bucketInteractionBodies).Delete([]byte(id)); err != nil {
				return err
			}
			r.Purged = true
			if err := s.event(tx, Event{Kind: EventInteractionPurged, ID: id, Detail: r.Kind}); err != nil {
				return err
			}
		}
		return putInteractionRecord(tx, &r)
	})
}

// MarkInteractionRefused records a final refusal (state InteractionRefused
// or InteractionConflict, else ErrInvalid) with its reason, msg, which must
// hold no personal data, and takes it out of the queue. An interaction no
// longer queued (a repeated or late answer) is left as it is and nil
// returned. ErrNotFound for an unknown id.
func (s *Store) MarkInteractionRefused(id string, state InteractionState, msg string) error {
	if state != InteractionRefused && state != InteractionConflict {
		return fmt.Errorf("%w: a refusal moves an interaction to %s or %s, not %q", ErrInvalid, InteractionRefused, InteractionConflict, state)
	}
	return s.update(func(tx *bolt.Tx) error {
		r, err := getInteractionRecord(tx, id)
		if err != nil {
			return err
		}
		if r.State != InteractionQueued {
			return nil
		}
		if err := unqueueInteraction(tx, &r); err != nil {
			return err
		}
		r.State, r.LastError, r.UpdatedAt = state, truncate(msg, maxCause), s.now()
		if err := putInteractionRecord(tx, &r); err != nil {
			return err
		}
		return s.event(tx, Event{Kind: EventInteractionRefused, ID: id, Detail: r.Kind + "; " + string(state)})
	})
}

// MarkInteractionFailed records a transient failure: it stays queued,
// Attempts grows, LastError is cause (which must hold no personal data).
// An interaction no longer queued is left as it is and nil returned (the
// central API answered it meanwhile). ErrNotFound for an unknown id.
func (s *Store) MarkInteractionFailed(id, cause string) error {
	return s.update(func(tx *bolt.Tx) error {
		r, err := getInteractionRecord(tx, id)
		if err != nil {
			return err
		}
		if r.State != InteractionQueued {
			return nil
		}
		r.Attempts++
		r.LastError = truncate(cause, maxCause)
		r.UpdatedAt = s.now()
		return putInteractionRecord(tx, &r)
	})
}

// applyReply records a staff reply from the changes feed, in tx. Unknown
// interactions and empty replies are skipped, and so is a reply already
// recorded with the same time and text (the feed may be replayed).
func (s *Store) applyReply(tx *bolt.Tx, c StatusChange) error {
	if len(c.Note) == 0 {
		return nil
	}
	r, err := getInteractionRecord(tx, c.ID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, rp := range r.Replies {
		if rp.At.Equal(c.At) && maps.Equal(rp.Text, c.Note) {
			return nil
		}
	}
	r.Replies = append(r.Replies, replyRecord{Text: c.Note, At: c.At})
	r.UpdatedAt = s.now()
	if err := putInteractionRecord(tx, &r); err != nil {
		return err
	}
	return s.event(tx, Event{Kind: EventReply, ID: r.ID, Detail: r.Kind})
}

// GetInteraction returns one interaction, its body decrypted (nil once
// purged). ErrNotFound when unknown; ErrKey when the body does not decrypt.
func (s *Store) GetInteraction(id string) (Interaction, error) {
	var it Interaction
	err := s.view(func(tx *bolt.Tx) error {
		r, err := getInteractionRecord(tx, id)
		if err != nil {
			return err
		}
		it, err = s.withBody(tx, &r)
		return err
	})
	return it, err
}

// Interactions lists the stored interactions of a kind ("" for all; an
// unknown kind is ErrInvalid), newest first (by CreatedAt, then id),
// their bodies decrypted. ErrKey when a body does not decrypt.
func (s *Store) Interactions(kind string) ([]Interaction, error) {
	if err := checkInteractionKind(kind); err != nil {
		return nil, err
	}
	var out []Interaction
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketInteractions)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, _ []byte) error {
			r, err := getInteractionRecord(tx, string(k))
			if err != nil {
				return err
			}
			if kind != "" && r.Kind != kind {
				return nil
			}
			it, err := s.withBody(tx, &r)
			if err != nil {
				return err
			}
			out = append(out, it)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Interaction) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out, nil
}

// DeleteInteractions deletes every interaction, queued or not (the
// resident's "delete my data"): records, bodies and outbox entries go in
// one transaction, and the journal keeps one "interaction_deleted" event
// per interaction (Detail: its kind, and "was queued" for one still
// waiting to be sent, which the central API may then never get). It
// returns how many went.
func (s *Store) DeleteInteractions() (int, error) {
	n := 0
	err := s.update(func(tx *bolt.Tx) error {
		n = 0
		var recs []interactionRecord
		err := tx.Bucket(bucketInteractions).ForEach(func(k, v []byte) error {
			var r interactionRecord
			if err := json.Unmarshal(v, &r); err != nil {
				r = interactionRecord{ID: string(k), Kind: "unknown"} // deleted all the same
			}
			r.ID = string(k)
			recs = append(recs, r)
			return nil
		})
		if err != nil {
			return err
		}
		for _, r := range recs {
			detail := r.Kind
			if r.State == InteractionQueued {
				detail += "; was queued"
			}
			if err := s.event(tx, Event{Kind: EventInteractionDeleted, ID: r.ID, Detail: detail}); err != nil {
				return err
			}
		}
		// Everything in the three buckets goes, strays (Check's findings) too.
		for _, name := range [][]byte{bucketInteractions, bucketInteractionBodies, bucketInteractionOutbox} {
			if err := clearBucket(tx.Bucket(name)); err != nil {
				return err
			}
		}
		n = len(recs)
		return nil
	})
	return n, err
}

// clearBucket deletes every key of b.
func clearBucket(b *bolt.Bucket) error {
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}
