package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/app/store"
	"civicdesk/sync/wire"
)

const attachField = "household_register_scan"

// document is n random bytes starting like a JPEG, as a scan would.
func document(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	copy(b, []byte{0xff, 0xd8, 0xff, 0xe0})
	return b
}

// submitWithDocument queues the i-th sample application with doc attached.
func (d *device) submitWithDocument(t testing.TB, i int, doc []byte) store.Application {
	t.Helper()
	svc, values := sampleApplication(i)
	sum := sha256.Sum256(doc)
	ref := catalog.AttachmentRef{Name: "scan.jpg", Type: "image/jpeg", Size: int64(len(doc)), SHA256: hex.EncodeToString(sum[:])}
	values[attachField] = ref
	app, err := d.st.Submit(store.NewApplication{Service: svc.Code, ServiceVersion: svc.Version, Values: values,
		Attachments: []store.Attachment{{Field: attachField, Ref: ref, Data: doc}}})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// patchCounter counts the chunk bytes the server receives in PATCH bodies.
type patchCounter struct{ n atomic.Int64 }

func (e *centralEnv) countPatches() *patchCounter {
	pc := &patchCounter{}
	e.setWrap(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, wire.PathBlobs+"/") {
				r.Body = &countingBody{r.Body, &pc.n}
			}
			h.ServeHTTP(w, r)
		})
	})
	return pc
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// TestUploadSurvivesCuts sends a 5 MB scan through a link that is cut
// again and again (every connection dies after carrying 1.3 MB, so a cut
// lands at 26 %, 52 %, 78 % and just before the end of the file): the file
// arrives intact and each cut costs at most one chunk sent again.
func TestUploadSurvivesCuts(t *testing.T) {
	e := startCentral(t)
	pc := e.countPatches()
	url := e.withProxy()
	d := e.newDevice(t, url, deviceOpt{timeout: 30 * time.Second})
	doc := document(t, 5_000_000)
	app := d.submitWithDocument(t, 1, doc)

	e.toxic("cut", "limit_data", "upstream", map[string]any{"bytes": 1_300_000})
	cuts := 0
	for round := 0; round < 12; round++ {
		if _, err := d.eng.SyncOnce(context.Background()); err == nil {
			break
		}
		cuts++
	}
	e.clearToxics()
	d.drain(t, 3)
	exactlyOnce(t, e, d, []string{app.ID})
	if cuts < 3 {
		t.Fatalf("only %d cuts: the fault was not exercised", cuts)
	}
	got, err := serverCopy(e, doc)
	if err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("the server's copy differs from the scan (err %v, %d bytes)", err, len(got))
	}
	resent := pc.n.Load() - int64(len(doc))
	chunk := int64(256 << 10)
	t.Logf("%d cuts; %d bytes sent for a %d-byte file: %d sent again (a whole-file retry would resend ~%d)",
		cuts, pc.n.Load(), len(doc), resent, int64(cuts)*1_300_000)
	if resent > int64(cuts)*chunk {
		t.Fatalf("%d bytes sent again over %d cuts, more than one %d-byte chunk per cut", resent, cuts, chunk)
	}
}

// TestUploadAcrossServerRestart: the server goes down in the middle of an
// upload and comes back with what it had stored.
func TestUploadAcrossServerRestart(t *testing.T) {
	e := startCentral(t)
	url := e.withProxy()
	d := e.newDevice(t, url, deviceOpt{timeout: 30 * time.Second})
	doc := document(t, 3_000_000)
	app := d.submitWithDocument(t, 2, doc)

	e.toxic("cut", "limit_data", "upstream", map[string]any{"bytes": 1_700_000})
	if _, err := d.eng.SyncOnce(context.Background()); err == nil {
		t.Fatal("the first sync went through the cut")
	}
	e.clearToxics()
	e.restart(t)
	d.drain(t, 4)
	exactlyOnce(t, e, d, []string{app.ID})
	if got, err := serverCopy(e, doc); err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("after the restart the server's copy differs (err %v)", err)
	}
}

// TestCorruptedChunkIsSentAgain: one chunk arrives damaged; the server
// refuses it by its checksum and the client sends it again.
func TestCorruptedChunkIsSentAgain(t *testing.T) {
	e := startCentral(t)
	var damaged atomic.Bool
	e.setWrap(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPatch && !damaged.Swap(true) {
				body, _ := io.ReadAll(r.Body)
				body[len(body)/2] ^= 0xff
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
			h.ServeHTTP(w, r)
		})
	})
	d := e.newDevice(t, e.URL(), deviceOpt{})
	doc := document(t, 700_000)
	app := d.submitWithDocument(t, 3, doc)
	d.drain(t, 3)
	exactlyOnce(t, e, d, []string{app.ID})
	if !damaged.Load() {
		t.Fatal("no chunk was damaged")
	}
	if got, err := serverCopy(e, doc); err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("the server kept a damaged copy (err %v)", err)
	}
}

// TestSharedDocumentUploadedOnce: two applications attach the same scan.
func TestSharedDocumentUploadedOnce(t *testing.T) {
	e := startCentral(t)
	pc := e.countPatches()
	d := e.newDevice(t, e.URL(), deviceOpt{})
	doc := document(t, 900_000)
	a := d.submitWithDocument(t, 4, doc)
	b := d.submitWithDocument(t, 5, doc)
	d.drain(t, 3)
	exactlyOnce(t, e, d, []string{a.ID, b.ID})
	if n := pc.n.Load(); n != int64(len(doc)) {
		t.Fatalf("%d bytes uploaded for two applications sharing a %d-byte scan; want one copy", n, len(doc))
	}
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// serverCopy is the server's copy of doc's blob.
func serverCopy(e *centralEnv, doc []byte) ([]byte, error) {
	var buf bytes.Buffer
	_, err := e.srv.WriteBlob(hexSum(doc), &buf)
	return buf.Bytes(), err
}
