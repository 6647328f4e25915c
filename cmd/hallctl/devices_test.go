package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"civicdesk/central"
	"civicdesk/sync/client"
	"civicdesk/sync/wire"
)

// backOffice is a central API whose clock a test can set back, with a staff
// token, to list devices from.
type backOffice struct {
	*hall
	staff string
	mu    sync.Mutex
	shift time.Duration // the server's clock is time.Now() + shift
}

func newBackOffice(t *testing.T) *backOffice {
	t.Helper()
	t.Setenv("CIVICDESK_DATA", "")
	t.Setenv("CIVICDESK_API", "")
	t.Setenv(envStaffToken, "")
	b := &backOffice{}
	srv, err := central.Open(central.Options{Path: filepath.Join(t.TempDir(), "central.db"), Clock: func() time.Time {
		b.mu.Lock()
		defer b.mu.Unlock()
		return time.Now().Add(b.shift)
	}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close() })
	b.hall = &hall{t: t, data: t.TempDir(), srv: srv, api: hs.URL}
	if b.staff, err = srv.MintStaffToken("it-desk"); err != nil {
		t.Fatal(err)
	}
	return b
}

// device enrols a device named name; with hb non-nil it sends hb (DeviceTime
// set to the server's clock) while the server's clock is shifted by ago.
func (b *backOffice) device(name, kind string, ago time.Duration, hb *wire.Heartbeat) {
	b.t.Helper()
	code, err := b.srv.MintEnrollCode(time.Hour)
	if err != nil {
		b.t.Fatal(err)
	}
	c, err := client.New(b.api, client.Options{RetryMax: -1})
	if err != nil {
		b.t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	ctx := context.Background()
	er, err := c.Enroll(ctx, wire.EnrollRequest{Code: code, DeviceName: name, Kind: kind})
	if err != nil {
		b.t.Fatal(err)
	}
	if hb == nil {
		return
	}
	c.SetToken(er.Token)
	b.mu.Lock()
	b.shift = -ago
	b.mu.Unlock()
	defer func() { b.mu.Lock(); b.shift = 0; b.mu.Unlock() }()
	h := *hb
	h.DeviceTime = time.Now().Add(-ago)
	if !h.LastSync.IsZero() {
		h.LastSync = h.DeviceTime.Add(-time.Minute)
	}
	if err := c.Heartbeat(ctx, h); err != nil {
		b.t.Fatal(err)
	}
}

var goodBeat = wire.Heartbeat{Version: "1.4.0", Kind: "kiosk", FreeDiskBytes: 8 << 30, PrinterState: "ok", LastSync: time.Unix(1, 0)}

func TestDevicesAllHealthy(t *testing.T) {
	b := newBackOffice(t)
	b.device("kiosk-a", "kiosk", 0, &goodBeat)
	rc, out, errOut := b.hallctl("", "--api", b.api, "devices", "--staff-token", b.staff)
	if rc != exitOK || !strings.Contains(out, "1 devices: 0 stale, 0 unhealthy") || !strings.Contains(out, "kiosk-a") ||
		!strings.Contains(out, "8.0 GiB") || !strings.Contains(out, " ok") {
		t.Fatalf("exit %d\n%s%s", rc, out, errOut)
	}
}

func TestDevicesFlagsStaleAndUnhealthy(t *testing.T) {
	b := newBackOffice(t)
	b.device("kiosk-a", "kiosk", 0, &goodBeat)
	sick := goodBeat
	sick.PrinterState, sick.FreeDiskBytes, sick.QueueDepth = "missing", 100<<20, 3
	b.device("kiosk-b", "kiosk", 0, &sick)
	b.device("kiosk-c", "kiosk", time.Hour, &goodBeat)
	b.device("phone-d", "phone", 0, nil)

	rc, out, errOut := b.hallctl("", "--api", b.api, "devices", "--staff-token", b.staff)
	if rc != exitUnhealthy {
		t.Fatalf("exit %d, want %d\n%s%s", rc, exitUnhealthy, out, errOut)
	}
	if !strings.Contains(out, "4 devices: 2 stale, 1 unhealthy") || !strings.Contains(errOut, "2 stale and 1 unhealthy") {
		t.Fatalf("summary missing:\n%s%s", out, errOut)
	}
	lines := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			lines[f[0]] = l
		}
	}
	for name, want := range map[string][]string{
		"kiosk-a": {"kiosk", "ago", "8.0 GiB", " ok"},
		"kiosk-b": {"UNHEALTHY: disk_low,printer", "missing", "100.0 MiB", " 3 "},
		"kiosk-c": {"STALE", "1h0m ago"},
		"phone-d": {"phone", "never", "STALE"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[name], w) {
				t.Errorf("row of %s lacks %q: %q", name, w, lines[name])
			}
		}
	}
	if strings.Contains(lines["kiosk-a"], "STALE") || strings.Contains(lines["kiosk-a"], "UNHEALTHY") {
		t.Errorf("healthy device flagged: %q", lines["kiosk-a"])
	}

	t.Run("json and env token", func(t *testing.T) {
		t.Setenv(envStaffToken, b.staff)
		rc, out, _ := b.hallctl("", "--api", b.api, "--json", "devices")
		var list []wire.DeviceHealth
		if err := json.Unmarshal([]byte(out), &list); err != nil || rc != exitUnhealthy || len(list) != 4 {
			t.Fatalf("exit %d, %v\n%s", rc, err, out)
		}
		byName := map[string]wire.DeviceHealth{}
		for _, d := range list {
			byName[d.Name] = d
		}
		if d := byName["kiosk-b"]; !d.Unhealthy || d.Stale || strings.Join(d.Problems, ",") != "disk_low,printer" {
			t.Errorf("kiosk-b: %+v", d)
		}
		if d := byName["phone-d"]; !d.Stale || d.Heartbeat != nil {
			t.Errorf("phone-d: %+v", d)
		}
	})
}

func TestDevicesErrors(t *testing.T) {
	b := newBackOffice(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	tests := []struct {
		name string
		args []string
		rc   int
		want string // in standard error
	}{
		{"no token", []string{"--api", b.api, "devices"}, exitUsage, envStaffToken},
		{"device token", []string{"--api", b.api, "devices", "--staff-token", "cdd_x"}, exitError, "refused the staff token"},
		{"unknown token", []string{"--api", b.api, "devices", "--staff-token", "cds_nope"}, exitError, "refused the staff token"},
		{"offline", []string{"--api", closed, "devices", "--staff-token", b.staff}, exitOffline, "list devices"},
		{"no api", []string{"devices", "--staff-token", b.staff}, exitUsage, "pass --api URL"},
		{"open311", []string{"--api", "open311+https://example.org/v2", "devices", "--staff-token", b.staff}, exitUsage, ""},
		{"argument", []string{"--api", b.api, "devices", "--staff-token", b.staff, "extra"}, exitUsage, "no arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc, out, errOut := b.hallctl("", tc.args...)
			if rc != tc.rc || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, want %d with %q\n%s%s", rc, tc.rc, tc.want, out, errOut)
			}
			if strings.Contains(errOut, b.staff) {
				t.Fatal("the staff token is in the error output")
			}
		})
	}
}
