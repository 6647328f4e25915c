package engine

import (
	"context"
	"time"
	"unicode/utf8"

	"civicdesk/sync/client"
	"civicdesk/sync/wire"
)

// DefaultHeartbeatEvery is Config.HeartbeatEvery's default.
const DefaultHeartbeatEvery = 5 * time.Minute

// heartbeatTimeout bounds one heartbeat, retries included, so that a slow
// heartbeat does not hold the next round back for long.
const heartbeatTimeout = 30 * time.Second

// Field limits of the central API's heartbeat endpoint; HeartbeatFrom clips
// to them so that a long error message never gets the heartbeat refused.
const (
	maxBeatVersion = 64
	maxBeatError   = 500
	maxBeatPrinter = 200
)

// Heartbeater is the optional part of an API that takes device heartbeats;
// *client.Client implements it. The engine sends heartbeats only when
// Config.Heartbeat is set and its API implements it.
type Heartbeater interface {
	Heartbeat(ctx context.Context, hb wire.Heartbeat) error
}

var _ Heartbeater = (*client.Client)(nil)

// HeartbeatFrom builds a heartbeat from the engine's status (its queue
// depth counts applications and interactions alike) and what the
// program knows of the device: its version, kind ("kiosk" or "phone"), free
// disk bytes (negative when unknown: sent as 0), printer state ("ok",
// "missing", "error: ...", "" when none is configured) and the device
// clock's now. Texts are clipped to the central API's limits.
func HeartbeatFrom(st Status, version, kind string, freeDisk int64, printer string, now time.Time) wire.Heartbeat {
	return wire.Heartbeat{
		Version:       clipRunes(version, maxBeatVersion),
		Kind:          kind,
		QueueDepth:    max(st.Pending, 0) + max(st.PendingInteractions, 0),
		OldestQueued:  earliest(st.OldestPending, st.OldestInteraction),
		LastSync:      st.LastSuccess,
		LastError:     clipRunes(st.LastError, maxBeatError),
		FreeDiskBytes: max(freeDisk, 0),
		PrinterState:  clipRunes(printer, maxBeatPrinter),
		DeviceTime:    now,
	}
}

// earliest is the earlier of two times, a zero one not counting.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// clipRunes shortens s to at most n characters, ending with "…" when cut.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// heartbeat sends one heartbeat after a successful round when one is due:
// Config.Heartbeat is set, the API takes heartbeats, and HeartbeatEvery has
// passed since the last attempt (or the device clock went back). A failed
// heartbeat is logged and waits for the next one; it never fails the round.
func (e *Engine) heartbeat(ctx context.Context) {
	hbAPI, ok := e.api.(Heartbeater)
	if e.cfg.Heartbeat == nil || !ok {
		return
	}
	now := e.cfg.Clock.Now()
	e.mu.Lock()
	last := e.beatAt
	e.mu.Unlock()
	if !last.IsZero() && !now.Before(last) && now.Sub(last) < e.cfg.HeartbeatEvery {
		return
	}
	hb, ok := e.cfg.Heartbeat()
	if !ok {
		return
	}
	e.mu.Lock()
	e.beatAt = now
	e.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, heartbeatTimeout)
	defer cancel()
	if err := hbAPI.Heartbeat(ctx, hb); err != nil {
		e.log.Info("heartbeat failed; the next one follows in due time", "err", err)
		return
	}
	e.log.Debug("heartbeat sent")
}
