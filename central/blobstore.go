package central

import (
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"strings"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"civicdesk/sync/wire"
)

// blobRecord is what the server knows of a blob. Its bytes are the chunk
// records of bucketBlobChunks, keyed by the offset each chunk starts at, so
// that a chunk and the offset it moves are written in one transaction.
type blobRecord struct {
	Size     int64  `json:"size"`
	Type     string `json:"type"`
	Offset   int64  `json:"offset"`
	Complete bool   `json:"complete"`
	// Hash is the marshalled SHA-256 state of the bytes so far, so that the
	// chunk that completes the blob is checked without reading it all again.
	Hash      []byte    `json:"hash,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
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

// createBlob announces a blob (the caller has checked c). A new blob, or an
// incomplete one announced again with another size or type (the earlier
// announcement was wrong: its bytes could never match), starts empty and
// created is true; otherwise the blob is as it was. ErrBlobConflict when a
// complete blob has another size or type.
func (s *Server) createBlob(c wire.BlobCreate) (st wire.BlobStatus, created bool, err error) {
	now := s.now()
	err = s.db.Update(func(tx *bolt.Tx) error {
		blobs := tx.Bucket(bucketBlobs)
		var rec blobRecord
		ok, err := getJSON(blobs, []byte(c.SHA256), &rec)
		if err != nil {
			return err
		}
		if ok {
			same := rec.Size == c.Size && sameType(rec.Type, c.Type)
			if same || rec.Complete {
				if !same {
					return ErrBlobConflict
				}
				st = rec.status(c.SHA256)
				return nil
			}
			if err := deleteChunks(tx, c.SHA256); err != nil {
				return err
			}
		}
		rec = blobRecord{Size: c.Size, Type: c.Type, Hash: newHashState(), CreatedAt: now, UpdatedAt: now}
		created = true
		st = rec.status(c.SHA256)
		return putJSON(blobs, []byte(c.SHA256), rec)
	})
	return st, created, err
}

// blob returns the record of a blob.
func (s *Server) blob(sha string) (blobRecord, bool, error) {
	var (
		rec blobRecord
		ok  bool
	)
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		ok, err = getJSON(tx.Bucket(bucketBlobs), []byte(sha), &rec)
		return err
	})
	return rec, ok, err
}

// appendChunk stores chunk at offset off of a blob, in one transaction:
// either the chunk is stored and the offset moves, or nothing changes. The
// chunk that completes the blob has the whole blob's SHA-256 checked against
// its name; on a mismatch the blob is dropped and the error is
// ErrBlobCorrupt. Other errors: ErrBlobNotFound, *OffsetError, ErrChunkPastEnd.
func (s *Server) appendChunk(sha string, off int64, chunk []byte) (int64, error) {
	var (
		newOff  int64
		corrupt bool
	)
	now := s.now()
	err := s.db.Update(func(tx *bolt.Tx) error {
		blobs := tx.Bucket(bucketBlobs)
		var rec blobRecord
		ok, err := getJSON(blobs, []byte(sha), &rec)
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
		chunks, err := tx.Bucket(bucketBlobChunks).CreateBucketIfNotExists([]byte(sha))
		if err != nil {
			return err
		}
		if err := chunks.Put(seqKey(uint64(off)), chunk); err != nil {
			return err
		}
		rec.Offset += int64(len(chunk))
		rec.UpdatedAt = now
		if rec.Offset == rec.Size {
			if hex.EncodeToString(h.Sum(nil)) != sha {
				corrupt = true
				return deleteBlob(tx, sha)
			}
			rec.Complete, rec.Hash = true, nil
		} else if rec.Hash, err = h.(encoding.BinaryMarshaler).MarshalBinary(); err != nil {
			return err
		}
		newOff = rec.Offset
		return putJSON(blobs, []byte(sha), rec)
	})
	if err != nil {
		return 0, err
	}
	if corrupt {
		return 0, ErrBlobCorrupt
	}
	return newOff, nil
}

// deleteChunks drops the bytes of a blob.
func deleteChunks(tx *bolt.Tx, sha string) error {
	chunks := tx.Bucket(bucketBlobChunks)
	if chunks.Bucket([]byte(sha)) == nil {
		return nil
	}
	return chunks.DeleteBucket([]byte(sha))
}

// deleteBlob drops a blob: its record and its bytes.
func deleteBlob(tx *bolt.Tx, sha string) error {
	if err := deleteChunks(tx, sha); err != nil {
		return err
	}
	return tx.Bucket(bucketBlobs).Delete([]byte(sha))
}

// Blob returns how much of a blob the server holds; ErrBlobNotFound when
// it has none of it.
func (s *Server) Blob(sha string) (wire.BlobStatus, error) {
	rec, ok, err := s.blob(sha)
	switch {
	case err != nil:
		return wire.BlobStatus{}, err
	case !ok:
		return wire.BlobStatus{}, ErrBlobNotFound
	}
	return rec.status(sha), nil
}

// WriteBlob writes the bytes of a complete blob to w and returns how many
// it wrote: ErrBlobNotFound for an unknown blob, ErrBlobIncomplete for one
// whose upload has not finished. Each chunk is read in its own short
// transaction, so a slow w never holds the data file.
func (s *Server) WriteBlob(sha string, w io.Writer) (int64, error) {
	rec, ok, err := s.blob(sha)
	switch {
	case err != nil:
		return 0, err
	case !ok:
		return 0, ErrBlobNotFound
	case !rec.Complete:
		return 0, ErrBlobIncomplete
	}
	var n int64
	for n < rec.Size {
		var chunk []byte
		err := s.db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketBlobChunks).Bucket([]byte(sha))
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

// completeBlob returns the record of a blob the server holds complete, in tx.
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
