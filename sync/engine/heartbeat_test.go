package engine

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"civicdesk/sync/client"
	"civicdesk/sync/wire"
)

// beatAPI is the rig's client plus a recording heartbeat endpoint.
type beatAPI struct {
	*client.Client
	mu   sync.Mutex
	got  []wire.Heartbeat
	fail error // returned by Heartbeat when set
}

func (b *beatAPI) Heartbeat(_ context.Context, hb wire.Heartbeat) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.got = append(b.got, hb)
	return b.fail
}

func (b *beatAPI) beats() []wire.Heartbeat {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]wire.Heartbeat(nil), b.got...)
}

func (b *beatAPI) setFail(err error) {
	b.mu.Lock()
	b.fail = err
	b.mu.Unlock()
}

// newBeatRig is a rig whose engine sends heartbeats built by HeartbeatFrom
// from its own status; every (default 0) is Config.HeartbeatEvery.
func newBeatRig(t *testing.T, every time.Duration) (*rig, *beatAPI) {
	t.Helper()
	r := newRig(t, serverNow, nil)
	b := &beatAPI{Client: r.api}
	var eng *Engine
	eng = New(r.q, b, Config{Clock: r.clock, Rand: func() float64 { return 0.5 }, NoCatalog: true, HeartbeatEvery: every,
		Heartbeat: func() (wire.Heartbeat, bool) {
			return HeartbeatFrom(eng.Status(), "1.4.0", "kiosk", 2<<30, "ok", r.clock.Now()), true
		}})
	r.eng = eng
	return r, b
}

func TestHeartbeatAtMostEveryInterval(t *testing.T) {
	tests := []struct {
		name  string
		every time.Duration // Config.HeartbeatEvery
		step  time.Duration // the effective interval
	}{
		{"default", 0, DefaultHeartbeatEvery},
		{"ten minutes", 10 * time.Minute, 10 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, b := newBeatRig(t, tc.every)
			want := 0
			round := func(advance time.Duration, sent bool) {
				t.Helper()
				r.clock.Advance(advance)
				if _, err := r.sync(t); err != nil {
					t.Fatalf("round: %v", err)
				}
				if sent {
					want++
				}
				if got := len(b.beats()); got != want {
					t.Fatalf("after %v more: %d heartbeats, want %d", advance, got, want)
				}
			}
			round(0, true)
			round(0, false)
			round(tc.step-time.Second, false)
			round(time.Second, true)
			round(tc.step/2, false)
			round(tc.step/2, true)
			round(-time.Hour, true) // the device clock went back
		})
	}
}

func TestHeartbeatContent(t *testing.T) {
	r, b := newBeatRig(t, 0)
	r.add("h", 2)
	if _, err := r.sync(t); err != nil {
		t.Fatal(err)
	}
	beats := b.beats()
	if len(beats) != 1 {
		t.Fatalf("%d heartbeats, want 1", len(beats))
	}
	hb := beats[0]
	now := r.clock.Now()
	if hb.QueueDepth != 0 || !hb.OldestQueued.IsZero() || !hb.LastSync.Equal(now) || hb.LastError != "" ||
		!hb.DeviceTime.Equal(now) || hb.Version != "1.4.0" || hb.Kind != "kiosk" || hb.FreeDiskBytes != 2<<30 || hb.PrinterState != "ok" {
		t.Fatalf("heartbeat %+v does not describe the round that just succeeded at %v", hb, now)
	}
}

func TestHeartbeatNotAfterAFailedRound(t *testing.T) {
	r, b := newBeatRig(t, 0)
	r.srv.do(func() { r.srv.healthStatus = 503 })
	if _, err := r.sync(t); err == nil {
		t.Fatal("round succeeded against a 503 health check")
	}
	if n := len(b.beats()); n != 0 {
		t.Fatalf("%d heartbeats after a failed round, want 0", n)
	}
	r.srv.do(func() { r.srv.healthStatus = 0 })
	if _, err := r.sync(t); err != nil {
		t.Fatal(err)
	}
	if n := len(b.beats()); n != 1 {
		t.Fatalf("%d heartbeats after the next clean round, want 1", n)
	}
}

func TestHeartbeatFailureDoesNotFailTheRound(t *testing.T) {
	r, b := newBeatRig(t, 0)
	b.setFail(errors.New("central API heartbeat: HTTP 404 unknown_path"))
	rep, err := r.sync(t)
	if err != nil {
		t.Fatalf("round failed with the heartbeat: %v", err)
	}
	st := r.eng.Status()
	if st.State != Online || st.LastError != "" || st.ConsecutiveFailures != 0 || !st.NextAttempt.Equal(r.clock.Now().Add(DefaultInterval)) {
		t.Fatalf("status after a failed heartbeat: %+v (report %+v)", st, rep)
	}
	if n := len(b.beats()); n != 1 {
		t.Fatalf("%d heartbeat attempts, want 1", n)
	}
	// The failed attempt counts: the next one waits its interval.
	if _, err := r.sync(t); err != nil || len(b.beats()) != 1 {
		t.Fatalf("second round: %v, %d attempts, want 1", err, len(b.beats()))
	}
	b.setFail(nil)
	r.clock.Advance(DefaultHeartbeatEvery)
	if _, err := r.sync(t); err != nil || len(b.beats()) != 2 {
		t.Fatalf("round after the interval: %v, %d attempts, want 2", err, len(b.beats()))
	}
}

// plainAPI hides the client's Heartbeat method.
type plainAPI struct{ API }

func TestHeartbeatNeedsConfigAndAPI(t *testing.T) {
	t.Run("API without heartbeats", func(t *testing.T) {
		r := newRig(t, serverNow, nil)
		called := 0
		eng := New(r.q, plainAPI{r.api}, Config{Clock: r.clock, NoCatalog: true,
			Heartbeat: func() (wire.Heartbeat, bool) { called++; return wire.Heartbeat{}, true }})
		if _, err := eng.SyncOnce(context.Background()); err != nil || called != 0 {
			t.Fatalf("round: %v; heartbeat built %d times, want 0", err, called)
		}
	})
	t.Run("no Config.Heartbeat", func(t *testing.T) {
		r := newRig(t, serverNow, nil)
		b := &beatAPI{Client: r.api}
		eng := New(r.q, b, Config{Clock: r.clock, NoCatalog: true})
		if _, err := eng.SyncOnce(context.Background()); err != nil || len(b.beats()) != 0 {
			t.Fatalf("round: %v; %d heartbeats, want 0", err, len(b.beats()))
		}
	})
	t.Run("nothing to say yet", func(t *testing.T) {
		r := newRig(t, serverNow, nil)
		b := &beatAPI{Client: r.api}
		ready := false
		eng := New(r.q, b, Config{Clock: r.clock, NoCatalog: true,
			Heartbeat: func() (wire.Heartbeat, bool) { return wire.Heartbeat{DeviceTime: r.clock.Now()}, ready }})
		if _, err := eng.SyncOnce(context.Background()); err != nil || len(b.beats()) != 0 {
			t.Fatalf("round: %v; %d heartbeats, want 0", err, len(b.beats()))
		}
		ready = true // not held back by the round that sent nothing
		if _, err := eng.SyncOnce(context.Background()); err != nil || len(b.beats()) != 1 {
			t.Fatalf("round: %v; %d heartbeats, want 1", err, len(b.beats()))
		}
	})
}

func TestHeartbeatFrom(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	st := Status{Pending: 4, OldestPending: now.Add(-time.Hour), LastSuccess: now.Add(-time.Minute), LastError: "push: offline"}
	tests := []struct {
		name     string
		st       Status
		version  string
		disk     int64
		printer  string
		want     func(wire.Heartbeat) bool
		describe string
	}{
		{"fields", st, "1.4.0", 1 << 30, "missing", func(h wire.Heartbeat) bool {
			return h.QueueDepth == 4 && h.OldestQueued.Equal(st.OldestPending) && h.LastSync.Equal(st.LastSuccess) &&
				h.LastError == "push: offline" && h.FreeDiskBytes == 1<<30 && h.PrinterState == "missing" &&
				h.Version == "1.4.0" && h.Kind == "kiosk" && h.DeviceTime.Equal(now)
		}, "every field from its source"},
		{"long texts clipped", Status{LastError: strings.Repeat("错", 600)}, strings.Repeat("v", 80), 0, strings.Repeat("p", 300),
			func(h wire.Heartbeat) bool {
				return len([]rune(h.LastError)) == 500 && strings.HasSuffix(h.LastError, "…") &&
					len([]rune(h.Version)) == 64 && len([]rune(h.PrinterState)) == 200
			}, "texts within the server's limits"},
		{"unknown disk", st, "1", -1, "", func(h wire.Heartbeat) bool { return h.FreeDiskBytes == 0 && h.PrinterState == "" },
			"negative free disk sent as 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := HeartbeatFrom(tc.st, tc.version, "kiosk", tc.disk, tc.printer, now); !tc.want(got) {
				t.Fatalf("want %s, got %+v", tc.describe, got)
			}
		})
	}
}
