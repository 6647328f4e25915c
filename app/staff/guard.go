// Package staff guards a device's staff mode with a PIN: stored only as a
// salted PBKDF2-SHA-256 hash in the store's settings, checked in constant
// time, and locked for a while after repeated wrong tries (the count and
// the lock survive a restart).
package staff

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"civicdesk/app/store"
)

// Policy.
const (
	// MaxTries wrong PINs in a row lock staff mode.
	MaxTries = 5
	// LockFor is how long the lock lasts.
	LockFor = 5 * time.Minute
	// Iterations of PBKDF2-SHA-256 for a new PIN hash.
	Iterations = 150_000
	// MinPINLen and MaxPINLen bound a PIN (digits only).
	MinPINLen = 4
	MaxPINLen = 8

	saltLen = 16
	keyLen  = 32
	scheme  = "pbkdf2-sha256"
)

// Settings keys in the store (plain meta: never the PIN itself).
const (
	MetaPINHash     = "staff.pin_hash"     // scheme$iterations$salt$hash (base64)
	MetaFailures    = "staff.pin_failures" // wrong tries since the last success or lock
	MetaLockedUntil = "staff.locked_until" // RFC 3339; "" when not locked
)

// Guard checks staff PINs against one store. Its methods are safe for
// concurrent use.
type Guard struct {
	st  *store.Store
	now func() time.Time
	mu  sync.Mutex
}

// NewGuard returns a guard over st; now is the clock (nil: time.Now).
func NewGuard(st *store.Store, now func() time.Time) *Guard {
	if now == nil {
		now = time.Now
	}
	return &Guard{st: st, now: now}
}

// ValidPIN reports why pin cannot be a staff PIN (nil when it can).
func ValidPIN(pin string) error {
	if len(pin) < MinPINLen || len(pin) > MaxPINLen {
		return fmt.Errorf("%w: it has %d characters", ErrBadPIN, len(pin))
	}
	for i := 0; i < len(pin); i++ {
		if pin[i] < '0' || pin[i] > '9' {
			return fmt.Errorf("%w: it holds something other than digits", ErrBadPIN)
		}
	}
	return nil
}

// SetPIN replaces the staff PIN (4 to 8 digits) and clears any lock.
func (g *Guard) SetPIN(pin string) error {
	if err := ValidPIN(pin); err != nil {
		return err
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return fmt.Errorf("staff: make a salt: %w", err)
	}
	sum, err := derive(pin, salt, Iterations)
	if err != nil {
		return err
	}
	enc := base64.RawStdEncoding
	v := strings.Join([]string{scheme, strconv.Itoa(Iterations), enc.EncodeToString(salt), enc.EncodeToString(sum)}, "$")
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.st.SetMeta(MetaPINHash, v); err != nil {
		return fmt.Errorf("staff: save the PIN hash: %w", err)
	}
	return g.reset()
}

// HasPIN reports whether a staff PIN has been set (false also when the
// store cannot be read).
func (g *Guard) HasPIN() bool {
	v, err := g.st.Meta(MetaPINHash)
	return err == nil && v != ""
}

// Check verifies pin. It returns nil for the right PIN; a *WrongPINError
// (errors.Is ErrWrongPIN) with the tries left; a *LockedError (errors.Is
// ErrLocked) while locked, including for the try that sets off the lock;
// ErrNoPIN when none is set. A locked guard does not look at pin at all.
func (g *Guard) Check(pin string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	until, err := g.lockedUntil()
	if err != nil {
		return err
	}
	if !until.IsZero() {
		if now.Before(until) {
			return &LockedError{Until: until}
		}
		if err := g.reset(); err != nil { // the lock has expired: a fresh start
			return err
		}
	}
	stored, err := g.st.Meta(MetaPINHash)
	if err != nil {
		return fmt.Errorf("staff: read the PIN hash: %w", err)
	}
	if stored == "" {
		return ErrNoPIN
	}
	iter, salt, want, err := parseHash(stored)
	if err != nil {
		return err
	}
	got, err := derive(pin, salt, iter)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(got, want) == 1 {
		return g.reset()
	}
	failures, err := g.failures()
	if err != nil {
		return err
	}
	failures++
	if failures >= MaxTries {
		until := now.Add(LockFor)
		if err := g.st.SetMeta(MetaLockedUntil, until.UTC().Format(time.RFC3339Nano)); err != nil {
			return fmt.Errorf("staff: save the lock: %w", err)
		}
		if err := g.st.SetMeta(MetaFailures, ""); err != nil {
			return fmt.Errorf("staff: save the failed tries: %w", err)
		}
		return &LockedError{Until: until}
	}
	if err := g.st.SetMeta(MetaFailures, strconv.Itoa(failures)); err != nil {
		return fmt.Errorf("staff: save the failed tries: %w", err)
	}
	return &WrongPINError{TriesLeft: MaxTries - failures}
}

// LockedUntil is when the current lock ends (zero when not locked).
func (g *Guard) LockedUntil() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	until, err := g.lockedUntil()
	if err != nil || !g.now().Before(until) {
		return time.Time{}
	}
	return until
}

func (g *Guard) reset() error {
	if err := g.st.SetMeta(MetaFailures, ""); err != nil {
		return fmt.Errorf("staff: clear the failed tries: %w", err)
	}
	if err := g.st.SetMeta(MetaLockedUntil, ""); err != nil {
		return fmt.Errorf("staff: clear the lock: %w", err)
	}
	return nil
}

func (g *Guard) failures() (int, error) {
	v, err := g.st.Meta(MetaFailures)
	if err != nil {
		return 0, fmt.Errorf("staff: read the failed tries: %w", err)
	}
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		// A damaged count must not unlock anything: treat it as one short of the lock.
		return MaxTries - 1, nil
	}
	return n, nil
}

func (g *Guard) lockedUntil() (time.Time, error) {
	v, err := g.st.Meta(MetaLockedUntil)
	if err != nil {
		return time.Time{}, fmt.Errorf("staff: read the lock: %w", err)
	}
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		// A damaged lock stays locked for a full period from now.
		return g.now().Add(LockFor), nil
	}
	return t, nil
}

func derive(pin string, salt []byte, iter int) ([]byte, error) {
	sum, err := pbkdf2.Key(sha256.New, pin, salt, iter, keyLen)
	if err != nil {
		return nil, fmt.Errorf("staff: hash the PIN: %w", err)
	}
	return sum, nil
}

func parseHash(v string) (iter int, salt, sum []byte, err error) {
	parts := strings.Split(v, "$")
	bad := fmt.Errorf("%w (set the staff PIN again with hallctl)", ErrBadHash)
	if len(parts) != 4 || parts[0] != scheme {
		return 0, nil, nil, bad
	}
	iter, err = strconv.Atoi(parts[1])
	if err != nil || iter < 1 {
		return 0, nil, nil, bad
	}
	enc := base64.RawStdEncoding
	if salt, err = enc.DecodeString(parts[2]); err != nil || len(salt) == 0 {
		return 0, nil, nil, bad
	}
	if sum, err = enc.DecodeString(parts[3]); err != nil || len(sum) != keyLen {
		return 0, nil, nil, bad
	}
	return iter, salt, sum, nil
}
