package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/sync/client"
	"civicdesk/sync/wire"
)

const testChunk = 64 << 10

// doc is n deterministic bytes standing in for a scan.
func doc(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func shaOf(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// file is one attachment of a test application.
type file struct {
	field string
	data  []byte
	sha   string // "" means the SHA-256 of data
}

// addDocs queues application id with the given attachments (size 1000).
func (r *rig) addDocs(id string, files ...file) {
	app := store.Application{ID: id, Service: "svc", ServiceVersion: 1, Values: catalog.Values{"reason": "a reason"},
		CreatedAt: r.clock.Now()}
	for _, f := range files {
		sha := f.sha
		if sha == "" {
			sha = shaOf(f.data)
		}
		ref := catalog.AttachmentRef{Name: f.field + ".png", Type: "image/png", Size: int64(len(f.data)), SHA256: sha}
		app.Values[f.field] = ref
		app.Attachments = append(app.Attachments, store.Attachment{Field: f.field, Ref: ref, Data: f.data})
	}
	r.q.Add(app, 1000)
}

func chunked(c *Config) { c.ChunkSize = testChunk; c.NoCatalog = true }

// serverHas gives the server the first n bytes of data (an earlier,
// interrupted upload).
func (r *rig) serverHas(data []byte, n int) {
	r.srv.do(func() {
		r.srv.blobs[shaOf(data)] = &fakeBlob{size: int64(len(data)), data: slices.Clone(data[:n]), complete: n == len(data)}
	})
}

func (r *rig) serverBlob(t *testing.T, data []byte) {
	t.Helper()
	r.srv.do(func() {
		b := r.srv.blobs[shaOf(data)]
		if b == nil || !b.complete || !bytes.Equal(b.data, data) {
			t.Errorf("the server does not hold the attachment intact")
		}
	})
}

func TestUploadInChunksThenPush(t *testing.T) {
	r := newRig(t, serverNow, chunked)
	scan := doc(300<<10, 1)
	r.addDocs("u1", file{"photo", scan, ""})
	r.add("form", 1)
	rep, err := r.sync(t)
	if err != nil {
		t.Fatalf("SyncOnce: %v", err)
	}
	want := Report{Batches: 1, Sent: 2, Accepted: 2, BlobsUploaded: 1, BlobBytes: 300 << 10}
	if rep != want {
		t.Errorf("report = %+v, want %+v", rep, want)
	}
	r.serverBlob(t, scan)
	r.srv.do(func() {
		// 300 KiB in 64 KiB chunks: 5 PATCHes, all before the submission.
		if r.srv.patches != 5 || r.srv.blobRecv != 300<<10 {
			t.Errorf("%d PATCHes, %d bytes received; want 5, %d", r.srv.patches, r.srv.blobRecv, 300<<10)
		}
		if want := []string{"create", "patch", "patch", "patch", "patch", "patch", "submit"}; !slices.Equal(r.srv.calls, want) {
			t.Errorf("calls = %v, want %v", r.srv.calls, want)
		}
		got := r.srv.items["u1"].Attachments
		if len(got) != 1 || got[0] != (wire.Attachment{SHA256: shaOf(scan), Type: "image/png", Size: 300 << 10}) {
			t.Errorf("submitted attachments = %+v", got)
		}
	})
	if up, _ := r.q.BlobUploaded(shaOf(scan)); !up {
		t.Errorf("blob not marked uploaded")
	}
	if a := mustApp(t, r.q, "u1"); a.State != lifecycle.Received {
		t.Errorf("state = %s", a.State)
	}
	if n := r.q.MaxRead(); n > testChunk {
		t.Errorf("read %d bytes of an attachment at once, want at most one chunk (%d)", n, testChunk)
	}
	if st := r.eng.Status(); st.PendingBytes != 0 || st.Pending != 0 {
		t.Errorf("status = %+v", st)
	}
}

func TestUploadResumesFromTheServersOffset(t *testing.T) {
	r := newRig(t, serverNow, chunked)
	scan := doc(500_000, 2)
	held := 300_000 // 60 %
	r.serverHas(scan, held)
	r.addDocs("r1", file{"photo", scan, ""})
	rep, err := r.sync(t)
	if err != nil || rep.Accepted != 1 || rep.BlobsUploaded != 1 {
		t.Fatalf("report %+v, %v", rep, err)
	}
	r.serverBlob(t, scan)
	r.srv.do(func() {
		if r.srv.blobRecv != int64(len(scan)-held) {
			t.Errorf("server received %d bytes, want only the missing %d", r.srv.blobRecv, len(scan)-held)
		}
	})
	if rep.BlobBytes != int64(len(scan)-held) || rep.BlobBytesLost != 0 {
		t.Errorf("report bytes = %d sent, %d lost", rep.BlobBytes, rep.BlobBytesLost)
	}
}

// The link drops in the middle of a chunk: that round stops uploading (and
// still sends the form data of others); the next resumes where the server's
// copy ends, so at most one chunk travels twice.
func TestUploadResumesAfterACutConnection(t *testing.T) {
	r := newRig(t, serverNow, chunked)
	scan := doc(400_000, 3)
	r.addDocs("c1", file{"photo", scan, ""})
	r.add("form", 1)
	r.srv.do(func() { r.srv.patchCut[3] = true })
	rep, err := r.sync(t)
	if !errors.Is(err, client.ErrOffline) || !client.Retryable(err) || !strings.Contains(err.Error(), "attachments") {
		t.Fatalf("err = %v, want ErrOffline from the attachments", err)
	}
	if rep.Accepted != 1 || rep.Waiting != 1 || rep.BlobsUploaded != 0 || rep.BlobBytes != 3*testChunk || rep.BlobBytesLost != testChunk {
		t.Errorf("first round = %+v; want the form data accepted, one waiting, 3 chunks sent, 1 lost", rep)
	}
	st := r.eng.Status()
	if st.LastError == "" || st.ConsecutiveFailures != 1 || st.Pending != 1 || st.PendingBytes != 1000+int64(len(scan))-2*testChunk {
		t.Errorf("status after the cut = %+v", st)
	}
	if a := mustApp(t, r.q, "c1"); a.State != lifecycle.Queued || a.Attempts != 0 {
		t.Errorf("waiting application = %s, %d attempts; an outage must not count against it", a.State, a.Attempts)
	}
	rep, err = r.sync(t)
	if err != nil || rep.Accepted != 1 || rep.BlobsUploaded != 1 {
		t.Fatalf("second round = %+v, %v", rep, err)
	}
	r.serverBlob(t, scan)
	r.srv.do(func() {
		if again := r.srv.blobRecv - int64(len(scan)); again < 0 || again > testChunk {
			t.Errorf("%d bytes sent again after the cut, want at most one chunk (%d)", again, testChunk)
		}
	})
	if st := r.eng.Status(); st.LastError != "" || st.PendingBytes != 0 {
		t.Errorf("status after recovery = %+v", st)
	}
}

// Another device completed most of the same document meanwhile: the 409
// answer's offset is where the upload goes on.
func TestUploadJumpsToTheServersOffsetOn409(t *testing.T) {
	r := newRig(t, serverNow, chunked)
	scan := doc(400_000, 4)
	sha := shaOf(scan)
	r.addDocs("j1", file{"photo", scan, ""})
	r.srv.do(func() {
		r.srv.onPatch = func(s string) {
			if b := r.srv.blobs[sha]; s == sha && len(b.data) == 0 {
				b.data = slices.Clone(scan[:350_000])
			}
		}
	})
	rep, err := r.sync(t)
	if err != nil || rep.Accepted != 1 || rep.BlobsUploaded != 1 {
		t.Fatalf("report = %+v, %v", rep, err)
	}
	r.serverBlob(t, scan)
	if rep.BlobBytes != testChunk+50_000 || rep.BlobBytesLost != testChunk {
		t.Errorf("sent %d (lost %d), want one refused chunk and the last 50000 bytes", rep.BlobBytes, rep.BlobBytesLost)
	}
}

func TestUploadResendsADamagedChunk(t *testing.T) {
	tests := []struct {
		bad  int // chunks in a row answered 460
		ok   bool
		sent int64
	}{
		{1, true, 2 * 100_000},
		{MaxChunkResends, true, (1 + MaxChunkResends) * 100_000},
		{MaxChunkResends + 1, false, (1 + MaxChunkResends) * 100_000},
	}
	for _, tt := range tests {
		t.Run(strings.Repeat("x", tt.bad), func(t *testing.T) {
			r := newRig(t, serverNow, func(c *Config) { c.ChunkSize = 200_000; c.NoCatalog = true })
			scan := doc(100_000, 5)
			r.addDocs("d1", file{"photo", scan, ""})
			r.add("form", 1)
			r.srv.do(func() { r.srv.patchBad = tt.bad })
			rep, err := r.sync(t)
			if rep.BlobBytes != tt.sent || rep.BlobBytesLost != int64(min(tt.bad, MaxChunkResends+1))*100_000 {
				t.Errorf("sent %d, lost %d", rep.BlobBytes, rep.BlobBytesLost)
			}
			if tt.ok {
				if err != nil || rep.Accepted != 2 {
					t.Fatalf("report = %+v, %v", rep, err)
				}
				r.serverBlob(t, scan)
				return
			}
			if !errors.Is(err, ErrChunkRejected) || rep.Accepted != 1 || rep.Waiting != 1 {
				t.Fatalf("report = %+v, %v; want ErrChunkRejected, the form data accepted", rep, err)
			}
			if st := r.eng.Status(); !strings.Contains(st.LastError, "damaged") || st.ConsecutiveFailures != 1 {
				t.Errorf("status = %+v", st)
			}
		})
	}
}

// A blob whose bytes do not match its name is refused on completion (422):
// it is marked missing, the round fails so that it backs off, and the other
// attachments still go.
func TestBlobNotMatchingItsNameIsMarkedMissing(t *testing.T) {
	r := newRig(t, serverNow, chunked)
	good, bad := doc(100_000, 6), doc(100_000, 7)
	r.addDocs("bad", file{"photo", bad, shaOf([]byte("another document"))})
	r.addDocs("good", file{"photo", good, ""})
	rep, err := r.sync(t)
	if !errors.Is(err, client.ErrBlobCorrupt) || client.Retryable(err) {
		t.Fatalf("err = %v, want ErrBlobCorrupt", err)
	}
	if rep.BlobsUploaded != 1 || rep.Accepted != 1 || rep.Waiting != 1 {
		t.Errorf("report = %+v", rep)
	}
	r.serverBlob(t, good)
	if n := r.q.Calls("MarkBlobMissing"); n != 1 {
		t.Errorf("MarkBlobMissing called %d times, want 1", n)
	}
	if up, ok := r.q.BlobUploaded(shaOf([]byte("another document"))); up || !ok {
		t.Errorf("refused blob: uploaded %v, held %v", up, ok)
	}
	if got := r.q.Queued(); !slices.Equal(got, []string{"bad"}) {
		t.Errorf("queued = %v", got)
	}
}

// Data saver: form data goes, applications with attachments wait without
// error, and go once attachments are allowed. The waiting application is at
// the head of the queue and batches hold one item: it holds up nobody.
func TestDataSaverHoldsOnlyAttachments(t *testing.T) {
	var allowed atomic.Bool
	r := newRig(t, serverNow, func(c *Config) {
		chunked(c)
		c.BatchItems = 1
		c.Attachments = allowed.Load
	})
	scan := doc(150_000, 8)
	r.addDocs("att", file{"photo", scan, ""})
	ids := r.add("form", 3)
	rep, err := r.sync(t)
	if err != nil {
		t.Fatalf("SyncOnce with data saver: %v", err)
	}
	if rep != (Report{Batches: 3, Sent: 3, Accepted: 3, Waiting: 1}) {
		t.Errorf("report = %+v", rep)
	}
	for _, id := range ids {
		if a := mustApp(t, r.q, id); a.State != lifecycle.Received {
			t.Errorf("%s = %s", id, a.State)
		}
	}
	r.srv.do(func() {
		if r.srv.creates+r.srv.patches+r.srv.heads != 0 {
			t.Errorf("blob requests under data saver: %v", r.srv.calls)
		}
	})
	st := r.eng.Status()
	if st.LastError != "" || st.ConsecutiveFailures != 0 || st.Pending != 1 || st.PendingBytes != 1000+150_000 {
		t.Errorf("status = %+v; want a clean round with the attachment's bytes pending", st)
	}
	if a := mustApp(t, r.q, "att"); a.Attempts != 0 || a.LastError != "" {
		t.Errorf("waiting application: %d attempts, %q", a.Attempts, a.LastError)
	}
	allowed.Store(true)
	rep, err = r.sync(t)
	if err != nil || rep != (Report{Batches: 1, Sent: 1, Accepted: 1, BlobsUploaded: 1, BlobBytes: 150_000}) {
		t.Fatalf("round with attachments allowed = %+v, %v", rep, err)
	}
	r.serverBlob(t, scan)
}

func TestSharedBlobUploadedOnce(t *testing.T) {
	r := newRig(t, serverNow, chunked)
	lease := doc(200_000, 9)
	r.addDocs("s1", file{"lease", lease, ""})
	r.addDocs("s2", file{"proof", lease, ""})
	if n := r.q.Blobs(); n != 1 {
		t.Fatalf("the store holds %d blobs, want 1", n)
	}
	events, cancel := r.eng.Subscribe(1000)
	defer cancel()
	rep, err := r.sync(t)
	if err != nil || rep.Accepted != 2 || rep.BlobsUploaded != 1 || rep.BlobBytes != 200_000 {
		t.Fatalf("report = %+v, %v", rep, err)
	}
	r.srv.do(func() {
		if r.srv.creates != 1 || r.srv.blobRecv != 200_000 {
			t.Errorf("%d creates, %d bytes received; want the document once", r.srv.creates, r.srv.blobRecv)
		}
	})
	prog := progressOf(t, events)
	for _, id := range []string{"s1", "s2"} {
		if p := prog[id]; len(p) == 0 || p[len(p)-1].Done != 200_000 || p[len(p)-1].Total != 200_000 {
			t.Errorf("%s progress = %+v", id, p)
		}
	}
}

// progressOf drains events and returns the Progress events by application,
// checking that Done never goes back and never passes Total.
func progressOf(t *testing.T, events <-chan Event) map[string][]Event {
	t.Helper()
	out := map[string][]Event{}
	for len(events) > 0 {
		ev := <-events
		if ev.Kind != Progress {
			continue
		}
		p := out[ev.ID]
		if len(p) > 0 && (ev.Done < p[len(p)-1].Done || ev.Total != p[len(p)-1].Total) {
			t.Errorf("%s progress went from %d/%d to %d/%d", ev.ID, p[len(p)-1].Done, p[len(p)-1].Total, ev.Done, ev.Total)
		}
		if ev.Done > ev.Total || ev.Blob == "" {
			t.Errorf("progress event %+v", ev)
		}
		out[ev.ID] = append(p, ev)
	}
	return out
}

// An application with two attachments, one uploaded in an earlier round:
// its progress counts that one as done from the start, moves after every
// chunk, and ends at Done == Total; PendingBytes falls with it.
func TestProgressPerApplication(t *testing.T) {
	r := newRig(t, serverNow, chunked)
	id, lease := doc(100_000, 10), doc(300_000, 11)
	r.serverHas(id, len(id))
	r.addDocs("p1", file{"id_card", id, ""}, file{"lease", lease, ""})
	if err := r.q.MarkBlobUploaded(shaOf(id)); err != nil {
		t.Fatal(err)
	}
	events, cancel := r.eng.Subscribe(1000)
	defer cancel()
	if rep, err := r.sync(t); err != nil || rep.Accepted != 1 || rep.BlobsUploaded != 1 {
		t.Fatalf("report = %+v, %v", rep, err)
	}
	p := progressOf(t, events)["p1"]
	// One event when the upload starts, one per chunk (5 of 64 KiB).
	if len(p) != 6 {
		t.Fatalf("%d progress events, want 6: %+v", len(p), p)
	}
	if p[0].Done != 100_000 || p[0].Total != 400_000 || p[0].Blob != shaOf(lease) {
		t.Errorf("first progress = %d/%d", p[0].Done, p[0].Total)
	}
	if p[1].Done != 100_000+testChunk || p[1].Status.PendingBytes != 1000+300_000-testChunk {
		t.Errorf("after one chunk: %d done, %d bytes pending", p[1].Done, p[1].Status.PendingBytes)
	}
	if last := p[len(p)-1]; last.Done != 400_000 || last.Total != 400_000 || last.Status.PendingBytes != 1000 {
		t.Errorf("last progress = %d/%d, %d bytes pending", last.Done, last.Total, last.Status.PendingBytes)
	}
}

// The server answers an item with "retry: blob missing" (it lost the blob,
// or the device's mark was wrong): the blob is marked missing, uploaded
// again in the next round, and the item is then accepted.
func TestRetryBlobMissingUploadsAgain(t *testing.T) {
	tests := []struct {
		name  string
		named string // the attachment the server names; the other is not missing
		lost  []int  // which blobs the server lost
		want  []int  // which blobs are marked missing
	}{
		{"the named attachment", "lease", []int{1}, []int{1}},
		{"field unknown: all of them", "", []int{0}, []int{0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, serverNow, chunked)
			docs := [][]byte{doc(70_000, 12), doc(90_000, 13)}
			r.addDocs("m1", file{"id_card", docs[0], ""}, file{"lease", docs[1], ""})
			for i, d := range docs {
				if err := r.q.MarkBlobUploaded(shaOf(d)); err != nil {
					t.Fatal(err)
				}
				if !slices.Contains(tt.lost, i) {
					r.serverHas(d, len(d))
				}
			}
			if tt.named == "" {
				// The server names no field (the item's values hide the reference).
				app := mustApp(t, r.q, "m1")
				delete(app.Values, "id_card")
				delete(app.Values, "lease")
				r.q.Add(app, 1000)
			}
			rep, err := r.sync(t)
			if err != nil || rep.Transient != 1 || rep.BlobsUploaded != 0 {
				t.Fatalf("first round = %+v, %v", rep, err)
			}
			for i, d := range docs {
				up, _ := r.q.BlobUploaded(shaOf(d))
				if missing := slices.Contains(tt.want, i); up == missing {
					t.Errorf("blob %d: uploaded mark %v, want %v", i, up, !missing)
				}
			}
			a := mustApp(t, r.q, "m1")
			if a.State != lifecycle.Queued || !strings.Contains(a.LastError, "attachments") {
				t.Errorf("application = %s %q", a.State, a.LastError)
			}
			rep, err = r.sync(t)
			if err != nil || rep.Accepted != 1 || rep.BlobsUploaded != len(tt.want) {
				t.Fatalf("second round = %+v, %v", rep, err)
			}
			for _, d := range docs {
				r.serverBlob(t, d)
			}
			r.srv.do(func() {
				var lostBytes int64
				for _, i := range tt.lost {
					lostBytes += int64(len(docs[i]))
				}
				if r.srv.blobRecv != lostBytes {
					t.Errorf("server received %d bytes, want only the lost %d", r.srv.blobRecv, lostBytes)
				}
			})
		})
	}
}

// The server forgot a partial upload between announcement and chunk (a
// restart): the blob is announced again and sent from the start.
func TestUploadAnnouncesAgainWhenTheServerForgot(t *testing.T) {
	r := newRig(t, serverNow, chunked)
	scan := doc(100_000, 14)
	sha := shaOf(scan)
	r.addDocs("f1", file{"photo", scan, ""})
	forgot := false
	r.srv.do(func() {
		r.srv.onPatch = func(s string) {
			if !forgot {
				forgot = true
				delete(r.srv.blobs, sha)
			}
		}
	})
	rep, err := r.sync(t)
	if err != nil || rep.Accepted != 1 || rep.BlobsUploaded != 1 || rep.BlobBytesLost != testChunk {
		t.Fatalf("report = %+v, %v", rep, err)
	}
	r.serverBlob(t, scan)
	r.srv.do(func() {
		if r.srv.creates != 2 {
			t.Errorf("%d announcements, want 2", r.srv.creates)
		}
	})
}

// A local blob that went away, or cannot be read, does not stop the others.
func TestUploadLocalReadFailure(t *testing.T) {
	r := newRig(t, serverNow, chunked)
	r.addDocs("l1", file{"photo", doc(1000, 15), ""})
	r.q.FailOn("ReadBlob", errors.New("disk read error"))
	rep, err := r.sync(t)
	if err == nil || !strings.Contains(err.Error(), "disk read error") || rep.Waiting != 1 {
		t.Fatalf("report = %+v, %v; want the read error", rep, err)
	}
	r.q.FailOn("ReadBlob", nil)
	if rep, err := r.sync(t); err != nil || rep.Accepted != 1 {
		t.Fatalf("after the disk recovers: %+v, %v", rep, err)
	}
}
