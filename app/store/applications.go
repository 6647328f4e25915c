package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
)

// NewApplication is what CreateDraft and Submit need to start an application.
type NewApplication struct {
	ID             string // optional: "" makes a new time-ordered UUID
	Service        string
	ServiceVersion int
	Values         catalog.Values
	Attachments    []Attachment
	StaffID        string // set when staff entered it for a walk-in
}

// maxIDLen bounds ids and other names used as keys.
const maxIDLen = 128

func checkID(id string) error {
	if id == "" || len(id) > maxIDLen {
		return fmt.Errorf("%w: an application id must be 1 to %d characters", ErrInvalid, maxIDLen)
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return fmt.Errorf("%w: an application id may hold only letters, digits, '-', '_', '.' and ':'", ErrInvalid)
		}
	}
	return nil
}

func checkName(what, v string, required bool) error {
	if required && v == "" {
		return fmt.Errorf("%w: %s is required", ErrInvalid, what)
	}
	if len(v) > maxIDLen {
		return fmt.Errorf("%w: %s is longer than %d characters", ErrInvalid, what, maxIDLen)
	}
	for _, c := range v {
		if c < 0x20 || c == 0x7f {
			return fmt.Errorf("%w: %s contains control characters", ErrInvalid, what)
		}
	}
	return nil
}

// checkAttachments copies atts, filling SHA256 and Size from the bytes when
// they are missing and refusing refs that do not match their bytes and
// files larger than the store's limit.
func (s *Store) checkAttachments(atts []Attachment) ([]Attachment, error) {
	return normaliseAttachments(atts, s.maxAtt)
}

// normaliseAttachments is checkAttachments with a size limit (0: none).
func normaliseAttachments(atts []Attachment, limit int64) ([]Attachment, error) {
	if atts == nil {
		return nil, nil
	}
	out := make([]Attachment, len(atts))
	for i, a := range atts {
		if a.Field == "" {
			return nil, fmt.Errorf("%w: attachment %d names no form field", ErrInvalid, i+1)
		}
		if limit > 0 && int64(len(a.Data)) > limit {
			return nil, fmt.Errorf("%w: attachment for field %s is %s, larger than the limit of %s per file (attach a smaller file, for example a scan at a lower resolution)",
				ErrInvalid, a.Field, formatBytes(int64(len(a.Data))), formatBytes(limit))
		}
		if a.Data == nil && !validSHA(a.Ref.SHA256) {
			return nil, fmt.Errorf("%w: attachment for field %s has neither its bytes nor a valid SHA-256 (attach the file again)", ErrInvalid, a.Field)
		}
		if a.Data != nil {
			sum := sha256.Sum256(a.Data)
			h := hex.EncodeToString(sum[:])
			switch a.Ref.SHA256 {
			case "":
				a.Ref.SHA256 = h
			case h:
			default:
				return nil, fmt.Errorf("%w: attachment for field %s: its SHA-256 does not match its bytes (attach the file again)", ErrInvalid, a.Field)
			}
			if a.Ref.Size == 0 {
				a.Ref.Size = int64(len(a.Data))
			} else if a.Ref.Size != int64(len(a.Data)) {
				return nil, fmt.Errorf("%w: attachment for field %s: its size does not match its bytes (attach the file again)", ErrInvalid, a.Field)
			}
		}
		out[i] = a
	}
	return out, nil
}

// formatBytes writes a size for people: "10 MiB", "2.5 MiB", "300 KiB", "12 bytes".
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", (n+1<<10-1)>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func (s *Store) prepare(n NewApplication) (NewApplication, error) {
	if n.ID == "" {
		n.ID = s.newID()
	}
	if err := checkID(n.ID); err != nil {
		return n, err
	}
	if err := checkName("the service code", n.Service, true); err != nil {
		return n, err
	}
	if err := checkName("the staff id", n.StaffID, false); err != nil {
		return n, err
	}
	if n.ServiceVersion < 0 {
		return n, fmt.Errorf("%w: the service version is negative", ErrInvalid)
	}
	var err error
	n.Attachments, err = s.checkAttachments(n.Attachments)
	return n, err
}

// newRecord is a fresh draft record.
func (s *Store) newRecord(n NewApplication) record {
	now := s.now()
	r := record{Application: Application{ID: n.ID, Service: n.Service, ServiceVersion: n.ServiceVersion,
		StaffID: n.StaffID, CreatedAt: now, UpdatedAt: now}}
	r.History = []Transition{{To: lifecycle.Draft, At: now, Source: sourceDevice}}
	r.State = lifecycle.Draft
	return r
}

func exists(tx *bolt.Tx, id string) bool {
	return tx.Bucket(bucketApplications).Get([]byte(id)) != nil
}

// CreateDraft starts an application in state draft.
func (s *Store) CreateDraft(n NewApplication) (Application, error) {
	n, err := s.prepare(n)
	if err != nil {
		return Application{}, err
	}
	var out Application
	err = s.update(func(tx *bolt.Tx) error {
		if exists(tx, n.ID) {
			return fmt.Errorf("%w: application %s already exists", ErrState, n.ID)
		}
		r := s.newRecord(n)
		atts, err := s.attach(tx, &r, n.Attachments, false)
		if err != nil {
			return err
		}
		pd, _, err := s.putPersonal(tx, n.ID, personalData{Values: n.Values, Attachments: atts})
		if err != nil {
			return err
		}
		if err := putRecord(tx, &r); err != nil {
			return err
		}
		out = r.Application
		out.Values, out.Attachments = pd.Values, pd.Attachments
		return s.event(tx, Event{Kind: EventCreated, ID: n.ID, State: lifecycle.Draft, Detail: "service " + n.Service})
	})
	return out, err
}

// SaveDraft replaces a draft's values and attachments (autosave). Only
// drafts can be saved: anything else is ErrState.
func (s *Store) SaveDraft(id string, values catalog.Values, atts []Attachment) error {
	atts, err := s.checkAttachments(atts)
	if err != nil {
		return err
	}
	return s.update(func(tx *bolt.Tx) error {
		r, err := getRecord(tx, id)
		if err != nil {
			return err
		}
		if r.State != lifecycle.Draft {
			return fmt.Errorf("%w: application %s is %s, only a draft can be edited", ErrState, id, r.State)
		}
		stored, err := s.attach(tx, &r, atts, false)
		if err != nil {
			return err
		}
		if _, _, err := s.putPersonal(tx, id, personalData{Values: values, Attachments: stored}); err != nil {
			return err
		}
		r.UpdatedAt = s.now()
		return putRecord(tx, &r)
	})
}

// queue writes pd afresh (its attachments as blobs), computes the
// fingerprint and size, moves r to queued and adds its outbox entry, all in tx.
func (s *Store) queue(tx *bolt.Tx, r *record, pd personalData) error {
	var err error
	if pd.Attachments, err = s.attach(tx, r, pd.Attachments, false); err != nil {
		return err
	}
	norm, plain, err := s.putPersonal(tx, r.ID, pd)
	if err != nil {
		return err
	}
	a := r.Application
	a.Values, a.Attachments = norm.Values, norm.Attachments
	now := s.now()
	r.Fingerprint = Fingerprint(a)
	r.Size = itemSize(r, plain)
	r.EnqueuedAt = now
	r.UpdatedAt = now
	r.Attempts, r.LastError, r.FieldErrors = 0, "", nil
	r.transition(lifecycle.Queued, now, sourceDevice, nil)
	ob := appendBucket(tx, bucketOutbox)
	seq, err := ob.NextSequence()
	if err != nil {
		return err
	}
	r.OutboxKey = seqKey(seq, r.ID)
	if err := ob.Put(r.OutboxKey, []byte(r.ID)); err != nil {
		return err
	}
	return putRecord(tx, r)
}

// itemSize is the approximate wire size of r's item, whose personal data
// encodes to plain (attachments go apart, as blobs).
func itemSize(r *record, plain []byte) int {
	return len(plain) + len(r.ID) + len(r.Service) + len(r.StaffID) + 96 // the item's other JSON
}

// Enqueue moves a draft to queued: the record, its personal data and its
// outbox entry are written in one transaction, so either all of it is on
// disk or the draft is untouched (a full disk leaves the draft as it was).
func (s *Store) Enqueue(id string) (Application, error) {
	err := s.update(func(tx *bolt.Tx) error {
		r, err := getRecord(tx, id)
		if err != nil {
			return err
		}
		if r.State != lifecycle.Draft {
			return fmt.Errorf("%w: application %s is %s, only a draft can be queued", ErrState, id, r.State)
		}
		pd, err := s.getPersonal(tx, id)
		if err != nil {
			return err
		}
		if err := s.queue(tx, &r, pd); err != nil {
			return err
		}
		return s.event(tx, Event{Kind: EventQueued, ID: id, State: lifecycle.Queued})
	})
	if err != nil {
		return Application{}, err
	}
	return s.Get(id)
}

// Submit creates and queues an application in one transaction (the CLI
// path). An existing id is ErrState unless it is a draft of the same
// service, which is then saved with n's values and queued.
func (s *Store) Submit(n NewApplication) (Application, error) {
	n, err := s.prepare(n)
	if err != nil {
		return Application{}, err
	}
	err = s.update(func(tx *bolt.Tx) error {
		r, err := getRecord(tx, n.ID)
		switch {
		case errors.Is(err, ErrNotFound):
			r = s.newRecord(n)
			if err := s.event(tx, Event{Kind: EventCreated, ID: n.ID, State: lifecycle.Draft, Detail: "service " + n.Service}); err != nil {
				return err
			}
		case err != nil:
			return err
		case r.State != lifecycle.Draft || r.Service != n.Service:
			return fmt.Errorf("%w: application %s already exists (%s, service %s)", ErrState, n.ID, r.State, r.Service)
		default:
			r.ServiceVersion, r.StaffID = n.ServiceVersion, n.StaffID
		}
		if err := s.queue(tx, &r, personalData{Values: n.Values, Attachments: n.Attachments}); err != nil {
			return err
		}
		return s.event(tx, Event{Kind: EventQueued, ID: n.ID, State: lifecycle.Queued})
	})
	if err != nil {
		return Application{}, err
	}
	return s.Get(n.ID)
}

// Get returns an application with its personal data (nil once purged).
// Attachments come without their bytes: read them with ReadBlob.
func (s *Store) Get(id string) (Application, error) {
	var a Application
	err := s.view(func(tx *bolt.Tx) error {
		r, err := getRecord(tx, id)
		if err != nil {
			return err
		}
		a = r.Application
		if r.Purged {
			return nil
		}
		pd, err := s.getPersonal(tx, id)
		if err != nil {
			return err
		}
		a.Values, a.Attachments = pd.Values, pd.Attachments
		return nil
	})
	return a, err
}

// forEachChunk is how many summaries ForEach decodes per transaction.
const forEachChunk = 1024

// ForEach calls fn with the summary of every application, in id order
// (creation order for time-ordered ids). It decrypts nothing, holds at most
// one chunk of summaries in memory and reads in short transactions, so fn
// may use the store; a change made meanwhile may or may not be seen.
// An error from fn stops the walk and is returned.
func (s *Store) ForEach(fn func(Summary) error) error {
	var after []byte
	batch := make([]Summary, 0, forEachChunk)
	for {
		batch = batch[:0]
		err := s.view(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketSummaries)
			if b == nil {
				return nil
			}
			c := b.Cursor()
			var k, v []byte
			if after == nil {
				k, v = c.First()
			} else if k, v = c.Seek(after); k != nil && string(k) == string(after) {
				k, v = c.Next()
			}
			for ; k != nil && len(batch) < forEachChunk; k, v = c.Next() {
				sm, err := decodeSummary(v)
				if err != nil {
					return fmt.Errorf("%w: the summary of application %s does not decode (run hallctl doctor)", ErrCorrupt, k)
				}
				batch = append(batch, sm)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, sm := range batch {
			if err := fn(sm); err != nil {
				return err
			}
		}
		if len(batch) < forEachChunk {
			return nil
		}
		s.releaseMapped() // keep a 100,000-application listing's memory flat
		after = []byte(batch[len(batch)-1].ID)
	}
}

// Retry queues an application the server refused (needs_attention or
// conflict) again, with a new outbox entry. It is a staff action.
func (s *Store) Retry(id string) error {
	return s.update(func(tx *bolt.Tx) error {
		r, err := getRecord(tx, id)
		if err != nil {
			return err
		}
		if r.State != lifecycle.NeedsAttention && r.State != lifecycle.Conflict {
			return fmt.Errorf("%w: application %s is %s; only one that needs attention or is in conflict can be retried", ErrState, id, r.State)
		}
		from := r.State
		pd, err := s.getPersonal(tx, id)
		if err != nil {
			return err
		}
		if err := s.queue(tx, &r, pd); err != nil {
			return err
		}
		return s.event(tx, Event{Kind: EventRetried, ID: id, State: lifecycle.Queued, Detail: "was " + string(from)})
	})
}

// Delete removes an application and its personal data for good, with the
// attachment files no other application references; the journal keeps a
// "deleted" event. A queued application cannot be deleted
// (it may be on its way to the central API): ErrState.
func (s *Store) Delete(id string) error { return s.remove(id, false) }

// Withdraw deletes an application even while it waits to be sent (the
// resident's "delete my data" on a phone): record, outbox entry, personal
// data and attachment references go in one transaction, and the journal
// records "withdrawn". If an earlier attempt to send it reached the central
// API without an answer, the central API may still have it.
func (s *Store) Withdraw(id string) error { return s.remove(id, true) }

func (s *Store) remove(id string, queuedToo bool) error {
	return s.update(func(tx *bolt.Tx) error {
		r, err := getRecord(tx, id)
		if err != nil {
			return err
		}
		if r.State == lifecycle.Queued && !queuedToo {
			return fmt.Errorf("%w: application %s is waiting to be sent and cannot be deleted until the central API has answered", ErrState, id)
		}
		if err := dropRefs(tx, &r); err != nil {
			return err
		}
		k := []byte(id)
		for _, b := range [][]byte{bucketApplications, bucketSummaries, bucketPersonal} {
			if err := tx.Bucket(b).Delete(k); err != nil {
				return err
			}
		}
		if r.OutboxKey != nil {
			if err := tx.Bucket(bucketOutbox).Delete(r.OutboxKey); err != nil {
				return err
			}
		}
		kind := EventDeleted
		if r.State == lifecycle.Queued {
			kind = EventWithdrawn
		}
		return s.event(tx, Event{Kind: kind, ID: id, State: r.State})
	})
}

// purge deletes r's personal data and its blob references (and the blobs
// no application references any more) and marks it purged, in tx.
func (s *Store) purge(tx *bolt.Tx, r *record) error {
	if err := tx.Bucket(bucketPersonal).Delete([]byte(r.ID)); err != nil {
		return err
	}
	if err := dropRefs(tx, r); err != nil {
		return err
	}
	r.Purged = true
	return s.event(tx, Event{Kind: EventPurged, ID: r.ID, State: r.State})
}

// PurgeAccepted deletes the personal data of every application the central
// API has accepted, with the attachment files no other application
// references, and returns how many were purged. It also removes blob
// garbage Check would report (files and chunks no application references).
func (s *Store) PurgeAccepted() (int, error) {
	n := 0
	err := s.update(func(tx *bolt.Tx) error {
		n = 0
		var ids []string
		err := tx.Bucket(bucketSummaries).ForEach(func(k, v []byte) error {
			sm, err := decodeSummary(v)
			if err != nil {
				return fmt.Errorf("%w: the summary of application %s does not decode", ErrCorrupt, k)
			}
			if sm.State.Accepted() && !sm.Purged {
				ids = append(ids, sm.ID)
			}
			return nil
		})
		if err != nil {
			return err
		}
		now := s.now()
		for _, id := range ids {
			r, err := getRecord(tx, id)
			if err != nil {
				return err
			}
			if err := s.purge(tx, &r); err != nil {
				return err
			}
			r.UpdatedAt = now
			if err := putRecord(tx, &r); err != nil {
				return err
			}
			n++
		}
		return sweepBlobs(tx)
	})
	return n, err
}
