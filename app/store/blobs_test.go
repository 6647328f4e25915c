package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
)

// randomBytes is n reproducible random bytes.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16)}))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func shaOf(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// appWith is sampleApp(i) whose one attachment holds data.
func appWith(i int, data []byte) NewApplication {
	n := sampleApp(i)
	n.Attachments[0].Data = data
	n.Attachments[0].Ref.SHA256, n.Attachments[0].Ref.Size = "", 0
	return n
}

// readAll reads a whole blob through ReadBlob in pieces of the given size.
func readAll(t testing.TB, s *Store, sha string, piece int) []byte {
	t.Helper()
	var out []byte
	p := make([]byte, piece)
	for off := int64(0); ; {
		n, err := s.ReadBlob(sha, off, p)
		out = append(out, p[:n]...)
		off += int64(n)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("ReadBlob at %d: %v", off, err)
		}
	}
}

// rawBlob is what the raw file holds of one blob.
type rawBlob struct {
	meta   *blobMeta
	refs   []string
	chunks int
}

func rawBlobOf(t testing.TB, path, sha string) rawBlob {
	t.Helper()
	var rb rawBlob
	raw(t, path, func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketBlobs).Get([]byte(sha)); v != nil {
			rb.meta = &blobMeta{}
			noErr(t, json.Unmarshal(v, rb.meta))
		}
		c := tx.Bucket(bucketBlobs).Cursor()
		for k, _ := c.Seek([]byte(sha + "/")); k != nil && bytes.HasPrefix(k, []byte(sha+"/")); k, _ = c.Next() {
			rb.refs = append(rb.refs, string(k[65:]))
		}
		c = tx.Bucket(bucketBlobChunks).Cursor()
		for k, _ := c.Seek([]byte(sha)); k != nil && bytes.HasPrefix(k, []byte(sha)); k, _ = c.Next() {
			rb.chunks++
		}
		return nil
	})
	return rb
}

func TestReadBlobRanges(t *testing.T) {
	s, _ := newTestStore(t)
	const size = 3*blobChunk + 123
	data := randomBytes(size, 1)
	a := must[Application](t)(s.CreateDraft(appWith(0, data)))
	sha := a.Attachments[0].Ref.SHA256
	if sha != shaOf(data) || a.Attachments[0].Ref.Size != size || a.Attachments[0].Data != nil {
		t.Fatalf("attachment %+v", a.Attachments[0].Ref)
	}
	tests := []struct {
		name    string
		off     int64
		len     int
		wantN   int
		wantErr error
	}{
		{"whole", 0, size, size, nil},
		{"first bytes", 0, 10, 10, nil},
		{"inside one chunk", 100, 1000, 1000, nil},
		{"across a chunk boundary", blobChunk - 5, 10, 10, nil},
		{"across three chunks", blobChunk - 1, blobChunk + 2, blobChunk + 2, nil},
		{"exactly one chunk", blobChunk, blobChunk, blobChunk, nil},
		{"up to the end", size - 50, 50, 50, nil},
		{"past the end", size - 50, 100, 50, io.EOF},
		{"at the end", size, 10, 0, io.EOF},
		{"beyond the end", size + 1000, 10, 0, io.EOF},
		{"empty buffer", 5, 0, 0, nil},
		{"negative offset", -1, 10, 0, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := make([]byte, tc.len)
			n, err := s.ReadBlob(sha, tc.off, p)
			if n != tc.wantN || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("got %d, %v; want %d, %v", n, err, tc.wantN, tc.wantErr)
			}
			if n > 0 && !bytes.Equal(p[:n], data[tc.off:tc.off+int64(n)]) {
				t.Fatal("wrong bytes")
			}
		})
	}
	for _, piece := range []int{1000, 256 << 10, size + 1} {
		if got := readAll(t, s, sha, piece); !bytes.Equal(got, data) {
			t.Fatalf("pieces of %d: %d bytes back", piece, len(got))
		}
	}
	_, err := s.ReadBlob(shaOf([]byte("unknown")), 0, make([]byte, 1))
	mustIs(t, err, ErrNotFound)
	_, err = s.ReadBlob("NOT-A-SHA", 0, make([]byte, 1))
	mustIs(t, err, ErrInvalid)

	// An empty file is a blob of no chunks.
	e := must[Application](t)(s.CreateDraft(appWith(1, []byte{})))
	if n, err := s.ReadBlob(e.Attachments[0].Ref.SHA256, 0, make([]byte, 8)); n != 0 || err != io.EOF {
		t.Fatalf("empty blob: %d %v", n, err)
	}
	noErr(t, s.Check())
}

// TestReadBlobReadsOnlyItsChunks: ReadBlob decrypts only the chunks covering
// the range (a damaged chunk elsewhere does not matter), and each chunk is
// bound to its place (AAD = bucket + key): chunks swapped do not decrypt.
func TestReadBlobReadsOnlyItsChunks(t *testing.T) {
	clock := newClock(t0)
	dir := t.TempDir()
	s := openT(t, opts(dir, clock))
	data := randomBytes(4*blobChunk, 2)
	sha := must[Application](t)(s.CreateDraft(appWith(0, data))).Attachments[0].Ref.SHA256
	noErr(t, s.Close())
	raw(t, s.Path(), func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketBlobChunks)
		c0, c1 := bytes.Clone(b.Get(chunkKey(sha, 0))), bytes.Clone(b.Get(chunkKey(sha, 1)))
		noErr(t, b.Put(chunkKey(sha, 0), c1))
		return b.Put(chunkKey(sha, 1), c0)
	})
	s = openT(t, opts(dir, clock))
	p := make([]byte, 2*blobChunk)
	n, err := s.ReadBlob(sha, 2*blobChunk, p)
	if n != len(p) || err != nil || !bytes.Equal(p, data[2*blobChunk:]) {
		t.Fatalf("chunks 2-3: %d %v", n, err)
	}
	for _, off := range []int64{0, blobChunk + 7} {
		_, err = s.ReadBlob(sha, off, make([]byte, 10))
		mustIs(t, err, ErrKey)
	}
	err = s.Check()
	mustIs(t, err, ErrKey)
	if !strings.Contains(err.Error(), "chunk 0 does not decrypt") {
		t.Fatalf("Check: %v", err)
	}
}

// TestBlobStoredOnce: the same bytes attached to two applications are
// stored once; the file grows by one copy.
func TestBlobStoredOnce(t *testing.T) {
	s, _ := newTestStore(t)
	const size = 1 << 20
	data := randomBytes(size, 3)
	used := func() int64 {
		var n int64
		noErr(t, s.view(func(tx *bolt.Tx) error { n = tx.Size(); return nil }))
		return n
	}
	before := used()
	a := must[Application](t)(s.Submit(appWith(0, data)))
	first := used() - before
	b := must[Application](t)(s.Submit(appWith(1, data)))
	second := used() - before - first
	t.Logf("first application grew the data by %d bytes, the second by %d", first, second)
	if first < size || first > size*11/10 || second > size/10 {
		t.Fatalf("growth %d then %d for a %d-byte file attached twice", first, second, size)
	}
	sha := shaOf(data)
	if a.Attachments[0].Ref.SHA256 != sha || b.Attachments[0].Ref.SHA256 != sha {
		t.Fatal("the attachments do not name the blob")
	}
	var chunks int
	var m *blobMeta
	noErr(t, s.view(func(tx *bolt.Tx) error {
		chunks = tx.Bucket(bucketBlobChunks).Stats().KeyN
		var err error
		m, err = getBlobMeta(tx, sha)
		return err
	}))
	if chunks != size/blobChunk || m == nil || m.Refs != 2 || m.Chunks != size/blobChunk || m.Size != size || m.Type != "image/jpeg" {
		t.Fatalf("%d chunks stored; meta %+v", chunks, m)
	}
	pb := must[[]BlobInfo](t)(s.PendingBlobs())
	want := []BlobInfo{{SHA256: sha, Size: size, Type: "image/jpeg", Apps: []string{a.ID, b.ID}}}
	if !reflect.DeepEqual(pb, want) {
		t.Fatalf("PendingBlobs %+v", pb)
	}
	noErr(t, s.Check())
}

// TestRetentionDeletesBlobs: under the kiosk policy the receipt drops the
// application's references and a blob nobody references is deleted, chunks
// and all; a blob another application still needs stays. Under the
// personal policy everything stays.
func TestRetentionDeletesBlobs(t *testing.T) {
	for _, policy := range []Policy{PolicyKiosk, PolicyPersonal} {
		t.Run(string(policy), func(t *testing.T) {
			clock := newClock(t0)
			dir := t.TempDir()
			o := opts(dir, clock)
			o.Policy = policy
			s := openT(t, o)
			own, shared := randomBytes(3*blobChunk+1, 4), randomBytes(blobChunk, 5)
			n := appWith(0, own)
			n.Attachments = append(n.Attachments, Attachment{Field: "residence_proof", Ref: catalog.AttachmentRef{Type: "application/pdf"}, Data: shared})
			a := must[Application](t)(s.Submit(n))
			other := must[Application](t)(s.Submit(appWith(1, shared)))
			noErr(t, s.MarkAccepted(a.ID, Acceptance{Tracking: "T1", Status: lifecycle.Received, At: t0}))
			noErr(t, s.Check())
			noErr(t, s.Close())

			kiosk := policy == PolicyKiosk
			ownBlob, sharedBlob := rawBlobOf(t, s.Path(), shaOf(own)), rawBlobOf(t, s.Path(), shaOf(shared))
			if kiosk {
				if ownBlob.meta != nil || ownBlob.chunks != 0 || ownBlob.refs != nil {
					t.Fatalf("kiosk: the accepted application's file is still there: %+v", ownBlob)
				}
				if sharedBlob.meta == nil || sharedBlob.chunks != 1 || !reflect.DeepEqual(sharedBlob.refs, []string{other.ID}) || sharedBlob.meta.Refs != 1 {
					t.Fatalf("kiosk: the shared file %+v", sharedBlob)
				}
			} else {
				if ownBlob.meta == nil || ownBlob.chunks != 4 || !reflect.DeepEqual(ownBlob.refs, []string{a.ID}) {
					t.Fatalf("personal: the file went: %+v", ownBlob)
				}
				if sharedBlob.chunks != 1 || len(sharedBlob.refs) != 2 || sharedBlob.meta.Refs != 2 {
					t.Fatalf("personal: the shared file %+v", sharedBlob)
				}
			}

			// The second receipt: under the kiosk policy the shared file goes too.
			s = openT(t, o)
			noErr(t, s.MarkAccepted(other.ID, Acceptance{Tracking: "T2", Status: lifecycle.Received, At: t0}))
			noErr(t, s.Check())
			noErr(t, s.Close())
			if got := rawBlobOf(t, s.Path(), shaOf(shared)); (got.meta == nil) != kiosk || (got.chunks == 0) != kiosk {
				t.Fatalf("%s: shared file after both receipts: %+v", policy, got)
			}
		})
	}
}

func TestDeleteAndPurgeDropBlobs(t *testing.T) {
	s, _ := newTestStore(t, personalPolicy)
	x, y := randomBytes(70_000, 6), randomBytes(10, 7)
	draft := must[Application](t)(s.CreateDraft(appWith(0, x)))
	keep := must[Application](t)(s.CreateDraft(appWith(1, y)))
	acc := must[Application](t)(s.Submit(appWith(2, y)))
	noErr(t, s.MarkAccepted(acc.ID, Acceptance{Tracking: "T", Status: lifecycle.Received, At: t0}))
	exists := func(data []byte) bool {
		_, err := s.ReadBlob(shaOf(data), 0, make([]byte, 1))
		if err != nil && !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}

	noErr(t, s.Delete(draft.ID))
	if exists(x) {
		t.Fatal("Delete left the draft's file")
	}
	if n := must[int](t)(s.PurgeAccepted()); n != 1 || !exists(y) {
		t.Fatalf("purged %d; the file the draft still needs exists: %v", n, exists(y))
	}
	noErr(t, s.Check())
	// Autosave without the attachment drops it.
	noErr(t, s.SaveDraft(keep.ID, keep.Values, nil))
	if exists(y) {
		t.Fatal("a file no application references is still stored")
	}
	noErr(t, s.Check())
	if blobs := must[[]BlobInfo](t)(s.PendingBlobs()); blobs != nil {
		t.Fatalf("PendingBlobs %+v", blobs)
	}
}

// TestSaveDraftKeepsStoredFiles: a draft saved again with the attachments
// Get returned (references, no bytes) keeps its file; references to files
// not stored are refused.
func TestSaveDraftKeepsStoredFiles(t *testing.T) {
	s, _ := newTestStore(t)
	data := randomBytes(5000, 8)
	d := must[Application](t)(s.CreateDraft(appWith(0, data)))
	got := must[Application](t)(s.Get(d.ID))
	noErr(t, s.SaveDraft(d.ID, got.Values, got.Attachments))
	if back := readAll(t, s, shaOf(data), 4096); !bytes.Equal(back, data) {
		t.Fatal("file lost")
	}
	// Another application may reference a stored file by its ref alone.
	n := sampleApp(1)
	n.Attachments = got.Attachments
	n.Attachments[0].Ref.Size = 0 // filled from the stored file
	b := must[Application](t)(s.CreateDraft(n))
	if b.Attachments[0].Ref.Size != 5000 {
		t.Fatalf("size %d", b.Attachments[0].Ref.Size)
	}
	tests := []struct {
		name string
		atts []Attachment
	}{
		{"unknown file", []Attachment{{Field: "f", Ref: catalog.AttachmentRef{SHA256: shaOf([]byte("nope"))}}}},
		{"no hash and no bytes", []Attachment{{Field: "f"}}},
		{"upper-case hash", []Attachment{{Field: "f", Ref: catalog.AttachmentRef{SHA256: strings.ToUpper(shaOf(data))}}}},
		{"wrong size", []Attachment{{Field: "f", Ref: catalog.AttachmentRef{SHA256: shaOf(data), Size: 4999}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { mustIs(t, s.SaveDraft(d.ID, nil, tc.atts), ErrInvalid) })
	}
	noErr(t, s.Check())
}

// TestAttachIsAtomic: the blob is written in the transaction of the record;
// when that transaction fails nothing of the blob is left.
func TestAttachIsAtomic(t *testing.T) {
	s, _ := newTestStore(t)
	data := randomBytes(200_000, 9)
	n := appWith(0, data)
	n.Values["household_size"] = math.Inf(1) // fails after the blob is written
	_, err := s.Submit(n)
	mustIs(t, err, ErrInvalid)
	d := must[Application](t)(s.CreateDraft(sampleApp(1)))
	noErr(t, s.SaveDraft(d.ID, d.Values, nil))
	mustIs(t, s.SaveDraft(d.ID, catalog.Values{"x": math.NaN()}, appWith(1, data).Attachments), ErrInvalid)
	_, err = s.ReadBlob(shaOf(data), 0, make([]byte, 1))
	mustIs(t, err, ErrNotFound)
	noErr(t, s.view(func(tx *bolt.Tx) error {
		if k := tx.Bucket(bucketBlobChunks).Stats().KeyN; k != 0 {
			t.Fatalf("%d chunks left", k)
		}
		return nil
	}))
	noErr(t, s.Check())
}

func TestAttachmentSizeLimit(t *testing.T) {
	tests := []struct {
		name  string
		limit int64
		size  int
		want  string // "" = accepted, else the limit the error names
	}{
		{"default, at the limit", 0, DefaultMaxAttachment, ""},
		{"default, one byte over", 0, DefaultMaxAttachment + 1, "10 MiB"},
		{"custom, at the limit", 300 << 10, 300 << 10, ""},
		{"custom, over", 300 << 10, 300<<10 + 1, "300 KiB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestStore(t, func(o *Options) { o.MaxAttachment = tc.limit })
			data := make([]byte, tc.size)
			data[0] = 1
			for name, attach := range map[string]func() error{
				"CreateDraft": func() error { _, err := s.CreateDraft(appWith(0, data)); return err },
				"Submit":      func() error { _, err := s.Submit(appWith(1, data)); return err },
				"SaveDraft": func() error {
					d := must[Application](t)(s.CreateDraft(sampleApp(2)))
					return s.SaveDraft(d.ID, nil, appWith(2, data).Attachments)
				},
			} {
				err := attach()
				if tc.want == "" {
					noErr(t, err)
					continue
				}
				mustIs(t, err, ErrInvalid)
				if !strings.Contains(err.Error(), "limit of "+tc.want) || !strings.Contains(err.Error(), "id_card_scan") {
					t.Fatalf("%s: %v", name, err)
				}
			}
		})
	}
}

// TestPendingWaitingBlobs: items wait for their files to reach the central
// API; waiting items come back but never hold back the others.
func TestPendingWaitingBlobs(t *testing.T) {
	s, clock := newTestStore(t)
	x, y, z := randomBytes(100, 10), randomBytes(200_000, 11), randomBytes(300, 12)
	must[Application](t)(s.CreateDraft(appWith(9, z))) // a draft's file is not pending
	a := must[Application](t)(s.Submit(appWith(0, x)))
	clock.Advance(1)
	plain := sampleApp(1)
	plain.Attachments = nil
	b := must[Application](t)(s.Submit(plain))
	c := must[Application](t)(s.Submit(appWith(2, y)))
	d := must[Application](t)(s.Submit(appWith(3, x)))
	ids := func(items []OutboxItem) (ids []string, waiting [][]string) {
		for _, it := range items {
			ids = append(ids, it.ID)
			waiting = append(waiting, it.WaitingBlobs)
		}
		return ids, waiting
	}

	got, waiting := ids(must[[]OutboxItem](t)(s.Pending(1, 0)))
	if !reflect.DeepEqual(got, []string{a.ID, b.ID}) || !reflect.DeepEqual(waiting, [][]string{{shaOf(x)}, nil}) {
		t.Fatalf("Pending(1): %v %v", got, waiting)
	}
	pb := must[[]BlobInfo](t)(s.PendingBlobs())
	want := []BlobInfo{
		{SHA256: shaOf(x), Size: 100, Type: "image/jpeg", Apps: []string{a.ID, d.ID}},
		{SHA256: shaOf(y), Size: 200_000, Type: "image/jpeg", Apps: []string{c.ID}},
	}
	if !reflect.DeepEqual(pb, want) {
		t.Fatalf("PendingBlobs %+v", pb)
	}

	noErr(t, s.MarkBlobUploaded(shaOf(x)))
	noErr(t, s.MarkBlobUploaded(shaOf(x))) // twice is fine
	got, waiting = ids(must[[]OutboxItem](t)(s.Pending(0, 0)))
	if !reflect.DeepEqual(got, []string{a.ID, b.ID, c.ID, d.ID}) || !reflect.DeepEqual(waiting, [][]string{nil, nil, {shaOf(y)}, nil}) {
		t.Fatalf("after upload: %v %v", got, waiting)
	}
	if pb := must[[]BlobInfo](t)(s.PendingBlobs()); len(pb) != 1 || pb[0].SHA256 != shaOf(y) {
		t.Fatalf("PendingBlobs %+v", pb)
	}
	// The server lost it: it waits again.
	noErr(t, s.MarkBlobMissing(shaOf(x)))
	if pb := must[[]BlobInfo](t)(s.PendingBlobs()); len(pb) != 2 || pb[0].SHA256 != shaOf(x) {
		t.Fatalf("after MarkBlobMissing %+v", pb)
	}
	// An accepted application no longer makes its file pending: x now
	// comes after y, for d is younger than c.
	noErr(t, s.MarkAccepted(a.ID, Acceptance{Tracking: "T", At: t0}))
	if pb := must[[]BlobInfo](t)(s.PendingBlobs()); len(pb) != 2 || pb[1].SHA256 != shaOf(x) || !reflect.DeepEqual(pb[1].Apps, []string{d.ID}) {
		t.Fatalf("after acceptance %+v", pb)
	}
	mustIs(t, s.MarkBlobUploaded(shaOf([]byte("unknown"))), ErrNotFound)
	mustIs(t, s.MarkBlobMissing("zz"), ErrInvalid)
	noErr(t, s.Check())

	// Read-only: reading works, marking does not.
	noErr(t, s.Close())
	o := opts(dirOf(s), clock)
	o.ReadOnly = true
	ro := openT(t, o)
	if back := readAll(t, ro, shaOf(y), 256<<10); !bytes.Equal(back, y) {
		t.Fatal("read-only ReadBlob")
	}
	mustIs(t, ro.MarkBlobUploaded(shaOf(y)), ErrReadOnly)
}

// v1Record writes an application as schema 1 stored it: attachment bytes
// inline in the sealed personal record, no blob references.
func v1Record(t *testing.T, tx *bolt.Tx, r record, pd personalData) {
	t.Helper()
	seal, err := newSealer(testKey, "test")
	noErr(t, err)
	plain, err := json.Marshal(pd)
	noErr(t, err)
	sealed, err := seal.seal(bucketPersonal, []byte(r.ID), plain)
	noErr(t, err)
	noErr(t, tx.Bucket(bucketPersonal).Put([]byte(r.ID), sealed))
	if r.State == lifecycle.Queued {
		r.OutboxKey = seqKey(uint64(len(r.ID)), r.ID)
		r.Size = len(plain) + 200
		noErr(t, tx.Bucket(bucketOutbox).Put(r.OutboxKey, []byte(r.ID)))
	}
	a := r.Application
	a.Values, a.Attachments = pd.Values, pd.Attachments
	r.Fingerprint = Fingerprint(a)
	noErr(t, putRecord(tx, &r))
}

func TestMigrationV2InlineAttachments(t *testing.T) {
	clock := newClock(t0)
	dir := t.TempDir()
	s := openT(t, opts(dir, clock))
	noErr(t, s.Close())
	big, small := randomBytes(150_000, 13), randomBytes(20, 14)
	att := func(field string, data []byte) Attachment {
		return Attachment{Field: field, Ref: catalog.AttachmentRef{Name: "scan.jpg", Type: "image/jpeg", Size: int64(len(data)), SHA256: shaOf(data)}, Data: data}
	}
	rec := func(id string, st lifecycle.Status) record {
		return record{Application: Application{ID: id, Service: "residence_permit", State: st, CreatedAt: t0, UpdatedAt: t0,
			History: []Transition{{To: lifecycle.Draft, At: t0, Source: sourceDevice}}}}
	}
	raw(t, s.Path(), func(tx *bolt.Tx) error {
		noErr(t, tx.DeleteBucket(bucketBlobs))
		noErr(t, tx.DeleteBucket(bucketBlobChunks))
		noErr(t, tx.Bucket(bucketMeta).Put(keySchemaVersion, []byte("1")))
		v1Record(t, tx, rec("queued-1", lifecycle.Queued), personalData{Values: catalog.Values{"name": sampleName}, Attachments: []Attachment{att("a", big), att("b", small)}})
		v1Record(t, tx, rec("draft-1", lifecycle.Draft), personalData{Values: catalog.Values{"name": sampleName}, Attachments: []Attachment{att("a", big)}})
		v1Record(t, tx, rec("draft-2", lifecycle.Draft), personalData{Values: catalog.Values{"name": sampleName}})
		return nil
	})
	var sizeBefore int
	raw(t, s.Path(), func(tx *bolt.Tx) error {
		r, err := getRecord(tx, "queued-1")
		sizeBefore = r.Size
		return err
	})

	s = openT(t, opts(dir, clock))
	if s.SchemaVersion() != currentSchema() {
		t.Fatalf("schema %d", s.SchemaVersion())
	}
	for _, id := range []string{"queued-1", "draft-1"} {
		a := must[Application](t)(s.Get(id))
		for _, x := range a.Attachments {
			if x.Data != nil || x.Ref.SHA256 == "" {
				t.Fatalf("%s: attachment %+v", id, x.Ref)
			}
		}
	}
	if back := readAll(t, s, shaOf(big), 256<<10); !bytes.Equal(back, big) {
		t.Fatal("big file")
	}
	if back := readAll(t, s, shaOf(small), 256<<10); !bytes.Equal(back, small) {
		t.Fatal("small file")
	}
	items := must[[]OutboxItem](t)(s.Pending(0, 0))
	if len(items) != 1 || !reflect.DeepEqual(items[0].WaitingBlobs, []string{shaOf(big), shaOf(small)}) ||
		items[0].Size >= sizeBefore || items[0].Fingerprint != Fingerprint(items[0].Application) {
		t.Fatalf("pending %+v (size before %d)", items, sizeBefore)
	}
	noErr(t, s.Check())
	noErr(t, s.Close())

	// The personal records now hold references only; the big file once.
	raw(t, s.Path(), func(tx *bolt.Tx) error {
		seal, err := newSealer(testKey, "test")
		noErr(t, err)
		for _, id := range []string{"queued-1", "draft-1", "draft-2"} {
			plain, err := seal.open(bucketPersonal, []byte(id), tx.Bucket(bucketPersonal).Get([]byte(id)))
			noErr(t, err)
			if bytes.Contains(plain, []byte(`"data"`)) || len(plain) > 1000 {
				t.Errorf("%s: personal record still holds bytes (%d bytes)", id, len(plain))
			}
		}
		if n := tx.Bucket(bucketBlobChunks).Stats().KeyN; n != 4 {
			t.Errorf("%d chunks, want 3 + 1", n)
		}
		return nil
	})
	if rb := rawBlobOf(t, s.Path(), shaOf(big)); !reflect.DeepEqual(rb.refs, []string{"draft-1", "queued-1"}) || rb.meta.Refs != 2 {
		t.Fatalf("big file %+v", rb)
	}
}

func TestCheckBlobs(t *testing.T) {
	data := randomBytes(2*blobChunk+5, 15)
	sha := shaOf(data)
	garbage := shaOf([]byte("garbage"))
	tests := []struct {
		name     string
		damage   func(tx *bolt.Tx, id string) error
		want     string
		purgeFix bool // PurgeAccepted removes it
	}{
		{"chunk missing", func(tx *bolt.Tx, _ string) error {
			return tx.Bucket(bucketBlobChunks).Delete(chunkKey(sha, 1))
		}, "chunk 1 is missing", false},
		{"chunk cut short", func(tx *bolt.Tx, _ string) error {
			seal, _ := newSealer(testKey, "test")
			v, _ := seal.seal(bucketBlobChunks, chunkKey(sha, 0), data[:100])
			return tx.Bucket(bucketBlobChunks).Put(chunkKey(sha, 0), v)
		}, "chunk 0 has 100 bytes", false},
		{"chunk of other bytes", func(tx *bolt.Tx, _ string) error {
			seal, _ := newSealer(testKey, "test")
			v, _ := seal.seal(bucketBlobChunks, chunkKey(sha, 2), []byte("other"))
			return tx.Bucket(bucketBlobChunks).Put(chunkKey(sha, 2), v)
		}, "do not hash to its name", false},
		{"file missing", func(tx *bolt.Tx, _ string) error {
			return tx.Bucket(bucketBlobs).Delete([]byte(sha))
		}, "is not stored", false},
		{"reference entry missing", func(tx *bolt.Tx, id string) error {
			return tx.Bucket(bucketBlobs).Delete(refKey(sha, id))
		}, "does not list it", false},
		{"wrong chunk count", func(tx *bolt.Tx, _ string) error {
			return putBlobMeta(tx, sha, &blobMeta{Size: int64(len(data)), Chunks: 2, Refs: 1})
		}, "2 chunks recorded", false},
		{"unreferenced file", func(tx *bolt.Tx, _ string) error {
			b := tx.Bucket(bucketBlobChunks)
			noErr(t, b.Put(chunkKey(garbage, 0), bytes.Clone(b.Get(chunkKey(sha, 0)))))
			return putBlobMeta(tx, garbage, &blobMeta{Size: 10, Chunks: 1})
		}, "referenced by no application", true},
		{"stray chunks", func(tx *bolt.Tx, _ string) error {
			return tx.Bucket(bucketBlobChunks).Put(chunkKey(garbage, 3), []byte("x"))
		}, "chunks stored but no file", true},
		{"reference of a deleted application", func(tx *bolt.Tx, _ string) error {
			noErr(t, tx.Bucket(bucketBlobs).Put(refKey(sha, "gone"), nil))
			return putBlobMeta(tx, sha, &blobMeta{Size: int64(len(data)), Chunks: 3, Refs: 2})
		}, "2 reference entries, 1 applications", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock(t0)
			dir := t.TempDir()
			s := openT(t, opts(dir, clock))
			a := must[Application](t)(s.CreateDraft(appWith(0, data)))
			noErr(t, s.Check())
			noErr(t, s.Close())
			raw(t, s.Path(), func(tx *bolt.Tx) error { return tc.damage(tx, a.ID) })
			s = openT(t, opts(dir, clock))
			err := s.Check()
			mustIs(t, err, ErrCorrupt)
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check: %v, want it to mention %q", err, tc.want)
			}
			if !tc.purgeFix {
				return
			}
			must[int](t)(s.PurgeAccepted())
			noErr(t, s.Check())
			if back := readAll(t, s, sha, 1<<20); !bytes.Equal(back, data) {
				t.Fatal("the purge damaged a referenced file")
			}
		})
	}
}

const fiveMB = 5 << 20

// BenchmarkPutBlob5MB attaches a 5 MB file to a new draft: hashing, sealing
// 80 chunks and writing them with the record in one transaction (fsync
// included). Each round's file differs (its first bytes are the round number).
func BenchmarkPutBlob5MB(b *testing.B) {
	s, _ := newTestStore(b)
	data := randomBytes(fiveMB, 16)
	b.SetBytes(fiveMB)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		copy(data, []byte{byte(i), byte(i >> 8), byte(i >> 16), byte(i >> 24)})
		a, err := s.CreateDraft(appWith(0, data))
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		noErr(b, s.Delete(a.ID)) // keep the file from growing without bound
		b.StartTimer()
	}
}

// BenchmarkReadBlob5MB reads a 5 MB attachment back in 256 KiB pieces, as
// the sync engine does to upload it.
func BenchmarkReadBlob5MB(b *testing.B) {
	s, _ := newTestStore(b)
	data := randomBytes(fiveMB, 17)
	sha := must[Application](b)(s.CreateDraft(appWith(0, data))).Attachments[0].Ref.SHA256
	p := make([]byte, 256<<10)
	b.SetBytes(fiveMB)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for off := int64(0); off < fiveMB; off += int64(len(p)) {
			if _, err := s.ReadBlob(sha, off, p); err != nil && err != io.EOF {
				b.Fatal(err)
			}
		}
	}
}
