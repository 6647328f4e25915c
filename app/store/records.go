package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
)

// record is what the applications bucket holds: the Application without its
// personal data, plus bookkeeping the API does not show.
type record struct {
	Application
	// OutboxKey is the outbox entry of a queued application.
	OutboxKey  []byte    `json:"outbox_key,omitempty"`
	EnqueuedAt time.Time `json:"enqueued_at,omitzero"`
	// Size is the approximate wire size, computed at enqueue.
	Size int `json:"size,omitempty"`
	// ServerAt is the server time of the latest server-decided transition;
	// older changes from the feed are ignored.
	ServerAt time.Time `json:"server_at,omitzero"`
	// Deferred is the newest feed change that arrived while the application
	// was still queued locally (the server's answer was lost); it is applied
	// when the receipt arrives.
	Deferred *StatusChange `json:"deferred,omitempty"`
	// Blobs are the SHA-256s of the attachment files the application
	// references, in attachment order, each once (see blobs.go).
	Blobs []string `json:"blobs,omitempty"`
}

// personalData is what the personal bucket holds, sealed.
type personalData struct {
	Values      catalog.Values `json:"values"`
	Attachments []Attachment   `json:"attachments,omitempty"`
}

const (
	sourceDevice = "device"
	sourceServer = "server"
)

func getRecord(tx *bolt.Tx, id string) (record, error) {
	var r record
	b := tx.Bucket(bucketApplications)
	if b == nil {
		return r, fmt.Errorf("%w: no application %s on this device", ErrNotFound, id)
	}
	v := b.Get([]byte(id))
	if v == nil {
		return r, fmt.Errorf("%w: no application %s on this device", ErrNotFound, id)
	}
	if err := json.Unmarshal(v, &r); err != nil {
		return r, fmt.Errorf("%w: the record of application %s does not decode: %v", ErrCorrupt, id, err)
	}
	return r, nil
}

// putRecord writes the record and its summary; it never writes personal data.
func putRecord(tx *bolt.Tx, r *record) error {
	r.Values, r.Attachments = nil, nil
	v, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode application %s: %w", r.ID, err)
	}
	if err := appendBucket(tx, bucketApplications).Put([]byte(r.ID), v); err != nil {
		return err
	}
	return appendBucket(tx, bucketSummaries).Put([]byte(r.ID), encodeSummary(r.summary()))
}

func (r *record) summary() Summary {
	return Summary{ID: r.ID, Service: r.Service, State: r.State, Tracking: r.Tracking, Attempts: r.Attempts,
		LastError: r.LastError, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, AcceptedAt: r.AcceptedAt,
		Purged: r.Purged, StaffID: r.StaffID}
}

// transition moves the record to a new state and records it.
// lastNote is the note of the latest history entry (nil when none).
func (r *record) lastNote() catalog.Text {
	if len(r.History) == 0 {
		return nil
	}
	return r.History[len(r.History)-1].Note
}

func (r *record) transition(to lifecycle.Status, at time.Time, source string, note catalog.Text) {
	r.History = append(r.History, Transition{From: r.State, To: to, At: at, Source: source, Note: note})
	r.State = to
}

// sealPersonal encodes and seals personal data; it returns the plaintext too.
func (s *Store) sealPersonal(id string, pd personalData) (plain, sealed []byte, err error) {
	plain, err = json.Marshal(pd)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: the form values of application %s cannot be encoded as JSON: %v", ErrInvalid, id, err)
	}
	sealed, err = s.seal.seal(bucketPersonal, []byte(id), plain)
	return plain, sealed, err
}

// putPersonal seals and writes personal data, returning the normalised copy
// (exactly what a later read will give).
func (s *Store) putPersonal(tx *bolt.Tx, id string, pd personalData) (personalData, []byte, error) {
	plain, sealed, err := s.sealPersonal(id, pd)
	if err != nil {
		return personalData{}, nil, err
	}
	if err := appendBucket(tx, bucketPersonal).Put([]byte(id), sealed); err != nil {
		return personalData{}, nil, err
	}
	var norm personalData
	if err := json.Unmarshal(plain, &norm); err != nil {
		return personalData{}, nil, fmt.Errorf("%w: the form values of application %s do not decode: %v", ErrInvalid, id, err)
	}
	return norm, plain, nil
}

// getPersonal reads and opens an application's personal data.
func (s *Store) getPersonal(tx *bolt.Tx, id string) (personalData, error) {
	var pd personalData
	if s.seal == nil {
		return pd, s.keyErr
	}
	b := tx.Bucket(bucketPersonal)
	var v []byte
	if b != nil {
		v = b.Get([]byte(id))
	}
	if v == nil {
		return pd, fmt.Errorf("%w: the personal data of application %s is missing", ErrCorrupt, id)
	}
	plain, err := s.seal.open(bucketPersonal, []byte(id), v)
	if err != nil {
		return pd, keyMismatch(s.seal.source, "the personal data of application "+id)
	}
	if err := json.Unmarshal(plain, &pd); err != nil {
		return pd, fmt.Errorf("%w: the personal data of application %s does not decode: %v", ErrCorrupt, id, err)
	}
	return pd, nil
}

// Summaries are encoded by hand: listing 100,000 of them must stay cheap.
// Layout: version byte, flags byte (bit 0: purged), uvarint attempts, then
// length-prefixed ID, Service, State, Tracking, LastError, StaffID, then
// varint Unix nanoseconds of CreatedAt, UpdatedAt, AcceptedAt (0 = zero time).
const summaryVersion = 1

func encodeSummary(sm Summary) []byte {
	b := make([]byte, 0, 2+len(sm.ID)+len(sm.Service)+len(sm.State)+len(sm.Tracking)+len(sm.LastError)+len(sm.StaffID)+48)
	var flags byte
	if sm.Purged {
		flags |= 1
	}
	b = append(b, summaryVersion, flags)
	b = binary.AppendUvarint(b, uint64(sm.Attempts))
	for _, s := range []string{sm.ID, sm.Service, string(sm.State), sm.Tracking, sm.LastError, sm.StaffID} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	for _, t := range []time.Time{sm.CreatedAt, sm.UpdatedAt, sm.AcceptedAt} {
		var n int64
		if !t.IsZero() {
			n = t.UnixNano()
		}
		b = binary.AppendVarint(b, n)
	}
	return b
}

var errSummary = errors.New("summary does not decode")

func decodeSummary(b []byte) (Summary, error) {
	var sm Summary
	if len(b) < 2 || b[0] != summaryVersion {
		return sm, errSummary
	}
	sm.Purged = b[1]&1 != 0
	b = b[2:]
	u, n := binary.Uvarint(b)
	if n <= 0 {
		return sm, errSummary
	}
	sm.Attempts, b = int(u), b[n:]
	var strs [6]string
	for i := range strs {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return sm, errSummary
		}
		strs[i], b = string(b[n:n+int(l)]), b[n+int(l):]
	}
	sm.ID, sm.Service, sm.State, sm.Tracking, sm.LastError, sm.StaffID =
		strs[0], strs[1], lifecycle.Status(strs[2]), strs[3], strs[4], strs[5]
	var times [3]time.Time
	for i := range times {
		v, n := binary.Varint(b)
		if n <= 0 {
			return sm, errSummary
		}
		if v != 0 {
			times[i] = time.Unix(0, v).UTC()
		}
		b = b[n:]
	}
	sm.CreatedAt, sm.UpdatedAt, sm.AcceptedAt = times[0], times[1], times[2]
	return sm, nil
}

// appendFill is the page fill factor of buckets whose keys mostly grow
// (time-ordered ids, sequence numbers): bbolt's default of 0.5 leaves
// appended-to pages half empty, which doubles the file and the memory a
// full listing touches.
const appendFill = 0.9

// appendBucket returns a bucket for writing with appendFill set.
func appendBucket(tx *bolt.Tx, name []byte) *bolt.Bucket {
	b := tx.Bucket(name)
	b.FillPercent = appendFill
	return b
}

// seqKey is an 8-byte big-endian sequence number, so keys sort in order.
func seqKey(seq uint64, suffix string) []byte {
	k := make([]byte, 8, 8+len(suffix))
	binary.BigEndian.PutUint64(k, seq)
	return append(k, suffix...)
}
