// Package enginetest holds in-memory twins for testing code that uses the
// sync engine: a Queue kept in memory and a clock advanced by hand.
package enginetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
)

// MemQueue is an in-memory engine.Queue with the semantics the engine
// relies on: oldest first, batch limits, one atomic step per Mark call,
// attachments kept once per SHA-256 however many applications share them,
// and errors on demand. It is safe for concurrent use.
type MemQueue struct {
	mu      sync.Mutex
	apps    map[string]*store.Application
	outbox  []string // ids, oldest first
	sizes   map[string]int
	enq     map[string]store.OutboxItem
	cursor  string
	etag    string
	catalog []byte
	fail    map[string]error
	calls   map[string]int
	blobs   map[string]*memBlob // by SHA-256
	maxRead int                 // largest p given to ReadBlob
	inter   map[string]*store.Interaction
	iorder  []string // interaction ids as stored, oldest first
	iqueue  []string // queued interaction ids, oldest first
	// Kiosk purges form values and attachments on acceptance, and an
	// interaction's body, as the kiosk retention policy does.
	Kiosk bool
	// Now is the clock of QueueInteraction (nil: time.Now).
	Now func() time.Time
}

type memBlob struct {
	data     []byte
	typ      string
	uploaded bool
}

// NewMemQueue returns an empty queue.
func NewMemQueue() *MemQueue {
	return &MemQueue{apps: map[string]*store.Application{}, sizes: map[string]int{},
		enq: map[string]store.OutboxItem{}, fail: map[string]error{}, calls: map[string]int{},
		blobs: map[string]*memBlob{}, inter: map[string]*store.Interaction{}}
}

// Add queues app (its State becomes Queued). size 0 means the JSON size of
// its values and attachments. As the store does, attachment Data is kept
// as a blob named by Ref.SHA256 (the SHA-256 of Data when empty; a test
// may give a wrong one) and stripped from the application; Ref.Size
// becomes len(Data). An attachment without Data refers to a blob added
// before (or to none: it then waits for ever).
func (q *MemQueue) Add(app store.Application, size int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	app.Attachments = slices.Clone(app.Attachments)
	for i, at := range app.Attachments {
		if at.Data == nil {
			continue
		}
		if at.Ref.SHA256 == "" {
			sum := sha256.Sum256(at.Data)
			at.Ref.SHA256 = hex.EncodeToString(sum[:])
		}
		at.Ref.Size = int64(len(at.Data))
		if _, ok := q.blobs[at.Ref.SHA256]; !ok {
			q.blobs[at.Ref.SHA256] = &memBlob{data: slices.Clone(at.Data), typ: at.Ref.Type}
		}
		at.Data = nil
		app.Attachments[i] = at
	}
	if size <= 0 {
		b, _ := json.Marshal(struct {
			V any
			A any
		}{app.Values, app.Attachments})
		size = len(b)
	}
	app.State = lifecycle.Queued
	app.History = append(app.History, store.Transition{From: lifecycle.Draft, To: lifecycle.Queued, At: app.CreatedAt, Source: "device"})
	a := app
	q.apps[app.ID] = &a
	if !slices.Contains(q.outbox, app.ID) {
		q.outbox = append(q.outbox, app.ID)
	}
	q.sizes[app.ID] = size
	q.enq[app.ID] = store.OutboxItem{EnqueuedAt: app.CreatedAt, Size: size}
}

// FailOn makes method op ("Pending", "Stats", "MarkAccepted", "MarkRefused",
// "MarkFailed", "ApplyChanges", "Cursor", "CachedCatalog", "PutCatalog",
// "PendingBlobs", "ReadBlob", "MarkBlobUploaded", "MarkBlobMissing",
// "QueueInteraction", "PendingInteractions", "InteractionStats",
// "MarkInteractionAccepted", "MarkInteractionRefused",
// "MarkInteractionFailed")
// return err until FailOn(op, nil).
func (q *MemQueue) FailOn(op string, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err == nil {
		delete(q.fail, op)
	} else {
		q.fail[op] = err
	}
}

// Calls counts calls of method op.
func (q *MemQueue) Calls(op string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.calls[op]
}

// App returns a copy of the application with id.
func (q *MemQueue) App(id string) (store.Application, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	a, ok := q.apps[id]
	if !ok {
		return store.Application{}, false
	}
	return *a, true
}

// Queued returns the ids still in the outbox, oldest first.
func (q *MemQueue) Queued() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.outbox)
}

func (q *MemQueue) enter(op string) error {
	q.calls[op]++
	return q.fail[op]
}

// Pending implements engine.Queue. As the store does, applications that
// wait for attachments are returned in their place but do not count
// towards maxItems and maxBytes (either <= 0 means no limit).
func (q *MemQueue) Pending(maxItems, maxBytes int) ([]store.OutboxItem, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.enter("Pending"); err != nil {
		return nil, err
	}
	var out []store.OutboxItem
	total, ready := 0, 0
	for _, id := range q.outbox {
		if maxItems > 0 && ready >= maxItems {
			break
		}
		size := q.sizes[id]
		waiting := q.waiting(q.apps[id])
		if len(waiting) == 0 && maxBytes > 0 && ready > 0 && total+size > maxBytes {
			break
		}
		it := q.enq[id]
		it.Application = *q.apps[id]
		it.WaitingBlobs = waiting
		out = append(out, it)
		if len(waiting) == 0 {
			ready++
			total += size
		}
	}
	return out, nil
}

// Stats implements engine.Queue.
func (q *MemQueue) Stats() (store.QueueStats, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.enter("Stats"); err != nil {
		return store.QueueStats{}, err
	}
	var s store.QueueStats
	for _, id := range q.outbox {
		s.Count++
		s.Bytes += int64(q.sizes[id])
		if t := q.enq[id].EnqueuedAt; s.Oldest.IsZero() || t.Before(s.Oldest) {
			s.Oldest = t
		}
	}
	return s, nil
}

func (q *MemQueue) dequeue(id string) {
	q.outbox = slices.DeleteFunc(q.outbox, func(s string) bool { return s == id })
}

func (q *MemQueue) app(id string) (*store.Application, error) {
	a, ok := q.apps[id]
	if !ok {
		return nil, fmt.Errorf("memqueue: no application %s", id)
	}
	return a, nil
}

func move(a *store.Application, to lifecycle.Status, t store.Transition) {
	t.From, t.To = a.State, to
	a.State = to
	a.History = append(a.History, t)
}

// MarkAccepted implements engine.Queue. An application no longer queued is
// left as it is (a repeated acceptance is harmless).
func (q *MemQueue) MarkAccepted(id string, acc store.Acceptance) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.enter("MarkAccepted"); err != nil {
		return err
	}
	a, err := q.app(id)
	if err != nil {
		return err
	}
	if a.State != lifecycle.Queued {
		return nil
	}
	a.Tracking, a.VerificationCode, a.AcceptedAt = acc.Tracking, acc.VerificationCode, acc.At
	to := lifecycle.Sent
	if acc.Status.IsServer() {
		to = acc.Status
	}
	move(a, to, store.Transition{At: acc.At, Source: "server"})
	if q.Kiosk {
		a.Values, a.Attachments, a.Purged = nil, nil, true
		q.dropUnreferenced()
	}
	q.dequeue(id)
	return nil
}

// MarkRefused implements engine.Queue.
func (q *MemQueue) MarkRefused(id string, r store.Refusal) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.enter("MarkRefused"); err != nil {
		return err
	}
	a, err := q.app(id)
	if err != nil {
		return err
	}
	a.FieldErrors, a.LastError = r.FieldErrors, r.Message
	move(a, r.State, store.Transition{Source: "server"})
	q.dequeue(id)
	return nil
}

// MarkFailed implements engine.Queue.
func (q *MemQueue) MarkFailed(id string, cause string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.enter("MarkFailed"); err != nil {
		return err
	}
	a, err := q.app(id)
	if err != nil {
		return err
	}
	a.Attempts++
	a.LastError = cause
	return nil
}

// ApplyChanges implements engine.Queue: unknown ids are skipped; a change
// of Kind store.ChangeReply appends a reply to its interaction, once.
func (q *MemQueue) ApplyChanges(changes []store.StatusChange, cursor string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.enter("ApplyChanges"); err != nil {
		return err
	}
	for _, c := range changes {
		if c.Kind == store.ChangeReply {
			q.applyReply(c)
			continue
		}
		a, ok := q.apps[c.ID]
		if !ok {
			continue
		}
		if a.Tracking == "" {
			a.Tracking = c.Tracking
		}
		move(a, c.Status, store.Transition{At: c.At, Source: "server", Note: c.Note})
	}
	q.cursor = cursor
	return nil
}

// Cursor implements engine.Queue.
func (q *MemQueue) Cursor() (string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.enter("Cursor"); err != nil {
		return "", err
	}
	return q.cursor, nil
}

// CachedCatalog implements engine.Queue.
func (q *MemQueue) CachedCatalog() (string, []byte, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.enter("CachedCatalog"); err != nil {
		return "", nil, err
	}
	return q.etag, slices.Clone(q.catalog), nil
}

// PutCatalog implements engine.Queue.
func (q *MemQueue) PutCatalog(etag string, body []byte) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.enter("PutCatalog"); err != nil {
		return err
	}
	q.etag, q.catalog = etag, slices.Clone(body)
	return nil
}

// waiting lists a's blobs not uploaded, each once; q.mu is held.
func (q *MemQueue) waiting(a *store.Application) []string {
	var out []string
	for _, at := range a.Attachments {
		sha := at.Ref.SHA256
		if b := q.blobs[sha]; (b == nil || !b.uploaded) && !slices.Contains(out, sha) {
			out = append(out, sha)
		}
	}
	return out
}

// dropUnreferenced deletes the blobs no application refers to; q.mu is held.
func (q *MemQueue) dropUnreferenced() {
	used := map[string]bool{}
	for _, a := range q.apps {
		for _, at := range a.Attachments {
			used[at.Ref.SHA256] = true
		}
	}
	for sha := range q.blobs {
		if !used[sha] {
			delete(q.blobs, sha)
		}
	}
}

// PendingBlobs implements engine.Queue: the blobs queued applications refer
// to and that are not uploaded, oldest application first, each once with
// every queued application that refers to it.
func (q *MemQueue) PendingBlobs() ([]store.BlobInfo, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.enter("PendingBlobs"); err != nil {
		return nil, err
	}
	var out []store.BlobInfo
	index := map[string]int{}
	for _, id := range q.outbox {
		for _, at := range q.apps[id].Attachments {
			sha := at.Ref.SHA256
			b := q.blobs[sha]
			if b == nil || b.uploaded {
				continue
			}
			i, ok := index[sha]
			if !ok {
				i = len(out)
				index[sha] = i
				out = append(out, store.BlobInfo{SHA256: sha, Size: int64(len(b.data)), Type: b.typ})
			}
			if !slices.Contains(out[i].Apps, id) {
				out[i].Apps = append(out[i].Apps, id)
			}
		}
	}
	return out, nil
}

// ReadBlob implements engine.Queue, like io.ReaderAt.
func (q *MemQueue) ReadBlob(sha string, off int64, p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.enter("ReadBlob"); err != nil {
		return 0, err
	}
	q.maxRead = max(q.maxRead, len(p))
	b, ok := q.blobs[sha]
	if !ok {
		return 0, fmt.Errorf("memqueue: no blob %s: %w", sha, store.ErrNotFound)
	}
	if off < 0 {
		return 0, fmt.Errorf("memqueue: negative offset: %w", store.ErrInvalid)
	}
	if off >= int64(len(b.data)) {
		return 0, io.EOF
	}
	n := copy(p, b.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// MarkBlobUploaded implements engine.Queue.
func (q *MemQueue) MarkBlobUploaded(sha string) error {
	return q.markBlob("MarkBlobUploaded", sha, true)
}

// MarkBlobMissing implements engine.Queue.
func (q *MemQueue) MarkBlobMissing(sha string) error {
	return q.markBlob("MarkBlobMissing", sha, false)
}

func (q *MemQueue) markBlob(op, sha string, uploaded bool) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.enter(op); err != nil {
		return err
	}
	b, ok := q.blobs[sha]
	if !ok {
		return fmt.Errorf("memqueue: no blob %s: %w", sha, store.ErrNotFound)
	}
	b.uploaded = uploaded
	return nil
}

// BlobUploaded reports whether blob sha is held and marked uploaded.
func (q *MemQueue) BlobUploaded(sha string) (uploaded, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	b, ok := q.blobs[sha]
	return ok && b.uploaded, ok
}

// Blobs is the number of blobs held.
func (q *MemQueue) Blobs() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.blobs)
}

// MaxRead is the largest buffer ever given to ReadBlob.
func (q *MemQueue) MaxRead() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.maxRead
}

// Interactions: tickets, ratings and feedback, kept with the store's
// semantics (see app/store's interaction methods).

// QueueInteraction stores a new interaction and queues it, as the store
// does: the id must be a UUID, the kind "ticket", "rating" or "feedback",
// the body non-empty JSON (store.ErrInvalid otherwise). Queuing an id
// already stored with the same kind and body is a no-op returning the
// stored one; with another kind or body, store.ErrState. CreatedAt and
// QueuedAt are Now().
func (q *MemQueue) QueueInteraction(id, kind string, body []byte) (store.Interaction, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.enter("QueueInteraction"); err != nil {
		return store.Interaction{}, err
	}
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return store.Interaction{}, fmt.Errorf("memqueue: the interaction id must be a UUID: %w", store.ErrInvalid)
	}
	switch kind {
	case "ticket", "rating", "feedback":
	default:
		return store.Interaction{}, fmt.Errorf("memqueue: unknown interaction kind: %w", store.ErrInvalid)
	}
	if len(body) == 0 || !json.Valid(body) {
		return store.Interaction{}, fmt.Errorf("memqueue: the interaction body must be JSON: %w", store.ErrInvalid)
	}
	if q.inter == nil {
		q.inter = map[string]*store.Interaction{}
	}
	if old, ok := q.inter[id]; ok {
		if old.Kind != kind || (!old.Purged && !bytes.Equal(old.Body, body)) {
			return store.Interaction{}, fmt.Errorf("memqueue: interaction %s is stored with another body: %w", id, store.ErrState)
		}
		return copyInteraction(old), nil
	}
	now := q.now()
	it := &store.Interaction{ID: id, Kind: kind, Body: slices.Clone(body), State: store.InteractionQueued,
		CreatedAt: now, QueuedAt: now}
	q.inter[id] = it
	q.iorder = append(q.iorder, id)
	q.iqueue = append(q.iqueue, id)
	return copyInteraction(it), nil
}

// now is the queue's clock; q.mu is held.
func (q *MemQueue) now() time.Time {
	if q.Now != nil {
		return q.Now()
	}
	return time.Now()
}

func copyInteraction(it *store.Interaction) store.Interaction {
	c := *it
	c.Body = slices.Clone(it.Body)
	c.Replies = slices.Clone(it.Replies)
	return c
}

// PendingInteractions implements engine.Queue: up to max (<= 0: all)
// queued interactions, oldest first.
func (q *MemQueue) PendingInteractions(max int) ([]store.Interaction, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.enter("PendingInteractions"); err != nil {
		return nil, err
	}
	var out []store.Interaction
	for _, id := range q.iqueue {
		if max > 0 && len(out) >= max {
			break
		}
		out = append(out, copyInteraction(q.inter[id]))
	}
	return out, nil
}

// InteractionStats implements engine.Queue: Bytes is the bodies' size.
func (q *MemQueue) InteractionStats() (store.QueueStats, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.enter("InteractionStats"); err != nil {
		return store.QueueStats{}, err
	}
	var s store.QueueStats
	for _, id := range q.iqueue {
		it := q.inter[id]
		s.Count++
		s.Bytes += int64(len(it.Body))
		if s.Oldest.IsZero() || it.QueuedAt.Before(s.Oldest) {
			s.Oldest = it.QueuedAt
		}
	}
	return s, nil
}

// interaction returns the stored interaction; q.mu is held.
func (q *MemQueue) interaction(id string) (*store.Interaction, error) {
	it, ok := q.inter[id]
	if !ok {
		return nil, fmt.Errorf("memqueue: no interaction %s: %w", id, store.ErrNotFound)
	}
	return it, nil
}

func (q *MemQueue) dequeueInteraction(id string) {
	q.iqueue = slices.DeleteFunc(q.iqueue, func(s string) bool { return s == id })
}

// MarkInteractionAccepted implements engine.Queue. An interaction no
// longer queued is left as it is; under Kiosk the body is purged.
func (q *MemQueue) MarkInteractionAccepted(id string, a store.InteractionAcceptance) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.enter("MarkInteractionAccepted"); err != nil {
		return err
	}
	it, err := q.interaction(id)
	if err != nil {
		return err
	}
	if it.State != store.InteractionQueued {
		return nil
	}
	it.State = store.InteractionSent
	it.Reference, it.FollowUp, it.AcceptedAt = a.Reference, a.FollowUp, a.At
	it.LastError = ""
	if q.Kiosk {
		it.Body, it.Purged = nil, true
	}
	q.dequeueInteraction(id)
	return nil
}

// MarkInteractionRefused implements engine.Queue: state must be
// InteractionRefused or InteractionConflict (store.ErrInvalid otherwise).
// An interaction no longer queued is left as it is.
func (q *MemQueue) MarkInteractionRefused(id string, state store.InteractionState, msg string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.enter("MarkInteractionRefused"); err != nil {
		return err
	}
	if state != store.InteractionRefused && state != store.InteractionConflict {
		return fmt.Errorf("memqueue: a refusal is refused or conflict: %w", store.ErrInvalid)
	}
	it, err := q.interaction(id)
	if err != nil {
		return err
	}
	if it.State != store.InteractionQueued {
		return nil
	}
	it.State, it.LastError = state, msg
	q.dequeueInteraction(id)
	return nil
}

// MarkInteractionFailed implements engine.Queue: it stays queued.
func (q *MemQueue) MarkInteractionFailed(id, cause string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.enter("MarkInteractionFailed"); err != nil {
		return err
	}
	it, err := q.interaction(id)
	if err != nil {
		return err
	}
	it.Attempts++
	it.LastError = cause
	return nil
}

// GetInteraction returns a copy of one interaction; store.ErrNotFound
// when unknown.
func (q *MemQueue) GetInteraction(id string) (store.Interaction, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	it, err := q.interaction(id)
	if err != nil {
		return store.Interaction{}, err
	}
	return copyInteraction(it), nil
}

// Interactions lists the interactions of a kind ("" for all), newest first.
func (q *MemQueue) Interactions(kind string) ([]store.Interaction, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []store.Interaction
	for i := len(q.iorder) - 1; i >= 0; i-- {
		it := q.inter[q.iorder[i]]
		if kind == "" || it.Kind == kind {
			out = append(out, copyInteraction(it))
		}
	}
	return out, nil
}

// QueuedInteractions returns the ids of the queued interactions, oldest first.
func (q *MemQueue) QueuedInteractions() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.iqueue)
}

// applyReply appends a staff reply to its interaction unless it holds the
// same one already; unknown ids are skipped. q.mu is held.
func (q *MemQueue) applyReply(c store.StatusChange) {
	it, ok := q.inter[c.ID]
	if !ok {
		return
	}
	for _, r := range it.Replies {
		if r.At.Equal(c.At) && maps.Equal(r.Text, c.Note) {
			return
		}
	}
	it.Replies = append(it.Replies, store.Reply{Text: maps.Clone(c.Note), At: c.At})
}
