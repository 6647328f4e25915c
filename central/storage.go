package central

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/sync/wire"
)

// Bucket names of the server's bbolt file.
var (
	bucketDevices      = []byte("devices")       // sha256(token) -> deviceRecord
	bucketEnrollCodes  = []byte("enroll_codes")  // sha256(code) -> codeRecord
	bucketStaffTokens  = []byte("staff_tokens")  // sha256(token) -> staffRecord
	bucketApplications = []byte("applications")  // app id -> appRecord
	bucketTracking     = []byte("tracking")      // tracking number -> app id
	bucketChanges      = []byte("changes")       // seq (8 bytes BE) -> changeRecord
	bucketDeviceFeeds  = []byte("device_feeds")  // device id -> bucket of seq -> ""
	bucketMeta         = []byte("meta")          // counters, schema version
	bucketBlobs        = []byte("blobs")         // sha256 hex -> blobRecord
	bucketBlobChunks   = []byte("blob_chunks")   // blobRecord.chunkKey -> bucket of offset (8 bytes BE) -> chunk bytes
	bucketBlobRefs     = []byte("blob_refs")     // sha256 hex -> bucket of app id -> ""
	bucketDeviceHealth = []byte("device_health") // device id -> healthRecord (latest heartbeat)
	bucketNotices      = []byte("notices")       // notice id -> wire.Notice
	// Hall interactions (interactions.go). A data file made before them
	// gets the buckets on open: no migration, the schema version stays.
	bucketInteractions  = []byte("interactions")   // interaction id -> interactionRecord
	bucketTickets       = []byte("tickets")        // ticketKey(hall, day, number) -> interaction id
	bucketTicketClashes = []byte("ticket_clashes") // refused ticket's interaction id -> clashRecord
	// Per-device uploads (blobstore.go). A data file made before them gets
	// the buckets, and owners for its blobs, on open: the schema version stays.
	bucketBlobOwners = []byte("blob_owners")  // sha256 hex -> bucket of device id -> "" (devices that uploaded it all)
	bucketUploads    = []byte("blob_uploads") // device id -> bucket of sha256 hex -> blobRecord (one device's partial upload)
	allBuckets       = [][]byte{bucketDevices, bucketEnrollCodes, bucketStaffTokens, bucketApplications, bucketTracking, bucketChanges, bucketDeviceFeeds, bucketMeta, bucketBlobs, bucketBlobChunks, bucketBlobRefs, bucketDeviceHealth, bucketNotices,
		bucketInteractions, bucketTickets, bucketTicketClashes, bucketBlobOwners, bucketUploads}
	metaSchemaVersion  = []byte("schema_version")
	metaAppOrdinal     = []byte("app_ordinal")
	metaTrackingPrefix = "tracking_seq:" // + yyyymmdd
)

const schemaVersion = 1

// deviceRecord is an enrolled device. The token itself is never stored.
type deviceRecord struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Kind       string    `json:"kind"`
	EnrolledAt time.Time `json:"enrolled_at"`
}

// codeRecord is a one-time enrolment code (stored under its hash).
type codeRecord struct {
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	UsedAt    time.Time `json:"used_at,omitzero"`
	DeviceID  string    `json:"device_id,omitempty"`
}

// staffRecord is a back-office token holder (stored under the token's hash).
type staffRecord struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// appRecord is one accepted application.
type appRecord struct {
	ID              string             `json:"id"`
	Ordinal         uint64             `json:"ordinal"`
	Fingerprint     string             `json:"fingerprint"`
	Devices         []string           `json:"devices"`
	Service         string             `json:"service"`
	ServiceVersion  int                `json:"service_version"`
	StaffID         string             `json:"staff_id,omitempty"`
	Values          catalog.Values     `json:"values"`
	Attachments     []wire.Attachment  `json:"attachments,omitempty"` // references to blobs (see blob_refs)
	Tracking        string             `json:"tracking"`
	Code            string             `json:"code"`
	Status          lifecycle.Status   `json:"status"`
	AcceptedAt      time.Time          `json:"accepted_at"`
	DeviceCreatedAt time.Time          `json:"device_created_at,omitzero"` // informational only
	History         []wire.StatusEntry `json:"history"`
}

// changeRecord is one entry of the changes log: a status change of an
// application (Kind "") or a staff reply to an interaction (Kind
// wire.ChangeReply: AppID is the interaction's id, Tracking its reference).
type changeRecord struct {
	Kind      string           `json:"kind,omitempty"`
	AppID     string           `json:"app_id"`
	Tracking  string           `json:"tracking"`
	DeviceIDs []string         `json:"device_ids"`
	Status    lifecycle.Status `json:"status"`
	At        time.Time        `json:"at"`
	Note      catalog.Text     `json:"note,omitempty"`
}

func (a *appRecord) hasDevice(id string) bool {
	for _, d := range a.Devices {
		if d == id {
			return true
		}
	}
	return false
}

func (a *appRecord) result(duplicate bool) wire.ItemResult {
	return wire.ItemResult{
		ID:               a.ID,
		Outcome:          wire.Accepted,
		Tracking:         a.Tracking,
		VerificationCode: a.Code,
		Status:           a.Status,
		AcceptedAt:       a.AcceptedAt,
		Duplicate:        duplicate,
	}
}

func (a *appRecord) backoffice() wire.BackofficeApplication {
	dev := ""
	if len(a.Devices) > 0 {
		dev = a.Devices[0]
	}
	return wire.BackofficeApplication{ID: a.ID, Tracking: a.Tracking, Service: a.Service, Device: dev,
		StaffID: a.StaffID, Status: a.Status, AcceptedAt: a.AcceptedAt}
}

// openDB opens (or creates) the bbolt file and its buckets.
func openDB(path string) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		if isTimeout(err) {
			return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("central: open data file %s: %w (check the path and its permissions)", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(metaSchemaVersion); v != nil {
			n, err := strconv.Atoi(string(v))
			if err != nil || n > schemaVersion {
				return fmt.Errorf("central: data file schema version %q is newer than this server understands (%d): use a newer server", v, schemaVersion)
			}
			return nil
		}
		return meta.Put(metaSchemaVersion, []byte(strconv.Itoa(schemaVersion)))
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func seqKey(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("central: corrupt record in the data file: %w (restore the file from a backup)", err)
	}
	return true, nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

// counter increments and returns a named counter of the meta bucket.
func counter(tx *bolt.Tx, name []byte) (uint64, error) {
	meta := tx.Bucket(bucketMeta)
	var n uint64
	if v := meta.Get(name); len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	}
	n++
	return n, meta.Put(name, seqKey(n))
}

// appendChange writes a status change to the log and to the feed of every
// device interested in the application.
func appendChange(tx *bolt.Tx, a *appRecord, e wire.StatusEntry) error {
	return appendChangeRecord(tx, changeRecord{AppID: a.ID, Tracking: a.Tracking, DeviceIDs: append([]string(nil), a.Devices...),
		Status: e.Status, At: e.At, Note: e.Note})
}

// appendChangeRecord writes a change to the log and to the feed of each of
// rec.DeviceIDs: the one changes feed of status changes and replies.
func appendChangeRecord(tx *bolt.Tx, rec changeRecord) error {
	changes := tx.Bucket(bucketChanges)
	seq, err := changes.NextSequence()
	if err != nil {
		return err
	}
	if err := putJSON(changes, seqKey(seq), rec); err != nil {
		return err
	}
	feeds := tx.Bucket(bucketDeviceFeeds)
	for _, d := range rec.DeviceIDs {
		fb, err := feeds.CreateBucketIfNotExists([]byte(d))
		if err != nil {
			return err
		}
		if err := fb.Put(seqKey(seq), []byte{}); err != nil {
			return err
		}
	}
	return nil
}

// setStatus moves an application to a new status at time at, recording
// history and a change; the caller has checked the transition.
func setStatus(tx *bolt.Tx, a *appRecord, st lifecycle.Status, note catalog.Text, at time.Time) error {
	e := wire.StatusEntry{Status: st, At: at, Note: note}
	a.Status = st
	a.History = append(a.History, e)
	if err := putJSON(tx.Bucket(bucketApplications), []byte(a.ID), a); err != nil {
		return err
	}
	return appendChange(tx, a, e)
}
