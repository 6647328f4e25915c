package central

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"civicdesk/sync/wire"
)

// fuzzServer is a server for fuzzing: handler called in process, no fsync.
type fuzzServer struct {
	srv      *Server
	h        http.Handler
	device   string
	staff    string
	tracking string
}

func newFuzzServer(f *testing.F) *fuzzServer {
	f.Helper()
	clock := newFakeClock()
	srv, err := Open(Options{Path: filepath.Join(f.TempDir(), "central.db"), Catalog: testCatalog(), Clock: clock.Now, MaxBody: 256 << 10, MaxItems: 50})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	srv.db.NoSync = true
	fs := &fuzzServer{srv: srv, h: srv.Handler()}
	code, _ := srv.MintEnrollCode(time.Hour)
	_, _, fs.device, err = srv.enroll(code, "fuzz", KindKiosk)
	if err != nil {
		f.Fatal(err)
	}
	if fs.staff, err = srv.MintStaffToken("fuzz"); err != nil {
		f.Fatal(err)
	}
	raw, _ := json.Marshal(newItem(validValues()))
	devID, _ := srv.deviceForToken(fs.device)
	res, err := srv.submit(devID, []json.RawMessage{raw})
	if err != nil || res[0].Outcome != wire.Accepted {
		f.Fatalf("seed application: %v %+v", err, res)
	}
	fs.tracking = res[0].Tracking
	return fs
}

// serve runs one request and checks the invariants every answer keeps:
// never a 5xx, always a JSON body (except 304), a wire.Error on 4xx.
func (fs *fuzzServer) serve(t *testing.T, r *http.Request) (int, []byte) {
	t.Helper()
	w := httptest.NewRecorder()
	fs.h.ServeHTTP(w, r)
	b := w.Body.Bytes()
	if w.Code >= 500 {
		t.Fatalf("status %d: %s", w.Code, b)
	}
	if !json.Valid(b) {
		t.Fatalf("status %d with a non-JSON body: %q", w.Code, b)
	}
	if w.Code >= 400 {
		var e wire.Error
		if err := json.Unmarshal(b, &e); err != nil || e.Code == "" || e.Message == "" {
			t.Fatalf("status %d without a proper error body: %s", w.Code, b)
		}
	}
	return w.Code, b
}

func jsonRequest(method, path, token string, body []byte) *http.Request {
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

func FuzzSubmitBody(f *testing.F) {
	fs := newFuzzServer(f)
	good, _ := json.Marshal(wire.SubmitRequest{Items: []wire.SubmitItem{newItem(validValues())}})
	bad := newItem(validValues())
	bad.Values["id_number"] = "110105194912310021"
	mixed, _ := json.Marshal(wire.SubmitRequest{Items: []wire.SubmitItem{newItem(validValues()), bad, {}}})
	for _, seed := range [][]byte{good, mixed, []byte(`{"items":[]}`), []byte(`{"items":[1,"x",null,{"id":7}]}`), []byte(`{"items":`), []byte(`{"items":[{"id":"0192d6f0-7b1a-7cc4-8e4c-3a8f4b2d1e90","service":"residence_permit","values":{"name":{"a":[1,2,{}]}}}]}`)} {
		f.Add(seed, uint8(0))
		f.Add(seed, uint8(2))
		f.Add(gzipBytes(seed), uint8(1))
	}
	f.Fuzz(func(t *testing.T, body []byte, mode uint8) {
		// mode 0: plain; 1: body sent as gzip as is; 2: body compressed here.
		payload := body
		if mode%3 == 2 {
			payload = gzipBytes(body)
		}
		r := jsonRequest("POST", wire.PathSubmit, fs.device, payload)
		if mode%3 != 0 {
			r.Header.Set("Content-Encoding", "gzip")
		}
		status, b := fs.serve(t, r)
		if status != 200 {
			return
		}
		var batch rawBatch
		decodeStrict(body, &batch)
		var sr wire.SubmitResponse
		if err := json.Unmarshal(b, &sr); err != nil {
			t.Fatal(err)
		}
		if mode%3 != 1 && len(sr.Results) != len(batch.Items) {
			t.Fatalf("%d results for %d items", len(sr.Results), len(batch.Items))
		}
		for _, res := range sr.Results {
			if res.Outcome == wire.Accepted && fs.srv.CountByID(res.ID) != 1 {
				t.Fatalf("accepted item not stored")
			}
		}
	})
}

func FuzzEnrollBody(f *testing.F) {
	fs := newFuzzServer(f)
	code, _ := fs.srv.MintEnrollCode(time.Hour)
	for _, seed := range []string{`{"code":"` + code + `","device_name":"kiosk 1","kind":"kiosk"}`, `{"code":""}`, `{"code":"ABCD-EFGH-JKMN","kind":"phone"}`, `{"code":1}`, `{`, `null`, `{"code":"x","extra":true}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fs.serve(t, jsonRequest("POST", wire.PathEnroll, "", body))
	})
}

func FuzzTrackBody(f *testing.F) {
	fs := newFuzzServer(f)
	for _, seed := range []string{`{"tracking":"` + fs.tracking + `","verification_code":"000000"}`, `{"tracking":"","verification_code":""}`, `{"tracking":1}`, `[]`, `{"tracking":"XZ","verification_code":"1","x":2}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fs.serve(t, jsonRequest("POST", wire.PathTrack, fs.device, body))
	})
}

func FuzzStatusUpdateBody(f *testing.F) {
	fs := newFuzzServer(f)
	for _, st := range []string{`{"status":"in_review"}`, `{"status":"completed","note":{"en":"done","zh-Hans":"办结"}}`, `{"status":"queued"}`, `{"status":7}`, `{"note":null}`, `{`} {
		f.Add([]byte(st), fs.tracking)
		f.Add([]byte(st), "XZ/../x")
	}
	f.Fuzz(func(t *testing.T, body []byte, tracking string) {
		r := jsonRequest("POST", wire.PathBackoffice+"/"+url.PathEscape(tracking)+"/status", fs.staff, body)
		status, _ := fs.serve(t, r)
		if status == 200 && tracking != fs.tracking {
			t.Fatalf("status changed for an unknown tracking number")
		}
		if status == 200 {
			var u wire.StatusUpdate
			decodeStrict(body, &u)
			if !u.Status.IsServer() {
				t.Fatalf("accepted status %q", u.Status)
			}
		}
	})
}

func FuzzChangesQuery(f *testing.F) {
	fs := newFuzzServer(f)
	for _, q := range []string{"", "cursor=0&limit=10", "cursor=1", "limit=1000", "limit=0", "cursor=-1", "cursor=%zz", "cursor=18446744073709551615", "limit=99999999999999999999", "cursor=1&cursor=2"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest("GET", wire.PathChanges, nil)
		r.URL.RawQuery = query
		r.Header.Set("Authorization", "Bearer "+fs.device)
		status, b := fs.serve(t, r)
		if status == 200 {
			var cr wire.ChangesResponse
			if err := json.Unmarshal(b, &cr); err != nil || cr.Cursor == "" || cr.Changes == nil {
				t.Fatalf("bad page %s", b)
			}
		}
	})
}

// FuzzBlobPatch throws PATCH headers and bodies at one blob: never a 5xx,
// every answer carries Tus-Resumable, refusals are wire.Errors, the offset
// never passes the size, and a blob that completes holds exactly the bytes
// its name hashes.
func FuzzBlobPatch(f *testing.F) {
	fs := newFuzzServer(f)
	content := []byte("a scanned lease agreement, 64 bytes long, for the fuzz target..")
	sha := sha256Hex(content)
	dev, _ := fs.srv.deviceForToken(fs.device)
	// state is the device's view of the blob: its upload, or the complete
	// blob once it owns it.
	state := func() (wire.BlobStatus, error) {
		rec, ok, err := fs.srv.blobState(dev, sha)
		if err == nil && !ok {
			err = ErrBlobNotFound
		}
		return rec.status(sha), err
	}
	reset := func(t *testing.T) {
		st, err := state()
		if err == nil && !st.Complete {
			return
		}
		if err == nil {
			if err := fs.srv.db.Update(func(tx *bolt.Tx) error { return deleteBlob(tx, sha) }); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := fs.srv.createBlob(dev, wire.BlobCreate{SHA256: sha, Size: int64(len(content)), Type: "image/png"}); err != nil {
			t.Fatal(err)
		}
	}
	good := chunkHeaders(0, content[:20])
	for _, seed := range []struct {
		offset, checksum, ctype string
		body                    []byte
		mode                    uint8
	}{
		{"0", good[wire.HeaderUploadChecksum], wire.ContentTypeChunk, content[:20], 0},
		{"0", "", wire.ContentTypeChunk, content, 3},                   // the whole blob
		{"0", "", wire.ContentTypeChunk, []byte("not the content"), 3}, // wrong bytes, right checksum
		{"", "", "", nil, 1},
		{"-1", "sha256 ", wire.ContentTypeChunk, []byte("x"), 0},
		{"99999999999999999999", "sha256 " + strings.Repeat("A", 43) + "=", wire.ContentTypeChunk, content, 0},
		{"0", "sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=", wire.ContentTypeChunk + "; x=1", content, 1},
		{"00", "sha256 ====", "application/json", content, 0},
	} {
		f.Add(seed.offset, seed.checksum, seed.ctype, seed.body, seed.mode)
	}
	f.Fuzz(func(t *testing.T, offset, checksum, ctype string, body []byte, mode uint8) {
		reset(t)
		st, _ := state()
		r := httptest.NewRequest("PATCH", wire.PathBlobs+"/"+sha, bytes.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+fs.device)
		if mode&1 != 0 { // start where the server is
			offset = strconv.FormatInt(st.Offset, 10)
		}
		if mode&2 != 0 { // a checksum that matches the body
			checksum = chunkHeaders(0, body)[wire.HeaderUploadChecksum]
		}
		for k, v := range map[string]string{wire.HeaderUploadOffset: offset, wire.HeaderUploadChecksum: checksum, "Content-Type": ctype} {
			if strings.ContainsAny(v, "\r\n\x00") {
				return // not a header an HTTP client could send
			}
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		fs.h.ServeHTTP(w, r)
		b := w.Body.Bytes()
		switch {
		case w.Code >= 500:
			t.Fatalf("status %d: %s", w.Code, b)
		case w.Header().Get(wire.HeaderTusResumable) != wire.TusVersion:
			t.Fatalf("status %d without Tus-Resumable", w.Code)
		case w.Code == http.StatusNoContent:
			if len(b) != 0 {
				t.Fatalf("204 with a body")
			}
		default:
			var e wire.Error
			if err := json.Unmarshal(b, &e); err != nil || e.Code == "" || e.Message == "" {
				t.Fatalf("status %d without a proper error body: %s", w.Code, b)
			}
		}
		after, err := state()
		if err != nil {
			if errors.Is(err, ErrBlobNotFound) && w.Code == http.StatusUnprocessableEntity {
				return // dropped: its bytes did not hash to its name
			}
			t.Fatalf("Blob after status %d: %v", w.Code, err)
		}
		if after.Offset > after.Size || (w.Code != http.StatusNoContent && after.Offset != st.Offset) {
			t.Fatalf("status %d moved the offset from %d to %d (size %d)", w.Code, st.Offset, after.Offset, after.Size)
		}
		if w.Code == http.StatusNoContent && w.Header().Get(wire.HeaderUploadOffset) != strconv.FormatInt(after.Offset, 10) {
			t.Fatalf("204 with Upload-Offset %q, server at %d", w.Header().Get(wire.HeaderUploadOffset), after.Offset)
		}
		if after.Complete {
			var buf bytes.Buffer
			if _, err := fs.srv.WriteBlob(sha, &buf); err != nil || !bytes.Equal(buf.Bytes(), content) {
				t.Fatalf("complete blob holds other bytes (%v)", err)
			}
		}
	})
}

// FuzzInteractionsBody throws bodies at POST /v1/interactions: never a 5xx,
// refusals are wire.Errors, every item gets a result, an accepted item is
// stored and valid, and no ticket number is held by two stored tickets.
func FuzzInteractionsBody(f *testing.F) {
	fs := newFuzzServer(f)
	good, _ := json.Marshal(wire.InteractionsRequest{Items: []wire.Interaction{
		ticketItem("gulou", "20260302", "1", 1), ratingItem(2, "slow"), feedbackItem(wire.FeedbackComplaint, "cold hall")}})
	noComment := ratingItem(1, "")
	clash := ticketItem("gulou", "20260302", "1", 1)
	mixed, _ := json.Marshal(wire.InteractionsRequest{Items: []wire.Interaction{noComment, clash, clash, {}}})
	for _, seed := range [][]byte{good, mixed, []byte(`{"items":[]}`), []byte(`{"items":null}`), []byte(`{"items":[1,"x",null,{"id":7}]}`), []byte(`{"items":`),
		[]byte(`{"items":[{"id":"0192d6f0-7b1a-7cc4-8e4c-3a8f4b2d1e90","kind":"rating","created_at":"0000-01-01T00:00:00+01:00","rating":{"score":5}}]}`),
		[]byte(`{"items":[{"id":"0192d6f0-7b1a-7cc4-8e4c-3a8f4b2d1e91","kind":"ticket","ticket":{"kiosk":"1","category":"A","day":"20260302","seq":1,"number":"A1-001"},"rating":{"score":1}}]}`)} {
		f.Add(seed, uint8(0))
		f.Add(seed, uint8(2))
		f.Add(gzipBytes(seed), uint8(1))
	}
	f.Fuzz(func(t *testing.T, body []byte, mode uint8) {
		// mode 0: plain; 1: body sent as gzip as is; 2: body compressed here.
		payload := body
		if mode%3 == 2 {
			payload = gzipBytes(body)
		}
		r := jsonRequest("POST", wire.PathInteractions, fs.device, payload)
		if mode%3 != 0 {
			r.Header.Set("Content-Encoding", "gzip")
		}
		status, b := fs.serve(t, r)
		if status != 200 {
			return
		}
		var ir wire.InteractionsResponse
		if err := json.Unmarshal(b, &ir); err != nil || ir.Results == nil {
			t.Fatalf("bad answer %s (%v)", b, err)
		}
		if mode%3 != 1 {
			var batch rawBatch
			decodeStrict(body, &batch)
			if len(ir.Results) != len(batch.Items) {
				t.Fatalf("%d results for %d items", len(ir.Results), len(batch.Items))
			}
		}
		list, err := fs.srv.Interactions(InteractionFilter{})
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]wire.BackofficeInteraction{}
		numbers := map[string]string{}
		for _, in := range list {
			byID[in.ID] = in
			if in.Ticket != nil {
				k := in.Hall + "|" + in.Ticket.Day + "|" + in.Ticket.Number
				if other, ok := numbers[k]; ok && other != in.ID {
					t.Fatalf("ticket number held twice")
				}
				numbers[k] = in.ID
			}
		}
		for _, res := range ir.Results {
			if res.Outcome != wire.Accepted {
				continue
			}
			in, ok := byID[res.ID]
			if !ok {
				t.Fatalf("accepted item not stored")
			}
			if errs := in.Interaction.Check(); len(errs) != 0 {
				t.Fatalf("stored an invalid interaction: %+v", errs)
			}
			if in.FollowUp != in.Interaction.FollowUp() || res.FollowUp != in.FollowUp || res.Reference != in.Reference {
				t.Fatalf("result %+v disagrees with the stored row", res)
			}
		}
	})
}
