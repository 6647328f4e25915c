// Package enginetest holds in-memory twins for testing code that uses the
// sync engine: a Queue kept in memory and a clock advanced by hand.
package enginetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
)

// MemQueue is an in-memory engine.Queue with the semantics the engine
// relies on: oldest first, batch limits, one atomic step per Mark call, and
// errors on demand. It is safe for concurrent use.
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
	// Kiosk purges form values and attachments on acceptance, as the kiosk
	// retention policy does.
	Kiosk bool
}

// NewMemQueue returns an empty queue.
func NewMemQueue() *MemQueue {
	return &MemQueue{apps: map[string]*store.Application{}, sizes: map[string]int{},
		enq: map[string]store.OutboxItem{}, fail: map[string]error{}, calls: map[string]int{}}
}

// Add queues app (its State becomes Queued). size 0 means the JSON size of
// its values and attachments.
func (q *MemQueue) Add(app store.Application, size int) {
	q.mu.Lock()
	defer q.mu.Unlock()
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
// "MarkFailed", "ApplyChanges", "Cursor", "CachedCatalog", "PutCatalog")
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

// Pending implements engine.Queue.
func (q *MemQueue) Pending(maxItems, maxBytes int) ([]store.OutboxItem, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.enter("Pending"); err != nil {
		return nil, err
	}
	var out []store.OutboxItem
	total := 0
	for _, id := range q.outbox {
		size := q.sizes[id]
		if len(out) >= maxItems || (len(out) > 0 && total+size > maxBytes) {
			break
		}
		it := q.enq[id]
		it.Application = *q.apps[id]
		out = append(out, it)
		total += size
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

// ApplyChanges implements engine.Queue: unknown ids are skipped.
func (q *MemQueue) ApplyChanges(changes []store.StatusChange, cursor string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.enter("ApplyChanges"); err != nil {
		return err
	}
	for _, c := range changes {
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
