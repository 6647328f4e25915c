package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/sync/client"
	"civicdesk/sync/engine/enginetest"
	"civicdesk/sync/wire"
)

var _ Queue = (*enginetest.MemQueue)(nil)
var _ Clock = (*enginetest.FakeClock)(nil)

// rig is an engine wired to an in-memory queue, a fake clock and a fake
// central API over real HTTP.
type rig struct {
	q     *enginetest.MemQueue
	clock *enginetest.FakeClock
	srv   *fakeCentral
	api   *client.Client
	eng   *Engine
}

func newRig(t *testing.T, deviceNow time.Time, mod func(*Config)) *rig {
	t.Helper()
	r := &rig{q: enginetest.NewMemQueue(), clock: enginetest.NewFakeClock(deviceNow), srv: newFakeCentral(t)}
	api, err := client.New(r.srv.srv.URL, client.Options{Token: "dev", RetryMax: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.CloseIdleConnections)
	r.api = api
	cfg := Config{Clock: r.clock, Rand: func() float64 { return 0.5 }}
	if mod != nil {
		mod(&cfg)
	}
	r.eng = New(r.q, api, cfg)
	return r
}

// add queues n applications named prefix000, prefix001, ...
func (r *rig) add(prefix string, n int) []string {
	var ids []string
	for i := range n {
		id := fmt.Sprintf("%s%03d", prefix, i)
		r.q.Add(store.Application{ID: id, Service: "svc", ServiceVersion: 1,
			Values: catalog.Values{"reason": "a reason"}, CreatedAt: r.clock.Now()}, 1000)
		ids = append(ids, id)
	}
	return ids
}

func (r *rig) sync(t *testing.T) (Report, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return r.eng.SyncOnce(ctx)
}

func mustApp(t *testing.T, q *enginetest.MemQueue, id string) store.Application {
	t.Helper()
	a, ok := q.App(id)
	if !ok {
		t.Fatalf("application %s missing from the queue", id)
	}
	return a
}

func TestDrainInBatches(t *testing.T) {
	r := newRig(t, serverNow, nil)
	ids := r.add("a", 120)
	rep, err := r.sync(t)
	if err != nil {
		t.Fatalf("SyncOnce: %v", err)
	}
	want := Report{Batches: 3, Sent: 120, Accepted: 120, CatalogUpdated: true}
	if rep != want {
		t.Errorf("report = %+v, want %+v", rep, want)
	}
	r.srv.do(func() {
		if !slices.Equal(r.srv.batchSizes, []int{50, 50, 20}) {
			t.Errorf("batch sizes = %v, want [50 50 20]", r.srv.batchSizes)
		}
		if r.srv.conns != 1 {
			t.Errorf("a round used %d connections, want 1 (keep-alive)", r.srv.conns)
		}
	})
	if q := r.q.Queued(); len(q) != 0 {
		t.Errorf("%d still queued", len(q))
	}
	a := mustApp(t, r.q, ids[119])
	if a.State != lifecycle.Received || a.Tracking != "T-a119" || a.VerificationCode != "4711" || !a.AcceptedAt.Equal(serverNow) {
		t.Errorf("last application = state %s tracking %q at %v", a.State, a.Tracking, a.AcceptedAt)
	}
	st := r.eng.Status()
	if st.State != Online || st.Pending != 0 || st.LastError != "" || !st.LastSuccess.Equal(serverNow) ||
		!st.NextAttempt.Equal(serverNow.Add(DefaultInterval)) {
		t.Errorf("status = %+v", st)
	}
}

func TestBatchBytesLimit(t *testing.T) {
	r := newRig(t, serverNow, func(c *Config) { c.BatchBytes = 2500; c.NoCatalog = true })
	r.add("b", 5) // 1000 bytes each: two per batch
	rep, err := r.sync(t)
	if err != nil || rep.Batches != 3 || rep.Accepted != 5 {
		t.Fatalf("report %+v, %v; want 3 batches, 5 accepted", rep, err)
	}
	r.srv.do(func() {
		if !slices.Equal(r.srv.batchSizes, []int{2, 2, 1}) {
			t.Errorf("batch sizes = %v", r.srv.batchSizes)
		}
	})
}

func TestMixedOutcomesAndPoisonItems(t *testing.T) {
	// Small batches and the trouble at the head of the queue: a poison item
	// the server always refuses, one it always defers, one in conflict.
	r := newRig(t, serverNow, func(c *Config) { c.BatchItems = 2; c.NoCatalog = true })
	ids := r.add("m", 8)
	r.srv.do(func() {
		r.srv.outcome[ids[0]] = wire.Retry
		r.srv.outcome[ids[1]] = wire.Invalid
		r.srv.outcome[ids[2]] = wire.Conflict
	})
	rep, err := r.sync(t)
	if err != nil {
		t.Fatalf("SyncOnce: %v", err)
	}
	want := Report{Batches: 4, Sent: 8, Accepted: 5, Refused: 1, Conflicts: 1, Transient: 1}
	if rep != want {
		t.Errorf("report = %+v, want %+v", rep, want)
	}
	if got := r.q.Queued(); !slices.Equal(got, []string{ids[0]}) {
		t.Errorf("queued = %v, want only the deferred item", got)
	}
	deferred := mustApp(t, r.q, ids[0])
	if deferred.State != lifecycle.Queued || deferred.Attempts != 1 || !strings.Contains(deferred.LastError, "again later") {
		t.Errorf("deferred item = %s attempts %d %q", deferred.State, deferred.Attempts, deferred.LastError)
	}
	poison := mustApp(t, r.q, ids[1])
	if poison.State != lifecycle.NeedsAttention || len(poison.FieldErrors) != 1 || poison.FieldErrors[0].Code != "id_number.checksum" {
		t.Errorf("poison item = %s %+v", poison.State, poison.FieldErrors)
	}
	if c := mustApp(t, r.q, ids[2]); c.State != lifecycle.Conflict {
		t.Errorf("conflict item = %s", c.State)
	}
	// Deferred items make the engine come back soon, with backoff.
	st := r.eng.Status()
	if st.LastError != "" || st.ConsecutiveFailures != 1 || !st.NextAttempt.Equal(serverNow.Add(2500*time.Millisecond)) {
		t.Errorf("status after deferral: %+v", st)
	}
	// The server recovers: the next round sends only the deferred item.
	r.srv.do(func() { delete(r.srv.outcome, ids[0]) })
	rep, err = r.sync(t)
	if err != nil || rep != (Report{Batches: 1, Sent: 1, Accepted: 1}) {
		t.Errorf("second round = %+v, %v", rep, err)
	}
	if st := r.eng.Status(); st.ConsecutiveFailures != 0 || !st.NextAttempt.Equal(serverNow.Add(DefaultInterval)) {
		t.Errorf("status after recovery: %+v", st)
	}
	r.srv.do(func() {
		for id, n := range r.srv.acceptCount {
			if n != 1 {
				t.Errorf("%s accepted %d times", id, n)
			}
		}
	})
}

func TestBatchRefusedAsAWholeIsSplit(t *testing.T) {
	r := newRig(t, serverNow, func(c *Config) { c.NoCatalog = true })
	ids := r.add("s", 7)
	r.srv.do(func() { r.srv.badBatch[ids[4]] = true })
	rep, err := r.sync(t)
	if err != nil {
		t.Fatalf("SyncOnce: %v", err)
	}
	if rep.Accepted != 6 || rep.Refused != 1 || rep.Sent != 7 || rep.Transient != 0 {
		t.Errorf("report = %+v", rep)
	}
	bad := mustApp(t, r.q, ids[4])
	if bad.State != lifecycle.NeedsAttention || !strings.Contains(bad.LastError, "HTTP 400") || len(bad.FieldErrors) != 1 {
		t.Errorf("bad item = %s %q %+v", bad.State, bad.LastError, bad.FieldErrors)
	}
	if len(r.q.Queued()) != 0 {
		t.Errorf("queued = %v", r.q.Queued())
	}
}

func TestTransientBatchFailureThenRecovery(t *testing.T) {
	r := newRig(t, serverNow, func(c *Config) { c.NoCatalog = true })
	r.add("t", 120)
	r.srv.do(func() { r.srv.submitFail = []int{0, http.StatusServiceUnavailable} })
	rep, err := r.sync(t)
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable {
		t.Fatalf("err = %v, want the 503", err)
	}
	if rep != (Report{Batches: 2, Sent: 100, Accepted: 50, Transient: 50}) {
		t.Errorf("report = %+v", rep)
	}
	if n := len(r.q.Queued()); n != 70 {
		t.Errorf("%d queued, want 70", n)
	}
	if n := r.q.Calls("MarkFailed"); n != 0 {
		t.Errorf("MarkFailed called %d times; an outage must not count against items", n)
	}
	st := r.eng.Status()
	if st.State != Online || !strings.Contains(st.LastError, "503") || st.ConsecutiveFailures != 1 ||
		!st.NextAttempt.Equal(serverNow.Add(2500*time.Millisecond)) || st.Pending != 70 {
		t.Errorf("status = %+v", st)
	}
	rep, err = r.sync(t)
	if err != nil || rep.Accepted != 70 || rep.Batches != 2 {
		t.Fatalf("recovery = %+v, %v", rep, err)
	}
	r.srv.do(func() {
		if len(r.srv.acceptCount) != 120 {
			t.Errorf("server has %d applications, want 120", len(r.srv.acceptCount))
		}
		for id, n := range r.srv.acceptCount {
			if n != 1 {
				t.Errorf("%s accepted %d times", id, n)
			}
		}
	})
	if st := r.eng.Status(); st.LastError != "" || st.ConsecutiveFailures != 0 || st.Pending != 0 {
		t.Errorf("status after recovery = %+v", st)
	}
}

func TestAnswerLostAfterCommit(t *testing.T) {
	// The server commits a batch and the answer is cut off: the items stay
	// queued, are sent again, and come back as duplicates with the original
	// receipt. The server has each exactly once.
	r := newRig(t, serverNow, func(c *Config) { c.NoCatalog = true })
	ids := r.add("l", 10)
	r.srv.do(func() { r.srv.dropAfter = 1 })
	rep, err := r.sync(t)
	if !errors.Is(err, client.ErrBadResponse) || !client.Retryable(err) {
		t.Fatalf("err = %v, want a retryable bad response", err)
	}
	if rep.Accepted != 0 || rep.Transient != 10 || len(r.q.Queued()) != 10 {
		t.Errorf("report %+v, %d queued", rep, len(r.q.Queued()))
	}
	rep, err = r.sync(t)
	if err != nil || rep.Accepted != 10 || rep.Duplicates != 10 {
		t.Fatalf("second round = %+v, %v", rep, err)
	}
	if a := mustApp(t, r.q, ids[3]); a.Tracking != "T-"+ids[3] || !a.AcceptedAt.Equal(serverNow) {
		t.Errorf("receipt = %q at %v, want the original", a.Tracking, a.AcceptedAt)
	}
	r.srv.do(func() {
		for id, n := range r.srv.acceptCount {
			if n != 1 {
				t.Errorf("%s accepted %d times", id, n)
			}
		}
	})
}

func TestAnswerMissingAnItem(t *testing.T) {
	r := newRig(t, serverNow, func(c *Config) { c.NoCatalog = true })
	ids := r.add("x", 4)
	r.srv.do(func() { r.srv.omit[ids[1]] = true })
	rep, err := r.sync(t)
	if !errors.Is(err, client.ErrBadResponse) {
		t.Fatalf("err = %v, want ErrBadResponse", err)
	}
	if rep != (Report{Batches: 1, Sent: 4, Accepted: 3, Transient: 1}) {
		t.Errorf("report = %+v; the answers that did come must be kept", rep)
	}
	if a := mustApp(t, r.q, ids[1]); a.State != lifecycle.Queued || a.Attempts != 1 {
		t.Errorf("unanswered item = %s, %d attempts", a.State, a.Attempts)
	}
	r.srv.do(func() { delete(r.srv.omit, ids[1]) })
	if rep, err := r.sync(t); err != nil || rep.Accepted != 1 {
		t.Errorf("next round = %+v, %v", rep, err)
	}
}

func TestStoreFailureLosesNothing(t *testing.T) {
	r := newRig(t, serverNow, func(c *Config) { c.NoCatalog = true })
	ids := r.add("f", 3)
	r.q.FailOn("MarkAccepted", errors.New("disk full"))
	if _, err := r.sync(t); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v, want the store's error", err)
	}
	if len(r.q.Queued()) != 3 {
		t.Fatalf("queued = %v; nothing may leave the outbox unrecorded", r.q.Queued())
	}
	r.q.FailOn("MarkAccepted", nil)
	rep, err := r.sync(t)
	if err != nil || rep.Accepted != 3 || rep.Duplicates != 3 {
		t.Fatalf("after the disk recovers: %+v, %v", rep, err)
	}
	if a := mustApp(t, r.q, ids[0]); a.State != lifecycle.Received {
		t.Errorf("state = %s", a.State)
	}
}

func TestChangesFeedPaging(t *testing.T) {
	r := newRig(t, serverNow, func(c *Config) { c.ChangesLimit = 2; c.NoCatalog = true })
	ids := r.add("c", 3)
	at := serverNow.Add(time.Hour)
	r.srv.do(func() {
		r.srv.changes = []wire.Change{
			{ID: ids[0], Tracking: "T-" + ids[0], Status: lifecycle.InReview, At: at},
			{ID: ids[1], Tracking: "T-" + ids[1], Status: lifecycle.InReview, At: at},
			{ID: "unknown", Tracking: "T-x", Status: lifecycle.Approved, At: at},
			{ID: ids[0], Tracking: "T-" + ids[0], Status: lifecycle.Approved, At: at.Add(time.Minute),
				Note: catalog.Text{"en": "collect at window 3"}},
			{ID: ids[2], Tracking: "T-" + ids[2], Status: lifecycle.NeedsMoreInfo, At: at},
		}
	})
	events, cancel := r.eng.Subscribe(100)
	defer cancel()
	rep, err := r.sync(t)
	if err != nil || rep.Changes != 5 {
		t.Fatalf("report %+v, %v; want 5 changes", rep, err)
	}
	r.srv.do(func() {
		if !slices.Equal(r.srv.cursorsAsked, []string{"", "2", "4"}) {
			t.Errorf("cursors asked = %q", r.srv.cursorsAsked)
		}
	})
	if cur, _ := r.q.Cursor(); cur != "5" {
		t.Errorf("stored cursor = %q, want 5", cur)
	}
	a := mustApp(t, r.q, ids[0])
	last := a.History[len(a.History)-1]
	if a.State != lifecycle.Approved || !last.At.Equal(at.Add(time.Minute)) || last.Source != "server" || last.Note.In("en") != "collect at window 3" {
		t.Errorf("application 0 = %s, last transition %+v", a.State, last)
	}
	if s := mustApp(t, r.q, ids[2]).State; s != lifecycle.NeedsMoreInfo {
		t.Errorf("application 2 = %s", s)
	}
	updates := 0
	for len(events) > 0 {
		if ev := <-events; ev.Kind == ApplicationUpdated {
			updates++
		}
	}
	if updates != 5 {
		t.Errorf("%d ApplicationUpdated events, want 5", updates)
	}
	// Next round starts from the stored cursor and finds nothing new.
	if rep, err := r.sync(t); err != nil || rep.Changes != 0 {
		t.Errorf("second round = %+v, %v", rep, err)
	}
	r.srv.do(func() {
		if got := r.srv.cursorsAsked[len(r.srv.cursorsAsked)-1]; got != "5" {
			t.Errorf("second round asked from %q", got)
		}
	})
}

func TestCatalogETag(t *testing.T) {
	r := newRig(t, serverNow, nil)
	rep, err := r.sync(t)
	if err != nil || !rep.CatalogUpdated {
		t.Fatalf("first round %+v, %v; want the catalog fetched", rep, err)
	}
	etag, body, _ := r.q.CachedCatalog()
	if etag != `"c1"` || !strings.Contains(string(body), `"residence_permit"`) {
		t.Errorf("cached %q %q", etag, body)
	}
	rep, err = r.sync(t)
	if err != nil || rep.CatalogUpdated {
		t.Fatalf("second round %+v, %v; want 304", rep, err)
	}
	r.srv.do(func() {
		if r.srv.cat200 != 1 || r.srv.cat304 != 1 {
			t.Errorf("catalog answers: %d x 200, %d x 304", r.srv.cat200, r.srv.cat304)
		}
	})
	if n := r.q.Calls("PutCatalog"); n != 1 {
		t.Errorf("PutCatalog called %d times", n)
	}
}

// A catalog the device cannot read never replaces the one it works with.
func TestCatalogUnreadableKeepsTheCachedOne(t *testing.T) {
	r := newRig(t, serverNow, nil)
	if _, err := r.sync(t); err != nil {
		t.Fatal(err)
	}
	r.srv.do(func() {
		r.srv.catETag = `"c2"`
		r.srv.catBody = []byte(`{"version":"2","services":[{"code":"svc"}]}`)
	})
	_, err := r.sync(t)
	if !errors.Is(err, ErrBadCatalog) {
		t.Fatalf("sync with an unreadable catalog: %v, want ErrBadCatalog", err)
	}
	etag, body, _ := r.q.CachedCatalog()
	if etag != `"c1"` || !strings.Contains(string(body), `"residence_permit"`) {
		t.Fatalf("the cached catalog was replaced: %q", etag)
	}
}

func TestOnlyOneSyncAtATime(t *testing.T) {
	r := newRig(t, serverNow, func(c *Config) { c.NoCatalog = true })
	r.add("o", 3)
	release := make(chan struct{})
	r.srv.do(func() { r.srv.block = release })
	joined := make(chan struct{}, 2)
	r.eng.mu.Lock()
	r.eng.onJoin = func() { joined <- struct{}{} }
	r.eng.mu.Unlock()

	type result struct {
		rep Report
		err error
	}
	results := make(chan result, 3)
	call := func() { rep, err := r.sync(t); results <- result{rep, err} }
	go call()
	recv(t, r.srv.seen) // the first round is inside Submit
	go call()
	go call()
	recv(t, joined)
	recv(t, joined)
	close(release)
	var got []result
	for range 3 {
		got = append(got, <-results)
	}
	for i, g := range got {
		if g.err != nil || g.rep != got[0].rep || g.rep.Accepted != 3 {
			t.Errorf("call %d = %+v, %v; want the one round's report", i, g.rep, g.err)
		}
	}
	r.srv.do(func() {
		if r.srv.health != 1 || len(r.srv.batchSizes) != 1 || r.srv.maxInflight != 1 {
			t.Errorf("server saw %d health checks, %d batches, %d requests at once; want 1, 1, 1",
				r.srv.health, len(r.srv.batchSizes), r.srv.maxInflight)
		}
	})
}

// recv receives from ch, failing the test instead of hanging.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second): // a guard against a hang, not a wait
		t.Fatal("nothing arrived")
		panic("unreachable")
	}
}

// next waits for the next event of kind on ch.
func next(t *testing.T, ch <-chan Event, kind EventKind) Event {
	t.Helper()
	timeout := time.After(10 * time.Second) // a guard against a hang, not a wait
	for {
		select {
		case ev := <-ch:
			if ev.Kind == kind {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event", kind)
		}
	}
}

func TestRunTriggerTimerAndBackoff(t *testing.T) {
	r := newRig(t, serverNow, func(c *Config) { c.NoCatalog = true })
	events, cancelSub := r.eng.Subscribe(1000)
	defer cancelSub()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.eng.Run(ctx) }()

	// Round 1 at start.
	if ev := next(t, events, SyncFinished); ev.Err != "" {
		t.Fatalf("first round: %s", ev.Err)
	}
	if err := r.eng.Run(ctx); !errors.Is(err, ErrAlreadyRunning) {
		t.Errorf("second Run = %v, want ErrAlreadyRunning", err)
	}
	waitFor(t, r.clock, 1)
	if d, _ := r.clock.NextWait(); d != DefaultInterval {
		t.Errorf("waiting %v after a clean round, want %v", d, DefaultInterval)
	}

	// Trigger wakes Run without the clock moving.
	r.add("run", 2)
	r.eng.Trigger()
	if ev := next(t, events, SyncFinished); ev.Report.Accepted != 2 {
		t.Errorf("triggered round = %+v %s", ev.Report, ev.Err)
	}
	waitFor(t, r.clock, 2)

	// The server goes down: the timer brings the next round, then backoff
	// with full jitter (rand 0.5): 2.5s, 5s, 10s.
	r.srv.do(func() { r.srv.healthStatus = http.StatusServiceUnavailable })
	r.clock.Advance(DefaultInterval)
	for i, want := range []time.Duration{2500 * time.Millisecond, 5 * time.Second, 10 * time.Second} {
		ev := next(t, events, SyncFinished)
		if !strings.Contains(ev.Err, "503") || ev.Status.State != Offline || ev.Status.ConsecutiveFailures != i+1 {
			t.Errorf("failed round %d: %q %+v", i+1, ev.Err, ev.Status)
		}
		waitFor(t, r.clock, 3+i)
		if d, _ := r.clock.NextWait(); d != want {
			t.Errorf("after failure %d waiting %v, want %v", i+1, d, want)
		}
		if st := r.eng.Status(); !st.NextAttempt.Equal(r.clock.Now().Add(want)) {
			t.Errorf("NextAttempt = %v, want now+%v", st.NextAttempt, want)
		}
		if i < 2 {
			r.clock.Advance(want)
		}
	}
	// Connectivity regained: a trigger skips the rest of the backoff.
	r.srv.do(func() { r.srv.healthStatus = 0 })
	r.eng.Trigger()
	ev := next(t, events, SyncFinished)
	if ev.Err != "" || ev.Status.State != Online || ev.Status.ConsecutiveFailures != 0 {
		t.Errorf("round after recovery: %q %+v", ev.Err, ev.Status)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
}

// While the network is unreachable the engine probes every OfflineProbe at
// most, however long the backoff has grown; a server answering 503 keeps
// the full backoff.
func TestOfflineProbeCapsTheBackoff(t *testing.T) {
	r := newRig(t, serverNow, func(c *Config) {
		c.NoCatalog = true
		c.RetryMin, c.RetryMax, c.OfflineProbe = time.Minute, time.Hour, 20*time.Second
		c.Rand = func() float64 { return 1 }
	})
	events, cancelSub := r.eng.Subscribe(100)
	defer cancelSub()
	r.srv.srv.Close() // connection refused: the network is gone
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.eng.Run(ctx)
	for i := 1; i <= 3; i++ {
		if ev := next(t, events, SyncFinished); ev.Status.State != Offline {
			t.Fatalf("round %d: state %s, want offline", i, ev.Status.State)
		}
		waitFor(t, r.clock, i)
		if d, _ := r.clock.NextWait(); d != 20*time.Second {
			t.Fatalf("offline round %d waits %v, want the 20s probe", i, d)
		}
		r.clock.Advance(20 * time.Second)
	}
}

// waitFor blocks until Run has asked the clock for its n-th wait.
func waitFor(t *testing.T, c *enginetest.FakeClock, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.BlockUntil(ctx, n); err != nil {
		t.Fatalf("Run never waited on the clock for the %d-th time", n)
	}
}

func TestEventsAndSlowSubscriber(t *testing.T) {
	r := newRig(t, serverNow, nil)
	ids := r.add("e", 3)
	r.srv.do(func() { r.srv.outcome[ids[2]] = wire.Invalid })
	fast, cancelFast := r.eng.Subscribe(100)
	defer cancelFast()
	slow, cancelSlow := r.eng.Subscribe(1)
	if _, err := r.sync(t); err != nil {
		t.Fatal(err)
	}
	var kinds []EventKind
	for len(fast) > 0 {
		ev := <-fast
		kinds = append(kinds, ev.Kind)
		switch ev.Kind {
		case Accepted:
			if ev.Tracking == "" || ev.AppStatus != lifecycle.Received || !ev.At.Equal(serverNow) {
				t.Errorf("accepted event = %+v", ev)
			}
		case Refused:
			if ev.ID != ids[2] || len(ev.FieldErrors) != 1 || ev.AppStatus != lifecycle.NeedsAttention {
				t.Errorf("refused event = %+v", ev)
			}
		case SyncFinished:
			if ev.Report == nil || ev.Report.Accepted != 2 || ev.Status.State != Online {
				t.Errorf("finished event = %+v", ev)
			}
		}
		if ev.Dropped != 0 {
			t.Errorf("fast subscriber dropped events")
		}
	}
	if kinds[0] != StatusChanged || kinds[len(kinds)-1] != SyncFinished ||
		count(kinds, Accepted) != 2 || count(kinds, Refused) != 1 || count(kinds, CatalogUpdated) != 1 {
		t.Errorf("event kinds = %v", kinds)
	}
	// The slow subscriber held one event and lost the rest without blocking.
	first := <-slow
	if first.Kind != StatusChanged {
		t.Errorf("slow subscriber's first event = %s", first.Kind)
	}
	if _, err := r.sync(t); err != nil {
		t.Fatal(err)
	}
	if ev := <-slow; ev.Dropped == 0 {
		t.Errorf("slow subscriber's next event does not report the dropped ones")
	}
	cancelSlow()
	cancelSlow() // idempotent
	if _, ok := <-slow; ok {
		t.Errorf("channel still open after cancel")
	}
	if _, err := r.sync(t); err != nil { // publishing after cancel must not panic
		t.Fatal(err)
	}
}

func count(ks []EventKind, k EventKind) int {
	n := 0
	for _, x := range ks {
		if x == k {
			n++
		}
	}
	return n
}

func TestCaptivePortalIsOffline(t *testing.T) {
	r := newRig(t, serverNow, nil)
	r.add("p", 2)
	r.srv.do(func() { r.srv.healthHTML = true })
	_, err := r.sync(t)
	if !errors.Is(err, client.ErrCaptivePortal) {
		t.Fatalf("err = %v, want ErrCaptivePortal", err)
	}
	st := r.eng.Status()
	if st.State != Offline || st.Pending != 2 || !strings.Contains(st.LastError, "log in") {
		t.Errorf("status = %+v", st)
	}
	r.srv.do(func() {
		if len(r.srv.batchSizes) != 0 {
			t.Errorf("pushed %d batches behind a captive portal", len(r.srv.batchSizes))
		}
	})
}

func TestDeviceClockDaysOff(t *testing.T) {
	for _, off := range []time.Duration{-5 * 24 * time.Hour, 5 * 24 * time.Hour} {
		t.Run(off.String(), func(t *testing.T) {
			device := serverNow.Add(off)
			r := newRig(t, device, nil)
			ids := r.add("d", 2)
			changeAt := serverNow.Add(2 * time.Hour)
			r.srv.do(func() {
				r.srv.changes = []wire.Change{{ID: ids[1], Tracking: "T-" + ids[1], Status: lifecycle.InReview, At: changeAt}}
			})
			events, cancelSub := r.eng.Subscribe(100)
			defer cancelSub()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- r.eng.Run(ctx) }()
			ev := next(t, events, SyncFinished)
			if ev.Err != "" || ev.Report.Accepted != 2 || ev.Report.Changes != 1 {
				t.Fatalf("round with the clock %v off: %+v %s", off, ev.Report, ev.Err)
			}
			a0, a1 := mustApp(t, r.q, ids[0]), mustApp(t, r.q, ids[1])
			if !a0.AcceptedAt.Equal(serverNow) || a1.State != lifecycle.InReview || !a1.History[len(a1.History)-1].At.Equal(changeAt) {
				t.Errorf("times are not the server's: accepted %v, last change %+v", a0.AcceptedAt, a1.History[len(a1.History)-1])
			}
			st := r.eng.Status()
			if st.ServerSkew != -off {
				t.Errorf("ServerSkew = %v, want %v", st.ServerSkew, -off)
			}
			if !st.NextAttempt.Equal(device.Add(DefaultInterval)) || !st.LastSuccess.Equal(device) {
				t.Errorf("schedule on the device clock: %+v", st)
			}
			// The periodic round still comes one Interval later on the device clock.
			waitFor(t, r.clock, 1)
			r.add("later", 1)
			r.clock.Advance(DefaultInterval)
			if ev := next(t, events, SyncFinished); ev.Err != "" || ev.Report.Accepted != 1 {
				t.Errorf("periodic round: %+v %s", ev.Report, ev.Err)
			}
			cancel()
			<-done
		})
	}
}

func TestWireItem(t *testing.T) {
	it := store.OutboxItem{Application: store.Application{ID: "x", Service: "svc", ServiceVersion: 2, StaffID: "s1",
		Values:      catalog.Values{"photo": catalog.AttachmentRef{Name: "p.jpg", Type: "image/jpeg", SHA256: "abc"}},
		Attachments: []store.Attachment{{Field: "photo", Ref: catalog.AttachmentRef{Type: "image/jpeg", SHA256: "abc", Size: 2}}},
		CreatedAt:   serverNow}}
	w := WireItem(it)
	if w.ID != "x" || w.ServiceVersion != 2 || w.StaffID != "s1" || !w.CreatedAt.Equal(serverNow) ||
		len(w.Attachments) != 1 || w.Attachments[0] != (wire.Attachment{SHA256: "abc", Type: "image/jpeg", Size: 2}) {
		t.Errorf("WireItem = %+v", w)
	}
}
