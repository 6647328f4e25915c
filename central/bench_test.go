package central

import (
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"

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
