package integration

import (
	"bytes"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"civicdesk/central"
	"civicdesk/sync/engine/enginetest"
	"civicdesk/sync/wire"
)

// startCentralWith is startCentral with server options (Path is set here).
// Its restart would drop the options: tests using it do not restart.
func startCentralWith(t testing.TB, o central.Options) *centralEnv {
	t.Helper()
	o.Path = filepath.Join(t.TempDir(), "central.db")
	srv, err := central.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &centralEnv{t: t, srv: srv, addr: ln.Addr().String(), path: o.Path}
	e.serve(ln)
	t.Cleanup(func() {
		e.http.Close()
		e.srv.Close()
	})
	return e
}

// TestTwoDevicesShareADocument: two devices attach the same scan. The
// server holds it after the first, yet the second is not told so: it
// uploads the bytes itself, and both applications are accepted. A third
// application of the first device, with the same scan, sends no byte.
func TestTwoDevicesShareADocument(t *testing.T) {
	e := startCentral(t)
	pc := e.countPatches()
	d1 := e.newDevice(t, e.URL(), deviceOpt{})
	d2 := e.newDevice(t, e.URL(), deviceOpt{})
	doc := document(t, 700_000)

	a := d1.submitWithDocument(t, 6, doc)
	d1.drain(t, 3)
	b := d2.submitWithDocument(t, 7, doc)
	d2.drain(t, 3)
	exactlyOnce(t, e, d1, []string{a.ID})
	exactlyOnce(t, e, d2, []string{b.ID})
	if n := pc.n.Load(); n != 2*int64(len(doc)) {
		t.Fatalf("%d bytes uploaded by two devices holding a %d-byte scan; want each to send it once", n, len(doc))
	}
	if got, err := serverCopy(e, doc); err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("the server's copy differs (err %v)", err)
	}
	c := d1.submitWithDocument(t, 8, doc)
	d1.drain(t, 3)
	exactlyOnce(t, e, d1, []string{c.ID})
	if n := pc.n.Load(); n != 2*int64(len(doc)) {
		t.Fatalf("the first device sent %d bytes again for a scan it had uploaded", n-2*int64(len(doc)))
	}
}

// statusWriter records the status of an answer.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// TestUploadSweptMidwayStartsAgain: the server sweeps a device's partial
// upload while the device is sending it (its chunks stopped arriving for
// longer than PartialTTL). The device's next chunk gets 404; it announces
// the blob again, uploads it from 0 and its application is accepted.
func TestUploadSweptMidwayStartsAgain(t *testing.T) {
	clk := enginetest.NewFakeClock(time.Date(2030, 3, 1, 9, 0, 0, 0, time.UTC))
	e := startCentralWith(t, central.Options{Clock: clk.Now, PartialTTL: time.Hour})
	var patches, notFound, swept atomic.Int64
	e.setWrap(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPatch || !strings.HasPrefix(r.URL.Path, wire.PathBlobs+"/") {
				h.ServeHTTP(w, r)
				return
			}
			if patches.Add(1) == 2 { // the link stalled for two hours
				clk.Advance(2 * time.Hour)
				n, err := e.srv.SweepPartialUploads()
				if err != nil {
					t.Errorf("sweep: %v", err)
				}
				swept.Add(int64(n))
			}
			sw := &statusWriter{ResponseWriter: w}
			h.ServeHTTP(sw, r)
			if sw.code == http.StatusNotFound {
				notFound.Add(1)
			}
		})
	})
	d := e.newDevice(t, e.URL(), deviceOpt{})
	doc := document(t, 900_000) // four chunks of 256 KiB
	app := d.submitWithDocument(t, 9, doc)
	d.drain(t, 3)
	exactlyOnce(t, e, d, []string{app.ID})
	if swept.Load() != 1 || notFound.Load() != 1 {
		t.Fatalf("%d uploads swept, %d PATCHes answered 404; want 1 and 1", swept.Load(), notFound.Load())
	}
	if got, err := serverCopy(e, doc); err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("the server's copy differs (err %v)", err)
	}
	if n := patches.Load(); n != 6 {
		t.Fatalf("%d PATCHes, want 6: one chunk, the refused one, then all four again", n)
	}
}
