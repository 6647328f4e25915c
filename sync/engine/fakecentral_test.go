package engine

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
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
	// blobs (tus-like resumable uploads, see wire/blobs.go)
	blobs    map[string]*fakeBlob
	patchCut map[int]bool               // the n-th PATCH (from 1) reads part of its body, then the connection is cut
	patchBad int                        // the next N PATCHes are answered 460
	onPatch  func(sha string)           // runs (lock held) before a PATCH is handled
	blobRecv int64                      // PATCH body bytes read, cut ones included
	patches  int                        // PATCH requests
	creates  int                        // POST /v1/blobs requests
	heads    int                        // HEAD requests
	calls    []string                   // "create", "patch", "head", "submit" in order
	items    map[string]wire.SubmitItem // last submitted version of each item
	notices  fakeNotices                // see notices_test.go
	inter    fakeInteractions           // see interactions_test.go
	trace    []string                   // "submit", "interact", "changes" in order
}

// fakeBlob is the server's copy of a blob: data holds the bytes received.
type fakeBlob struct {
	size     int64
	data     []byte
	complete bool
}

var serverNow = time.Date(2030, 3, 1, 9, 0, 0, 0, time.UTC)

func newFakeCentral(t *testing.T) *fakeCentral {
	f := &fakeCentral{t: t, now: serverNow, outcome: map[string]wire.Outcome{}, badBatch: map[string]bool{}, omit: map[string]bool{},
		accepted: map[string]wire.ItemResult{}, acceptCount: map[string]int{},
		blobs: map[string]*fakeBlob{}, patchCut: map[int]bool{}, items: map[string]wire.SubmitItem{},
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
	case wire.PathBlobs:
		f.serveBlobCreate(w, r)
	case wire.PathNotices:
		f.serveNotices(w, r)
	case wire.PathInteractions:
		f.serveInteractions(w, r)
	default:
		if sha, ok := strings.CutPrefix(r.URL.Path, wire.PathBlobs+"/"); ok {
			f.serveBlob(w, r, sha)
			return
		}
		http.NotFound(w, r)
	}
}

func blobStatus(sha string, b *fakeBlob) wire.BlobStatus {
	return wire.BlobStatus{SHA256: sha, Size: b.size, Offset: int64(len(b.data)), Complete: b.complete}
}

func (f *fakeCentral) serveBlobCreate(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(wire.HeaderTusResumable, wire.TusVersion)
	var bc wire.BlobCreate
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&bc) != nil || len(bc.SHA256) != 64 || bc.Size <= 0 || bc.Size > wire.MaxBlob {
		writeJSON(w, http.StatusBadRequest, wire.Error{Code: "bad_request"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.creates++
	f.calls = append(f.calls, "create")
	if b, ok := f.blobs[bc.SHA256]; ok {
		writeJSON(w, http.StatusOK, blobStatus(bc.SHA256, b))
		return
	}
	b := &fakeBlob{size: bc.Size}
	f.blobs[bc.SHA256] = b
	writeJSON(w, http.StatusCreated, blobStatus(bc.SHA256, b))
}

func (f *fakeCentral) serveBlob(w http.ResponseWriter, r *http.Request, sha string) {
	w.Header().Set(wire.HeaderTusResumable, wire.TusVersion)
	if r.Method == http.MethodHead {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.heads++
		f.calls = append(f.calls, "head")
		b, ok := f.blobs[sha]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set(wire.HeaderUploadOffset, strconv.Itoa(len(b.data)))
		w.Header().Set(wire.HeaderUploadLength, strconv.FormatInt(b.size, 10))
		return
	}
	if r.Method != http.MethodPatch || r.Header.Get("Content-Type") != wire.ContentTypeChunk {
		writeJSON(w, http.StatusBadRequest, wire.Error{Code: "bad_request"})
		return
	}
	f.mu.Lock()
	f.patches++
	f.calls = append(f.calls, "patch")
	cut := f.patchCut[f.patches]
	f.mu.Unlock()
	if cut {
		// Part of the chunk arrives, then the link drops: nothing is kept.
		n, _ := io.CopyN(io.Discard, r.Body, r.ContentLength/2)
		f.mu.Lock()
		f.blobRecv += n
		f.mu.Unlock()
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
		return
	}
	chunk, err := io.ReadAll(io.LimitReader(r.Body, wire.MaxChunk+1))
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blobRecv += int64(len(chunk))
	if err != nil {
		return
	}
	if len(chunk) > wire.MaxChunk {
		writeJSON(w, http.StatusRequestEntityTooLarge, wire.Error{Code: "too_large"})
		return
	}
	if f.onPatch != nil {
		f.onPatch(sha)
	}
	b, ok := f.blobs[sha]
	if !ok {
		writeJSON(w, http.StatusNotFound, wire.Error{Code: "not_found"})
		return
	}
	off, err := strconv.ParseInt(r.Header.Get(wire.HeaderUploadOffset), 10, 64)
	if err != nil || off != int64(len(b.data)) || b.complete {
		w.Header().Set(wire.HeaderUploadOffset, strconv.Itoa(len(b.data)))
		writeJSON(w, http.StatusConflict, wire.Error{Code: "offset_mismatch"})
		return
	}
	sum := sha256.Sum256(chunk)
	if f.patchBad > 0 || r.Header.Get(wire.HeaderUploadChecksum) != "sha256 "+base64.StdEncoding.EncodeToString(sum[:]) {
		if f.patchBad > 0 {
			f.patchBad--
		}
		writeJSON(w, wire.StatusChecksumMismatch, wire.Error{Code: "checksum_mismatch"})
		return
	}
	if off+int64(len(chunk)) > b.size {
		writeJSON(w, http.StatusBadRequest, wire.Error{Code: "past_the_end"})
		return
	}
	b.data = append(b.data, chunk...)
	if int64(len(b.data)) == b.size {
		whole := sha256.Sum256(b.data)
		if hex.EncodeToString(whole[:]) != sha {
			delete(f.blobs, sha)
			writeJSON(w, http.StatusUnprocessableEntity, wire.Error{Code: "blob_corrupt"})
			return
		}
		b.complete = true
	}
	w.Header().Set(wire.HeaderUploadOffset, strconv.Itoa(len(b.data)))
	w.WriteHeader(http.StatusNoContent)
}

// missingBlob is the Retry answer for an item naming a blob the server
// does not hold complete, or ok false; f.mu is held.
func (f *fakeCentral) missingBlob(it wire.SubmitItem) (wire.ItemResult, bool) {
	var fes []catalog.FieldError
	for _, a := range it.Attachments {
		if b := f.blobs[a.SHA256]; b != nil && b.complete && b.size == a.Size {
			continue
		}
		field := "attachments"
		for name, v := range it.Values {
			if m, ok := v.(map[string]any); ok && m["sha256"] == a.SHA256 {
				field = name
			}
		}
		fes = append(fes, catalog.FieldError{Field: field, Code: wire.CodeBlobMissing})
	}
	if len(fes) == 0 {
		return wire.ItemResult{}, false
	}
	return wire.ItemResult{ID: it.ID, Outcome: wire.Retry, Message: "upload the attachments first", Errors: fes}, true
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
	f.calls = append(f.calls, "submit")
	f.trace = append(f.trace, "submit")
	for _, it := range req.Items {
		f.items[it.ID] = it
	}
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
	if r, ok := f.missingBlob(it); ok {
		return r
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
	f.trace = append(f.trace, "changes")
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
