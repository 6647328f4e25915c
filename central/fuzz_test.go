package central

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

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
