// Package engine is the sync engine: it pushes the local outbox to the
// central API in batches, pulls status changes and the catalog, and tells
// the screens what it is doing through a status snapshot and events.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"civicdesk/app/store"
	"civicdesk/sync/client"
	"civicdesk/sync/wire"
)

// API is what the engine needs from the central API; *client.Client
// implements it.
type API interface {
	Health(ctx context.Context) (wire.Health, error)
	Submit(ctx context.Context, items []wire.SubmitItem) (wire.SubmitResponse, error)
	Changes(ctx context.Context, cursor string, limit int) (wire.ChangesResponse, error)
	Catalog(ctx context.Context, etag string) (body []byte, newETag string, notModified bool, err error)
	CreateBlob(ctx context.Context, b wire.BlobCreate) (wire.BlobStatus, error)
	BlobOffset(ctx context.Context, sha string) (offset, size int64, err error)
	PatchBlob(ctx context.Context, sha string, offset int64, chunk []byte) (newOffset int64, err error)
}

var _ API = (*client.Client)(nil)

// Config tunes the engine. The zero value gives the defaults.
type Config struct {
	BatchItems int           // items per batch, default 50
	BatchBytes int           // bytes per batch (sum of OutboxItem.Size), default 256 KiB
	Interval   time.Duration // periodic sync, default 60s
	RetryMin   time.Duration // engine backoff after a failed round, full jitter: default 5s
	RetryMax   time.Duration // and its cap, default 5min
	// OfflineProbe caps the wait while the network is unreachable, so that
	// a sync follows soon after connectivity returns: default 20s.
	OfflineProbe time.Duration
	ChangesLimit int   // changes per page, default 200
	Clock        Clock // default SystemClock
	Rand         func() float64
	Logger       *slog.Logger // default discard
	NoCatalog    bool         // skip the catalog refresh
	// ChunkSize is the attachment upload chunk: default 256 KiB, at most
	// wire.MaxChunk. A connection cut costs at most one chunk sent again.
	ChunkSize int
	// Attachments says whether attachments may be uploaded now (nil:
	// always). When it says no (data saver, a metered link), a round sends
	// the form data of applications whose attachments the central API holds
	// and leaves the others waiting, without error.
	Attachments func() bool
	// Heartbeat, when set and the API implements Heartbeater, builds the
	// device's heartbeat (false: none now); the engine sends one at the end
	// of a successful round at most every HeartbeatEvery (default 5 min). A
	// failed heartbeat never fails the round. See HeartbeatFrom.
	Heartbeat      func() (wire.Heartbeat, bool)
	HeartbeatEvery time.Duration
	// Hall, when set with NoticesCache and an API that implements
	// NoticesFetcher, makes every round that got past the catalog fetch the
	// hall's notices by ETag into NoticesCache (keys NoticesETagKey and
	// NoticesBodyKey; a *store.Store fits). A notices failure never fails
	// the round. See CachedNotices.
	Hall         string
	NoticesCache NoticesCache
}

// Defaults.
const (
	DefaultBatchItems   = 50
	DefaultBatchBytes   = 256 << 10
	DefaultInterval     = 60 * time.Second
	DefaultRetryMin     = 5 * time.Second
	DefaultRetryMax     = 5 * time.Minute
	DefaultOfflineProbe = 20 * time.Second
	DefaultChangesLimit = 200
	DefaultChunkSize    = 256 << 10
	// MaxChunkResends is how many times a chunk the central API refused as
	// damaged is sent again before the round fails with ErrChunkRejected.
	MaxChunkResends = 3
)

// State is the engine's connectivity as last observed.
type State string

// States.
const (
	Offline State = "offline" // the last round could not reach the central API (or met a captive portal)
	Online  State = "online"  // the central API answered the last round (perhaps with an error)
	Syncing State = "syncing" // a round is running
)

// Status is a snapshot of the engine for screens and the CLI. Times other
// than ServerSkew are device-clock times, for display only.
type Status struct {
	State         State
	Pending       int       // applications waiting in the outbox
	PendingBytes  int64     // their size, plus the attachment bytes still to upload
	OldestPending time.Time // when the oldest was queued (zero when none)
	LastAttempt   time.Time // start of the last round
	LastSuccess   time.Time // end of the last round that completed every step
	LastError     string    // why the last round failed ("" after a success)
	NextAttempt   time.Time // when Run syncs next unless triggered
	// ConsecutiveFailures counts rounds since the last clean one; it drives
	// the backoff.
	ConsecutiveFailures int
	// PendingInteractions are the tickets, ratings and feedback waiting to
	// be sent; OldestInteraction when the oldest was queued (zero when none).
	PendingInteractions int
	OldestInteraction   time.Time
	// ServerSkew is server time minus device time at the last health check
	// (positive: the device is behind). Diagnostics only: the engine never
	// corrects times with it, it uses the server's times as they come.
	ServerSkew time.Duration
}

// Report says what one round did. Sent = Accepted + Refused + Conflicts +
// Transient; Duplicates are the accepted items the server already had.
// Waiting are the applications not sent because the central API does not
// hold all their attachments yet. BlobsUploaded counts the attachments the
// central API now holds complete; BlobBytes the bytes sent in chunk bodies
// (BlobBytesLost of them did not arrive or were refused: a cut connection,
// a damaged chunk, a wrong offset).
//
// The Interaction fields count the same for tickets, ratings and feedback:
// Interactions = InteractionsAccepted + InteractionsRefused +
// InteractionsConflicts + InteractionsTransient, except that
// InteractionsRefused also counts the rare interaction refused on the
// device, unsent, because its stored copy cannot be read. Changes counts
// every entry of the changes feed, Replies those that are staff replies to
// an interaction.
type Report struct {
	Batches, Sent, Accepted, Duplicates, Refused, Conflicts, Transient, Changes int
	CatalogUpdated, NoticesUpdated                                              bool
	Waiting, BlobsUploaded                                                      int
	BlobBytes, BlobBytesLost                                                    int64

	InteractionBatches, Interactions, InteractionsAccepted, InteractionsDuplicates int
	InteractionsRefused, InteractionsConflicts, InteractionsTransient, Replies     int
}

// Engine syncs one Queue with one central API. Its methods are safe for
// concurrent use.
type Engine struct {
	q       Queue
	api     API
	cfg     Config
	log     *slog.Logger
	trigger chan struct{}

	mu        sync.Mutex
	st        Status
	streak    int           // rounds since the last clean one
	nextDelay time.Duration // what Run waits after the last round
	running   *syncCall
	runActive bool
	subs      map[*subscriber]struct{}
	onJoin    func() // test hook: a SyncOnce joined a running round
	// blobOff is how many bytes of each pending blob the central API held
	// when it last said, for Status.PendingBytes and progress.
	blobOff map[string]int64
	beatAt  time.Time // device clock at the last heartbeat attempt
}

type syncCall struct {
	done chan struct{}
	rep  Report
	err  error
}

// New returns an engine; Run or SyncOnce start the work.
func New(q Queue, api API, cfg Config) *Engine {
	if cfg.BatchItems <= 0 {
		cfg.BatchItems = DefaultBatchItems
	}
	if cfg.BatchBytes <= 0 {
		cfg.BatchBytes = DefaultBatchBytes
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = DefaultRetryMin
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = DefaultRetryMax
	}
	if cfg.OfflineProbe <= 0 {
		cfg.OfflineProbe = DefaultOfflineProbe
	}
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = cfg.RetryMin
	}
	if cfg.ChangesLimit <= 0 {
		cfg.ChangesLimit = DefaultChangesLimit
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ChunkSize <= 0 {
		cfg.ChunkSize = DefaultChunkSize
	}
	cfg.ChunkSize = min(cfg.ChunkSize, wire.MaxChunk)
	if cfg.HeartbeatEvery <= 0 {
		cfg.HeartbeatEvery = DefaultHeartbeatEvery
	}
	return &Engine{
		q: q, api: api, cfg: cfg, log: cfg.Logger,
		trigger: make(chan struct{}, 1),
		st:      Status{State: Offline},
		subs:    make(map[*subscriber]struct{}),
		blobOff: make(map[string]int64),
	}
}

// Status returns a snapshot. Pending figures are refreshed at the start of
// a round and after every batch.
func (e *Engine) Status() Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st
}

// Trigger asks Run for a round now: after an enqueue, when connectivity
// returns, on "sync now". It never blocks; triggers that arrive during a
// round coalesce into one more round right after it, which also skips any
// backoff wait.
func (e *Engine) Trigger() {
	select {
	case e.trigger <- struct{}{}:
	default:
	}
}

// SyncOnce runs one round: health check, upload the attachments queued
// applications wait for (unless Config.Attachments says not now), push
// (drain the outbox in batches until it is empty or a batch fails; an
// application whose attachments the central API does not hold yet waits),
// send the queued interactions (tickets, ratings, feedback) the same way
// when the API is an Interactor, pull the changes feed until it has no
// more, refresh the catalog by ETag, then the hall's notices by ETag
// (Config.Hall; never fails the round). Every step must succeed for the
// round to succeed; a failed step ends the round, sets LastError and
// schedules the next attempt with backoff. A failed upload is the
// exception: it holds back only the applications that wait for it, so the
// push and the rest still run, and the round fails with the upload's error
// at the end. A failed interactions step is handled alike (it holds back
// only the interactions), unless the network is unreachable: then the round
// ends there. Items the server deferred (retry), applications or
// interactions, also make the next round come after a backoff. A
// successful round ends with a heartbeat when one is due (Config.Heartbeat).
//
// Only one round runs at a time: a call made while a round is running does
// not start another; it waits for the running round and returns that
// round's Report and error (or its own ctx's error if that ends first). The
// running round uses the context of the call that started it.
func (e *Engine) SyncOnce(ctx context.Context) (Report, error) {
	e.mu.Lock()
	if c := e.running; c != nil {
		hook := e.onJoin
		e.mu.Unlock()
		if hook != nil {
			hook()
		}
		select {
		case <-c.done:
			return c.rep, c.err
		case <-ctx.Done():
			return Report{}, ctx.Err()
		}
	}
	c := &syncCall{done: make(chan struct{})}
	e.running = c
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.running = nil
		e.mu.Unlock()
		close(c.done)
	}()
	c.rep, c.err = e.round(ctx)
	if c.err == nil {
		e.heartbeat(ctx)
	}
	return c.rep, c.err
}

// Run syncs at start, then whenever Trigger is called, and otherwise every
// Interval (after a failed round, after a backoff instead), until ctx ends;
// it then returns ctx's error. Waits are durations on the injected clock,
// so a device clock that jumps does not stall or rush the loop.
func (e *Engine) Run(ctx context.Context) error {
	e.mu.Lock()
	if e.runActive {
		e.mu.Unlock()
		return ErrAlreadyRunning
	}
	e.runActive = true
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.runActive = false
		e.mu.Unlock()
	}()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		_, _ = e.SyncOnce(ctx) // the outcome is in Status and the events
		e.mu.Lock()
		d := e.nextDelay
		e.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-e.trigger:
		case <-e.cfg.Clock.After(d):
		}
	}
}

// round is one sync round; SyncOnce makes sure only one runs.
func (e *Engine) round(ctx context.Context) (Report, error) {
	var rep Report
	e.mu.Lock()
	e.st.State = Syncing
	e.st.LastAttempt = e.cfg.Clock.Now()
	e.mu.Unlock()
	e.refreshStats() // publishes StatusChanged

	reached := false // the central API answered the health check
	err := e.steps(ctx, &rep, &reached)

	now := e.cfg.Clock.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case err == nil:
		e.st.State = Online
		e.st.LastSuccess = now
		e.st.LastError = ""
	case (errors.Is(err, client.ErrOffline) || errors.Is(err, client.ErrCaptivePortal)) && !reached:
		e.st.State = Offline
		e.st.LastError = err.Error()
	default:
		e.st.State = Online
		if !reached {
			e.st.State = Offline // e.g. a proxy's 502 or a 503 in front of the API
		}
		e.st.LastError = err.Error()
	}
	// A clean round goes back to the regular interval. A failed round, or
	// one that left items the server deferred, backs off with full jitter.
	// A cancelled round changes neither.
	if ctx.Err() == nil {
		if err == nil && rep.Transient == 0 && rep.InteractionsTransient == 0 {
			e.streak = 0
			e.nextDelay = e.cfg.Interval
		} else {
			e.nextDelay = client.FullJitter(e.cfg.RetryMin, e.cfg.RetryMax, e.streak, e.cfg.Rand)
			e.streak++
			// Unreachable network: probe often, so a sync follows soon after
			// connectivity returns (a probe costs one small GET). A server
			// that answers with errors keeps the full backoff.
			if errors.Is(err, client.ErrOffline) && !reached {
				e.nextDelay = min(e.nextDelay, e.cfg.OfflineProbe)
			}
		}
		e.st.ConsecutiveFailures = e.streak
		e.st.NextAttempt = now.Add(e.nextDelay)
	}
	e.publishLocked(Event{Kind: StatusChanged})
	r := rep
	ev := Event{Kind: SyncFinished, Report: &r}
	if err != nil {
		ev.Err = err.Error()
		e.log.Info("sync round failed", "err", err, "sent", rep.Sent, "accepted", rep.Accepted,
			"interactions", rep.Interactions, "interactions_accepted", rep.InteractionsAccepted)
	} else {
		e.log.Debug("sync round done", "batches", rep.Batches, "sent", rep.Sent, "accepted", rep.Accepted,
			"refused", rep.Refused, "conflicts", rep.Conflicts, "transient", rep.Transient, "changes", rep.Changes,
			"waiting", rep.Waiting, "blobs_uploaded", rep.BlobsUploaded, "blob_bytes", rep.BlobBytes, "blob_bytes_lost", rep.BlobBytesLost,
			"interactions", rep.Interactions, "interactions_accepted", rep.InteractionsAccepted,
			"interactions_refused", rep.InteractionsRefused, "interactions_conflicts", rep.InteractionsConflicts,
			"interactions_transient", rep.InteractionsTransient, "replies", rep.Replies)
	}
	e.publishLocked(ev)
	return rep, err
}

// steps runs health, push, pull and catalog, stopping at the first failure.
func (e *Engine) steps(ctx context.Context, rep *Report, reached *bool) error {
	before := e.cfg.Clock.Now()
	h, err := e.api.Health(ctx)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	after := e.cfg.Clock.Now()
	*reached = true
	e.mu.Lock()
	if !h.ServerTime.IsZero() {
		e.st.ServerSkew = h.ServerTime.Sub(before.Add(after.Sub(before) / 2))
	}
	e.mu.Unlock()
	if !h.OK {
		return ErrServerNotReady
	}
	upErr := e.upload(ctx, rep)
	if upErr != nil {
		upErr = fmt.Errorf("attachments: %w", upErr)
		if ctx.Err() != nil {
			return upErr
		}
	}
	if err := e.push(ctx, rep); err != nil {
		return errors.Join(upErr, fmt.Errorf("push: %w", err))
	}
	inErr := e.pushInteractions(ctx, rep)
	if inErr != nil {
		inErr = fmt.Errorf("interactions: %w", inErr)
		// The network is gone: the pull would fail alike. Any other
		// failure holds back only the interactions: the pull and the rest
		// still run, and the round fails with it at the end.
		if ctx.Err() != nil || errors.Is(inErr, client.ErrOffline) || errors.Is(inErr, client.ErrCaptivePortal) {
			return errors.Join(upErr, inErr)
		}
	}
	if err := e.pull(ctx, rep); err != nil {
		return errors.Join(upErr, inErr, fmt.Errorf("changes: %w", err))
	}
	if !e.cfg.NoCatalog {
		if err := e.refreshCatalog(ctx, rep); err != nil {
			return errors.Join(upErr, inErr, fmt.Errorf("catalog: %w", err))
		}
	}
	e.refreshNotices(ctx, rep)
	return errors.Join(upErr, inErr)
}

// refreshStats reads the queue summary, the attachments still to upload
// and the queued interactions into the status and publishes it.
func (e *Engine) refreshStats() {
	qs, err := e.q.Stats()
	var blobs []store.BlobInfo
	var berr error
	if err == nil {
		blobs, berr = e.q.PendingBlobs()
	}
	is, ierr := e.q.InteractionStats()
	e.mu.Lock()
	defer e.mu.Unlock()
	if ierr != nil {
		e.log.Warn("reading the queued interactions' summary failed", "err", ierr)
	} else {
		e.st.PendingInteractions, e.st.OldestInteraction = is.Count, is.Oldest
	}
	switch {
	case err != nil:
		e.log.Warn("reading the outbox summary failed", "err", err)
	case berr != nil:
		e.log.Warn("reading the attachments to upload failed", "err", berr)
		e.st.Pending, e.st.PendingBytes, e.st.OldestPending = qs.Count, qs.Bytes, qs.Oldest
	default:
		e.st.Pending, e.st.PendingBytes, e.st.OldestPending = qs.Count, qs.Bytes, qs.Oldest
		pending := make(map[string]bool, len(blobs))
		for _, b := range blobs {
			pending[b.SHA256] = true
			e.st.PendingBytes += max(0, b.Size-min(e.blobOff[b.SHA256], b.Size))
		}
		for sha := range e.blobOff {
			if !pending[sha] {
				delete(e.blobOff, sha)
			}
		}
	}
	e.publishLocked(Event{Kind: StatusChanged})
}
