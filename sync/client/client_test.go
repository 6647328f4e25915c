package client

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/sync/wire"
)

// testServer is an httptest server on 127.0.0.1 that counts requests and
// new connections.
type testServer struct {
	*httptest.Server
	requests atomic.Int32
	conns    atomic.Int32
}

func newTestServer(t *testing.T, h http.HandlerFunc) *testServer {
	t.Helper()
	ts := &testServer{}
	ts.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.requests.Add(1)
		h(w, r)
	}))
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			ts.conns.Add(1)
		}
	}
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

// fastOptions: tiny waits so retries cost microseconds, a fixed jitter source.
func fastOptions() Options {
	return Options{Token: "dev-token", RetryMax: 2, WaitMin: time.Microsecond, WaitMax: 50 * time.Microsecond,
		Rand: func() float64 { return 0.5 }}
}

func newTestClient(t *testing.T, url string, o Options) *Client {
	t.Helper()
	c, err := New(url, o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeSubmit reads a gzip JSON submit body, failing the test if it is not gzip.
func decodeSubmit(t *testing.T, r *http.Request) wire.SubmitRequest {
	t.Helper()
	var req wire.SubmitRequest
	if got := r.Header.Get("Content-Encoding"); got != "gzip" {
		t.Errorf("Content-Encoding = %q, want gzip", got)
		return req
	}
	zr, err := gzip.NewReader(r.Body)
	if err != nil {
		t.Errorf("request body is not gzip: %v", err)
		return req
	}
	if err := json.NewDecoder(zr).Decode(&req); err != nil {
		t.Errorf("gzip body is not a SubmitRequest: %v", err)
	}
	return req
}

func acceptAll(req wire.SubmitRequest) wire.SubmitResponse {
	resp := wire.SubmitResponse{ServerTime: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	for i, it := range req.Items {
		resp.Results = append(resp.Results, wire.ItemResult{ID: it.ID, Outcome: wire.Accepted,
			Tracking: fmt.Sprintf("T%04d", i), VerificationCode: "123456", Status: lifecycle.Received, AcceptedAt: resp.ServerTime})
	}
	return resp
}

func items(n int) []wire.SubmitItem {
	out := make([]wire.SubmitItem, n)
	for i := range out {
		out[i] = wire.SubmitItem{ID: fmt.Sprintf("id-%03d", i), Service: "svc", ServiceVersion: 1,
			Values: catalog.Values{"reason": strings.Repeat("x", 200)}, CreatedAt: time.Unix(0, 0).UTC()}
	}
	return out
}

func TestNewValidatesURL(t *testing.T) {
	tests := []struct {
		url  string
		ok   bool
		base string
	}{
		{"http://127.0.0.1:8080", true, "http://127.0.0.1:8080"},
		{"https://central.example.org/api/", true, "https://central.example.org/api"},
		{"  https://central.example.org  ", true, "https://central.example.org"},
		{"ftp://central.example.org", false, ""},
		{"central.example.org", false, ""},
		{"http://", false, ""},
		{"https://user:pw@central.example.org", false, ""},
		{"https://central.example.org/?token=x", false, ""},
		{"http://[::1", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c, err := New(tt.url, Options{})
			if (err == nil) != tt.ok {
				t.Fatalf("New(%q) error = %v, want ok=%v", tt.url, err, tt.ok)
			}
			if err != nil {
				if strings.Contains(err.Error(), "pw") {
					t.Errorf("error leaks the password: %v", err)
				}
				return
			}
			if c.BaseURL() != tt.base {
				t.Errorf("BaseURL = %q, want %q", c.BaseURL(), tt.base)
			}
		})
	}
}

func TestRetryPolicy(t *testing.T) {
	tests := []struct {
		status    int
		attempts  int32 // with RetryMax 2
		retryable bool
		sentinel  error
	}{
		{http.StatusBadRequest, 1, false, nil},
		{http.StatusUnauthorized, 1, false, ErrUnauthorized},
		{http.StatusForbidden, 1, false, ErrUnauthorized},
		{http.StatusNotFound, 1, false, ErrNotFound},
		{http.StatusConflict, 1, false, nil},
		{http.StatusRequestEntityTooLarge, 1, false, nil},
		{http.StatusUnprocessableEntity, 1, false, nil},
		{http.StatusTooManyRequests, 3, true, nil},
		{http.StatusInternalServerError, 3, true, nil},
		{http.StatusBadGateway, 3, true, nil},
		{http.StatusServiceUnavailable, 3, true, nil},
		{http.StatusGatewayTimeout, 3, true, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, tt.status, wire.Error{Code: "some_code", Message: "what to do"})
			})
			c := newTestClient(t, ts.URL, fastOptions())
			_, err := c.Changes(context.Background(), "", 10)
			if got := ts.requests.Load(); got != tt.attempts {
				t.Errorf("attempts = %d, want %d", got, tt.attempts)
			}
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not an *APIError", err)
			}
			if ae.Status != tt.status || ae.Code != "some_code" || ae.Message != "what to do" || ae.Attempts != int(tt.attempts) {
				t.Errorf("APIError = %+v, want status %d, code, message, %d attempts", ae, tt.status, tt.attempts)
			}
			if Retryable(err) != tt.retryable {
				t.Errorf("Retryable = %v, want %v", Retryable(err), tt.retryable)
			}
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("error %v does not wrap %v", err, tt.sentinel)
			}
		})
	}
}

func TestRetryRecoversAfterTransientStatus(t *testing.T) {
	var n atomic.Int32
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) < 3 {
			writeJSON(w, http.StatusServiceUnavailable, wire.Error{Code: "busy"})
			return
		}
		writeJSON(w, http.StatusOK, wire.ChangesResponse{Cursor: "c1"})
	})
	c := newTestClient(t, ts.URL, fastOptions())
	got, err := c.Changes(context.Background(), "", 0)
	if err != nil || got.Cursor != "c1" {
		t.Fatalf("Changes = %+v, %v; want cursor c1 after two 503s", got, err)
	}
}

func TestNetworkErrors(t *testing.T) {
	t.Run("connection refused is offline and retryable", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		c := newTestClient(t, "http://"+addr, fastOptions())
		_, err = c.Health(context.Background())
		if !errors.Is(err, ErrOffline) || !Retryable(err) {
			t.Fatalf("err = %v; want ErrOffline, retryable", err)
		}
	})
	t.Run("connection reset mid-request is retried", func(t *testing.T) {
		var n atomic.Int32
		ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
				return
			}
			writeJSON(w, http.StatusOK, acceptAll(decodeSubmit(t, r)))
		})
		c := newTestClient(t, ts.URL, fastOptions())
		resp, err := c.Submit(context.Background(), items(3))
		if err != nil || len(resp.Results) != 3 {
			t.Fatalf("Submit = %d results, %v; want 3 after one reset", len(resp.Results), err)
		}
		if n.Load() != 2 {
			t.Errorf("server saw %d requests, want 2", n.Load())
		}
	})
	t.Run("untrusted TLS certificate is not retried", func(t *testing.T) {
		var conns atomic.Int32
		ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t.Error("handler reached despite an untrusted certificate")
		}))
		ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		}
		ts.Config.ErrorLog = discardLog() // the handshake failure is expected
		ts.StartTLS()
		defer ts.Close()
		c := newTestClient(t, ts.URL, fastOptions()) // default client: does not trust the test CA
		_, err := c.Health(context.Background())
		if !errors.Is(err, ErrOffline) || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("err = %v; want ErrOffline naming the certificate", err)
		}
		if conns.Load() != 1 {
			t.Errorf("%d TLS connections, want 1 (no retry)", conns.Load())
		}
	})
	t.Run("cancelled context is not retryable", func(t *testing.T) {
		ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusServiceUnavailable, wire.Error{Code: "busy"})
		})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		c := newTestClient(t, ts.URL, fastOptions())
		_, err := c.Health(ctx)
		if !errors.Is(err, context.Canceled) || Retryable(err) {
			t.Fatalf("err = %v; want context.Canceled, not retryable", err)
		}
	})
}

func TestFullJitterBounds(t *testing.T) {
	const base, ceil = 500 * time.Millisecond, 30 * time.Second
	tests := []struct {
		attempt int
		r       float64
		want    time.Duration
	}{
		{0, 0, 0},
		{0, 0.5, 250 * time.Millisecond},
		{0, 0.999, 499500 * time.Microsecond},
		{1, 0.5, 500 * time.Millisecond},
		{3, 1.0 / 4, time.Second},   // ceiling 4s
		{6, 0.5, 15 * time.Second},  // 500ms*64 = 32s, capped at 30s
		{60, 0.5, 15 * time.Second}, // overflow stays capped
		{2000, 0.5, 15 * time.Second},
		{0, -1, 250 * time.Millisecond}, // a broken source falls back to the middle
		{0, 1, 250 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("attempt%d_r%v", tt.attempt, tt.r), func(t *testing.T) {
			got := FullJitter(base, ceil, tt.attempt, func() float64 { return tt.r })
			if got != tt.want {
				t.Errorf("FullJitter = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("random draws stay within [0, min(cap, base*2^n))", func(t *testing.T) {
		c := newTestClient(t, "http://127.0.0.1:1", Options{})
		for n := 0; n < 12; n++ {
			hi := min(ceil, base<<n)
			for range 200 {
				d := FullJitter(base, ceil, n, c.rand)
				if d < 0 || d >= hi {
					t.Fatalf("attempt %d: %v outside [0, %v)", n, d, hi)
				}
			}
		}
	})
}

func TestRetryAfter(t *testing.T) {
	date := time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		header  map[string]string
		wantOK  bool
		wantDur time.Duration
	}{
		{"none", nil, false, 0},
		{"seconds", map[string]string{"Retry-After": "7"}, true, 7 * time.Second},
		{"zero", map[string]string{"Retry-After": "0"}, true, 0},
		{"negative", map[string]string{"Retry-After": "-3"}, false, 0},
		{"garbage", map[string]string{"Retry-After": "soon"}, false, 0},
		{"date against the server's Date header", map[string]string{
			"Retry-After": date.Add(90 * time.Second).Format(http.TimeFormat), "Date": date.Format(http.TimeFormat)}, true, 90 * time.Second},
		{"date in the past", map[string]string{
			"Retry-After": date.Add(-time.Hour).Format(http.TimeFormat), "Date": date.Format(http.TimeFormat)}, true, 0},
	}
	// The device clock is five days off; the Date header keeps the answer right.
	deviceNow := date.Add(-5 * 24 * time.Hour)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: http.StatusTooManyRequests, Header: http.Header{}}
			for k, v := range tt.header {
				resp.Header.Set(k, v)
			}
			d, ok := retryAfter(resp, deviceNow)
			if ok != tt.wantOK || d != tt.wantDur {
				t.Errorf("retryAfter = %v, %v; want %v, %v", d, ok, tt.wantDur, tt.wantOK)
			}
		})
	}
	t.Run("honoured and capped by backoff", func(t *testing.T) {
		c := newTestClient(t, "http://127.0.0.1:1", Options{WaitMin: time.Second, WaitMax: 30 * time.Second, Rand: func() float64 { return 0 }})
		for _, tc := range []struct {
			ra   string
			want time.Duration
		}{{"3", 3 * time.Second}, {"120", 30 * time.Second}, {"", 0}} {
			resp := &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{}}
			if tc.ra != "" {
				resp.Header.Set("Retry-After", tc.ra)
			}
			if got := c.backoff(time.Second, 30*time.Second, 2, resp); got != tc.want {
				t.Errorf("Retry-After %q: wait %v, want %v", tc.ra, got, tc.want)
			}
		}
	})
}

func TestRetryAfterCappedEndToEnd(t *testing.T) {
	var n atomic.Int32
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "3600")
			writeJSON(w, http.StatusTooManyRequests, wire.Error{Code: "slow_down"})
			return
		}
		writeJSON(w, http.StatusOK, wire.ChangesResponse{Cursor: "c"})
	})
	o := fastOptions()
	o.WaitMax = 2 * time.Millisecond
	c := newTestClient(t, ts.URL, o)
	var waits []time.Duration
	inner := c.rc.Backoff
	c.rc.Backoff = func(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
		d := inner(lo, hi, attempt, resp)
		waits = append(waits, d)
		return d
	}
	start := time.Now()
	if _, err := c.Changes(context.Background(), "", 0); err != nil {
		t.Fatalf("Changes: %v", err)
	}
	if len(waits) != 1 || waits[0] != 2*time.Millisecond {
		t.Errorf("waits = %v, want one wait of 2ms (Retry-After 3600s capped)", waits)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("took %v: Retry-After was not capped", el)
	}
}

func TestSubmitSendsGzipAndResendsSameBody(t *testing.T) {
	var mu sync.Mutex
	var bodies []wire.SubmitRequest
	var n atomic.Int32
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer dev-token" {
			t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
		}
		req := decodeSubmit(t, r)
		mu.Lock()
		bodies = append(bodies, req)
		mu.Unlock()
		if n.Add(1) == 1 {
			writeJSON(w, http.StatusBadGateway, nil)
			return
		}
		writeJSON(w, http.StatusOK, acceptAll(req))
	})
	c := newTestClient(t, ts.URL, fastOptions())
	sent := items(5)
	resp, err := c.Submit(context.Background(), sent)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if len(resp.Results) != 5 || resp.Results[4].Tracking != "T0004" {
		t.Errorf("results = %+v", resp.Results)
	}
	if len(bodies) != 2 {
		t.Fatalf("server decoded %d bodies, want 2 (one retry)", len(bodies))
	}
	for i, b := range bodies {
		if len(b.Items) != 5 || b.Items[0].ID != "id-000" || b.Items[4].Values["reason"] != sent[4].Values["reason"] {
			t.Errorf("attempt %d body = %d items, not what was sent", i+1, len(b.Items))
		}
	}
}

func TestBadTwoHundreds(t *testing.T) {
	portal := `<!DOCTYPE html><html><head><title>Free WiFi</title></head><body>Log in</body></html>`
	tests := []struct {
		name    string
		handler http.HandlerFunc
		call    func(*Client) error
		want    error
	}{
		{"health HTML page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, portal)
		}, func(c *Client) error { _, err := c.Health(context.Background()); return err }, ErrCaptivePortal},
		{"health JSON of another service", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
		}, func(c *Client) error { _, err := c.Health(context.Background()); return err }, ErrCaptivePortal},
		{"health HTML without content type", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "  \n"+portal)
		}, func(c *Client) error { _, err := c.Health(context.Background()); return err }, ErrCaptivePortal},
		{"submit HTML page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, portal)
		}, func(c *Client) error { _, err := c.Submit(context.Background(), items(2)); return err }, ErrCaptivePortal},
		{"submit truncated JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"results":[{"id":"id-000","outcome":"acc`)
		}, func(c *Client) error { _, err := c.Submit(context.Background(), items(2)); return err }, ErrBadResponse},
		{"submit body cut off before Content-Length", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "4000")
			io.WriteString(w, `{"results":[`)
		}, func(c *Client) error { _, err := c.Submit(context.Background(), items(2)); return err }, ErrBadResponse},
		{"submit empty body", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
		}, func(c *Client) error { _, err := c.Submit(context.Background(), items(2)); return err }, ErrBadResponse},
		{"catalog portal page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, portal)
		}, func(c *Client) error { _, _, _, err := c.Catalog(context.Background(), ""); return err }, ErrCaptivePortal},
		{"catalog JSON that is not a catalog", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
		}, func(c *Client) error { _, _, _, err := c.Catalog(context.Background(), ""); return err }, ErrBadResponse},
		{"enroll without token", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, wire.EnrollResponse{DeviceID: "d"})
		}, func(c *Client) error {
			_, err := c.Enroll(context.Background(), wire.EnrollRequest{Code: "c"})
			return err
		}, ErrBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, tt.handler)
			c := newTestClient(t, ts.URL, fastOptions())
			err := tt.call(c)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !Retryable(err) {
				t.Errorf("Retryable(%v) = false; a bad 200 must be transient", err)
			}
		})
	}
}

func TestSubmitAnswerMustNameEveryItem(t *testing.T) {
	tests := []struct {
		name   string
		mangle func(*wire.SubmitResponse)
		keep   int
	}{
		{"one item missing", func(r *wire.SubmitResponse) { r.Results = r.Results[1:] }, 2},
		{"results empty", func(r *wire.SubmitResponse) { r.Results = nil }, 0},
		{"an id that was not sent", func(r *wire.SubmitResponse) { r.Results[0].ID = "other" }, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				resp := acceptAll(decodeSubmit(t, r))
				tt.mangle(&resp)
				writeJSON(w, http.StatusOK, resp)
			})
			c := newTestClient(t, ts.URL, fastOptions())
			resp, err := c.Submit(context.Background(), items(3))
			if !errors.Is(err, ErrBadResponse) || !Retryable(err) {
				t.Fatalf("err = %v, want retryable ErrBadResponse", err)
			}
			if len(resp.Results) != tt.keep {
				t.Errorf("returned %d parsed results, want %d", len(resp.Results), tt.keep)
			}
		})
	}
}

func TestKeepAliveManyBatchesOneConnection(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, acceptAll(decodeSubmit(t, r)))
	})
	c := newTestClient(t, ts.URL, fastOptions())
	for i := range 20 {
		if _, err := c.Submit(context.Background(), items(50)); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
	}
	if got := ts.conns.Load(); got != 1 {
		t.Errorf("%d connections for 20 batches, want 1 (keep-alive)", got)
	}
}

func TestCatalogETag(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v2"` {
			w.Header().Set("ETag", `"v2"`)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v2"`)
		writeJSON(w, http.StatusOK, catalog.Catalog{Version: "2", Services: []catalog.Service{{Code: "svc"}}})
	})
	c := newTestClient(t, ts.URL, fastOptions())
	body, etag, nm, err := c.Catalog(context.Background(), `"v1"`)
	if err != nil || nm || etag != `"v2"` || !strings.Contains(string(body), `"svc"`) {
		t.Fatalf("first fetch = %q, %q, %v, %v", body, etag, nm, err)
	}
	body, etag, nm, err = c.Catalog(context.Background(), etag)
	if err != nil || !nm || body != nil || etag != `"v2"` {
		t.Fatalf("second fetch = %q, %q, notModified %v, %v; want 304", body, etag, nm, err)
	}
}

func TestChangesQueryAndToken(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != wire.PathChanges || r.URL.Query().Get("cursor") != "abc" || r.URL.Query().Get("limit") != "7" {
			t.Errorf("request %s", r.URL)
		}
		if r.Header.Get("Authorization") != "Bearer new-token" {
			t.Errorf("Authorization = %q, want the token set later", r.Header.Get("Authorization"))
		}
		writeJSON(w, http.StatusOK, wire.ChangesResponse{Cursor: "abd", More: true,
			Changes: []wire.Change{{ID: "a", Tracking: "T1", Status: lifecycle.InReview}}})
	})
	c := newTestClient(t, ts.URL+"/", fastOptions())
	c.SetToken("new-token")
	got, err := c.Changes(context.Background(), "abc", 7)
	if err != nil || got.Cursor != "abd" || !got.More || len(got.Changes) != 1 {
		t.Fatalf("Changes = %+v, %v", got, err)
	}
}

func TestFieldErrorsAndTrack(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case wire.PathEnroll:
			writeJSON(w, http.StatusUnprocessableEntity, wire.Error{Code: "invalid", Message: "fix the fields",
				Errors: []catalog.FieldError{{Field: "device_name", Code: "required"}}})
		case wire.PathTrack:
			var req wire.TrackRequest
			_ = json.NewDecoder(r.Body).Decode(&req)
			if req.Tracking != "T1" || req.VerificationCode != "999" {
				writeJSON(w, http.StatusNotFound, wire.Error{Code: "not_found"})
				return
			}
			writeJSON(w, http.StatusOK, wire.TrackResponse{Tracking: "T1", Status: lifecycle.Approved})
		}
	})
	c := newTestClient(t, ts.URL, fastOptions())
	_, err := c.Enroll(context.Background(), wire.EnrollRequest{Code: "x"})
	var ae *APIError
	if !errors.As(err, &ae) || len(ae.FieldErrors) != 1 || ae.FieldErrors[0].Code != "required" {
		t.Fatalf("enroll err = %v, want APIError with field errors", err)
	}
	if got, err := c.Track(context.Background(), "T1", "999"); err != nil || got.Status != lifecycle.Approved {
		t.Errorf("Track = %+v, %v", got, err)
	}
	if _, err := c.Track(context.Background(), "T1", "000"); !errors.Is(err, ErrNotFound) || Retryable(err) {
		t.Errorf("Track with a wrong code: %v, want ErrNotFound, final", err)
	}
}

func TestBackoffice(t *testing.T) {
	rows := []wire.BackofficeApplication{{ID: "a", Tracking: "T 1/x", Status: lifecycle.Received}}
	for _, shape := range []string{"array", "object"} {
		t.Run(shape, func(t *testing.T) {
			var setPath string
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer staff-token" {
					writeJSON(w, http.StatusUnauthorized, wire.Error{Code: "unauthorized"})
					return
				}
				if r.Method == http.MethodGet {
					if r.URL.Query().Get("status") != "received" {
						t.Errorf("status filter = %q", r.URL.Query().Get("status"))
					}
					if shape == "array" {
						writeJSON(w, http.StatusOK, rows)
					} else {
						writeJSON(w, http.StatusOK, map[string]any{"applications": rows})
					}
					return
				}
				setPath = r.URL.EscapedPath()
				var u wire.StatusUpdate
				_ = json.NewDecoder(r.Body).Decode(&u)
				if u.Status != lifecycle.InReview {
					t.Errorf("status update = %+v", u)
				}
				w.WriteHeader(http.StatusNoContent)
			})
			c := newTestClient(t, ts.URL, fastOptions())
			bo := c.Backoffice("staff-token")
			got, err := bo.ListApplications(context.Background(), lifecycle.Received)
			if err != nil || len(got) != 1 || got[0].Tracking != "T 1/x" {
				t.Fatalf("ListApplications = %+v, %v", got, err)
			}
			if err := bo.SetStatus(context.Background(), "T 1/x", wire.StatusUpdate{Status: lifecycle.InReview}); err != nil {
				t.Fatalf("SetStatus: %v", err)
			}
			if want := wire.PathBackoffice + "/T%201%2Fx/status"; setPath != want {
				t.Errorf("SetStatus path = %q, want %q", setPath, want)
			}
			if _, err := c.Backoffice("wrong").ListApplications(context.Background(), ""); !errors.Is(err, ErrUnauthorized) {
				t.Errorf("wrong staff token: %v, want ErrUnauthorized", err)
			}
		})
	}
}

func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }

// TestTrackTooManyAttempts: a 429 too_many_attempts from the status lookup
// is final (a resident waits at the screen) and carries Retry-After; other
// calls still retry a 429.
func TestTrackTooManyAttempts(t *testing.T) {
	var tracks, submits atomic.Int32
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1500")
		switch r.URL.Path {
		case wire.PathTrack:
			tracks.Add(1)
		case wire.PathSubmit:
			submits.Add(1)
		}
		writeJSON(w, http.StatusTooManyRequests, wire.Error{Code: wire.CodeTooManyAttempts, Message: "wait"})
	})
	c := newTestClient(t, ts.URL, fastOptions()) // its WaitMax caps Retry-After: Submit's retries stay fast
	_, err := c.Track(context.Background(), "T1", "000")
	var ae *APIError
	if !errors.Is(err, ErrTooManyAttempts) || !errors.As(err, &ae) || ae.RetryAfter != 1500*time.Second {
		t.Fatalf("Track = %v, want ErrTooManyAttempts with RetryAfter 25m", err)
	}
	if n := tracks.Load(); n != 1 {
		t.Errorf("Track sent %d times, want once", n)
	}
	if _, err := c.Submit(context.Background(), []wire.SubmitItem{{ID: "a"}}); err == nil {
		t.Fatal("Submit succeeded against a 429")
	}
	if n := submits.Load(); n < 2 {
		t.Errorf("Submit sent %d times: a 429 must still be retried there", n)
	}
}
