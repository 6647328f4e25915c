package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"civicdesk/app/lifecycle"
)

// maxProblems bounds how many problems Check lists.
const maxProblems = 20

// Check verifies the store: bbolt's own page check, that every outbox entry
// points at a queued application and every queued application has exactly
// one, that every record has its summary and vice versa, that the personal
// data of every unpurged application decrypts, and that attachment files
// are whole: every referenced file exists, reference counts match the
// applications referencing it, its chunks are all there, decrypt, have the
// right sizes and hash to its name, and no file or chunk is unreferenced
// (garbage: hallctl purge removes it). For interactions (tickets, ratings,
// feedback) it checks that records decode, that queued ones and outbox
// entries match one to one, and that every body not purged is stored and
// decrypts, and no body is left without its record. It returns nil, or an error wrapping
// ErrCorrupt and/or ErrKey that lists the problems.
func (s *Store) Check() error {
	var problems []string
	total := 0
	add := func(format string, a ...any) {
		total++
		if len(problems) < maxProblems {
			problems = append(problems, fmt.Sprintf(format, a...))
		}
	}
	keyFailed := false
	err := safely(func() error {
		return s.view(func(tx *bolt.Tx) error {
			for err := range tx.Check() {
				add("bbolt: %v", err)
			}
			for _, b := range allBuckets {
				if tx.Bucket(b) == nil {
					if s.schema == 0 {
						return nil // an empty store opened read-only
					}
					add("bucket %s is missing", b)
				}
			}
			if total > 0 {
				return nil
			}
			apps, sums, pers, ob := tx.Bucket(bucketApplications), tx.Bucket(bucketSummaries), tx.Bucket(bucketPersonal), tx.Bucket(bucketOutbox)
			blobs := tx.Bucket(bucketBlobs)
			claims := map[string]int{} // blob -> applications whose record lists it
			err := apps.ForEach(func(k, _ []byte) error {
				id := string(k)
				r, err := getRecord(tx, id)
				if err != nil {
					add("application %s: record does not decode", id)
					return nil
				}
				if v := sums.Get(k); v == nil {
					add("application %s: summary missing", id)
				} else if sm, err := decodeSummary(v); err != nil || !sameSummary(sm, r.summary()) {
					add("application %s: summary does not match the record", id)
				}
				if r.State == lifecycle.Queued {
					if r.OutboxKey == nil || string(ob.Get(r.OutboxKey)) != id {
						add("application %s: queued but has no outbox entry", id)
					}
				} else if r.OutboxKey != nil {
					add("application %s: %s but still has an outbox entry key", id, r.State)
				}
				for _, sha := range r.Blobs {
					claims[sha]++
					switch {
					case blobs.Get([]byte(sha)) == nil:
						add("application %s: attachment file %s is not stored (attach the file again)", id, sha)
					case blobs.Get(refKey(sha, id)) == nil:
						add("application %s: attachment file %s does not list it as a reference", id, sha)
					}
				}
				if r.Purged {
					if pers.Get(k) != nil {
						add("application %s: purged but personal data is still stored", id)
					}
					if len(r.Blobs) > 0 {
						add("application %s: purged but still references attachment files", id)
					}
				} else if pd, err := s.getPersonal(tx, id); err != nil {
					if errors.Is(err, ErrKey) {
						keyFailed = true
						add("application %s: personal data does not decrypt", id)
					} else {
						add("application %s: personal data missing or unreadable", id)
					}
				} else {
					var shas []string
					inline := false
					for _, a := range pd.Attachments {
						inline = inline || a.Data != nil
						if !slices.Contains(shas, a.Ref.SHA256) {
							shas = append(shas, a.Ref.SHA256)
						}
					}
					if inline {
						add("application %s: attachment bytes are stored inline, not as files", id)
					}
					if !slices.Equal(shas, r.Blobs) {
						add("application %s: its attachments do not match its attachment file references", id)
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			err = ob.ForEach(func(k, v []byte) error {
				id := string(v)
				r, err := getRecord(tx, id)
				switch {
				case err != nil:
					add("outbox entry %x: points at application %s, which does not exist", k, id)
				case r.State != lifecycle.Queued:
					add("outbox entry %x: points at application %s, which is %s", k, id, r.State)
				case string(r.OutboxKey) != string(k):
					add("outbox entry %x: application %s has another outbox entry", k, id)
				}
				return nil
			})
			if err != nil {
				return err
			}
			for _, name := range [][]byte{bucketSummaries, bucketPersonal} {
				err := tx.Bucket(name).ForEach(func(k, _ []byte) error {
					if apps.Get(k) == nil {
						add("%s entry %s has no application", name, k)
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
			if err := s.checkBlobs(tx, claims, add, &keyFailed); err != nil {
				return err
			}
			return s.checkInteractions(tx, add, &keyFailed)
		})
	})
	if err != nil {
		add("reading the store failed: %v", err)
	}
	var errs []error
	if s.keyErr != nil {
		errs = append(errs, s.keyErr)
	} else if keyFailed {
		errs = append(errs, fmt.Errorf("%w: some personal data does not decrypt with the key from %s (wrong key, or altered records)", ErrKey, s.seal.source))
	}
	if total > 0 {
		more := ""
		if total > len(problems) {
			more = fmt.Sprintf("; and %d more", total-len(problems))
		}
		errs = append(errs, fmt.Errorf("%w: %s: %d problem(s): %s%s (run hallctl doctor; export what you need and move the file aside to start afresh)",
			ErrCorrupt, s.path, total, strings.Join(problems, "; "), more))
	}
	return errors.Join(errs...)
}

func sameSummary(a, b Summary) bool {
	return a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) && a.AcceptedAt.Equal(b.AcceptedAt) &&
		a.ID == b.ID && a.Service == b.Service && a.State == b.State && a.Tracking == b.Tracking &&
		a.Attempts == b.Attempts && a.LastError == b.LastError && a.Purged == b.Purged && a.StaffID == b.StaffID
}

// checkBlobs is Check's part for attachment files. claims counts, per blob,
// the applications whose record lists it (Check has verified each of them
// has its reference entry, so equal counts mean equal sets).
func (s *Store) checkBlobs(tx *bolt.Tx, claims map[string]int, add func(string, ...any), keyFailed *bool) error {
	blobs, chunks := tx.Bucket(bucketBlobs), tx.Bucket(bucketBlobChunks)
	var buf []byte
	err := blobs.ForEach(func(k, v []byte) error {
		if len(k) != 64 {
			sha, id, _ := bytes.Cut(k, []byte("/"))
			if blobs.Get(sha) == nil {
				add("attachment file %s: referenced by application %s but not stored", sha, id)
			}
			return nil
		}
		sha := string(k)
		var m blobMeta
		if err := json.Unmarshal(v, &m); err != nil || !validSHA(sha) {
			add("attachment file %s: metadata does not decode", k)
			return nil
		}
		refs := 0
		c := blobs.Cursor()
		prefix := []byte(sha + "/")
		for rk, _ := c.Seek(prefix); rk != nil && bytes.HasPrefix(rk, prefix); rk, _ = c.Next() {
			refs++
		}
		switch {
		case refs == 0 && claims[sha] == 0:
			add("attachment file %s is referenced by no application (garbage: hallctl purge removes it)", sha)
		case refs != m.Refs || refs != claims[sha]:
			add("attachment file %s: reference count %d, %d reference entries, %d applications list it", sha, m.Refs, refs, claims[sha])
		}
		if m.Size < 0 || m.Chunks != chunkCount(m.Size) {
			add("attachment file %s: %d chunks recorded for %d bytes", sha, m.Chunks, m.Size)
			return nil
		}
		h := sha256.New()
		for i := 0; i < m.Chunks; i++ {
			ck := chunkKey(sha, i)
			sealed := chunks.Get(ck)
			if sealed == nil {
				add("attachment file %s: chunk %d is missing", sha, i)
				return nil
			}
			if s.seal == nil {
				continue // the key problem is reported once
			}
			plain, err := s.seal.openTo(buf[:0], bucketBlobChunks, ck, sealed)
			if err != nil {
				*keyFailed = true
				add("attachment file %s: chunk %d does not decrypt", sha, i)
				return nil
			}
			buf = plain
			if want := min(m.Size-int64(i)*blobChunk, blobChunk); int64(len(plain)) != want {
				add("attachment file %s: chunk %d has %d bytes, not %d", sha, i, len(plain), want)
				return nil
			}
			h.Write(plain)
		}
		if s.seal != nil && hex.EncodeToString(h.Sum(nil)) != sha {
			add("attachment file %s: its bytes do not hash to its name", sha)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Chunks beyond a file's count, or of no file: one seek per file.
	c := chunks.Cursor()
	for k, _ := c.First(); k != nil; {
		if len(k) != 68 {
			add("chunk %x: malformed key", k)
			k, _ = c.Next()
			continue
		}
		sha := clone(k[:64])
		var m blobMeta
		if v := blobs.Get(sha); v == nil {
			add("attachment file %s: chunks stored but no file (garbage: hallctl purge removes it)", sha)
		} else if json.Unmarshal(v, &m) == nil {
			if last, _ := c.Seek(chunkKey(string(sha), m.Chunks)); last != nil && bytes.HasPrefix(last, sha) {
				add("attachment file %s: chunks stored beyond its %d", sha, m.Chunks)
			}
		}
		k, _ = c.Seek(append(sha, 0xff, 0xff, 0xff, 0xff, 0xff))
	}
	return nil
}

// checkInteractions is Check's part for interactions.
func (s *Store) checkInteractions(tx *bolt.Tx, add func(string, ...any), keyFailed *bool) error {
	recs, bodies, ob := tx.Bucket(bucketInteractions), tx.Bucket(bucketInteractionBodies), tx.Bucket(bucketInteractionOutbox)
	err := recs.ForEach(func(k, _ []byte) error {
		id := string(k)
		r, err := getInteractionRecord(tx, id)
		if err != nil {
			add("interaction %s: record does not decode", id)
			return nil
		}
		if r.State == InteractionQueued {
			if r.OutboxKey == nil || string(ob.Get(r.OutboxKey)) != id {
				add("interaction %s: queued but has no outbox entry", id)
			}
		} else if r.OutboxKey != nil {
			add("interaction %s: %s but still has an outbox entry key", id, r.State)
		}
		switch {
		case r.Purged:
			if bodies.Get(k) != nil {
				add("interaction %s: purged but its body is still stored", id)
			}
		case bodies.Get(k) == nil:
			add("interaction %s: body missing", id)
		case s.seal == nil:
			// the key problem is reported once
		default:
			if _, err := s.getInteractionBody(tx, id); err != nil {
				*keyFailed = true
				add("interaction %s: body does not decrypt", id)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = ob.ForEach(func(k, v []byte) error {
		id := string(v)
		r, err := getInteractionRecord(tx, id)
		switch {
		case errors.Is(err, ErrNotFound):
			add("interaction outbox entry %x: points at interaction %s, which does not exist", k, id)
		case err != nil:
			// reported above
		case r.State != InteractionQueued:
			add("interaction outbox entry %x: points at interaction %s, which is %s", k, id, r.State)
		case string(r.OutboxKey) != string(k):
			add("interaction outbox entry %x: interaction %s has another outbox entry", k, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return bodies.ForEach(func(k, _ []byte) error {
		if recs.Get(k) == nil {
			add("interaction body %s has no interaction", k)
		}
		return nil
	})
}
