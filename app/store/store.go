// Package store is civicdesk's local encrypted store: one bbolt file per data
// directory holding applications, their outbox, the catalog cache, the sync
// cursor, settings and an audit journal, with personal data sealed by AES-256-GCM.
package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// FileName is the store file inside the data directory.
const FileName = "civicdesk.db"

// Options configure Open. Only Dir is required.
type Options struct {
	Dir    string // data directory; created 0700 if missing
	Policy Policy // default PolicyKiosk
	// Key is a 32-byte key from the operator (raw, or base64/hex text). Else
	// KeyFile; else the environment variable CIVICDESK_KEY (base64 std or
	// hex); else <Dir>/store.key (0600, created when the store is created).
	Key         []byte
	KeyFile     string
	Clock       func() time.Time // default time.Now
	LockTimeout time.Duration    // default 1s
	NewID       func() string    // default: a UUIDv7 string
	// MaxAttachment is the largest attachment accepted, in bytes (<= 0:
	// DefaultMaxAttachment). A larger one is refused with ErrInvalid.
	MaxAttachment int64
	// ReadOnly opens for reading only (doctor, export): writes return
	// ErrReadOnly, a damaged file is reported instead of moved aside, and a
	// key that does not match makes only the personal-data reads fail.
	ReadOnly bool
}

// Store is an open store. Its methods are safe for concurrent use.
type Store struct {
	db        *bolt.DB
	path      string
	policy    Policy
	clock     func() time.Time
	newID     func() string
	readOnly  bool
	maxAtt    int64
	seal      *sealer // nil when no key could be found (read-only only)
	keyErr    error   // read-only: why personal data cannot be read
	schema    int
	recovered string
}

// Open opens (creating if needed) the store in o.Dir. A second process gets
// an error wrapping ErrInUse after o.LockTimeout. A damaged file is moved to
// "<name>.corrupt-<UTC time>" and a fresh store is started (see Recovered).
func Open(o Options) (*Store, error) {
	if o.Dir == "" {
		return nil, fmt.Errorf("%w: no data directory given (pass --data DIR or set CIVICDESK_DATA)", ErrInvalid)
	}
	if o.Policy == "" {
		o.Policy = PolicyKiosk
	}
	if o.Policy != PolicyKiosk && o.Policy != PolicyPersonal {
		return nil, fmt.Errorf("%w: retention policy %q is unknown (use %q or %q)", ErrInvalid, o.Policy, PolicyKiosk, PolicyPersonal)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = time.Second
	}
	if o.NewID == nil {
		o.NewID = newUUIDv7
	}
	if o.MaxAttachment <= 0 {
		o.MaxAttachment = DefaultMaxAttachment
	}
	if !o.ReadOnly {
		if err := os.MkdirAll(o.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("create the data directory %s: %w (choose a writable directory with --data)", o.Dir, err)
		}
	}
	s := &Store{
		path:     filepath.Join(o.Dir, FileName),
		policy:   o.Policy,
		clock:    o.Clock,
		newID:    o.NewID,
		readOnly: o.ReadOnly,
		maxAtt:   o.MaxAttachment,
	}
	for attempt := 0; ; attempt++ {
		err := s.open(o)
		if err == nil {
			return s, nil
		}
		var dmg *damageError
		if !errors.As(err, &dmg) || attempt > 0 {
			return nil, err
		}
		if o.ReadOnly {
			return nil, fmt.Errorf("%w; open it once for writing (the app, or any hallctl command that writes) to move it aside and start an empty store", err)
		}
		moved, merr := moveAside(s.path, s.now(), o.LockTimeout, dmg.recheck)
		if merr != nil {
			return nil, merr
		}
		s.recovered = moved
	}
}

// damageError says the file is damaged and must be moved aside.
type damageError struct {
	path    string
	cause   error
	recheck bool // found without holding the lock: check again under it
}

func (e *damageError) Error() string {
	return fmt.Sprintf("the store file %s is damaged (%v)", e.path, e.cause)
}
func (e *damageError) Unwrap() error { return ErrCorrupt }

func (s *Store) open(o Options) error {
	if problem := inspectFile(s.path); problem != nil {
		return &damageError{s.path, problem, true}
	}
	// bbolt can panic on damage inspectFile does not see (a bad freelist
	// page, say); keep hold of the file so a panic does not leak its lock.
	var file *os.File
	var db *bolt.DB
	err := safely(func() error {
		var err error
		db, err = bolt.Open(s.path, 0o600, &bolt.Options{
			Timeout:      o.LockTimeout,
			ReadOnly:     o.ReadOnly,
			FreelistType: bolt.FreelistMapType,
			OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
				f, err := os.OpenFile(name, flag, perm)
				file = f
				return f, err
			},
		})
		return err
	})
	if errors.Is(err, errCorruptPanic) && file != nil {
		// The mapping bbolt made keeps the file (and so its lock) alive
		// after Close: unlock explicitly. The mapping itself leaks, once.
		unlockFile(file)
		_ = file.Close()
	}
	switch {
	case err == nil:
	case errors.Is(err, bolterrors.ErrTimeout):
		return fmt.Errorf("%w: %s is held by another process (close the other civicdesk or hallctl, or wait for it to finish, then try again)", ErrInUse, s.path)
	case o.ReadOnly && errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: there is no civicdesk store in %s yet (check --data, or create one by running civicdesk or a hallctl command that writes)", ErrNotFound, filepath.Dir(s.path))
	case isFormatError(err):
		return &damageError{s.path, err, false}
	default:
		return fmt.Errorf("open the store %s: %w (check the data directory's permissions and free space)", s.path, err)
	}
	s.db = db
	if err := s.start(o); err != nil {
		_ = db.Close()
		s.db = nil
		if errors.Is(err, errCorruptPanic) {
			return &damageError{s.path, err, false}
		}
		return err
	}
	return nil
}

// start checks the schema and the key and runs pending migrations.
func (s *Store) start(o Options) error {
	var version int
	var keyCheck []byte
	err := safely(func() error {
		return s.db.View(func(tx *bolt.Tx) error {
			var err error
			version, err = readSchema(tx)
			if b := tx.Bucket(bucketMeta); b != nil {
				keyCheck = clone(b.Get(keyKeyCheck))
			}
			return err
		})
	})
	if err != nil {
		return err
	}
	if version > currentSchema() {
		return fmt.Errorf("%w: %s has schema version %d, but this civicdesk knows only up to %d: install a newer civicdesk; the file was left untouched",
			ErrSchema, s.path, version, currentSchema())
	}
	if o.ReadOnly && version > 0 && version < currentSchema() {
		return fmt.Errorf("%w: %s has schema version %d and needs upgrading to %d, which a read-only open cannot do: open it once for writing",
			ErrSchema, s.path, version, currentSchema())
	}
	fresh := keyCheck == nil
	if err := s.setKey(o, fresh); err != nil {
		return err
	}
	if !fresh && s.seal != nil {
		if _, err := s.seal.open(bucketMeta, keyKeyCheck, keyCheck); err != nil {
			kerr := keyMismatch(s.seal.source, "this store's key check")
			if !o.ReadOnly {
				return kerr
			}
			s.keyErr, s.seal = kerr, nil
		}
	}
	s.schema = version
	if o.ReadOnly || (version == currentSchema() && s.recovered == "") {
		return nil
	}
	err = safely(func() error {
		return s.db.Update(func(tx *bolt.Tx) error {
			if err := s.migrate(tx, version); err != nil {
				return err
			}
			if s.recovered != "" {
				return s.event(tx, Event{Kind: "recovered", Detail: "damaged file moved to " + filepath.Base(s.recovered)})
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("prepare the store %s: %w", s.path, err)
	}
	s.schema = currentSchema()
	return nil
}

// setKey finds the key (creating store.key for a fresh store) and makes the sealer.
func (s *Store) setKey(o Options, fresh bool) error {
	ks, err := findKey(o)
	if err == nil && ks.key == nil {
		switch {
		case o.ReadOnly:
			err = fmt.Errorf("%w: no key: %s does not exist and neither %s nor a key file was given", ErrKey, ks.defaultFile, KeyEnv)
		case !fresh:
			err = fmt.Errorf("%w: %s is missing but this store was created with a key: restore the file, or give the key in %s or with a key file", ErrKey, ks.defaultFile, KeyEnv)
		default:
			ks.key, err = createKeyFile(ks.defaultFile)
		}
	}
	if err == nil {
		s.seal, err = newSealer(ks.key, ks.source)
	}
	if err != nil && o.ReadOnly {
		s.keyErr, s.seal = err, nil
		return nil
	}
	return err
}

// safely turns a panic from bbolt reading a damaged page into an error.
func safely(f func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errCorruptPanic, r)
		}
	}()
	return f()
}

func newUUIDv7() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

// Recovered is the path a damaged file was moved to during Open, "" if none.
func (s *Store) Recovered() string { return s.recovered }

// Close closes the store file.
func (s *Store) Close() error {
	if s.db == nil {
		return nil
	}
	return s.db.Close()
}

// Path is the store file's path.
func (s *Store) Path() string { return s.path }

// Policy is the retention policy the store was opened with.
func (s *Store) Policy() Policy { return s.policy }

// SchemaVersion is the store's schema version (0 for an empty read-only store).
func (s *Store) SchemaVersion() int { return s.schema }

func (s *Store) now() time.Time { return s.clock().UTC().Round(0) }

// update runs fn in a write transaction. Errors from fn come back as they
// are; a failed commit (full or read-only disk) is explained.
func (s *Store) update(fn func(tx *bolt.Tx) error) error {
	if s.readOnly {
		return fmt.Errorf("%w: %s was opened for reading only", ErrReadOnly, s.path)
	}
	var fnErr error
	err := s.db.Update(func(tx *bolt.Tx) error {
		fnErr = fn(tx)
		return fnErr
	})
	if err != nil && fnErr == nil {
		return fmt.Errorf("write to the store %s failed, nothing was changed (is the disk full or read-only? free some space and try again): %w", s.path, err)
	}
	return err
}

// view runs fn in a read transaction.
func (s *Store) view(fn func(tx *bolt.Tx) error) error { return s.db.View(fn) }

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}
