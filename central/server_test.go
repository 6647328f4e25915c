package central

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/sync/wire"
)

func TestHealth(t *testing.T) {
	f := newFixture(t)
	var h wire.Health
	f.doJSON(request{method: "GET", path: wire.PathHealth}, 200, &h)
	if h.Service != wire.HealthService || !h.OK || h.APIVersion != APIVersion || !h.ServerTime.Equal(f.clock.Now()) {
		t.Fatalf("health = %+v", h)
	}
}

func TestRouting(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, method, path string
		status             int
		code               string
	}{
		{"unknown path", "GET", "/v1/nothing", 404, codeUnknownPath},
		{"root", "GET", "/", 404, codeUnknownPath},
		{"trailing slash", "GET", "/v1/health/", 404, codeUnknownPath},
		{"unclean path", "POST", "/v1/backoffice/applications//status", 404, codeUnknownPath},
		{"dot segments", "GET", "/v1/x/../health", 404, codeUnknownPath},
		{"wrong method on health", "POST", wire.PathHealth, 405, codeMethodNotAllowed},
		{"wrong method on submissions", "GET", wire.PathSubmit, 405, codeMethodNotAllowed},
		{"wrong method on status", "GET", wire.PathBackoffice + "/XZ1/status", 405, codeMethodNotAllowed},
		{"delete on catalog", "DELETE", wire.PathCatalog, 405, codeMethodNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := f.do(request{method: tc.method, path: tc.path})
			checkError(t, tc.name, resp, b, tc.status, tc.code)
			if tc.status == 405 && resp.Header.Get("Allow") == "" {
				t.Fatal("405 without an Allow header")
			}
		})
	}
}

func TestPanicYields500JSON(t *testing.T) {
	var logs bytes.Buffer
	path := filepath.Join(t.TempDir(), "central.db")
	srv, err := Open(Options{Path: path, Catalog: testCatalog(), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	const secret = "11010519491231002X"
	h := srv.middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("boom while handling " + r.URL.Query().Get("id"))
	}))
	ts := httptest.NewServer(h)
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/v1/anything?id=" + secret)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	e := checkError(t, "panic", resp, b.Bytes(), 500, codeInternal)
	if strings.Contains(e.Message, secret) || strings.Contains(e.Message, "boom") {
		t.Fatalf("the 500 answer echoes the input or the panic: %q", e.Message)
	}
	// The server still answers afterwards.
	resp2, err := http.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != 500 {
		t.Fatalf("second request: %d", resp2.StatusCode)
	}
	if !strings.Contains(logs.String(), "handler panic") {
		t.Fatalf("panic not logged: %s", logs.String())
	}
}

func TestLogsHoldNoPersonalData(t *testing.T) {
	var logs bytes.Buffer
	f := newFixture(t, func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	dev, tok := f.enroll("kiosk")
	vals := validValues()
	res := f.submit(tok, newItem(vals))
	f.doJSON(request{method: "POST", path: wire.PathTrack, token: tok,
		body: wire.TrackRequest{Tracking: res[0].Tracking, VerificationCode: res[0].VerificationCode}}, 200, nil)
	out := logs.String()
	for _, secret := range []string{tok, vals["name"].(string), vals["id_number"].(string), vals["phone"].(string), res[0].VerificationCode} {
		if strings.Contains(out, secret) {
			t.Fatalf("logs contain personal data or a secret")
		}
	}
	for _, want := range []string{"pattern=\"POST /v1/submissions\"", "status=200", "device=" + dev} {
		if !strings.Contains(out, want) {
			t.Fatalf("access log lacks %q:\n%s", want, out)
		}
	}
}

func TestOpenDefaultsAndErrors(t *testing.T) {
	t.Run("default catalog", func(t *testing.T) {
		srv, err := Open(Options{Path: filepath.Join(t.TempDir(), "sub", "central.db")})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		if len(srv.cat.Services) < 10 {
			t.Fatalf("default catalog has %d services", len(srv.cat.Services))
		}
		var c struct {
			Services []json.RawMessage `json:"services"`
		}
		if err := json.Unmarshal(srv.catalogJSON, &c); err != nil || len(c.Services) != len(srv.cat.Services) {
			t.Fatalf("served catalog: %v", err)
		}
		// A real-estate register inquiry of the sample catalog goes through.
		it := newItem(catalog.Values{"applicant_name": "张伟", "id_number": "11010519491231002X", "phone": "13912345678",
			"inquiry_scope": "all_owned", "district": "320302", "purpose": "loan", "result_delivery": "hall", "declaration": true})
		it.Service = "real_estate_register_inquiry"
		raw, _ := json.Marshal(it)
		res, err := srv.submit("device-1", []json.RawMessage{raw})
		if err != nil || res[0].Outcome != wire.Accepted {
			t.Fatalf("submit to the default catalog: %v %+v", err, res)
		}
	})
	t.Run("no path", func(t *testing.T) {
		if _, err := Open(Options{}); err == nil {
			t.Fatal("Open without a path succeeded")
		}
	})
	t.Run("locked", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "central.db")
		srv, err := Open(Options{Path: path, Catalog: testCatalog()})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		start := time.Now()
		_, err = Open(Options{Path: path, Catalog: testCatalog()})
		if !errors.Is(err, ErrLocked) {
			t.Fatalf("second Open: %v, want ErrLocked", err)
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("second Open hung")
		}
	})
	t.Run("closed server answers 503", func(t *testing.T) {
		f := newFixture(t)
		_, tok := f.enroll("phone")
		f.srv.Close()
		f.wantError(request{method: "GET", path: wire.PathChanges, token: tok}, 503, codeUnavailable)
	})
}
