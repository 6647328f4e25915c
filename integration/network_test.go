package integration

import (
	"context"
	"maps"
	"testing"
	"time"

	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
)

// TestSyncThroughBadNetworks pushes a queue through Toxiproxy with one fault at
// a time, then with the fault gone; every application must end up on the
// server exactly once and accepted locally.
func TestSyncThroughBadNetworks(t *testing.T) {
	cases := []struct {
		name   string
		toxics func(e *centralEnv)
		// heals: the sync under the fault is expected to fail.
		fails bool
		// committed: the server has stored some of the batch although the client saw a failure.
		committed bool
	}{
		{name: "latency", toxics: func(e *centralEnv) {
			e.toxic("up", "latency", "upstream", map[string]any{"latency": 200, "jitter": 50})
			e.toxic("down", "latency", "downstream", map[string]any{"latency": 200, "jitter": 50})
		}},
		{name: "bandwidth", toxics: func(e *centralEnv) {
			e.toxic("up", "bandwidth", "upstream", map[string]any{"rate": 64})
			e.toxic("down", "bandwidth", "downstream", map[string]any{"rate": 64})
		}},
		{name: "reset_peer mid-request", fails: true, toxics: func(e *centralEnv) {
			e.toxic("slow", "bandwidth", "upstream", map[string]any{"rate": 2})
			e.toxic("reset", "reset_peer", "upstream", map[string]any{"timeout": 300})
		}},
		{name: "timeout (black hole)", fails: true, toxics: func(e *centralEnv) {
			e.toxic("hole", "timeout", "downstream", map[string]any{"timeout": 0})
		}},
		{name: "server commits then drops the response", fails: true, committed: true, toxics: func(e *centralEnv) {
			e.cutAfterCommit.Store(2) // the first try and the client's one retry
			e.cutBytes = 0
		}},
		{name: "server commits then the response is truncated", fails: true, committed: true, toxics: func(e *centralEnv) {
			e.cutAfterCommit.Store(1)
			e.cutBytes = 300
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := startCentral(t)
			url := e.withProxy()
			d := e.newDevice(t, url, deviceOpt{timeout: 1500 * time.Millisecond, batch: 25})
			ids := d.submitN(t, 60)

			tc.toxics(e)
			_, err := d.eng.SyncOnce(context.Background())
			if tc.fails && err == nil {
				t.Fatalf("sync through %s succeeded; the fault was not exercised", tc.name)
			}
			if !tc.fails && err != nil {
				t.Fatalf("sync through %s: %v", tc.name, err)
			}
			if tc.committed {
				n, err := e.srv.Count()
				if err != nil {
					t.Fatal(err)
				}
				st, _ := d.st.Stats()
				if n == 0 || st.Count != len(ids) {
					t.Fatalf("want the server to hold part of the batch (%d) while the device still has all %d queued (%d)", n, len(ids), st.Count)
				}
			}
			e.clearToxics()
			d.drain(t, 5)
			exactlyOnce(t, e, d, ids)
			if n, _ := e.srv.Count(); n != len(ids) {
				t.Errorf("server holds %d applications, want %d", n, len(ids))
			}
		})
	}
}

// TestLifecycleEndToEnd follows applications from the queue to completed,
// with a poison item, a conflict, a hand-off duplicate and a device clock
// five days fast.
func TestLifecycleEndToEnd(t *testing.T) {
	e := startCentral(t)
	skewed := func() time.Time { return time.Now().Add(5 * 24 * time.Hour) }
	kiosk := e.newDevice(t, e.URL(), deviceOpt{clock: skewed})
	phone := e.newDevice(t, e.URL(), deviceOpt{policy: store.PolicyPersonal})

	ids := kiosk.submitN(t, 5)
	svc, values := sampleApplication(99)
	bad := maps.Clone(values)
	delete(bad, sampleIDField)
	poison, err := kiosk.st.Submit(store.NewApplication{Service: svc.Code, ServiceVersion: svc.Version, Values: bad})
	if err != nil {
		t.Fatal(err)
	}
	kiosk.drain(t, 3)
	exactlyOnce(t, e, kiosk, ids)
	p, err := kiosk.st.Get(poison.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.State != lifecycle.NeedsAttention || len(p.FieldErrors) == 0 {
		t.Fatalf("poison item: state %s with %d field errors, want needs_attention with errors", p.State, len(p.FieldErrors))
	}

	// Kiosk policy: personal data is gone once accepted.
	a, err := kiosk.st.Get(ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if !a.Purged || a.Values != nil {
		t.Fatalf("kiosk kept personal data of an accepted application: purged=%v values=%d", a.Purged, len(a.Values))
	}
	// Device time is five days fast, but the acceptance time is the server's.
	if d := time.Since(a.AcceptedAt); d < -time.Minute || d > time.Minute {
		t.Fatalf("accepted at %s: not the server's clock", a.AcceptedAt)
	}

	// The phone hands the same application over (same id, same payload): one on the server.
	svc0, v0 := sampleApplication(0)
	handed, err := phone.st.Submit(store.NewApplication{ID: ids[0], Service: svc0.Code, ServiceVersion: svc0.Version, Values: v0})
	if err != nil {
		t.Fatal(err)
	}
	// Same id, other payload: a conflict.
	svc1, v1 := sampleApplication(7)
	clash, err := phone.st.Submit(store.NewApplication{ID: ids[1], Service: svc1.Code, ServiceVersion: svc1.Version, Values: v1})
	if err != nil {
		t.Fatal(err)
	}
	phone.drain(t, 3)
	if n := e.srv.CountByID(handed.ID); n != 1 {
		t.Fatalf("hand-off: %d copies on the server", n)
	}
	if got, _ := phone.st.Get(handed.ID); got.Tracking != a.Tracking {
		t.Fatalf("hand-off got tracking %q, the kiosk has %q", got.Tracking, a.Tracking)
	}
	if got, _ := phone.st.Get(clash.ID); got.State != lifecycle.Conflict {
		t.Fatalf("same id with other values: state %s, want conflict", got.State)
	}

	// The back office moves everything on; both devices pull the changes.
	for range 6 {
		if _, err := e.srv.AdvanceDemo(); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []*device{kiosk, phone} {
		if _, err := d.eng.SyncOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		got, err := kiosk.st.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != lifecycle.Completed {
			t.Errorf("%s: state %s after the back office completed it, want completed", id, got.State)
		}
	}
	if got, _ := phone.st.Get(handed.ID); got.State != lifecycle.Completed || got.Values == nil {
		t.Errorf("phone: state %s, values kept %v; want completed with values (personal policy)", got.State, got.Values != nil)
	}
}
