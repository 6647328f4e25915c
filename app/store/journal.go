package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Journal event kinds.
const (
	EventCreated   = "created"
	EventQueued    = "queued"
	EventSent      = "sent"
	EventRefused   = "refused"
	EventStatus    = "status"
	EventPurged    = "purged"
	EventDeleted   = "deleted"
	EventWithdrawn = "withdrawn"
	EventRetried   = "retried"
	EventRecovered = "recovered"

	// Interactions (tickets, ratings, feedback). Their events name the id
	// and, in Detail, the kind; never the body.
	EventInteractionQueued  = "interaction_queued"
	EventInteractionSent    = "interaction_sent"
	EventInteractionRefused = "interaction_refused"
	EventInteractionPurged  = "interaction_purged"
	EventInteractionDeleted = "interaction_deleted"
	EventReply              = "reply"
)

// event appends e to the journal in tx. Events name ids, kinds and states,
// never form values.
func (s *Store) event(tx *bolt.Tx, e Event) error {
	b := appendBucket(tx, bucketJournal)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	e.Seq = seq
	if e.At.IsZero() {
		e.At = s.now()
	}
	v, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return b.Put(seqKey(seq, ""), v)
}

// journalChunk is how many events Journal reads per transaction.
const journalChunk = 512

// Journal calls fn for every event with Seq > after, oldest first. It reads
// in short transactions, so fn may use the store.
func (s *Store) Journal(after uint64, fn func(Event) error) error {
	next := after + 1
	for {
		var batch []Event
		err := s.view(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketJournal)
			if b == nil {
				return nil
			}
			c := b.Cursor()
			for k, v := c.Seek(seqKey(next, "")); k != nil && len(batch) < journalChunk; k, v = c.Next() {
				var e Event
				if err := json.Unmarshal(v, &e); err != nil {
					return fmt.Errorf("%w: journal entry %d does not decode", ErrCorrupt, binary.BigEndian.Uint64(k))
				}
				batch = append(batch, e)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, e := range batch {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(batch) < journalChunk {
			return nil
		}
		next = batch[len(batch)-1].Seq + 1
	}
}
