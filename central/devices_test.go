package central

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"civicdesk/sync/wire"
)

// healthyBeat is a heartbeat with nothing wrong, sent at the server's now.
func healthyBeat(now time.Time) wire.Heartbeat {
	return wire.Heartbeat{Version: "1.4.0", Kind: "kiosk", QueueDepth: 1, OldestQueued: now.Add(-10 * time.Minute),
		LastSync: now.Add(-2 * time.Minute), FreeDiskBytes: 8 << 30, PrinterState: "ok", DeviceTime: now}
}

func (f *fixture) beat(token string, hb wire.Heartbeat) {
	f.t.Helper()
	f.doJSON(request{method: "POST", path: wire.PathHeartbeat, token: token, body: hb}, 204, nil)
}

func (f *fixture) devices(staff string) map[string]wire.DeviceHealth {
	f.t.Helper()
	var list []wire.DeviceHealth
	f.doJSON(request{method: "GET", path: wire.PathBackofficeDevices, token: staff}, 200, &list)
	out := map[string]wire.DeviceHealth{}
	for _, d := range list {
		out[d.DeviceID] = d
	}
	if len(out) != len(list) {
		f.t.Fatalf("device list names a device twice: %+v", list)
	}
	return out
}

func TestHeartbeatAuth(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	staff := f.staffToken()
	hb := healthyBeat(f.clock.Now())
	f.wantError(request{method: "POST", path: wire.PathHeartbeat, body: hb}, 401, codeUnauthorized)
	f.wantError(request{method: "POST", path: wire.PathHeartbeat, token: staff, body: hb}, 401, codeUnauthorized)
	f.wantError(request{method: "POST", path: wire.PathHeartbeat, token: "cdd_unknown", body: hb}, 401, codeUnauthorized)
	f.wantError(request{method: "GET", path: wire.PathBackofficeDevices}, 401, codeUnauthorized)
	f.wantError(request{method: "GET", path: wire.PathBackofficeDevices, token: tok}, 401, codeUnauthorized)
	f.beat(tok, hb)
	if n := len(f.devices(staff)); n != 1 {
		t.Fatalf("%d devices listed, want 1", n)
	}
}

func TestHeartbeatValidation(t *testing.T) {
	var logs bytes.Buffer
	f := newFixture(t, func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	_, tok := f.enroll("kiosk")
	now := f.clock.Now()
	const secret = "SECRET-DEVICE-TEXT "
	tests := []struct {
		name   string
		mod    func(*wire.Heartbeat)
		raw    string
		status int
		code   string
	}{
		{name: "limits exactly", mod: func(h *wire.Heartbeat) {
			h.Version = strings.Repeat("版", 64)
			h.LastError = strings.Repeat("x", 500)
			h.PrinterState = strings.Repeat("p", 200)
			h.QueueDepth, h.FreeDiskBytes = 0, 0
		}, status: 204},
		{name: "version too long", mod: func(h *wire.Heartbeat) { h.Version = strings.Repeat("v", 65) }, status: 400, code: codeBadRequest},
		{name: "last_error too long", mod: func(h *wire.Heartbeat) { h.LastError = strings.Repeat(secret, 30) }, status: 400, code: codeBadRequest},
		{name: "printer_state too long", mod: func(h *wire.Heartbeat) { h.PrinterState = strings.Repeat("p", 201) }, status: 400, code: codeBadRequest},
		{name: "negative queue", mod: func(h *wire.Heartbeat) { h.QueueDepth = -1 }, status: 400, code: codeBadRequest},
		{name: "negative disk", mod: func(h *wire.Heartbeat) { h.FreeDiskBytes = -5 }, status: 400, code: codeBadRequest},
		{name: "unknown kind", mod: func(h *wire.Heartbeat) { h.Kind = "toaster" }, status: 400, code: codeBadRequest},
		{name: "no device time", mod: func(h *wire.Heartbeat) { h.DeviceTime = time.Time{} }, status: 400, code: codeBadRequest},
		{name: "unknown field", raw: `{"device_time":"2026-03-02T01:30:00Z","owner":"x"}`, status: 400, code: codeMalformedJSON},
		{name: "wrong type", raw: `{"device_time":"2026-03-02T01:30:00Z","queue_depth":"many"}`, status: 400, code: codeMalformedJSON},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rq := request{method: "POST", path: wire.PathHeartbeat, token: tok}
			if tc.raw != "" {
				rq.raw = []byte(tc.raw)
			} else {
				hb := healthyBeat(now)
				hb.LastError = secret
				tc.mod(&hb)
				rq.body = hb
			}
			if tc.status == 204 {
				f.doJSON(rq, 204, nil)
				return
			}
			e := f.wantError(rq, tc.status, tc.code)
			if strings.Contains(e.Message, "SECRET") {
				t.Fatalf("error message repeats the device's text: %s", e.Message)
			}
		})
	}
	f.beat(tok, func() wire.Heartbeat { hb := healthyBeat(now); hb.LastError = secret; return hb }())
	if strings.Contains(logs.String(), "SECRET") {
		t.Fatalf("the log holds last_error contents:\n%s", logs.String())
	}
}

func TestDeviceListFlags(t *testing.T) {
	f := newFixture(t)
	staff := f.staffToken()
	now := f.clock.Now()
	tests := []struct {
		name     string
		mod      func(*wire.Heartbeat)
		problems []string
	}{
		{"healthy", func(*wire.Heartbeat) {}, nil},
		{"no printer configured", func(h *wire.Heartbeat) { h.PrinterState = "" }, nil},
		{"queue old", func(h *wire.Heartbeat) { h.OldestQueued = h.DeviceTime.Add(-61 * time.Minute) }, []string{ProblemQueueOld}},
		{"disk low", func(h *wire.Heartbeat) { h.FreeDiskBytes = 499 << 20 }, []string{ProblemDiskLow}},
		{"printer missing", func(h *wire.Heartbeat) { h.PrinterState = "missing" }, []string{ProblemPrinter}},
		{"printer error", func(h *wire.Heartbeat) { h.PrinterState = "error: paper out" }, []string{ProblemPrinter}},
		{"clock ahead", func(h *wire.Heartbeat) { h.DeviceTime = h.DeviceTime.Add(6 * time.Minute) }, []string{ProblemClockSkew}},
		{"clock behind", func(h *wire.Heartbeat) { h.DeviceTime = h.DeviceTime.Add(-6 * time.Minute) }, []string{ProblemClockSkew}},
		{"clock slightly off", func(h *wire.Heartbeat) { h.DeviceTime = h.DeviceTime.Add(4 * time.Minute) }, nil},
		{"sync failing", func(h *wire.Heartbeat) { h.LastSync = h.DeviceTime.Add(-2 * time.Hour) }, []string{ProblemSyncFailing}},
		{"never synced with a queue", func(h *wire.Heartbeat) { h.LastSync = time.Time{} }, []string{ProblemSyncFailing}},
		{"old sync, empty queue", func(h *wire.Heartbeat) {
			h.LastSync = h.DeviceTime.Add(-5 * time.Hour)
			h.QueueDepth, h.OldestQueued = 0, time.Time{}
		}, nil},
		{"skewed clock, ages by its own clock", func(h *wire.Heartbeat) {
			// Two days behind: the queue is 30 min old and the last sync 10
			// min ago by the device's clock; only the skew is a problem.
			h.DeviceTime = h.DeviceTime.Add(-48 * time.Hour)
			h.OldestQueued = h.DeviceTime.Add(-30 * time.Minute)
			h.LastSync = h.DeviceTime.Add(-10 * time.Minute)
		}, []string{ProblemClockSkew}},
		{"everything wrong", func(h *wire.Heartbeat) {
			h.DeviceTime = h.DeviceTime.Add(time.Hour)
			h.OldestQueued = h.DeviceTime.Add(-3 * time.Hour)
			h.LastSync = h.DeviceTime.Add(-3 * time.Hour)
			h.FreeDiskBytes, h.PrinterState = 0, "missing"
		}, []string{ProblemQueueOld, ProblemDiskLow, ProblemPrinter, ProblemClockSkew, ProblemSyncFailing}},
	}
	ids := map[string]string{}
	for _, tc := range tests {
		id, tok := f.enroll("kiosk")
		ids[tc.name] = id
		hb := healthyBeat(now)
		tc.mod(&hb)
		f.beat(tok, hb)
	}
	silent, _ := f.enroll("phone")
	list := f.devices(staff)
	if len(list) != len(tests)+1 {
		t.Fatalf("%d devices listed, want %d", len(list), len(tests)+1)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := list[ids[tc.name]]
			if d.Heartbeat == nil || !d.LastSeen.Equal(now) || d.Kind != "kiosk" || d.Name != "hall-1" {
				t.Fatalf("row %+v: want the heartbeat, last seen %v, kind kiosk", d, now)
			}
			if d.Stale {
				t.Error("a device heard from just now is stale")
			}
			if !slices.Equal(d.Problems, tc.problems) || d.Unhealthy != (len(tc.problems) > 0) {
				t.Errorf("problems %v unhealthy %v, want %v", d.Problems, d.Unhealthy, tc.problems)
			}
		})
	}
	t.Run("never seen", func(t *testing.T) {
		d := list[silent]
		if !d.Stale || d.Heartbeat != nil || !d.LastSeen.IsZero() || d.Unhealthy || d.Kind != "phone" {
			t.Fatalf("never-seen device: %+v, want stale without heartbeat", d)
		}
	})
}

func TestDeviceStaleAfter(t *testing.T) {
	tests := []struct {
		name       string
		staleAfter time.Duration
		silence    time.Duration
		stale      bool
	}{
		{"default, just in time", 0, 15 * time.Minute, false},
		{"default, late", 0, 15*time.Minute + time.Second, true},
		{"custom, late", time.Minute, 2 * time.Minute, true},
		{"custom, in time", time.Hour, 59 * time.Minute, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(o *Options) { o.StaleAfter = tc.staleAfter })
			staff := f.staffToken()
			id, tok := f.enroll("kiosk")
			f.beat(tok, healthyBeat(f.clock.Now()))
			f.clock.Advance(tc.silence)
			d := f.devices(staff)[id]
			if d.Stale != tc.stale {
				t.Fatalf("stale = %v after %v of silence, want %v", d.Stale, tc.silence, tc.stale)
			}
			// Staleness is not a problem of the last heartbeat.
			if d.Unhealthy {
				t.Fatalf("unhealthy with problems %v", d.Problems)
			}
		})
	}
}

func TestHeartbeatLatestWinsAndSurvivesRestart(t *testing.T) {
	f := newFixture(t)
	staff := f.staffToken()
	id, tok := f.enroll("kiosk")
	first := healthyBeat(f.clock.Now())
	first.PrinterState = "missing"
	f.beat(tok, first)
	f.clock.Advance(time.Minute)
	second := healthyBeat(f.clock.Now())
	second.Version = "1.5.0"
	f.beat(tok, second)
	seen := f.clock.Now()

	f.reopen()
	d := f.devices(staff)[id]
	if d.Heartbeat == nil || d.Heartbeat.Version != "1.5.0" || !d.LastSeen.Equal(seen) || d.Unhealthy {
		t.Fatalf("after restart: %+v (heartbeat %+v), want the second heartbeat seen at %v", d, d.Heartbeat, seen)
	}
	if !d.Heartbeat.DeviceTime.Equal(second.DeviceTime) || !d.Heartbeat.OldestQueued.Equal(second.OldestQueued) {
		t.Fatalf("times changed on the way: %+v", d.Heartbeat)
	}
}
