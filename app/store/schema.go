package store

import (
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"

	"civicdesk/app/lifecycle"
)

// Bucket names. Only personal, blob_chunks, interaction_bodies (and meta's
// secret/ keys) hold encrypted data; the others hold no personal data.
var (
	bucketApplications = []byte("applications") // id -> JSON record (no values, no attachments)
	bucketSummaries    = []byte("summaries")    // id -> compact binary Summary, for cheap listing
	bucketPersonal     = []byte("personal")     // id -> sealed JSON {values, attachments}
	bucketOutbox       = []byte("outbox")       // seq(8, big-endian) + id -> id
	bucketCatalog      = []byte("catalog")      // "etag", "body"
	bucketSync         = []byte("sync")         // "cursor"
	bucketMeta         = []byte("meta")         // schema_version, key_check, setting/*, secret/*
	bucketJournal      = []byte("journal")      // seq(8, big-endian) -> JSON Event
	bucketBlobs        = []byte("blobs")        // sha -> JSON blobMeta; sha + "/" + id -> "" (id references it)
	bucketBlobChunks   = []byte("blob_chunks")  // sha + chunk index (4, big-endian) -> sealed chunk
	// Interactions (tickets, ratings, feedback); see interactions.go.
	bucketInteractions      = []byte("interactions")       // id -> JSON interactionRecord (no body)
	bucketInteractionBodies = []byte("interaction_bodies") // id -> sealed body
	bucketInteractionOutbox = []byte("interaction_outbox") // seq(8, big-endian) + id -> id
)

// allBuckets are the buckets of the current schema.
var allBuckets = [][]byte{bucketApplications, bucketSummaries, bucketPersonal, bucketOutbox,
	bucketCatalog, bucketSync, bucketMeta, bucketJournal, bucketBlobs, bucketBlobChunks,
	bucketInteractions, bucketInteractionBodies, bucketInteractionOutbox}

var (
	keySchemaVersion = []byte("schema_version")
	keyKeyCheck      = []byte("key_check")
	keyCursor        = []byte("cursor")
	keyETag          = []byte("etag")
	keyBody          = []byte("body")
)

const (
	prefixSetting = "setting/"
	prefixSecret  = "secret/"
)

// migration brings the store from version-1 to version. migrations[i] has
// version i+1; Open runs the pending ones in one transaction.
type migration struct {
	version int
	what    string
	up      func(tx *bolt.Tx, s *Store) error
}

var migrations = []migration{
	{1, "initial buckets and key check", func(tx *bolt.Tx, s *Store) error {
		for _, b := range [][]byte{bucketApplications, bucketSummaries, bucketPersonal, bucketOutbox,
			bucketCatalog, bucketSync, bucketMeta, bucketJournal} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if meta.Get(keyKeyCheck) != nil {
			return nil
		}
		sealed, err := s.seal.seal(bucketMeta, keyKeyCheck, []byte(keyCheckPlain))
		if err != nil {
			return err
		}
		return meta.Put(keyKeyCheck, sealed)
	}},
	{2, "attachments as encrypted, chunked, content-addressed blobs", func(tx *bolt.Tx, s *Store) error {
		for _, b := range [][]byte{bucketBlobs, bucketBlobChunks} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return s.moveAttachmentsToBlobs(tx)
	}},
	{3, "queue tickets, ratings and feedback (interactions) with their outbox", func(tx *bolt.Tx, s *Store) error {
		for _, b := range [][]byte{bucketInteractions, bucketInteractionBodies, bucketInteractionOutbox} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	}},
}

// moveAttachmentsToBlobs rewrites the personal data of schema 1, which held
// attachment bytes inline, into blobs and references. A record that cannot
// be read or normalised is left as it was: Check reports it, and a queued
// one moves to needs_attention when the queue meets it.
func (s *Store) moveAttachmentsToBlobs(tx *bolt.Tx) error {
	var ids []string
	err := tx.Bucket(bucketPersonal).ForEach(func(k, _ []byte) error {
		ids = append(ids, string(k))
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		r, err := getRecord(tx, id)
		if err != nil {
			continue
		}
		pd, err := s.getPersonal(tx, id)
		if err != nil || len(pd.Attachments) == 0 {
			continue
		}
		atts, err := normaliseAttachments(pd.Attachments, 0)
		if err != nil {
			continue
		}
		if pd.Attachments, err = s.attach(tx, &r, atts, true); err != nil {
			return err
		}
		_, plain, err := s.putPersonal(tx, id, pd)
		if err != nil {
			return err
		}
		if r.State == lifecycle.Queued {
			r.Size = itemSize(&r, plain)
		}
		if err := putRecord(tx, &r); err != nil {
			return err
		}
	}
	return nil
}

// CurrentSchema is the schema version this code writes.
func currentSchema() int { return migrations[len(migrations)-1].version }

// readSchema returns the stored schema version (0 for a new file).
func readSchema(tx *bolt.Tx) (int, error) {
	b := tx.Bucket(bucketMeta)
	if b == nil {
		return 0, nil
	}
	v := b.Get(keySchemaVersion)
	if v == nil {
		return 0, nil
	}
	n, err := strconv.Atoi(string(v))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: the stored schema version is not a number", ErrCorrupt)
	}
	return n, nil
}

// migrate runs every migration after from, in tx.
func (s *Store) migrate(tx *bolt.Tx, from int) error {
	for _, m := range migrations {
		if m.version <= from {
			continue
		}
		if err := m.up(tx, s); err != nil {
			return fmt.Errorf("migrate the store to schema %d (%s): %w", m.version, m.what, err)
		}
	}
	return tx.Bucket(bucketMeta).Put(keySchemaVersion, []byte(strconv.Itoa(currentSchema())))
}
