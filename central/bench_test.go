package central

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"

	bolt "go.etcd.io/bbolt"

	"civicdesk/sync/wire"
)

// BenchmarkSubmitBatch measures one gzip-compressed batch through the
// handler, committed to a real (fsynced) bbolt file.
func BenchmarkSubmitBatch(b *testing.B) {
	for _, n := range []int{1, 50, 500} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			srv, err := Open(Options{Path: filepath.Join(b.TempDir(), "central.db"), Catalog: testCatalog(), Clock: newFakeClock().Now})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			code, _ := srv.MintEnrollCode(3600e9)
			_, _, tok, _ := srv.enroll(code, "bench", KindKiosk)
			h := srv.Handler()
			b.ReportAllocs()
			for b.Loop() {
				items := make([]wire.SubmitItem, n)
				for i := range items {
					items[i] = newItem(validValues())
				}
				body, _ := json.Marshal(wire.SubmitRequest{Items: items})
				r := jsonRequest("POST", wire.PathSubmit, tok, gzipBytes(body))
				r.Header.Set("Content-Encoding", "gzip")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatalf("status %d", w.Code)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n)/1e3, "µs/item")
		})
	}
}

// BenchmarkPatch1MiB measures one 1 MiB chunk (wire.MaxChunk) through the
// PATCH handler: header checks, chunk checksum, running SHA-256 and a
// committed (fsynced) bbolt transaction. MB/s is chunk bytes per second.
func BenchmarkPatch1MiB(b *testing.B) {
	const chunks = 8
	srv, err := Open(Options{Path: filepath.Join(b.TempDir(), "central.db"), Catalog: testCatalog(), Clock: newFakeClock().Now})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	code, _ := srv.MintEnrollCode(3600e9)
	_, dev, tok, _ := srv.enroll(code, "bench", KindKiosk)
	h := srv.Handler()
	data := randomBytes(chunks*wire.MaxChunk, 42)
	sha := sha256Hex(data)
	headers := make([]map[string]string, chunks)
	for i := range headers {
		headers[i] = chunkHeaders(int64(i*wire.MaxChunk), data[i*wire.MaxChunk:(i+1)*wire.MaxChunk])
	}
	create := func() {
		if _, _, err := srv.createBlob(dev, wire.BlobCreate{SHA256: sha, Size: int64(len(data)), Type: "image/jpeg"}); err != nil {
			b.Fatal(err)
		}
	}
	create()
	b.SetBytes(wire.MaxChunk)
	b.ReportAllocs()
	b.ResetTimer()
	for n := range b.N {
		i := n % chunks
		if n > 0 && i == 0 { // the blob is complete: drop it (freeing its pages) and start again
			b.StopTimer()
			if err := srv.db.Update(func(tx *bolt.Tx) error { return deleteBlob(tx, sha) }); err != nil {
				b.Fatal(err)
			}
			create()
			b.StartTimer()
		}
		r := httptest.NewRequest("PATCH", wire.PathBlobs+"/"+sha, bytes.NewReader(data[i*wire.MaxChunk:(i+1)*wire.MaxChunk]))
		for k, v := range headers[i] {
			r.Header.Set(k, v)
		}
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusNoContent {
			b.Fatalf("chunk %d: status %d %s", i, w.Code, w.Body.Bytes())
		}
	}
}
