package engine

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/assets"
	"civicdesk/sync/wire"
)

// fakeCentral is a central API on 127.0.0.1 speaking the wire types, with
// idempotent submission and knobs to make it misbehave.
type fakeCentral struct {
	t   *testing.T
	srv *httptest.Server

	mu  sync.Mutex
	now time.Time // the server's clock
	// behaviour
	outcome      map[string]wire.Outcome // per id; default Accepted
	badBatch     map[string]bool         // a batch holding this id gets HTTP 400
	omit         map[string]bool         // the answer leaves this id out
	submitFail   []int                   // statuses for the next submits, consumed in order (0: answer normally)
	dropAfter    int                     // next N submits: commit, then cut the answer off
	healthStatus int                     // non-zero: health answers this status
	healthHTML   bool                    // health answers a captive portal page
	block        chan struct{}           // non-nil: submit waits for it to close
	seen         chan struct{}           // receives when a submit arrives (non-blocking)
	changes      []wire.Change
	catETag      string
	catBody      []byte
	// records
	accepted     map[string]wire.ItemResult
	acceptCount  map[string]int
	batchSizes   []int
	health       int
	cursorsAsked []string
	cat200       int
	cat304       int
	inflight     int
	maxInflight  int
	conns        int
}

var serverNow = time.Date(2030, 3, 1, 9, 0, 0, 0, time.UTC)

func newFakeCentral(t *testing.T) *fakeCentral {
	f := &fakeCentral{t: t, now: serverNow, outcome: map[string]wire.Outcome{}, badBatch: map[string]bool{}, omit: map[string]bool{},
		accepted: map[string]wire.ItemResult{}, acceptCount: map[string]int{},
		catETag: `"c1"`, seen: make(chan struct{}, 100)}
	f.catBody = assets.CatalogJSON
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.mu.Lock()
			f.conns++
			f.mu.Unlock()
		}
	}
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeCentral) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.inflight++
	f.maxInflight = max(f.maxInflight, f.inflight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inflight--
		f.mu.Unlock()
	}()
	if r.URL.Path != wire.PathHealth && r.Header.Get("Authorization") != "Bearer dev" {
		writeJSON(w, http.StatusUnauthorized, wire.Error{Code: "unauthorized"})
		return
	}
	switch r.URL.Path {
	case wire.PathHealth:
		f.serveHealth(w)
	case wire.PathSubmit:
		f.serveSubmit(w, r)
	case wire.PathChanges:
		f.serveChanges(w, r)
	case wire.PathCatalog:
		f.serveCatalog(w, r)
	default:
		http.NotFound(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeCentral) serveHealth(w http.ResponseWriter) {
	f.mu.Lock()
	f.health++
	status, html, now := f.healthStatus, f.healthHTML, f.now
	f.mu.Unlock()
	switch {
	case html:
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><body>Please log in to the hall Wi-Fi</body></html>")
	case status != 0:
		writeJSON(w, status, wire.Error{Code: "unavailable"})
	default:
		writeJSON(w, http.StatusOK, wire.Health{Service: wire.HealthService, OK: true, APIVersion: 1, ServerTime: now})
	}
}

func (f *fakeCentral) serveSubmit(w http.ResponseWriter, r *http.Request) {
	select {
	case f.seen <- struct{}{}:
	default:
	}
	f.mu.Lock()
	block := f.block
	f.mu.Unlock()
	if block != nil {
		<-block
	}
	zr, err := gzip.NewReader(r.Body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, wire.Error{Code: "bad_request", Message: "body must be gzip"})
		return
	}
	var req wire.SubmitRequest
	if err := json.NewDecoder(zr).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, wire.Error{Code: "bad_request"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batchSizes = append(f.batchSizes, len(req.Items))
	if len(f.submitFail) > 0 {
		st := f.submitFail[0]
		f.submitFail = f.submitFail[1:]
		if st != 0 {
			writeJSON(w, st, wire.Error{Code: "unavailable", Message: "try later"})
			return
		}
	}
	for _, it := range req.Items {
		if f.badBatch[it.ID] {
			writeJSON(w, http.StatusBadRequest, wire.Error{Code: "bad_request", Message: "an item cannot be decoded",
				Errors: []catalog.FieldError{{Field: "values", Code: "malformed"}}})
			return
		}
	}
	resp := wire.SubmitResponse{ServerTime: f.now}
	for _, it := range req.Items {
		if !f.omit[it.ID] {
			resp.Results = append(resp.Results, f.result(it))
		}
	}
	if f.dropAfter > 0 {
		f.dropAfter--
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "100000")
		io.WriteString(w, `{"results":[`)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// result is the idempotent per-item answer; f.mu is held.
func (f *fakeCentral) result(it wire.SubmitItem) wire.ItemResult {
	if prev, ok := f.accepted[it.ID]; ok {
		prev.Duplicate = true
		return prev
	}
	switch o := f.outcome[it.ID]; o {
	case wire.Invalid:
		return wire.ItemResult{ID: it.ID, Outcome: o, Message: "fix the fields",
			Errors: []catalog.FieldError{{Field: "id_number", Code: "id_number.checksum"}}}
	case wire.Conflict, wire.Retry:
		return wire.ItemResult{ID: it.ID, Outcome: o, Message: string(o)}
	}
	r := wire.ItemResult{ID: it.ID, Outcome: wire.Accepted, Tracking: fmt.Sprintf("T-%s", it.ID),
		VerificationCode: "4711", Status: lifecycle.Received, AcceptedAt: f.now}
	f.accepted[it.ID] = r
	f.acceptCount[it.ID]++
	return r
}

func (f *fakeCentral) serveChanges(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cur := r.URL.Query().Get("cursor")
	f.cursorsAsked = append(f.cursorsAsked, cur)
	from, _ := strconv.Atoi(cur)
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	to := min(len(f.changes), from+limit)
	writeJSON(w, http.StatusOK, wire.ChangesResponse{Changes: f.changes[from:to], Cursor: strconv.Itoa(to),
		More: to < len(f.changes), ServerTime: f.now})
}

func (f *fakeCentral) serveCatalog(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("ETag", f.catETag)
	if r.Header.Get("If-None-Match") == f.catETag {
		f.cat304++
		w.WriteHeader(http.StatusNotModified)
		return
	}
	f.cat200++
	w.Header().Set("Content-Type", "application/json")
	w.Write(f.catBody)
}

// do runs fn with the server's lock held (to set knobs or read records).
func (f *fakeCentral) do(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}
