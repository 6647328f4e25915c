package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"civicdesk/sync/wire"
)

func TestHeartbeat(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	sent := wire.Heartbeat{Version: "1.4.0", Kind: "kiosk", QueueDepth: 3, OldestQueued: at.Add(-time.Hour),
		LastSync: at.Add(-time.Minute), LastError: "push: offline", FreeDiskBytes: 1 << 30, PrinterState: "missing", DeviceTime: at}
	tests := []struct {
		name     string
		statuses []int // answer of each attempt in turn; the last repeats
		wantReqs int32
		check    func(t *testing.T, err error)
	}{
		{"stored", []int{204}, 1, func(t *testing.T, err error) {
			if err != nil {
				t.Fatalf("err = %v", err)
			}
		}},
		{"refused as invalid", []int{400}, 1, func(t *testing.T, err error) {
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != 400 || ae.Code != "bad_request" || Retryable(err) {
				t.Fatalf("err = %v, want a final 400 APIError", err)
			}
		}},
		{"token refused", []int{401}, 1, func(t *testing.T, err error) {
			if !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("err = %v, want ErrUnauthorized", err)
			}
		}},
		{"retried after 503", []int{503, 204}, 2, func(t *testing.T, err error) {
			if err != nil {
				t.Fatalf("err = %v", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != wire.PathHeartbeat {
					t.Errorf("%s %s, want POST %s", r.Method, r.URL.Path, wire.PathHeartbeat)
				}
				if got := r.Header.Get("Authorization"); got != "Bearer dev-token" {
					t.Errorf("Authorization = %q, want the device token", got)
				}
				var got wire.Heartbeat
				if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
					t.Errorf("body is not a heartbeat: %v", err)
				} else if !got.DeviceTime.Equal(sent.DeviceTime) || !got.OldestQueued.Equal(sent.OldestQueued) ||
					got.QueueDepth != 3 || got.PrinterState != "missing" || got.FreeDiskBytes != 1<<30 || got.LastError != sent.LastError {
					t.Errorf("heartbeat arrived as %+v, sent %+v", got, sent)
				}
				st := tc.statuses[min(n, len(tc.statuses)-1)]
				n++
				if st == 204 {
					w.WriteHeader(204)
					return
				}
				writeJSON(w, st, wire.Error{Code: map[int]string{400: "bad_request", 401: "unauthorized", 503: "unavailable"}[st], Message: "no"})
			})
			c := newTestClient(t, ts.URL, fastOptions())
			tc.check(t, c.Heartbeat(context.Background(), sent))
			if got := ts.requests.Load(); got != tc.wantReqs {
				t.Fatalf("%d requests, want %d", got, tc.wantReqs)
			}
		})
	}
}

func TestBackofficeDevices(t *testing.T) {
	seen := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	rows := []wire.DeviceHealth{
		{DeviceID: "d1", Name: "hall-1", Kind: "kiosk", LastSeen: seen, Heartbeat: &wire.Heartbeat{Version: "1.4.0", DeviceTime: seen},
			Unhealthy: true, Problems: []string{"disk_low"}},
		{DeviceID: "d2", Name: "hall-2", Kind: "phone", Stale: true},
	}
	tests := []struct {
		name  string
		serve func(w http.ResponseWriter)
		check func(t *testing.T, got []wire.DeviceHealth, err error)
	}{
		{"list", func(w http.ResponseWriter) { writeJSON(w, 200, rows) }, func(t *testing.T, got []wire.DeviceHealth, err error) {
			if err != nil || len(got) != 2 || got[0].Heartbeat == nil || got[0].Heartbeat.Version != "1.4.0" ||
				!got[0].LastSeen.Equal(seen) || got[0].Problems[0] != "disk_low" || !got[1].Stale || got[1].Heartbeat != nil {
				t.Fatalf("got %+v, %v", got, err)
			}
		}},
		{"staff token refused", func(w http.ResponseWriter) { writeJSON(w, 401, wire.Error{Code: "unauthorized", Message: "no"}) },
			func(t *testing.T, _ []wire.DeviceHealth, err error) {
				if !errors.Is(err, ErrUnauthorized) {
					t.Fatalf("err = %v, want ErrUnauthorized", err)
				}
			}},
		{"captive portal", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>login</html>"))
		}, func(t *testing.T, _ []wire.DeviceHealth, err error) {
			if !errors.Is(err, ErrCaptivePortal) {
				t.Fatalf("err = %v, want ErrCaptivePortal", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet || r.URL.Path != wire.PathBackofficeDevices {
					t.Errorf("%s %s, want GET %s", r.Method, r.URL.Path, wire.PathBackofficeDevices)
				}
				if got := r.Header.Get("Authorization"); got != "Bearer staff-token" {
					t.Errorf("Authorization = %q, want the staff token", got)
				}
				tc.serve(w)
			})
			c := newTestClient(t, ts.URL, fastOptions())
			got, err := c.Backoffice("staff-token").Devices(context.Background())
			tc.check(t, got, err)
		})
	}
}
