package central

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"civicdesk/sync/wire"
)

// answer is everything a device sees of an HTTP answer but its Date.
func answer(resp *http.Response, body []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d\n", resp.StatusCode)
	keys := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		if k != "Date" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %q\n", k, resp.Header[k])
	}
	b.Write(body)
	return b.String()
}

// chunkBuckets counts the chunk buckets of the data file: one per stored
// blob and per live upload, so that a copy kept twice or left behind shows.
func (f *fixture) chunkBuckets() int {
	f.t.Helper()
	n := 0
	if err := f.srv.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBlobChunks).ForEachBucket(func([]byte) error { n++; return nil })
	}); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// uploadRecords counts the partial upload records of the data file.
func (f *fixture) uploadRecords() int {
	f.t.Helper()
	n := 0
	if err := f.srv.db.View(func(tx *bolt.Tx) error {
		all := tx.Bucket(bucketUploads)
		return all.ForEachBucket(func(dev []byte) error {
			n += all.Bucket(dev).Stats().KeyN
			return nil
		})
	}); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) owners(sha string) []string {
	f.t.Helper()
	ids, err := f.srv.blobOwners(sha)
	if err != nil {
		f.t.Fatal(err)
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids ...string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

// TestBlobNonOwnerCannotTellItExists: to a device that never uploaded a
// blob, a blob another device completed (or is uploading) answers exactly
// as one nobody has, request after request; once the device sends the
// bytes, it owns the blob, and only one copy is kept.
func TestBlobNonOwnerCannotTellItExists(t *testing.T) {
	withPhotoField := func(o *Options) { o.Catalog = blobCatalog() }
	holder := newFixture(t, withPhotoField) // device A holds X complete and part of Y
	blank := newFixture(t, withPhotoField)  // nobody holds anything
	devA, tokA := holder.enroll("kiosk")
	devP, tokP := holder.enroll("phone") // the prober
	_, tokBlank := blank.enroll("phone")

	x := randomBytes(60_000, 21) // a scanned ID card, say
	y := randomBytes(30_000, 22)
	shaX, shaY := sha256Hex(x), sha256Hex(y)
	holder.uploadBlob(tokA, x, "image/jpeg", 25_000)
	holder.createBlob(tokA, y, "image/jpeg", 201)
	holder.patch(tokA, shaY, 0, y[:10_000])
	owned := withPhoto(x, "image/jpeg")
	if r := holder.submit(tokA, owned)[0]; r.Outcome != wire.Accepted {
		t.Fatalf("the owner's application: %+v", r)
	}
	copies := holder.chunkBuckets()

	create := func(data []byte, size int64, typ string) request {
		return request{method: "POST", path: wire.PathBlobs, body: wire.BlobCreate{SHA256: sha256Hex(data), Size: size, Type: typ}}
	}
	head := func(sha string) request { return request{method: "HEAD", path: wire.PathBlobs + "/" + sha} }
	patch := func(sha string, off int64, chunk []byte) request {
		return request{method: "PATCH", path: wire.PathBlobs + "/" + sha, raw: chunk, header: chunkHeaders(off, chunk)}
	}
	otherSize := withPhoto(x, "image/jpeg") // what a prober that guessed the size wrong would send
	otherSize.Attachments[0].Size--
	otherSize.Values["photo"] = otherSize.Attachments[0]
	plain := withPhoto(x, "image/jpeg")
	submit := request{method: "POST", path: wire.PathSubmit, body: wire.SubmitRequest{Items: []wire.SubmitItem{plain, otherSize}}}
	probes := []struct {
		name string
		rq   request
	}{
		{"HEAD of the complete blob", head(shaX)},
		{"PATCH of the complete blob", patch(shaX, 0, x[:1000])},
		{"PATCH at its end", patch(shaX, int64(len(x)), nil)},
		{"submission naming it", submit},
		{"POST with another size", create(x, int64(len(x))-1, "image/jpeg")},
		{"POST with another type", create(x, int64(len(x)), "application/pdf")},
		{"POST", create(x, int64(len(x)), "image/jpeg")},
		{"HEAD after POST", head(shaX)},
		{"PATCH at the wrong offset", patch(shaX, 5, x[5:1000])},
		{"PATCH past the end", patch(shaX, 0, append(bytes.Clone(x), 0))},
		{"PATCH of a first chunk", patch(shaX, 0, x[:20_000])},
		{"HEAD after a chunk", head(shaX)},
		{"POST again", create(x, int64(len(x)), "image/jpeg")},
		{"submission with a partial upload", submit},
		{"HEAD of another device's partial upload", head(shaY)},
		{"PATCH of another device's partial upload", patch(shaY, 10_000, y[10_000:12_000])},
		{"POST of another device's partial upload", create(y, int64(len(y)), "image/jpeg")},
		{"HEAD of it after POST", head(shaY)},
	}
	for _, p := range probes {
		t.Run(p.name, func(t *testing.T) {
			rq := p.rq
			rq.token = tokP
			got := answer(holder.do(rq))
			rq.token = tokBlank
			want := answer(blank.do(rq))
			if got != want {
				t.Fatalf("the answer differs from the one for a blob nobody has:\n--- holder\n%s\n--- nobody\n%s", got, want)
			}
		})
	}
	if st, _, _ := holder.head(tokA, shaY); st != 10_000 {
		t.Fatalf("the prober moved the other device's upload to %d", st)
	}

	t.Run("the prober owns it once it sent the bytes", func(t *testing.T) {
		status, off := holder.patch(tokP, shaX, 20_000, x[20_000:])
		if status != http.StatusNoContent || off != int64(len(x)) {
			t.Fatalf("last PATCH: %d, offset %d", status, off)
		}
		if got, want := holder.owners(shaX), sorted(devA, devP); !slices.Equal(got, want) {
			t.Fatalf("owners %v, want %v", got, want)
		}
		if st := holder.createBlob(tokP, x, "image/jpeg", 200); !st.Complete || st.Offset != int64(len(x)) {
			t.Fatalf("POST by the new owner: %+v", st)
		}
		if off, size, ok := holder.head(tokP, shaX); !ok || off != size {
			t.Fatalf("HEAD by the new owner: %d/%d %v", off, size, ok)
		}
		// One copy: the prober's bytes were checked, then dropped (its
		// upload of Y has no chunk yet).
		if n := holder.chunkBuckets(); n != copies {
			t.Fatalf("%d chunk buckets, want %d (one copy of X, A's upload of Y)", n, copies)
		}
		if !bytes.Equal(holder.blobBytes(shaX), x) {
			t.Fatal("stored bytes differ")
		}
	})
	t.Run("each application of the owner is accepted without another upload", func(t *testing.T) {
		before := holder.srv.UploadStats().BytesReceived
		first, second := withPhoto(x, "image/jpeg"), withPhoto(x, "image/jpeg")
		for _, it := range []wire.SubmitItem{first, second} {
			if r := holder.submit(tokP, it)[0]; r.Outcome != wire.Accepted || r.Duplicate {
				t.Fatalf("%+v", r)
			}
		}
		if got := holder.srv.UploadStats().BytesReceived; got != before {
			t.Fatalf("%d more bytes received", got-before)
		}
	})
}

// TestBlobUploadsOfTwoDevicesAreIndependent: two devices uploading the
// same file each have their own offset; the second to finish is checked
// and made an owner, its bytes dropped; a device whose bytes do not match
// loses its own upload only.
func TestBlobUploadsOfTwoDevicesAreIndependent(t *testing.T) {
	f := newFixture(t)
	devA, tokA := f.enroll("kiosk")
	devB, tokB := f.enroll("phone")
	_, tokC := f.enroll("phone")
	data := randomBytes(90_000, 23)
	sha := sha256Hex(data)

	f.createBlob(tokA, data, "image/png", 201)
	if st := f.createBlob(tokB, data, "image/png", 201); st.Offset != 0 {
		t.Fatalf("B starts at %d", st.Offset)
	}
	f.patch(tokA, sha, 0, data[:40_000])
	if off, _, _ := f.head(tokB, sha); off != 0 {
		t.Fatalf("B sees A's offset %d", off)
	}
	if status, off := f.patch(tokB, sha, 40_000, data[40_000:50_000]); status != http.StatusConflict || off != 0 {
		t.Fatalf("B resumed from A's offset: %d, offset %d", status, off)
	}
	f.patch(tokB, sha, 0, data[:30_000])
	if off, _, _ := f.head(tokA, sha); off != 40_000 {
		t.Fatalf("A's offset %d after B's chunk", off)
	}
	if _, err := f.srv.Blob(sha); err == nil {
		t.Fatal("complete before any upload finished")
	}

	// A finishes first: its bytes are the blob's.
	if status, off := f.patch(tokA, sha, 40_000, data[40_000:]); status != 204 || off != int64(len(data)) {
		t.Fatalf("A's last chunk: %d %d", status, off)
	}
	if off, _, _ := f.head(tokB, sha); off != 30_000 {
		t.Fatalf("B's offset %d after A finished", off)
	}
	if got := f.owners(sha); !slices.Equal(got, []string{devA}) {
		t.Fatalf("owners %v", got)
	}
	// C sends other bytes under the name: dropped, A's blob untouched.
	wrong := bytes.Clone(data)
	wrong[100] ^= 1
	f.createBlob(tokC, data, "image/png", 201)
	f.patch(tokC, sha, 0, wrong[:50_000])
	resp, b := f.do(request{method: "PATCH", path: wire.PathBlobs + "/" + sha, token: tokC, raw: wrong[50_000:], header: chunkHeaders(50_000, wrong[50_000:])})
	checkError(t, "C's last chunk", resp, b, http.StatusUnprocessableEntity, codeBlobCorrupt)
	if _, _, ok := f.head(tokC, sha); ok {
		t.Fatal("C's dropped upload still answers")
	}
	if off, _, ok := f.head(tokA, sha); !ok || off != int64(len(data)) {
		t.Fatalf("A's blob after C's mismatch: %d %v", off, ok)
	}
	// B finishes: checked, made an owner, its copy dropped.
	if status, off := f.patch(tokB, sha, 30_000, data[30_000:]); status != 204 || off != int64(len(data)) {
		t.Fatalf("B's last chunk: %d %d", status, off)
	}
	if got, want := f.owners(sha), sorted(devA, devB); !slices.Equal(got, want) {
		t.Fatalf("owners %v, want %v", got, want)
	}
	if n, u := f.chunkBuckets(), f.uploadRecords(); n != 1 || u != 0 {
		t.Fatalf("%d chunk buckets and %d uploads left, want the one copy", n, u)
	}
	if !bytes.Equal(f.blobBytes(sha), data) {
		t.Fatal("stored bytes differ")
	}
}

// TestBlobOwnersFromOlderDataFile: a data file made before per-device
// uploads (no owners, chunks under the blob's name, partial uploads in the
// blobs bucket) opens with the devices of the applications that reference
// a blob as its owners, its partial uploads dropped, and its bytes served.
func TestBlobOwnersFromOlderDataFile(t *testing.T) {
	withPhotoField := func(o *Options) { o.Catalog = blobCatalog() }
	f := newFixture(t, withPhotoField)
	devA, tokA := f.enroll("kiosk")
	devH, tokH := f.enroll("kiosk") // takes A's application over (hand-off)
	_, tokB := f.enroll("phone")
	x := randomBytes(50_000, 24) // referenced by A's application
	z := randomBytes(20_000, 25) // uploaded, never referenced
	p := randomBytes(40_000, 26) // half uploaded
	shaX, shaZ, shaP := sha256Hex(x), sha256Hex(z), sha256Hex(p)
	f.uploadBlob(tokA, x, "image/jpeg", 20_000)
	f.uploadBlob(tokA, z, "image/png", 20_000)
	app := withPhoto(x, "image/jpeg")
	if r := f.submit(tokA, app)[0]; r.Outcome != wire.Accepted {
		t.Fatalf("%+v", r)
	}
	if r := f.submit(tokH, app)[0]; !r.Duplicate {
		t.Fatalf("hand-off: %+v", r)
	}

	// Rewrite the blobs as a server before per-device uploads stored them.
	legacy := func(tx *bolt.Tx, sha string, data []byte, typ string, held int64) error {
		blobs, chunks := tx.Bucket(bucketBlobs), tx.Bucket(bucketBlobChunks)
		var rec blobRecord
		if ok, err := getJSON(blobs, []byte(sha), &rec); err != nil {
			return err
		} else if ok {
			if err := deleteChunks(tx, rec.chunkKey(sha)); err != nil {
				return err
			}
		}
		rec = blobRecord{Size: int64(len(data)), Type: typ, Offset: held, Complete: held == int64(len(data)),
			CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now()}
		if !rec.Complete {
			rec.Hash = newHashState() // not the real state: never read, the upload is dropped
		}
		b, err := chunks.CreateBucket([]byte(sha))
		if err != nil {
			return err
		}
		for off := int64(0); off < held; off += 10_000 {
			if err := b.Put(seqKey(uint64(off)), data[off:min(off+10_000, held)]); err != nil {
				return err
			}
		}
		return putJSON(blobs, []byte(sha), rec)
	}
	if err := f.srv.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketBlobOwners, bucketUploads} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		if err := legacy(tx, shaX, x, "image/jpeg", int64(len(x))); err != nil {
			return err
		}
		if err := legacy(tx, shaZ, z, "image/png", int64(len(z))); err != nil {
			return err
		}
		return legacy(tx, shaP, p, "application/pdf", 20_000)
	}); err != nil {
		t.Fatal(err)
	}

	for round := range 2 { // opening twice changes nothing more
		f.close()
		f.open(withPhotoField)
		t.Run(fmt.Sprintf("open %d", round+1), func(t *testing.T) {
			if got, want := f.owners(shaX), sorted(devA, devH); !slices.Equal(got, want) {
				t.Fatalf("owners of the referenced blob %v, want %v", got, want)
			}
			if got := f.owners(shaZ); len(got) != 0 {
				t.Fatalf("owners of the unreferenced blob %v, want none", got)
			}
			if !bytes.Equal(f.blobBytes(shaX), x) || !bytes.Equal(f.blobBytes(shaZ), z) {
				t.Fatal("the bytes of an older blob changed")
			}
			if _, err := f.srv.Blob(shaP); err == nil {
				t.Fatal("the partial upload of an older file is still a blob")
			}
			if n := f.chunkBuckets(); n != 2 {
				t.Fatalf("%d chunk buckets, want X's and Z's", n)
			}
		})
	}
	t.Run("owners need no upload", func(t *testing.T) {
		for _, tok := range []string{tokA, tokH} {
			if st := f.createBlob(tok, x, "image/jpeg", 200); !st.Complete {
				t.Fatalf("an owner would upload again: %+v", st)
			}
		}
		if r := f.submit(tokH, withPhoto(x, "image/jpeg"))[0]; r.Outcome != wire.Accepted {
			t.Fatalf("another application of an owner: %+v", r)
		}
	})
	t.Run("others must upload", func(t *testing.T) {
		if _, _, ok := f.head(tokB, shaX); ok {
			t.Fatal("a device that never sent X sees it")
		}
		if _, _, ok := f.head(tokA, shaZ); ok {
			t.Fatal("an unreferenced older blob is seen before anyone uploads it")
		}
		f.uploadBlob(tokA, z, "image/png", 8_000)
		if got := f.owners(shaZ); !slices.Equal(got, []string{devA}) {
			t.Fatalf("owners of Z after upload %v", got)
		}
		if !bytes.Equal(f.blobBytes(shaZ), z) || f.chunkBuckets() != 2 {
			t.Fatal("the upload of an older blob left a second copy")
		}
	})
	t.Run("the dropped partial upload starts again", func(t *testing.T) {
		if st := f.createBlob(tokA, p, "application/pdf", 201); st.Offset != 0 {
			t.Fatalf("%+v", st)
		}
		f.uploadBlobFrom(tokA, p, 0, 15_000)
		if !bytes.Equal(f.blobBytes(shaP), p) {
			t.Fatal("stored bytes differ")
		}
	})
}

// uploadBlobFrom sends data from offset off to its end.
func (f *fixture) uploadBlobFrom(tok string, data []byte, off int64, chunk int) {
	f.t.Helper()
	sha := sha256Hex(data)
	for off < int64(len(data)) {
		end := min(off+int64(chunk), int64(len(data)))
		status, next := f.patch(tok, sha, off, data[off:end])
		if status != http.StatusNoContent || next != end {
			f.t.Fatalf("PATCH at %d: status %d, offset %d", off, status, next)
		}
		off = next
	}
}

// TestPartialUploadExpiry: a partial upload without a chunk for longer
// than PartialTTL is unknown to its device, and the sweep deletes it; fresh
// uploads and complete blobs stay.
func TestPartialUploadExpiry(t *testing.T) {
	const day = 24 * time.Hour
	f := newFixture(t)
	devA, tokA := f.enroll("kiosk")
	_, tokB := f.enroll("phone")
	done := randomBytes(10_000, 27)
	fresh := randomBytes(30_000, 28)
	stale := randomBytes(30_000, 29)
	shaDone, shaFresh, shaStale := sha256Hex(done), sha256Hex(fresh), sha256Hex(stale)
	f.uploadBlob(tokA, done, "image/png", 4_000)
	f.createBlob(tokA, fresh, "image/png", 201)
	f.patch(tokA, shaFresh, 0, fresh[:10_000])
	f.createBlob(tokB, stale, "image/png", 201)
	f.patch(tokB, shaStale, 0, stale[:10_000])

	f.clock.Advance(6 * day)
	f.patch(tokA, shaFresh, 10_000, fresh[10_000:20_000]) // written to: its week starts again
	f.clock.Advance(day + time.Minute)                    // B's upload: 7 days and a minute without a chunk

	t.Run("an expired upload is unknown before any sweep", func(t *testing.T) {
		if f.uploadRecords() != 2 {
			t.Fatal("swept before the test asked")
		}
		if _, _, ok := f.head(tokB, shaStale); ok {
			t.Fatal("HEAD of an expired upload found it")
		}
		if status, _ := f.patch(tokB, shaStale, 10_000, stale[10_000:20_000]); status != http.StatusNotFound {
			t.Fatalf("PATCH of an expired upload: %d, want 404", status)
		}
	})
	t.Run("the sweep deletes stale uploads only", func(t *testing.T) {
		buckets := f.chunkBuckets()
		n, err := f.srv.SweepPartialUploads()
		if err != nil || n != 1 {
			t.Fatalf("SweepPartialUploads = %d, %v; want 1", n, err)
		}
		if f.uploadRecords() != 1 || f.chunkBuckets() != buckets-1 {
			t.Fatalf("after the sweep: %d uploads, %d chunk buckets (was %d)", f.uploadRecords(), f.chunkBuckets(), buckets)
		}
		if off, _, ok := f.head(tokA, shaFresh); !ok || off != 20_000 {
			t.Fatalf("fresh upload after the sweep: %d %v", off, ok)
		}
		if f.clock.Advance(30 * day); !bytes.Equal(f.blobBytes(shaDone), done) {
			t.Fatal("the complete blob changed")
		}
		if n, err := f.srv.SweepPartialUploads(); err != nil || n != 1 {
			t.Fatalf("second sweep = %d, %v; want the fresh upload, now stale", n, err)
		}
		if off, _, ok := f.head(tokA, shaDone); !ok || off != int64(len(done)) || !slices.Equal(f.owners(shaDone), []string{devA}) {
			t.Fatal("a complete blob was swept")
		}
	})
	t.Run("the device starts again", func(t *testing.T) {
		if st := f.createBlob(tokB, stale, "image/png", 201); st.Offset != 0 {
			t.Fatalf("%+v", st)
		}
		f.uploadBlobFrom(tokB, stale, 0, 12_000)
		if !bytes.Equal(f.blobBytes(shaStale), stale) {
			t.Fatal("stored bytes differ")
		}
	})
}

// TestPartialUploadSweepTriggers: the sweep runs at Open and, lazily, on
// the blob requests once PartialTTL (at most an hour) has passed since the
// last one; Options.PartialTTL is honoured.
func TestPartialUploadSweepTriggers(t *testing.T) {
	ttl := func(d time.Duration) func(*Options) { return func(o *Options) { o.PartialTTL = d } }
	t.Run("lazily on POST", func(t *testing.T) {
		f := newFixture(t, ttl(30*time.Minute))
		_, tok := f.enroll("kiosk")
		a, b := randomBytes(1000, 30), randomBytes(1000, 31)
		f.createBlob(tok, a, "image/png", 201)
		f.clock.Advance(20 * time.Minute)
		f.createBlob(tok, b, "image/png", 201) // too soon: nothing is stale yet anyway
		if f.uploadRecords() != 2 {
			t.Fatalf("%d uploads", f.uploadRecords())
		}
		f.clock.Advance(11 * time.Minute) // a: 31 min old, b: 11 min
		var st wire.BlobStatus
		f.doJSON(request{method: "POST", path: wire.PathBlobs, token: tok,
			body: wire.BlobCreate{SHA256: sha256Hex(b), Size: 1000, Type: "image/png"}}, 200, &st)
		if f.uploadRecords() != 1 || f.chunkBuckets() != 0 {
			t.Fatalf("after a POST past the sweep interval: %d uploads, %d chunk buckets", f.uploadRecords(), f.chunkBuckets())
		}
	})
	t.Run("at open", func(t *testing.T) {
		f := newFixture(t)
		_, tok := f.enroll("kiosk")
		data := randomBytes(5000, 32)
		f.createBlob(tok, data, "image/png", 201)
		f.patch(tok, sha256Hex(data), 0, data[:1000])
		f.clock.Advance(DefaultPartialTTL + time.Second)
		f.reopen()
		if f.uploadRecords() != 0 || f.chunkBuckets() != 0 {
			t.Fatalf("after reopening: %d uploads, %d chunk buckets", f.uploadRecords(), f.chunkBuckets())
		}
	})
	t.Run("default is seven days", func(t *testing.T) {
		f := newFixture(t)
		_, tok := f.enroll("kiosk")
		data := randomBytes(5000, 33)
		f.createBlob(tok, data, "image/png", 201)
		f.clock.Advance(DefaultPartialTTL)
		if n, _ := f.srv.SweepPartialUploads(); n != 0 {
			t.Fatal("swept at exactly the TTL")
		}
		if DefaultPartialTTL != 7*24*time.Hour {
			t.Fatalf("DefaultPartialTTL = %v", DefaultPartialTTL)
		}
	})
}

// TestBlobErrorBodiesNameNoOwner: the 404 of an unknown upload says what
// to do and nothing about other devices.
func TestBlobErrorBodiesNameNoOwner(t *testing.T) {
	f := newFixture(t)
	_, tokA := f.enroll("kiosk")
	_, tokB := f.enroll("phone")
	data := randomBytes(2000, 34)
	sha := f.uploadBlob(tokA, data, "image/png", 1000)
	resp, b := f.do(request{method: "PATCH", path: wire.PathBlobs + "/" + sha, token: tokB, raw: data[:10], header: chunkHeaders(0, data[:10])})
	e := checkError(t, "PATCH by a non-owner", resp, b, http.StatusNotFound, codeNotFound)
	if !strings.Contains(e.Message, "POST /v1/blobs") {
		t.Fatalf("message %q does not say what to do", e.Message)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil || len(raw) != 2 {
		t.Fatalf("error body %s: want only error and message", b)
	}
}
