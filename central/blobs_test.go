package central

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"

	"civicdesk/app/catalog"
	"civicdesk/sync/wire"
)

// chunkHeaders are the headers of a PATCH carrying chunk at offset off.
func chunkHeaders(off int64, chunk []byte) map[string]string {
	sum := sha256.Sum256(chunk)
	return map[string]string{
		"Content-Type":            wire.ContentTypeChunk,
		wire.HeaderUploadOffset:   strconv.FormatInt(off, 10),
		wire.HeaderUploadChecksum: "sha256 " + base64.StdEncoding.EncodeToString(sum[:]),
	}
}

// randomBytes returns n reproducible pseudo-random bytes.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// createBlob announces data as a blob and returns the answer.
func (f *fixture) createBlob(tok string, data []byte, typ string, want int) wire.BlobStatus {
	f.t.Helper()
	var st wire.BlobStatus
	resp := f.doJSON(request{method: "POST", path: wire.PathBlobs, token: tok,
		body: wire.BlobCreate{SHA256: sha256Hex(data), Size: int64(len(data)), Type: typ}}, want, &st)
	checkTus(f.t, "POST", resp)
	return st
}

// patch sends one chunk and returns the answer's status and Upload-Offset.
func (f *fixture) patch(tok, sha string, off int64, chunk []byte) (int, int64) {
	f.t.Helper()
	resp, b := f.do(request{method: "PATCH", path: wire.PathBlobs + "/" + sha, token: tok, raw: chunk, header: chunkHeaders(off, chunk)})
	checkTus(f.t, "PATCH", resp)
	if resp.StatusCode == http.StatusNoContent && len(b) != 0 {
		f.t.Fatalf("204 with a body: %s", b)
	}
	n, _ := strconv.ParseInt(resp.Header.Get(wire.HeaderUploadOffset), 10, 64)
	return resp.StatusCode, n
}

// head asks a blob's offset; ok is false on 404.
func (f *fixture) head(tok, sha string) (offset, size int64, ok bool) {
	f.t.Helper()
	resp, b := f.do(request{method: "HEAD", path: wire.PathBlobs + "/" + sha, token: tok})
	checkTus(f.t, "HEAD", resp)
	if len(b) != 0 {
		f.t.Fatalf("HEAD answered with a body")
	}
	switch resp.StatusCode {
	case http.StatusNotFound:
		return 0, 0, false
	case http.StatusOK:
	default:
		f.t.Fatalf("HEAD: status %d", resp.StatusCode)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		f.t.Fatal("HEAD answer may be cached")
	}
	offset, err1 := strconv.ParseInt(resp.Header.Get(wire.HeaderUploadOffset), 10, 64)
	size, err2 := strconv.ParseInt(resp.Header.Get(wire.HeaderUploadLength), 10, 64)
	if err1 != nil || err2 != nil {
		f.t.Fatalf("HEAD headers %v", resp.Header)
	}
	return offset, size, true
}

// uploadBlob creates and uploads data in chunks of chunk bytes.
func (f *fixture) uploadBlob(tok string, data []byte, typ string, chunk int) string {
	f.t.Helper()
	sha := sha256Hex(data)
	st := f.createBlob(tok, data, typ, 201)
	for off := st.Offset; off < int64(len(data)); {
		end := min(off+int64(chunk), int64(len(data)))
		status, next := f.patch(tok, sha, off, data[off:end])
		if status != http.StatusNoContent || next != end {
			f.t.Fatalf("PATCH at %d: status %d, offset %d", off, status, next)
		}
		off = next
	}
	return sha
}

func checkTus(t *testing.T, what string, resp *http.Response) {
	t.Helper()
	if v := resp.Header.Get(wire.HeaderTusResumable); v != wire.TusVersion {
		t.Fatalf("%s: Tus-Resumable %q", what, v)
	}
}

// blobBytes reads a blob back from the server.
func (f *fixture) blobBytes(sha string) []byte {
	f.t.Helper()
	var buf bytes.Buffer
	if _, err := f.srv.WriteBlob(sha, &buf); err != nil {
		f.t.Fatalf("WriteBlob: %v", err)
	}
	return buf.Bytes()
}

func TestBlobUploadInChunks(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	data := randomBytes(350_000, 1)
	sha := sha256Hex(data)

	st := f.createBlob(tok, data, "image/jpeg", 201)
	if st != (wire.BlobStatus{SHA256: sha, Size: int64(len(data))}) {
		t.Fatalf("create: %+v", st)
	}
	if off, size, ok := f.head(tok, sha); !ok || off != 0 || size != int64(len(data)) {
		t.Fatalf("HEAD after create: %d/%d %v", off, size, ok)
	}
	// Announcing it again before any byte arrived changes nothing.
	if st := f.createBlob(tok, data, "image/jpeg", 200); st.Offset != 0 || st.Complete {
		t.Fatalf("create again: %+v", st)
	}
	const chunk = 100_000
	for off := int64(0); off < int64(len(data)); off += chunk {
		end := min(off+chunk, int64(len(data)))
		if status, next := f.patch(tok, sha, off, data[off:end]); status != 204 || next != end {
			t.Fatalf("PATCH at %d: %d, offset %d", off, status, next)
		}
		if got, _, _ := f.head(tok, sha); got != end {
			t.Fatalf("HEAD after PATCH: offset %d, want %d", got, end)
		}
		if end < int64(len(data)) {
			if b, err := f.srv.Blob(sha); !errors.Is(err, ErrBlobNotFound) {
				t.Fatalf("complete before the last chunk: %+v %v", b, err)
			}
		}
	}
	if st := f.createBlob(tok, data, "image/jpeg", 200); !st.Complete || st.Offset != st.Size {
		t.Fatalf("create after upload: %+v, want complete with offset = size", st)
	}
	if off, size, _ := f.head(tok, sha); off != size {
		t.Fatalf("HEAD of a complete blob: %d/%d", off, size)
	}
	if !bytes.Equal(f.blobBytes(sha), data) {
		t.Fatal("stored bytes differ")
	}
	if s := f.srv.UploadStats(); s.BytesStored != int64(len(data)) || s.BytesReceived != int64(len(data)) || s.ChunksRefused != 0 {
		t.Fatalf("stats %+v", s)
	}
	// Another device sees nothing of it: it has to send the bytes itself
	// (blobs_privacy_test.go has the rest).
	_, tok2 := f.enroll("phone")
	if st := f.createBlob(tok2, data, "image/jpeg", 201); st.Complete || st.Offset != 0 {
		t.Fatalf("create by another device: %+v", st)
	}
	// A zero-length PATCH at the end changes nothing.
	if status, off := f.patch(tok, sha, int64(len(data)), nil); status != 204 || off != int64(len(data)) {
		t.Fatalf("empty PATCH: %d %d", status, off)
	}
}

// errAfter is a body that breaks after its bytes, as a cut connection does.
type errAfter struct{ r io.Reader }

func (e *errAfter) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

func TestBlobResumeAfterCut(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	data := randomBytes(300_000, 2)
	sha := sha256Hex(data)
	f.createBlob(tok, data, "application/pdf", 201)
	if status, _ := f.patch(tok, sha, 0, data[:100_000]); status != 204 {
		t.Fatalf("first chunk: %d", status)
	}
	chunk := data[100_000:200_000]

	t.Run("body cut in process", func(t *testing.T) {
		r := httptest.NewRequest("PATCH", wire.PathBlobs+"/"+sha, &errAfter{bytes.NewReader(chunk[:40_000])})
		r.ContentLength = int64(len(chunk))
		for k, v := range chunkHeaders(100_000, chunk) {
			r.Header.Set(k, v)
		}
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		f.srv.Handler().ServeHTTP(w, r)
		resp := w.Result()
		checkError(t, "cut PATCH", resp, w.Body.Bytes(), 400, codeBadRequest)
		checkTus(t, "cut PATCH", resp)
		if resp.Header.Get(wire.HeaderUploadOffset) != "100000" {
			t.Fatalf("cut answer's offset %q", resp.Header.Get(wire.HeaderUploadOffset))
		}
		if off, _, _ := f.head(tok, sha); off != 100_000 {
			t.Fatalf("offset after a cut chunk: %d, want 100000 (nothing stored)", off)
		}
	})
	t.Run("connection cut", func(t *testing.T) {
		handled := make(chan struct{}, 1)
		done := func() { handled <- struct{}{} }
		f.srv.patchDone.Store(&done)
		defer f.srv.patchDone.Store(nil)
		before := f.srv.UploadStats()
		conn, err := net.Dial("tcp", f.ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		var req bytes.Buffer
		fmt.Fprintf(&req, "PATCH %s/%s HTTP/1.1\r\nHost: central\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n", wire.PathBlobs, sha, tok, len(chunk))
		for k, v := range chunkHeaders(100_000, chunk) {
			fmt.Fprintf(&req, "%s: %s\r\n", k, v)
		}
		req.WriteString("\r\n")
		req.Write(chunk[:90_000]) // 90 % of the chunk, then the link drops
		if _, err := conn.Write(req.Bytes()); err != nil {
			t.Fatal(err)
		}
		conn.Close()
		<-handled
		after := f.srv.UploadStats()
		if after.BytesStored != before.BytesStored || after.ChunksRefused != before.ChunksRefused+1 {
			t.Fatalf("stats before %+v, after %+v", before, after)
		}
		if got := after.BytesReceived - before.BytesReceived; got != 90_000 {
			t.Fatalf("received %d bytes of the cut chunk, want 90000", got)
		}
		if off, _, _ := f.head(tok, sha); off != 100_000 {
			t.Fatalf("offset after a cut connection: %d, want 100000", off)
		}
	})
	t.Run("resume from HEAD", func(t *testing.T) {
		off, size, _ := f.head(tok, sha)
		for off < size {
			end := min(off+100_000, size)
			status, next := f.patch(tok, sha, off, data[off:end])
			if status != 204 {
				t.Fatalf("PATCH at %d: %d", off, status)
			}
			off = next
		}
		if !bytes.Equal(f.blobBytes(sha), data) {
			t.Fatal("stored bytes differ")
		}
	})
}

func TestBlobSurvivesRestart(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	data := randomBytes(3*wire.MaxChunk+123, 3)
	sha := sha256Hex(data)
	f.createBlob(tok, data, "image/jpeg", 201)
	for off := 0; off < 2*wire.MaxChunk; off += wire.MaxChunk {
		if status, _ := f.patch(tok, sha, int64(off), data[off:off+wire.MaxChunk]); status != 204 {
			t.Fatalf("PATCH at %d: %d", off, status)
		}
	}
	f.reopen()
	off, size, ok := f.head(tok, sha)
	if !ok || off != 2*wire.MaxChunk || size != int64(len(data)) {
		t.Fatalf("after restart: %d/%d %v", off, size, ok)
	}
	if st := f.createBlob(tok, data, "image/jpeg", 200); st.Offset != off || st.Complete {
		t.Fatalf("create after restart: %+v", st)
	}
	for off < size {
		end := min(off+wire.MaxChunk, size)
		status, next := f.patch(tok, sha, off, data[off:end])
		if status != 204 || next != end {
			t.Fatalf("PATCH at %d: %d %d", off, status, next)
		}
		off = next
	}
	f.reopen()
	if b, err := f.srv.Blob(sha); err != nil || !b.Complete {
		t.Fatalf("complete blob after restart: %+v %v", b, err)
	}
	if !bytes.Equal(f.blobBytes(sha), data) {
		t.Fatal("stored bytes differ")
	}
}

func TestBlobPatchErrors(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	staff := f.staffToken()
	data := randomBytes(20_000, 4)
	sha := sha256Hex(data)
	f.createBlob(tok, data, "image/png", 201)
	if status, _ := f.patch(tok, sha, 0, data[:5000]); status != 204 {
		t.Fatal("first chunk refused")
	}
	path := wire.PathBlobs + "/" + sha
	next := data[5000:10_000]
	with := func(change map[string]string) map[string]string {
		h := chunkHeaders(5000, next)
		for k, v := range change {
			if v == "" {
				delete(h, k)
			} else {
				h[k] = v
			}
		}
		return h
	}
	otherSum := chunkHeaders(0, []byte("x"))[wire.HeaderUploadChecksum]
	tooLong := append(bytes.Clone(data[5000:]), 'x')
	cases := []struct {
		name       string
		rq         request
		status     int
		code       string
		wantOffset string // Upload-Offset the answer must carry ("" = none required)
	}{
		{"offset behind", request{path: path, raw: next, header: with(map[string]string{wire.HeaderUploadOffset: "0"})}, 409, codeOffsetMismatch, "5000"},
		{"offset ahead", request{path: path, raw: next, header: with(map[string]string{wire.HeaderUploadOffset: "10000"})}, 409, codeOffsetMismatch, "5000"},
		{"checksum mismatch", request{path: path, raw: next, header: with(map[string]string{wire.HeaderUploadChecksum: otherSum})}, 460, codeChecksumMismatch, "5000"},
		{"flipped byte", request{path: path, raw: append([]byte{next[0] ^ 1}, next[1:]...), header: with(nil)}, 460, codeChecksumMismatch, "5000"},
		{"past the end", request{path: path, raw: tooLong, header: with(map[string]string{wire.HeaderUploadChecksum: chunkHeaders(0, tooLong)[wire.HeaderUploadChecksum]})}, 413, codeTooLarge, "5000"},
		{"unknown blob", request{path: wire.PathBlobs + "/" + strings.Repeat("c", 64), raw: next, header: with(nil)}, 404, codeNotFound, ""},
		{"upper-case sha", request{path: wire.PathBlobs + "/" + strings.ToUpper(sha), raw: next, header: with(nil)}, 400, codeBadRequest, ""},
		{"short sha", request{path: wire.PathBlobs + "/" + sha[:63], raw: next, header: with(nil)}, 400, codeBadRequest, ""},
		{"not hex", request{path: wire.PathBlobs + "/" + strings.Repeat("z", 64), raw: next, header: with(nil)}, 400, codeBadRequest, ""},
		{"no offset", request{path: path, raw: next, header: with(map[string]string{wire.HeaderUploadOffset: ""})}, 400, codeBadRequest, ""},
		{"negative offset", request{path: path, raw: next, header: with(map[string]string{wire.HeaderUploadOffset: "-5000"})}, 400, codeBadRequest, ""},
		{"signed offset", request{path: path, raw: next, header: with(map[string]string{wire.HeaderUploadOffset: "+5000"})}, 400, codeBadRequest, ""},
		{"offset not a number", request{path: path, raw: next, header: with(map[string]string{wire.HeaderUploadOffset: "5k"})}, 400, codeBadRequest, ""},
		{"no checksum", request{path: path, raw: next, header: with(map[string]string{wire.HeaderUploadChecksum: ""})}, 400, codeBadRequest, ""},
		{"md5 checksum", request{path: path, raw: next, header: with(map[string]string{wire.HeaderUploadChecksum: "md5 1B2M2Y8AsgTpgAmY7PhCfg=="})}, 400, codeBadRequest, ""},
		{"checksum not base64", request{path: path, raw: next, header: with(map[string]string{wire.HeaderUploadChecksum: "sha256 !!!"})}, 400, codeBadRequest, ""},
		{"checksum too short", request{path: path, raw: next, header: with(map[string]string{wire.HeaderUploadChecksum: "sha256 AAAA"})}, 400, codeBadRequest, ""},
		{"json content type", request{path: path, raw: next, header: with(map[string]string{"Content-Type": "application/json"})}, 415, codeUnsupportedMedia, ""},
		{"gzip encoding", request{path: path, raw: next, header: with(map[string]string{"Content-Encoding": "gzip"})}, 415, codeUnsupportedMedia, ""},
		{"tus version", request{path: path, raw: next, header: with(map[string]string{wire.HeaderTusResumable: "0.2.2"})}, 412, codeUnsupportedVersion, ""},
		{"no token", request{path: path, raw: next, header: with(nil), token: "-"}, 401, codeUnauthorized, ""},
		{"staff token", request{path: path, raw: next, header: with(nil), token: staff}, 401, codeUnauthorized, ""},
		{"GET is not allowed", request{method: "GET", path: path}, 405, codeMethodNotAllowed, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rq := tc.rq
			if rq.method == "" {
				rq.method = "PATCH"
			}
			switch rq.token {
			case "":
				rq.token = tok
			case "-":
				rq.token = ""
			}
			resp, b := f.do(rq)
			checkError(t, tc.name, resp, b, tc.status, tc.code)
			checkTus(t, tc.name, resp)
			if got := resp.Header.Get(wire.HeaderUploadOffset); tc.wantOffset != "" && got != tc.wantOffset {
				t.Fatalf("Upload-Offset %q, want %s", got, tc.wantOffset)
			}
			if off, _, _ := f.head(tok, sha); off != 5000 {
				t.Fatalf("a refused chunk moved the offset to %d", off)
			}
		})
	}
	t.Run("chunk over the limit", func(t *testing.T) {
		big := randomBytes(wire.MaxChunk+1, 5)
		r := httptest.NewRequest("PATCH", path, bytes.NewReader(big))
		for k, v := range chunkHeaders(5000, big) {
			r.Header.Set(k, v)
		}
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		f.srv.Handler().ServeHTTP(w, r)
		checkError(t, "big chunk", w.Result(), w.Body.Bytes(), 413, codeTooLarge)
		checkTus(t, "big chunk", w.Result())
		// Without a Content-Length (chunked transfer), the limit still holds.
		req, _ := http.NewRequest("PATCH", f.ts.URL+path, io.MultiReader(bytes.NewReader(big)))
		for k, v := range chunkHeaders(5000, big) {
			req.Header.Set(k, v)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.ContentLength = -1
		resp, err := f.ts.Client().Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			checkError(t, "big streamed chunk", resp, b, 413, codeTooLarge)
		} // else the server hung up mid-upload, which is fine too
		if off, _, _ := f.head(tok, sha); off != 5000 {
			t.Fatalf("a refused chunk moved the offset to %d", off)
		}
	})
	t.Run("HEAD errors", func(t *testing.T) {
		for _, tc := range []struct {
			path, token string
			status      int
		}{
			{wire.PathBlobs + "/" + strings.Repeat("d", 64), tok, 404},
			{wire.PathBlobs + "/" + strings.ToUpper(sha), tok, 400},
			{path, "", 401},
			{path, staff, 401},
		} {
			resp, b := f.do(request{method: "HEAD", path: tc.path, token: tc.token})
			if resp.StatusCode != tc.status || len(b) != 0 {
				t.Fatalf("HEAD %s: %d with %d bytes, want %d", tc.path, resp.StatusCode, len(b), tc.status)
			}
			checkTus(t, "HEAD", resp)
		}
	})
	if s := f.srv.UploadStats(); s.BytesStored != 5000 {
		t.Fatalf("stored %d bytes, want 5000", s.BytesStored)
	}
}

func TestBlobConcurrentPatchesAtOneOffset(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	data := randomBytes(200_000, 6)
	sha := sha256Hex(data)
	f.createBlob(tok, data, "image/png", 201)
	const n = 4
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, _ := f.do(request{method: "PATCH", path: wire.PathBlobs + "/" + sha, token: tok, raw: data[:100_000], header: chunkHeaders(0, data[:100_000])})
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	won := 0
	for _, s := range statuses {
		switch s {
		case 204:
			won++
		case 409:
		default:
			t.Fatalf("statuses %v", statuses)
		}
	}
	if won != 1 {
		t.Fatalf("%d PATCHes at one offset were stored, want 1 (statuses %v)", won, statuses)
	}
	if off, _, _ := f.head(tok, sha); off != 100_000 {
		t.Fatalf("offset %d", off)
	}
}

func TestBlobWholeHashMismatch(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	data := randomBytes(30_000, 7)
	sha := sha256Hex(data)
	wrong := bytes.Clone(data)
	wrong[25_000] ^= 0xff // the bytes the client read were not the ones it hashed
	f.createBlob(tok, data, "image/jpeg", 201)
	if status, _ := f.patch(tok, sha, 0, wrong[:20_000]); status != 204 {
		t.Fatal("first chunk refused")
	}
	resp, b := f.do(request{method: "PATCH", path: wire.PathBlobs + "/" + sha, token: tok, raw: wrong[20_000:], header: chunkHeaders(20_000, wrong[20_000:])})
	e := checkError(t, "completing PATCH", resp, b, 422, codeBlobCorrupt)
	checkTus(t, "422", resp)
	if !strings.Contains(e.Message, "upload the file again") {
		t.Fatalf("message %q does not say to upload again", e.Message)
	}
	if _, _, ok := f.head(tok, sha); ok {
		t.Fatal("the corrupt blob is still there")
	}
	if _, err := f.srv.Blob(sha); !errors.Is(err, ErrBlobNotFound) {
		t.Fatalf("Blob: %v", err)
	}
	if _, err := f.srv.WriteBlob(sha, io.Discard); !errors.Is(err, ErrBlobNotFound) {
		t.Fatalf("WriteBlob: %v", err)
	}
	// Its chunks are gone from the data file too.
	f.srv.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketBlobChunks).Bucket([]byte(sha)) != nil {
			t.Fatal("chunks of a dropped blob remain")
		}
		return nil
	})
	// The client uploads it again, from 0.
	f.uploadBlob(tok, data, "image/jpeg", 16_000)
	if !bytes.Equal(f.blobBytes(sha), data) {
		t.Fatal("stored bytes differ")
	}
}

func TestBlobCreate(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	data := randomBytes(5000, 8)
	sha := sha256Hex(data)
	create := func(c wire.BlobCreate) request {
		return request{method: "POST", path: wire.PathBlobs, token: tok, body: c}
	}
	t.Run("new then known", func(t *testing.T) {
		resp := f.doJSON(create(wire.BlobCreate{SHA256: sha, Size: 5000, Type: "image/png"}), 201, nil)
		if resp.Header.Get("Location") != wire.PathBlobs+"/"+sha || resp.Header.Get(wire.HeaderUploadOffset) != "0" || resp.Header.Get(wire.HeaderUploadLength) != "5000" {
			t.Fatalf("headers %v", resp.Header)
		}
		checkTus(t, "create", resp)
		f.patch(tok, sha, 0, data[:1000])
		var st wire.BlobStatus
		resp = f.doJSON(create(wire.BlobCreate{SHA256: sha, Size: 5000, Type: "image/png; charset=binary"}), 200, &st)
		if st.Offset != 1000 || resp.Header.Get(wire.HeaderUploadOffset) != "1000" {
			t.Fatalf("known blob: %+v", st)
		}
	})
	t.Run("incomplete blob announced with another size starts again", func(t *testing.T) {
		var st wire.BlobStatus
		f.doJSON(create(wire.BlobCreate{SHA256: sha, Size: 4000, Type: "image/png"}), 201, &st)
		if st.Offset != 0 || st.Size != 4000 {
			t.Fatalf("%+v", st)
		}
		f.doJSON(create(wire.BlobCreate{SHA256: sha, Size: 5000, Type: "image/png"}), 201, &st)
		f.patch(tok, sha, 0, data)
	})
	cases := []struct {
		name   string
		rq     request
		status int
		code   string
	}{
		{"complete blob, other size", create(wire.BlobCreate{SHA256: sha, Size: 4999, Type: "image/png"}), 409, codeConflict},
		{"complete blob, other type", create(wire.BlobCreate{SHA256: sha, Size: 5000, Type: "application/pdf"}), 409, codeConflict},
		{"upper-case sha", create(wire.BlobCreate{SHA256: strings.ToUpper(sha), Size: 5000, Type: "image/png"}), 400, codeBadRequest},
		{"no sha", create(wire.BlobCreate{Size: 5000, Type: "image/png"}), 400, codeBadRequest},
		{"empty file", create(wire.BlobCreate{SHA256: sha, Type: "image/png"}), 400, codeBadRequest},
		{"negative size", create(wire.BlobCreate{SHA256: sha, Size: -1, Type: "image/png"}), 400, codeBadRequest},
		{"no type", create(wire.BlobCreate{SHA256: sha, Size: 5000}), 400, codeBadRequest},
		{"bad type", create(wire.BlobCreate{SHA256: sha, Size: 5000, Type: "jpeg"}), 400, codeBadRequest},
		{"too large", create(wire.BlobCreate{SHA256: sha, Size: wire.MaxBlob + 1, Type: "image/png"}), 413, codeTooLarge},
		{"unknown field", request{method: "POST", path: wire.PathBlobs, token: tok, raw: []byte(`{"sha256":"` + sha + `","size":1,"type":"image/png","data":"AA=="}`)}, 400, codeMalformedJSON},
		{"not JSON", request{method: "POST", path: wire.PathBlobs, token: tok, raw: data[:100], header: map[string]string{"Content-Type": wire.ContentTypeChunk}}, 415, codeUnsupportedMedia},
		{"no token", request{method: "POST", path: wire.PathBlobs, body: wire.BlobCreate{SHA256: sha, Size: 5000, Type: "image/png"}}, 401, codeUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := f.do(tc.rq)
			checkError(t, tc.name, resp, b, tc.status, tc.code)
			checkTus(t, tc.name, resp)
		})
	}
	t.Run("largest blob accepted", func(t *testing.T) {
		f.doJSON(create(wire.BlobCreate{SHA256: strings.Repeat("e", 64), Size: wire.MaxBlob, Type: "image/png"}), 201, nil)
	})
	if !bytes.Equal(f.blobBytes(sha), data) {
		t.Fatal("the conflicting announcements changed the blob")
	}
}

// blobCatalog is testCatalog with an optional photo field.
func blobCatalog() *catalog.Catalog {
	c := testCatalog()
	svc := &c.Services[0]
	svc.Form.Fields = append(svc.Form.Fields, catalog.Field{Name: "photo", Type: catalog.TypeAttachment,
		Label: catalog.Text{catalog.LangEn: "Photo"}, Accept: []string{"image/jpeg", "image/png"}, MaxSize: 10 << 20})
	return c
}

// withPhoto is an item whose photo field and attachments name data.
func withPhoto(data []byte, typ string) wire.SubmitItem {
	it := newItem(validValues())
	sha := sha256Hex(data)
	it.Values["photo"] = catalog.AttachmentRef{Name: "photo.jpg", Type: typ, Size: int64(len(data)), SHA256: sha}
	it.Attachments = []wire.Attachment{{SHA256: sha, Type: typ, Size: int64(len(data))}}
	return it
}

func TestSubmitReferencesBlobs(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Catalog = blobCatalog() })
	_, tok := f.enroll("kiosk")
	_, tok2 := f.enroll("phone")
	staff := f.staffToken()
	photo := randomBytes(200_000, 9)
	sha := sha256Hex(photo)
	first := withPhoto(photo, "image/jpeg")

	wantRetry := func(r wire.ItemResult, field string) {
		t.Helper()
		if r.Outcome != wire.Retry || r.Tracking != "" || r.Message == "" || !hasFieldError(r.Errors, field, wire.CodeBlobMissing) {
			t.Fatalf("want retry with %s %s, got %+v", field, wire.CodeBlobMissing, r)
		}
	}
	t.Run("blob missing", func(t *testing.T) {
		wantRetry(f.submit(tok, first)[0], "photo")
		if f.srv.CountByID(first.ID) != 0 {
			t.Fatal("an item without its blob was stored")
		}
	})
	t.Run("blob incomplete", func(t *testing.T) {
		f.createBlob(tok, photo, "image/jpeg", 201)
		f.patch(tok, sha, 0, photo[:150_000])
		wantRetry(f.submit(tok, first)[0], "photo")
	})
	var accepted wire.ItemResult
	t.Run("accepted once uploaded", func(t *testing.T) {
		f.patch(tok, sha, 150_000, photo[150_000:])
		accepted = f.submit(tok, first)[0]
		if accepted.Outcome != wire.Accepted || accepted.Duplicate || accepted.Tracking == "" {
			t.Fatalf("%+v", accepted)
		}
	})
	second := newItem(validValues()) // names the same file, without a form field
	second.Attachments = []wire.Attachment{{SHA256: sha, Type: "image/jpeg", Size: int64(len(photo))}}
	t.Run("second application of the device shares the blob", func(t *testing.T) {
		if st := f.createBlob(tok, photo, "image/jpeg", 200); !st.Complete {
			t.Fatalf("the device would upload its file again: %+v", st)
		}
		if r := f.submit(tok, second)[0]; r.Outcome != wire.Accepted {
			t.Fatalf("%+v", r)
		}
		refs, err := f.srv.BlobRefs(sha)
		if err != nil || len(refs) != 2 || !(refs[0] == first.ID && refs[1] == second.ID || refs[1] == first.ID && refs[0] == second.ID) {
			t.Fatalf("BlobRefs = %v, %v", refs, err)
		}
		if s := f.srv.UploadStats(); s.BytesStored != int64(len(photo)) {
			t.Fatalf("stored %d bytes for one %d-byte file", s.BytesStored, len(photo))
		}
	})
	t.Run("another device naming the blob must upload it", func(t *testing.T) {
		other := newItem(validValues())
		other.Attachments = []wire.Attachment{{SHA256: sha, Type: "image/jpeg", Size: int64(len(photo))}}
		wantRetry(f.submit(tok2, other)[0], "attachments")
		if f.srv.CountByID(other.ID) != 0 {
			t.Fatal("an item naming a blob its device never uploaded was stored")
		}
	})
	t.Run("replay unaffected", func(t *testing.T) {
		r := f.submit(tok, first)[0]
		if r.Outcome != wire.Accepted || !r.Duplicate || r.Tracking != accepted.Tracking || r.VerificationCode != accepted.VerificationCode {
			t.Fatalf("%+v, first %+v", r, accepted)
		}
	})
	t.Run("refused references", func(t *testing.T) {
		otherSize := withPhoto(photo, "image/jpeg")
		otherSize.Attachments[0].Size--
		otherType := newItem(validValues())
		otherType.Attachments = []wire.Attachment{{SHA256: sha, Type: "image/png", Size: int64(len(photo))}}
		upper := newItem(validValues())
		upper.Attachments = []wire.Attachment{{SHA256: strings.ToUpper(sha), Type: "image/jpeg", Size: int64(len(photo))}}
		empty := newItem(validValues())
		empty.Attachments = []wire.Attachment{{SHA256: sha, Type: "image/jpeg"}}
		noType := newItem(validValues())
		noType.Attachments = []wire.Attachment{{SHA256: sha, Size: int64(len(photo))}}
		huge := newItem(validValues())
		huge.Attachments = []wire.Attachment{{SHA256: strings.Repeat("f", 64), Type: "image/jpeg", Size: wire.MaxBlob + 1}}
		badValues := withPhoto(randomBytes(10, 10), "image/jpeg") // a missing blob and a bad phone
		badValues.Values["phone"] = "123"
		res := f.submit(tok, otherSize, otherType, upper, empty, noType, huge, badValues)
		for i, want := range []struct{ field, code string }{
			{"photo", catalog.CodeAttachmentInvalid},
			{"attachments", catalog.CodeAttachmentInvalid},
			{"attachments", catalog.CodeAttachmentInvalid},
			{"attachments", catalog.CodeAttachmentInvalid},
			{"attachments", catalog.CodeAttachmentInvalid},
			{"attachments", catalog.CodeAttachmentTooLarge},
			{"phone", catalog.CodePhoneInvalid},
		} {
			if res[i].Outcome != wire.Invalid || !hasFieldError(res[i].Errors, want.field, want.code) {
				t.Fatalf("item %d: want invalid %s %s, got %+v", i, want.field, want.code, res[i])
			}
		}
	})
	t.Run("form value naming a missing blob", func(t *testing.T) {
		other := randomBytes(1000, 11)
		it := withPhoto(other, "image/png")
		it.Attachments = nil // only the form value names it
		wantRetry(f.submit(tok, it)[0], "photo")
		f.uploadBlob(tok, other, "image/png", 400)
		if r := f.submit(tok, it)[0]; r.Outcome != wire.Accepted {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("answers never carry the bytes", func(t *testing.T) {
		_, b := f.do(request{method: "GET", path: wire.PathBackoffice, token: staff})
		_, tb := f.do(request{method: "POST", path: wire.PathTrack, token: tok, body: wire.TrackRequest{Tracking: accepted.Tracking, VerificationCode: accepted.VerificationCode}})
		for _, body := range [][]byte{b, tb} {
			if bytes.Contains(body, []byte(sha)) || bytes.Contains(body, []byte(base64.StdEncoding.EncodeToString(photo[:30]))) {
				t.Fatalf("an answer names or carries the file: %.300s", body)
			}
		}
	})
	t.Run("back office downloads the file", func(t *testing.T) {
		resp, b := f.do(request{method: "GET", path: PathBackofficeBlobs + "/" + sha, token: staff, header: map[string]string{"Accept-Encoding": "gzip"}})
		if resp.StatusCode != 200 || !bytes.Equal(b, photo) {
			t.Fatalf("status %d, %d bytes", resp.StatusCode, len(b))
		}
		if resp.Header.Get("Content-Type") != "image/jpeg" || resp.Header.Get("Content-Disposition") != "attachment" ||
			resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Content-Encoding") != "" {
			t.Fatalf("headers %v", resp.Header)
		}
		f.wantError(request{method: "GET", path: PathBackofficeBlobs + "/" + sha, token: tok}, 401, codeUnauthorized)
		f.wantError(request{method: "GET", path: PathBackofficeBlobs + "/" + strings.Repeat("0", 64), token: staff}, 404, codeNotFound)
	})
}
