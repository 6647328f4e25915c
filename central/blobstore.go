package central

import (
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"strings"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"civicdesk/sync/wire"
)

// Blob storage and who may see it.
//
// A complete blob is a blobRecord in bucketBlobs, its bytes the chunk
// records of a bucket of bucketBlobChunks (the record's chunk key), keyed by
// the offset each chunk starts at, so that a chunk and the offset it moves
// are written in one transaction. The devices that proved they hold its
// bytes, by uploading all of them, are its owners (bucketBlobOwners).
//
// An upload in progress belongs to one device: its record is under the
// device and the SHA-256 in bucketUploads, its chunks in a bucket of
// bucketBlobChunks of its own. To a device that is not an owner, a complete
// blob looks exactly like one nobody has (HEAD 404, POST 201 at offset 0,
// PATCH 404, a submission naming it gets wire.CodeBlobMissing), so that no
// device can learn whether the server holds a document by naming its
// SHA-256: it has to send the bytes. When its upload completes and matches
// the name, it becomes an owner; its bytes are kept only if no complete copy
// is stored yet. Partial uploads not written to for longer than
// Options.PartialTTL are as if they had never been, and SweepPartialUploads
// deletes them.
//
// A complete blob that no application references (bucketBlobRefs) is kept
// for Options.PartialTTL after it was last completed or announced by an
// owner (blobRecord.CompletedAt), time enough for its device to send the
// application naming it; then SweepUnreferencedBlobs deletes it with its
// bytes and owners. A submission naming it afterwards gets
// wire.CodeBlobMissing, and its device uploads it again. A referenced blob
// is never deleted.

// blobRecord is what the server knows of a blob, or of one device's upload
// of it.
type blobRecord struct {
	Size     int64  `json:"size"`
	Type     string `json:"type"`
	Offset   int64  `json:"offset"`
	Complete bool   `json:"complete"`
	// Hash is the marshalled SHA-256 state of the bytes so far, so that the
	// chunk that completes the blob is checked without reading it all again.
	Hash []byte `json:"hash,omitempty"`
	// Chunks is the key of the bucket of bucketBlobChunks that holds the
	// bytes; "" in a data file made before per-device uploads: the SHA-256.
	Chunks    string    `json:"chunks,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// CompletedAt (complete blobs) is when a device last completed an
	// upload of the blob or, owning it, announced it again: when the
	// wait for an application naming it starts. Zero in a data file made
	// before it: the first sweep that finds the blob unreferenced sets it.
	CompletedAt time.Time `json:"completed_at,omitzero"`
}

// chunkKey is the key of the bucket of bucketBlobChunks holding the bytes.
func (b *blobRecord) chunkKey(sha string) []byte {
	if b.Chunks != "" {
		return []byte(b.Chunks)
	}
	return []byte(sha)
}

func (b *blobRecord) status(sha string) wire.BlobStatus {
	return wire.BlobStatus{SHA256: sha, Size: b.Size, Offset: b.Offset, Complete: b.Complete}
}

// UploadStats count what the blob endpoints received since Open: the lead's
// benchmarks compare BytesReceived with the blob sizes to measure what a cut
// connection costs.
type UploadStats struct {
	// BytesReceived: chunk bytes read from PATCH bodies, stored or not
	// (cut, refused, checksum mismatch).
	BytesReceived int64
	// BytesStored: chunk bytes written to the data file.
	BytesStored int64
	// ChunksRefused: PATCHes whose chunk was not stored (cut short, bad
	// checksum, wrong offset, too large).
	ChunksRefused int64
}

// uploadCounters are the atomic counters behind UploadStats.
type uploadCounters struct {
	received, stored, refused atomic.Int64
}

// UploadStats returns the upload counters since Open.
func (s *Server) UploadStats() UploadStats {
	return UploadStats{BytesReceived: s.uploads.received.Load(), BytesStored: s.uploads.stored.Load(),
		ChunksRefused: s.uploads.refused.Load()}
}

// validSHA reports whether s names a blob: 64 lower-case hex digits.
func validSHA(s string) bool {
	if len(s) != sha256.Size*2 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// mediaType returns the lower-case media type of a Content-Type value
// (parameters dropped), or "" when it does not parse.
func mediaType(t string) string {
	if len(t) > 255 {
		return ""
	}
	mt, _, err := mime.ParseMediaType(t)
	if typ, sub, ok := strings.Cut(mt, "/"); err != nil || !ok || typ == "" || sub == "" {
		return ""
	}
	return mt
}

// sameType reports whether two type values name the same media type.
func sameType(a, b string) bool {
	ma := mediaType(a)
	return ma != "" && ma == mediaType(b)
}

func newHashState() []byte {
	st, err := sha256.New().(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		panic(err) // crypto/sha256 always marshals its state
	}
	return st
}

// DefaultPartialTTL is how long the server keeps a partial upload that
// receives no chunk (Options.PartialTTL).
const DefaultPartialTTL = 7 * 24 * time.Hour

// maxSweepEvery bounds the time between two sweeps of stale partial uploads
// made lazily, on the blob requests.
const maxSweepEvery = time.Hour

// expired reports whether a partial upload has had no chunk for longer
// than the server keeps one.
func (s *Server) expired(rec *blobRecord, now time.Time) bool {
	return now.Sub(rec.UpdatedAt) > s.partialTTL
}

// isOwner reports whether device has uploaded the whole of blob sha.
func isOwner(tx *bolt.Tx, sha, device string) bool {
	b := tx.Bucket(bucketBlobOwners).Bucket([]byte(sha))
	return b != nil && b.Get([]byte(device)) != nil
}

// addOwner records that device holds the bytes of blob sha.
func addOwner(tx *bolt.Tx, sha, device string) error {
	b, err := tx.Bucket(bucketBlobOwners).CreateBucketIfNotExists([]byte(sha))
	if err != nil {
		return err
	}
	return b.Put([]byte(device), []byte{})
}

// ownedBlob returns the record of a complete blob that device owns: the
// only complete blobs a device may see.
func ownedBlob(tx *bolt.Tx, device, sha string) (blobRecord, bool, error) {
	rec, ok, err := completeBlob(tx, sha)
	if err != nil || !ok || !isOwner(tx, sha, device) {
		return blobRecord{}, false, err
	}
	return rec, true, nil
}

// partialUpload returns device's upload of blob sha, unless it has none or
// it expired.
func (s *Server) partialUpload(tx *bolt.Tx, device, sha string, now time.Time) (blobRecord, bool, error) {
	var rec blobRecord
	ups := tx.Bucket(bucketUploads).Bucket([]byte(device))
	if ups == nil {
		return rec, false, nil
	}
	ok, err := getJSON(ups, []byte(sha), &rec)
	if err != nil || !ok || s.expired(&rec, now) {
		return blobRecord{}, false, err
	}
	return rec, true, nil
}

// blobState returns what device may know of blob sha: the complete blob if
// it owns it, else its own partial upload; ok is false when neither exists,
// whatever other devices uploaded.
func (s *Server) blobState(device, sha string) (rec blobRecord, ok bool, err error) {
	now := s.now()
	err = s.db.View(func(tx *bolt.Tx) error {
		if rec, ok, err = ownedBlob(tx, device, sha); err != nil || ok {
			return err
		}
		rec, ok, err = s.partialUpload(tx, device, sha, now)
		return err
	})
	return rec, ok, err
}

// createBlob announces a blob for device (the caller has checked c). A
// complete blob the device owns is answered as it is (ErrBlobConflict when
// it has another size or type). Otherwise the device's own upload is: a new
// one, or one announced again with another size or type (the earlier
// announcement was wrong: its bytes could never match), or an expired one,
// starts empty and created is true; a live one is as it was.
func (s *Server) createBlob(device string, c wire.BlobCreate) (st wire.BlobStatus, created bool, err error) {
	now := s.now()
	err = s.db.Update(func(tx *bolt.Tx) error {
		if rec, ok, err := ownedBlob(tx, device, c.SHA256); err != nil {
			return err
		} else if ok {
			if rec.Size != c.Size || !sameType(rec.Type, c.Type) {
				return ErrBlobConflict
			}
			st = rec.status(c.SHA256)
			// An owner about to name it in an application: the wait for
			// one starts again.
			rec.CompletedAt = now
			return putJSON(tx.Bucket(bucketBlobs), []byte(c.SHA256), rec)
		}
		ups, err := tx.Bucket(bucketUploads).CreateBucketIfNotExists([]byte(device))
		if err != nil {
			return err
		}
		var rec blobRecord
		ok, err := getJSON(ups, []byte(c.SHA256), &rec)
		if err != nil {
			return err
		}
		if ok {
			if !s.expired(&rec, now) && rec.Size == c.Size && sameType(rec.Type, c.Type) {
				st = rec.status(c.SHA256)
				return nil
			}
			if err := deleteChunks(tx, rec.chunkKey(c.SHA256)); err != nil {
				return err
			}
		}
		seq, err := tx.Bucket(bucketBlobChunks).NextSequence()
		if err != nil {
			return err
		}
		rec = blobRecord{Size: c.Size, Type: c.Type, Hash: newHashState(), Chunks: uploadChunkKey(seq), CreatedAt: now, UpdatedAt: now}
		created = true
		st = rec.status(c.SHA256)
		return putJSON(ups, []byte(c.SHA256), rec)
	})
	return st, created, err
}

// uploadChunkKey names the chunk bucket of one upload: never a SHA-256
// (64 hex digits), so it cannot meet the bytes of a blob stored before
// per-device uploads.
func uploadChunkKey(seq uint64) string { return fmt.Sprintf("upload-%016x", seq) }

// appendChunk stores chunk at offset off of device's upload of blob sha, in
// one transaction: either the chunk is stored and the offset moves, or
// nothing changes. The chunk that completes the upload has the whole
// blob's SHA-256 checked against its name: on a mismatch the upload is
// dropped and the error is ErrBlobCorrupt; on a match the device becomes an
// owner of the blob, whose bytes are these unless a complete copy is stored
// already (then these are dropped). Other errors: ErrBlobNotFound (no
// upload of this device, nor a blob it owns), *OffsetError, ErrChunkPastEnd.
func (s *Server) appendChunk(device, sha string, off int64, chunk []byte) (int64, error) {
	var (
		newOff  int64
		corrupt bool
	)
	now := s.now()
	err := s.db.Update(func(tx *bolt.Tx) error {
		if rec, ok, err := ownedBlob(tx, device, sha); err != nil {
			return err
		} else if ok { // nothing left to send
			switch {
			case off != rec.Offset:
				return &OffsetError{Offset: rec.Offset}
			case len(chunk) > 0:
				return ErrChunkPastEnd
			}
			newOff = rec.Offset
			return nil
		}
		rec, ok, err := s.partialUpload(tx, device, sha, now)
		switch {
		case err != nil:
			return err
		case !ok:
			return ErrBlobNotFound
		case off != rec.Offset:
			return &OffsetError{Offset: rec.Offset}
		case int64(len(chunk)) > rec.Size-rec.Offset:
			return ErrChunkPastEnd
		case len(chunk) == 0:
			newOff = rec.Offset
			return nil
		}
		h := sha256.New()
		if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(rec.Hash); err != nil {
			return fmt.Errorf("central: corrupt upload state of a blob in the data file: %w (restore the file from a backup)", err)
		}
		h.Write(chunk)
		chunks, err := tx.Bucket(bucketBlobChunks).CreateBucketIfNotExists(rec.chunkKey(sha))
		if err != nil {
			return err
		}
		if err := chunks.Put(seqKey(uint64(off)), chunk); err != nil {
			return err
		}
		rec.Offset += int64(len(chunk))
		rec.UpdatedAt = now
		ups := tx.Bucket(bucketUploads).Bucket([]byte(device))
		if rec.Offset < rec.Size {
			if rec.Hash, err = h.(encoding.BinaryMarshaler).MarshalBinary(); err != nil {
				return err
			}
			newOff = rec.Offset
			return putJSON(ups, []byte(sha), rec)
		}
		// The upload is complete: it leaves the device's uploads whatever
		// its bytes are.
		if err := dropUpload(tx, device, sha); err != nil {
			return err
		}
		if hex.EncodeToString(h.Sum(nil)) != sha {
			corrupt = true
			return deleteChunks(tx, rec.chunkKey(sha))
		}
		if held, stored, err := completeBlob(tx, sha); err != nil {
			return err
		} else if stored {
			if err := deleteChunks(tx, rec.chunkKey(sha)); err != nil {
				return err
			}
			held.CompletedAt = now
			if err := putJSON(tx.Bucket(bucketBlobs), []byte(sha), held); err != nil {
				return err
			}
		} else {
			rec.Complete, rec.Hash, rec.CompletedAt = true, nil, now
			if err := putJSON(tx.Bucket(bucketBlobs), []byte(sha), rec); err != nil {
				return err
			}
		}
		newOff = rec.Size
		return addOwner(tx, sha, device)
	})
	if err != nil {
		return 0, err
	}
	if corrupt {
		return 0, ErrBlobCorrupt
	}
	return newOff, nil
}

// dropUpload deletes the record of device's upload of sha, and the
// device's bucket of uploads when it empties; its chunks are the caller's.
func dropUpload(tx *bolt.Tx, device, sha string) error {
	all := tx.Bucket(bucketUploads)
	ups := all.Bucket([]byte(device))
	if ups == nil {
		return nil
	}
	if err := ups.Delete([]byte(sha)); err != nil {
		return err
	}
	if k, _ := ups.Cursor().First(); k == nil {
		return all.DeleteBucket([]byte(device))
	}
	return nil
}

// SweepPartialUploads deletes the partial uploads (record and chunks) that
// have had no chunk for longer than Options.PartialTTL, and returns how
// many it deleted; complete blobs are SweepUnreferencedBlobs's. Open runs
// both, and the blob endpoints run both again when they have not run for
// an hour (or PartialTTL, when shorter); a device whose upload was swept
// is answered as for an unknown blob and starts again.
func (s *Server) SweepPartialUploads() (int, error) {
	now := s.now()
	s.lastSweep.Store(now.UnixNano())
	type stale struct {
		device, sha string
		rec         blobRecord
	}
	var n int
	err := s.db.Update(func(tx *bolt.Tx) error {
		all := tx.Bucket(bucketUploads)
		var drop []stale
		err := all.ForEachBucket(func(dev []byte) error {
			return all.Bucket(dev).ForEach(func(k, v []byte) error {
				var rec blobRecord
				if err := json.Unmarshal(v, &rec); err != nil {
					return fmt.Errorf("central: corrupt record of a partial upload in the data file: %w (restore the file from a backup)", err)
				}
				if s.expired(&rec, now) {
					drop = append(drop, stale{string(dev), string(k), rec})
				}
				return nil
			})
		})
		if err != nil {
			return err
		}
		for _, d := range drop {
			if err := deleteChunks(tx, d.rec.chunkKey(d.sha)); err != nil {
				return err
			}
			if err := dropUpload(tx, d.device, d.sha); err != nil {
				return err
			}
		}
		n = len(drop)
		return nil
	})
	return n, err
}

// SweepUnreferencedBlobs deletes the complete blobs (record, bytes and
// owners) that no application references and that were completed (or
// announced again by an owner) longer than Options.PartialTTL ago, and
// returns how many it deleted. A complete blob from a data file made
// before completion times were kept gets the time of the first sweep that
// finds it unreferenced, so that it has the whole PartialTTL from then. It
// runs where SweepPartialUploads runs. A device that names a deleted blob
// in an application gets wire.CodeBlobMissing and uploads it again.
func (s *Server) SweepUnreferencedBlobs() (int, error) {
	now := s.now()
	var n int
	err := s.db.Update(func(tx *bolt.Tx) error {
		blobs, refs := tx.Bucket(bucketBlobs), tx.Bucket(bucketBlobRefs)
		var drop []string
		stamp := map[string]blobRecord{}
		err := blobs.ForEach(func(k, v []byte) error {
			if rb := refs.Bucket(k); rb != nil {
				if first, _ := rb.Cursor().First(); first != nil {
					return nil // referenced: kept
				}
			}
			var rec blobRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("central: corrupt blob record in the data file: %w (restore the file from a backup)", err)
			}
			switch {
			case !rec.Complete: // adoptLegacyBlobs drops these at Open
			case rec.CompletedAt.IsZero():
				rec.CompletedAt = now
				stamp[string(k)] = rec
			case now.Sub(rec.CompletedAt) > s.partialTTL:
				drop = append(drop, string(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for sha, rec := range stamp {
			if err := putJSON(blobs, []byte(sha), rec); err != nil {
				return err
			}
		}
		for _, sha := range drop {
			if err := deleteBlob(tx, sha); err != nil {
				return err
			}
			if refs.Bucket([]byte(sha)) != nil { // empty
				if err := refs.DeleteBucket([]byte(sha)); err != nil {
					return err
				}
			}
		}
		n = len(drop)
		return nil
	})
	return n, err
}

// maybeSweep runs SweepPartialUploads and SweepUnreferencedBlobs when
// they have not run for a while; a failure is logged, never the request's.
func (s *Server) maybeSweep() {
	now := s.now().UnixNano()
	last := s.lastSweep.Load()
	every := min(s.partialTTL, maxSweepEvery)
	if now >= last && now-last < int64(every) {
		return
	}
	if !s.lastSweep.CompareAndSwap(last, now) {
		return // another request sweeps
	}
	if n, err := s.SweepPartialUploads(); err != nil {
		s.log.Warn("sweeping stale partial uploads failed", "err", err)
	} else if n > 0 {
		s.log.Info("stale partial uploads deleted", "count", n)
	}
	if n, err := s.SweepUnreferencedBlobs(); err != nil {
		s.log.Warn("sweeping unreferenced blobs failed", "err", err)
	} else if n > 0 {
		s.log.Info("unreferenced complete blobs deleted", "count", n)
	}
}

// adoptLegacyBlobs brings the blobs of a data file made before per-device
// uploads in line, at Open: a complete blob without owners is owned by the
// devices of the applications that reference it (so that they need not
// upload it again); a partial upload in bucketBlobs, whose device is not
// known, is dropped (its device is answered as for an unknown blob and
// uploads again from 0). It does nothing on a file already in line.
func adoptLegacyBlobs(tx *bolt.Tx) error {
	blobs, owners := tx.Bucket(bucketBlobs), tx.Bucket(bucketBlobOwners)
	var partial, unowned []string
	err := blobs.ForEach(func(k, v []byte) error {
		var rec blobRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("central: corrupt blob record in the data file: %w (restore the file from a backup)", err)
		}
		switch {
		case !rec.Complete:
			partial = append(partial, string(k))
		case owners.Bucket(k) == nil:
			unowned = append(unowned, string(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, sha := range partial {
		if err := deleteBlob(tx, sha); err != nil {
			return err
		}
	}
	apps := tx.Bucket(bucketApplications)
	for _, sha := range unowned {
		refs := tx.Bucket(bucketBlobRefs).Bucket([]byte(sha))
		if refs == nil {
			continue // uploaded, never submitted: whoever uploads it owns it
		}
		var ids []string
		refs.ForEach(func(k, _ []byte) error {
			ids = append(ids, string(k))
			return nil
		})
		for _, id := range ids {
			var a appRecord
			ok, err := getJSON(apps, []byte(id), &a)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			for _, d := range a.Devices {
				if err := addOwner(tx, sha, d); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// deleteChunks drops the chunk bucket key of bucketBlobChunks.
func deleteChunks(tx *bolt.Tx, key []byte) error {
	chunks := tx.Bucket(bucketBlobChunks)
	if chunks.Bucket(key) == nil {
		return nil
	}
	return chunks.DeleteBucket(key)
}

// deleteBlob drops a blob of bucketBlobs: its record, its bytes and its
// owners.
func deleteBlob(tx *bolt.Tx, sha string) error {
	blobs := tx.Bucket(bucketBlobs)
	var rec blobRecord
	ok, err := getJSON(blobs, []byte(sha), &rec)
	if err != nil || !ok {
		return err
	}
	if err := deleteChunks(tx, rec.chunkKey(sha)); err != nil {
		return err
	}
	if owners := tx.Bucket(bucketBlobOwners); owners.Bucket([]byte(sha)) != nil {
		if err := owners.DeleteBucket([]byte(sha)); err != nil {
			return err
		}
	}
	return blobs.Delete([]byte(sha))
}

// Blob returns the status of a complete blob (the server's view: what any
// one device may see of it is decided per device); ErrBlobNotFound when no
// device has uploaded all of it.
func (s *Server) Blob(sha string) (wire.BlobStatus, error) {
	rec, ok, err := s.storedBlob(sha)
	switch {
	case err != nil:
		return wire.BlobStatus{}, err
	case !ok:
		return wire.BlobStatus{}, ErrBlobNotFound
	}
	return rec.status(sha), nil
}

// storedBlob returns the record of a complete blob, whoever uploaded it.
func (s *Server) storedBlob(sha string) (rec blobRecord, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		rec, ok, err = completeBlob(tx, sha)
		return err
	})
	return rec, ok, err
}

// blobOwners returns the devices that own blob sha.
func (s *Server) blobOwners(sha string) ([]string, error) {
	var ids []string
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketBlobOwners).Bucket([]byte(sha))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, _ []byte) error {
			ids = append(ids, string(k))
			return nil
		})
	})
	return ids, err
}

// WriteBlob writes the bytes of a complete blob to w and returns how many
// it wrote: ErrBlobNotFound when no complete blob has this SHA-256. Each
// chunk is read in its own short transaction, so a slow w never holds the
// data file.
func (s *Server) WriteBlob(sha string, w io.Writer) (int64, error) {
	rec, ok, err := s.storedBlob(sha)
	switch {
	case err != nil:
		return 0, err
	case !ok:
		return 0, ErrBlobNotFound
	}
	key := rec.chunkKey(sha)
	var n int64
	for n < rec.Size {
		var chunk []byte
		err := s.db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketBlobChunks).Bucket(key)
			var v []byte
			if b != nil {
				v = b.Get(seqKey(uint64(n)))
			}
			if len(v) == 0 {
				return fmt.Errorf("central: a chunk of a complete blob is missing from the data file (restore the file from a backup)")
			}
			chunk = append([]byte(nil), v...)
			return nil
		})
		if err != nil {
			return n, err
		}
		m, err := w.Write(chunk)
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// addBlobRef records that application appID references blob sha.
func addBlobRef(tx *bolt.Tx, sha, appID string) error {
	refs, err := tx.Bucket(bucketBlobRefs).CreateBucketIfNotExists([]byte(sha))
	if err != nil {
		return err
	}
	return refs.Put([]byte(appID), []byte{})
}

// BlobRefs returns the ids of the applications that reference blob sha.
func (s *Server) BlobRefs(sha string) ([]string, error) {
	var ids []string
	err := s.db.View(func(tx *bolt.Tx) error {
		refs := tx.Bucket(bucketBlobRefs).Bucket([]byte(sha))
		if refs == nil {
			return nil
		}
		return refs.ForEach(func(k, _ []byte) error {
			ids = append(ids, string(k))
			return nil
		})
	})
	return ids, err
}

// completeBlob returns the record of a blob the server holds complete, in
// tx, whoever uploaded it: for the server's own use (ownedBlob for what a
// device may see).
func completeBlob(tx *bolt.Tx, sha string) (blobRecord, bool, error) {
	var rec blobRecord
	ok, err := getJSON(tx.Bucket(bucketBlobs), []byte(sha), &rec)
	if err != nil || !ok || !rec.Complete {
		return rec, false, err
	}
	return rec, true, nil
}

// lowerHex returns s in lower case when it is 64 hex digits of any case.
func lowerHex(s string) (string, bool) {
	l := strings.ToLower(s)
	return l, validSHA(l)
}
