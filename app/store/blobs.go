package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	bolt "go.etcd.io/bbolt"

	"civicdesk/app/lifecycle"
)

// Attachments are kept as blobs: the bytes of a file, named by the SHA-256
// (lower-case hex) of those bytes, stored once however many applications
// reference them. A blob is cut into chunks of blobChunk bytes, each sealed
// on its own (AES-256-GCM, fresh nonce, bucket and key as additional data)
// under the key sha + big-endian uint32 chunk index in bucketBlobChunks, so
// any range can be read without reading the rest. bucketBlobs holds, under
// the key sha, the blob's metadata (blobMeta, no personal data) and, under
// sha + "/" + application id, one empty entry per application that
// references it. An application's record lists its blobs (record.Blobs);
// the two sides change together in the transaction that writes the record.

// blobChunk is the plain size of every chunk but the last.
const blobChunk = 64 << 10

// DefaultMaxAttachment is the largest attachment the store takes when
// Options.MaxAttachment is not set: 10 MiB.
const DefaultMaxAttachment = 10 << 20

// blobMeta is what bucketBlobs holds under a blob's SHA-256.
type blobMeta struct {
	Size     int64  `json:"size"`
	Type     string `json:"type,omitempty"`
	Chunks   int    `json:"chunks"`
	Uploaded bool   `json:"uploaded,omitempty"`
	// Refs is the number of applications referencing the blob (the number
	// of sha/id entries after it); the blob is deleted when it drops to 0.
	Refs int `json:"refs"`
}

// chunkCount is how many chunks a blob of size bytes has.
func chunkCount(size int64) int { return int((size + blobChunk - 1) / blobChunk) }

// chunkKey is the key of chunk i of blob sha.
func chunkKey(sha string, i int) []byte {
	k := make([]byte, len(sha)+4)
	copy(k, sha)
	binary.BigEndian.PutUint32(k[len(sha):], uint32(i))
	return k
}

// refKey is the entry saying application id references blob sha.
func refKey(sha, id string) []byte { return []byte(sha + "/" + id) }

// validSHA reports whether s is a SHA-256 in lower-case hex.
func validSHA(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func checkSHA(sha string) error {
	if !validSHA(sha) {
		return fmt.Errorf("%w: an attachment file is named by the SHA-256 of its bytes in lower-case hex (64 characters)", ErrInvalid)
	}
	return nil
}

// getBlobMeta returns the metadata of blob sha, nil if there is no such blob.
func getBlobMeta(tx *bolt.Tx, sha string) (*blobMeta, error) {
	b := tx.Bucket(bucketBlobs)
	if b == nil {
		return nil, nil
	}
	v := b.Get([]byte(sha))
	if v == nil {
		return nil, nil
	}
	var m blobMeta
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, fmt.Errorf("%w: the metadata of attachment file %s does not decode (run hallctl doctor)", ErrCorrupt, sha)
	}
	return &m, nil
}

func putBlobMeta(tx *bolt.Tx, sha string, m *blobMeta) error {
	v, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketBlobs).Put([]byte(sha), v)
}

// putBlob seals data chunk by chunk and writes it as blob sha, with no
// references yet, in tx.
func (s *Store) putBlob(tx *bolt.Tx, sha, typ string, data []byte) error {
	chunks := tx.Bucket(bucketBlobChunks)
	n := chunkCount(int64(len(data)))
	for i := 0; i < n; i++ {
		k := chunkKey(sha, i)
		sealed, err := s.seal.seal(bucketBlobChunks, k, data[i*blobChunk:min(len(data), (i+1)*blobChunk)])
		if err != nil {
			return err
		}
		if err := chunks.Put(k, sealed); err != nil {
			return err
		}
	}
	return putBlobMeta(tx, sha, &blobMeta{Size: int64(len(data)), Type: typ, Chunks: n})
}

// addRef records that application id references blob sha.
func addRef(tx *bolt.Tx, sha, id string) error {
	m, err := getBlobMeta(tx, sha)
	if err != nil || m == nil {
		return err
	}
	b := tx.Bucket(bucketBlobs)
	k := refKey(sha, id)
	if b.Get(k) != nil {
		return nil
	}
	if err := b.Put(k, nil); err != nil {
		return err
	}
	m.Refs++
	return putBlobMeta(tx, sha, m)
}

// dropRef removes application id's reference to blob sha and deletes the
// blob when no application references it any more.
func dropRef(tx *bolt.Tx, sha, id string) error {
	m, err := getBlobMeta(tx, sha)
	if err != nil || m == nil {
		return err
	}
	b := tx.Bucket(bucketBlobs)
	k := refKey(sha, id)
	if b.Get(k) == nil {
		return nil
	}
	if err := b.Delete(k); err != nil {
		return err
	}
	if !hasRefs(b, sha) {
		return deleteBlob(tx, sha)
	}
	m.Refs--
	return putBlobMeta(tx, sha, m)
}

// dropRefs removes every blob reference of r (purge, delete).
func dropRefs(tx *bolt.Tx, r *record) error {
	for _, sha := range r.Blobs {
		if err := dropRef(tx, sha, r.ID); err != nil {
			return err
		}
	}
	r.Blobs = nil
	return nil
}

// hasRefs reports whether any application references blob sha.
func hasRefs(b *bolt.Bucket, sha string) bool {
	prefix := []byte(sha + "/")
	k, _ := b.Cursor().Seek(prefix)
	return k != nil && bytes.HasPrefix(k, prefix)
}

// deleteBlob deletes blob sha: its metadata, its reference entries and all
// its chunks.
func deleteBlob(tx *bolt.Tx, sha string) error {
	if err := deletePrefix(tx.Bucket(bucketBlobs), []byte(sha+"/")); err != nil {
		return err
	}
	if err := tx.Bucket(bucketBlobs).Delete([]byte(sha)); err != nil {
		return err
	}
	return deletePrefix(tx.Bucket(bucketBlobChunks), []byte(sha))
}

// deletePrefix deletes every key of b that starts with prefix.
func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, clone(k))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// attach stores the bytes of every attachment in atts whose blob is not
// stored yet, makes r reference exactly the blobs of atts (dropping the
// references it no longer has, and the blobs nobody references any more),
// and returns atts without their bytes, all in tx. An attachment without
// bytes must name a stored blob, unless keepMissing (the migration of old
// stores): it is then kept and listed in r.Blobs, and Check reports it.
func (s *Store) attach(tx *bolt.Tx, r *record, atts []Attachment, keepMissing bool) ([]Attachment, error) {
	var out []Attachment
	if atts != nil {
		out = make([]Attachment, len(atts))
	}
	var shas []string
	for i, a := range atts {
		sha := a.Ref.SHA256
		if !validSHA(sha) {
			return nil, fmt.Errorf("%w: attachment for field %s has no valid SHA-256 (attach the file again)", ErrInvalid, a.Field)
		}
		m, err := getBlobMeta(tx, sha)
		if err != nil {
			return nil, err
		}
		switch {
		case m == nil && a.Data != nil:
			if err := s.putBlob(tx, sha, a.Ref.Type, a.Data); err != nil {
				return nil, err
			}
		case m == nil && !keepMissing:
			return nil, fmt.Errorf("%w: attachment for field %s: its file is not stored on this device (attach the file again)", ErrInvalid, a.Field)
		case m == nil:
		case a.Ref.Size == 0 && a.Data == nil:
			a.Ref.Size = m.Size
		case a.Ref.Size != m.Size:
			return nil, fmt.Errorf("%w: attachment for field %s: its size does not match the stored file (attach the file again)", ErrInvalid, a.Field)
		}
		a.Data = nil
		out[i] = a
		if !slices.Contains(shas, sha) {
			shas = append(shas, sha)
		}
	}
	for _, sha := range shas {
		if err := addRef(tx, sha, r.ID); err != nil {
			return nil, err
		}
	}
	for _, sha := range r.Blobs {
		if !slices.Contains(shas, sha) {
			if err := dropRef(tx, sha, r.ID); err != nil {
				return nil, err
			}
		}
	}
	r.Blobs = shas
	return out, nil
}

// waitingBlobs lists the blobs of r the central API does not hold yet (a
// blob missing on this device counts as waiting: it cannot be sent).
func waitingBlobs(tx *bolt.Tx, r *record) ([]string, error) {
	var w []string
	for _, sha := range r.Blobs {
		m, err := getBlobMeta(tx, sha)
		if err != nil {
			return nil, err
		}
		if m == nil || !m.Uploaded {
			w = append(w, sha)
		}
	}
	return w, nil
}

// ReadBlob reads len(p) bytes of the attachment file sha from offset off,
// as io.ReaderAt does: fewer bytes only at the end, with io.EOF. It reads
// and decrypts only the chunks covering the range. An unknown blob is
// ErrNotFound; a chunk that is missing or does not decrypt is ErrCorrupt or
// ErrKey.
func (s *Store) ReadBlob(sha string, off int64, p []byte) (int, error) {
	if err := checkSHA(sha); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, fmt.Errorf("%w: negative offset into attachment file %s", ErrInvalid, sha)
	}
	if s.seal == nil {
		return 0, s.keyErr
	}
	n := 0
	err := s.view(func(tx *bolt.Tx) error {
		m, err := getBlobMeta(tx, sha)
		if err != nil {
			return err
		}
		if m == nil {
			return fmt.Errorf("%w: no attachment file %s on this device", ErrNotFound, sha)
		}
		if off >= m.Size {
			return nil
		}
		end := min(off+int64(len(p)), m.Size)
		chunks := tx.Bucket(bucketBlobChunks)
		var buf []byte
		for i := off / blobChunk; i*blobChunk < end; i++ {
			k := chunkKey(sha, int(i))
			v := chunks.Get(k)
			if v == nil {
				return fmt.Errorf("%w: chunk %d of attachment file %s is missing (run hallctl doctor; attach the file again)", ErrCorrupt, i, sha)
			}
			plain, err := s.seal.openTo(buf[:0], bucketBlobChunks, k, v)
			if err != nil {
				return keyMismatch(s.seal.source, fmt.Sprintf("chunk %d of attachment file %s", i, sha))
			}
			start := i * blobChunk
			if want := min(m.Size-start, blobChunk); int64(len(plain)) != want {
				return fmt.Errorf("%w: chunk %d of attachment file %s has %d bytes, not %d (run hallctl doctor)", ErrCorrupt, i, sha, len(plain), want)
			}
			n += copy(p[n:], plain[max(off, start)-start:min(end-start, int64(len(plain)))])
			buf = plain
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// PendingBlobs lists the blobs that queued applications reference and the
// central API does not hold yet, in queue order (oldest application
// first). Apps lists the queued applications referencing each.
func (s *Store) PendingBlobs() ([]BlobInfo, error) {
	var out []BlobInfo
	err := s.view(func(tx *bolt.Tx) error {
		ob := tx.Bucket(bucketOutbox)
		if ob == nil || tx.Bucket(bucketBlobs) == nil {
			return nil
		}
		at := map[string]int{}
		return ob.ForEach(func(k, v []byte) error {
			r, err := getRecord(tx, string(v))
			if err != nil || r.State != lifecycle.Queued || string(r.OutboxKey) != string(k) {
				return nil // a stale entry; Check reports it
			}
			for _, sha := range r.Blobs {
				if i, ok := at[sha]; ok {
					out[i].Apps = append(out[i].Apps, r.ID)
					continue
				}
				m, err := getBlobMeta(tx, sha)
				if err != nil {
					return err
				}
				if m == nil || m.Uploaded {
					continue // missing here (Check reports it) or already sent
				}
				at[sha] = len(out)
				out = append(out, BlobInfo{SHA256: sha, Size: m.Size, Type: m.Type, Apps: []string{r.ID}})
			}
			return nil
		})
	})
	return out, err
}

// MarkBlobUploaded records that the central API holds blob sha complete:
// the applications referencing it no longer wait for it.
func (s *Store) MarkBlobUploaded(sha string) error { return s.setUploaded(sha, true) }

// MarkBlobMissing records that the central API does not hold blob sha
// (any more): it is uploaded again and its applications wait for it.
func (s *Store) MarkBlobMissing(sha string) error { return s.setUploaded(sha, false) }

func (s *Store) setUploaded(sha string, up bool) error {
	if err := checkSHA(sha); err != nil {
		return err
	}
	return s.update(func(tx *bolt.Tx) error {
		m, err := getBlobMeta(tx, sha)
		if err != nil {
			return err
		}
		if m == nil {
			return fmt.Errorf("%w: no attachment file %s on this device", ErrNotFound, sha)
		}
		if m.Uploaded == up {
			return nil
		}
		m.Uploaded = up
		return putBlobMeta(tx, sha, m)
	})
}

// sweepBlobs deletes what no application needs: blobs without references,
// reference entries of applications that no longer exist, and chunks
// without a blob. It fixes reference counts on the way.
func sweepBlobs(tx *bolt.Tx) error {
	blobs, apps := tx.Bucket(bucketBlobs), tx.Bucket(bucketApplications)
	// Keys sort as sha, sha/id1, sha/id2, ..., next sha: one pass sees each
	// blob's metadata followed by its references.
	type entry struct {
		sha  string
		meta *blobMeta // nil: references without a blob
		refs int
	}
	var entries []entry
	var stale [][]byte
	err := blobs.ForEach(func(k, v []byte) error {
		if len(k) == 64 {
			var m blobMeta
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("%w: the metadata of attachment file %s does not decode (run hallctl doctor)", ErrCorrupt, k)
			}
			entries = append(entries, entry{sha: string(k), meta: &m})
			return nil
		}
		sha, id, _ := bytes.Cut(k, []byte("/"))
		if len(entries) == 0 || entries[len(entries)-1].sha != string(sha) || apps.Get(id) == nil {
			stale = append(stale, clone(k))
			return nil
		}
		entries[len(entries)-1].refs++
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range stale {
		if err := blobs.Delete(k); err != nil {
			return err
		}
	}
	for _, e := range entries {
		switch {
		case e.refs == 0:
			if err := deleteBlob(tx, e.sha); err != nil {
				return err
			}
		case e.refs != e.meta.Refs:
			e.meta.Refs = e.refs
			if err := putBlobMeta(tx, e.sha, e.meta); err != nil {
				return err
			}
		}
	}
	// Chunks of blobs that do not exist: one seek per blob.
	chunks := tx.Bucket(bucketBlobChunks)
	var strays, odd [][]byte
	c := chunks.Cursor()
	for k, _ := c.First(); k != nil; {
		if len(k) != 68 {
			odd = append(odd, clone(k))
			k, _ = c.Next()
			continue
		}
		sha := clone(k[:64])
		if blobs.Get(sha) == nil {
			strays = append(strays, sha)
		}
		k, _ = c.Seek(append(sha, 0xff, 0xff, 0xff, 0xff, 0xff))
	}
	for _, k := range odd {
		if err := chunks.Delete(k); err != nil {
			return err
		}
	}
	for _, p := range strays {
		if err := deletePrefix(chunks, p); err != nil {
			return err
		}
	}
	return nil
}
