package store

import (
	"errors"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	"civicdesk/app/lifecycle"
)

// maxProblems bounds how many problems Check lists.
const maxProblems = 20

// Check verifies the store: bbolt's own page check, that every outbox entry
// points at a queued application and every queued application has exactly
// one, that every record has its summary and vice versa, and that the
// personal data of every unpurged application decrypts. It returns nil,
// or an error wrapping ErrCorrupt and/or ErrKey that lists the problems.
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
			for _, b := range [][]byte{bucketApplications, bucketSummaries, bucketPersonal, bucketOutbox,
				bucketCatalog, bucketSync, bucketMeta, bucketJournal} {
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
				if r.Purged {
					if pers.Get(k) != nil {
						add("application %s: purged but personal data is still stored", id)
					}
				} else if _, err := s.getPersonal(tx, id); err != nil {
					if errors.Is(err, ErrKey) {
						keyFailed = true
						add("application %s: personal data does not decrypt", id)
					} else {
						add("application %s: personal data missing or unreadable", id)
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
			return nil
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
