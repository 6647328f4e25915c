package central

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"civicdesk/sync/wire"
)

// blobGone checks that nothing of blob sha is left: record, bytes, owners,
// references.
func (f *fixture) blobGone(sha string) {
	f.t.Helper()
	if _, err := f.srv.Blob(sha); !errors.Is(err, ErrBlobNotFound) {
		f.t.Fatalf("Blob after the sweep: %v, want ErrBlobNotFound", err)
	}
	if err := f.srv.db.View(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketBlobChunks, bucketBlobOwners, bucketBlobRefs} {
			if tx.Bucket(b).Bucket([]byte(sha)) != nil {
				f.t.Errorf("%s still holds the swept blob", b)
			}
		}
		return nil
	}); err != nil {
		f.t.Fatal(err)
	}
	if got := f.owners(sha); len(got) != 0 {
		f.t.Fatalf("owners %v after the sweep", got)
	}
}

// TestSweepUnreferencedBlobs: a complete blob no application references
// is deleted once PartialTTL has passed since it was completed; a
// referenced one and a young one are kept; a submission naming a deleted
// blob gets wire.CodeBlobMissing, and uploading it again works.
func TestSweepUnreferencedBlobs(t *testing.T) {
	const day = 24 * time.Hour
	f := newFixture(t, func(o *Options) { o.Catalog = blobCatalog() })
	devA, tokA := f.enroll("kiosk")
	_, tokB := f.enroll("phone")
	used := randomBytes(30_000, 40)   // referenced by an application
	orphan := randomBytes(30_000, 41) // uploaded, never referenced
	young := randomBytes(30_000, 42)  // uploaded later, never referenced
	again := randomBytes(30_000, 43)  // uploaded by A, later by B too
	shaUsed, shaOrphan, shaYoung, shaAgain := sha256Hex(used), sha256Hex(orphan), sha256Hex(young), sha256Hex(again)
	f.uploadBlob(tokA, used, "image/jpeg", 10_000)
	f.uploadBlob(tokA, orphan, "image/jpeg", 10_000)
	f.uploadBlob(tokA, again, "image/jpeg", 10_000)
	if r := f.submit(tokA, withPhoto(used, "image/jpeg"))[0]; r.Outcome != wire.Accepted {
		t.Fatalf("%+v", r)
	}
	f.clock.Advance(5 * day)
	f.uploadBlob(tokA, young, "image/jpeg", 10_000)
	f.uploadBlob(tokB, again, "image/jpeg", 10_000) // a second owner completes it: its wait starts again

	t.Run("nothing at exactly the TTL", func(t *testing.T) {
		f.clock.Advance(2 * day) // orphan: 7 days exactly
		if n, err := f.srv.SweepUnreferencedBlobs(); err != nil || n != 0 {
			t.Fatalf("SweepUnreferencedBlobs = %d, %v; want 0", n, err)
		}
	})
	t.Run("an old unreferenced blob goes", func(t *testing.T) {
		f.clock.Advance(time.Minute)
		buckets := f.chunkBuckets()
		if n, err := f.srv.SweepUnreferencedBlobs(); err != nil || n != 1 {
			t.Fatalf("SweepUnreferencedBlobs = %d, %v; want 1", n, err)
		}
		f.blobGone(shaOrphan)
		if f.chunkBuckets() != buckets-1 {
			t.Fatalf("%d chunk buckets, want %d", f.chunkBuckets(), buckets-1)
		}
		if _, _, ok := f.head(tokA, shaOrphan); ok {
			t.Fatal("its owner still sees it")
		}
	})
	t.Run("referenced, young and completed again are kept", func(t *testing.T) {
		for _, b := range []struct {
			sha  string
			data []byte
		}{{shaUsed, used}, {shaYoung, young}, {shaAgain, again}} {
			if !bytes.Equal(f.blobBytes(b.sha), b.data) {
				t.Fatal("a kept blob changed")
			}
		}
		if got := f.owners(shaUsed); !slices.Equal(got, []string{devA}) {
			t.Fatalf("owners of the referenced blob %v", got)
		}
		f.clock.Advance(30 * day)
		if n, err := f.srv.SweepUnreferencedBlobs(); err != nil || n != 2 {
			t.Fatalf("a month later: %d swept, %v; want young and again", n, err)
		}
		if !bytes.Equal(f.blobBytes(shaUsed), used) {
			t.Fatal("the referenced blob was swept")
		}
		f.blobGone(shaYoung)
		f.blobGone(shaAgain)
	})
	t.Run("a submission naming a swept blob uploads it again", func(t *testing.T) {
		it := withPhoto(orphan, "image/jpeg")
		r := f.submit(tokA, it)[0]
		if r.Outcome != wire.Retry || !hasFieldError(r.Errors, "photo", wire.CodeBlobMissing) {
			t.Fatalf("want retry with %s, got %+v", wire.CodeBlobMissing, r)
		}
		f.uploadBlob(tokA, orphan, "image/jpeg", 10_000)
		if r := f.submit(tokA, it)[0]; r.Outcome != wire.Accepted {
			t.Fatalf("after uploading again: %+v", r)
		}
		f.clock.Advance(30 * day)
		if n, _ := f.srv.SweepUnreferencedBlobs(); n != 0 || !bytes.Equal(f.blobBytes(shaOrphan), orphan) {
			t.Fatal("a blob referenced again was swept")
		}
	})
}

// TestSweepUnreferencedBlobsOwnerAnnouncesAgain: an owner announcing its
// complete blob again (about to name it in an application) restarts the
// wait.
func TestSweepUnreferencedBlobsOwnerAnnouncesAgain(t *testing.T) {
	const day = 24 * time.Hour
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	data := randomBytes(5_000, 44)
	f.uploadBlob(tok, data, "image/png", 5_000)
	f.clock.Advance(6 * day)
	if st := f.createBlob(tok, data, "image/png", 200); !st.Complete {
		t.Fatalf("%+v", st)
	}
	f.clock.Advance(6 * day)
	if n, err := f.srv.SweepUnreferencedBlobs(); err != nil || n != 0 {
		t.Fatalf("swept %d (%v) six days after the owner announced it", n, err)
	}
	f.clock.Advance(day + time.Minute)
	if n, err := f.srv.SweepUnreferencedBlobs(); err != nil || n != 1 {
		t.Fatalf("swept %d (%v), want 1", n, err)
	}
}

// TestSweepUnreferencedBlobsWithoutCompletionTime: a complete blob of a
// data file made before completion times gets the time of the first sweep
// that finds it unreferenced, however old it is.
func TestSweepUnreferencedBlobsWithoutCompletionTime(t *testing.T) {
	const day = 24 * time.Hour
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	data := randomBytes(5_000, 45)
	sha := f.uploadBlob(tok, data, "image/png", 5_000)
	if err := f.srv.db.Update(func(tx *bolt.Tx) error {
		var rec blobRecord
		if _, err := getJSON(tx.Bucket(bucketBlobs), []byte(sha), &rec); err != nil {
			return err
		}
		rec.CompletedAt = time.Time{}
		return putJSON(tx.Bucket(bucketBlobs), []byte(sha), rec)
	}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(365 * day)
	f.reopen() // Open sweeps: sees it first
	if n, err := f.srv.SweepUnreferencedBlobs(); err != nil || n != 0 || !bytes.Equal(f.blobBytes(sha), data) {
		t.Fatalf("an old blob without a completion time was swept at once (%d, %v)", n, err)
	}
	f.clock.Advance(DefaultPartialTTL)
	if n, _ := f.srv.SweepUnreferencedBlobs(); n != 0 {
		t.Fatal("swept at exactly the TTL after the first sweep")
	}
	f.clock.Advance(time.Second)
	if n, err := f.srv.SweepUnreferencedBlobs(); err != nil || n != 1 {
		t.Fatalf("swept %d (%v), want 1", n, err)
	}
	f.blobGone(sha)
}

// TestSweepUnreferencedBlobsTriggers: the sweep runs at Open and lazily on
// the blob requests, as the sweep of partial uploads does.
func TestSweepUnreferencedBlobsTriggers(t *testing.T) {
	t.Run("lazily on POST", func(t *testing.T) {
		f := newFixture(t, func(o *Options) { o.PartialTTL = 30 * time.Minute })
		_, tok := f.enroll("kiosk")
		old, other := randomBytes(1000, 46), randomBytes(1000, 47)
		sha := f.uploadBlob(tok, old, "image/png", 1000)
		f.clock.Advance(31 * time.Minute)
		f.createBlob(tok, other, "image/png", 201)
		f.blobGone(sha)
	})
	t.Run("at open", func(t *testing.T) {
		f := newFixture(t)
		_, tok := f.enroll("kiosk")
		sha := f.uploadBlob(tok, randomBytes(1000, 48), "image/png", 1000)
		f.clock.Advance(DefaultPartialTTL + time.Second)
		f.reopen()
		f.blobGone(sha)
	})
}
