package staff

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors of staff mode; Check's typed errors wrap them.
var (
	// ErrWrongPIN: the PIN does not match (see WrongPINError for the tries left).
	ErrWrongPIN = errors.New("wrong staff PIN")
	// ErrLocked: too many wrong tries; staff mode is locked for a while (see LockedError).
	ErrLocked = errors.New("staff mode is locked after too many wrong PINs")
	// ErrNoPIN: no staff PIN has been set on this device.
	ErrNoPIN = errors.New("no staff PIN is set on this device (set one with hallctl)")
	// ErrBadPIN: a new PIN is not 4 to 8 digits.
	ErrBadPIN = errors.New("a staff PIN must be 4 to 8 digits")
	// ErrBadHash: the stored PIN hash is damaged or of an unknown kind.
	ErrBadHash = errors.New("the stored staff PIN hash cannot be read")
)

// WrongPINError is a wrong PIN with the tries left before the lock.
type WrongPINError struct{ TriesLeft int }

func (e *WrongPINError) Error() string {
	return fmt.Sprintf("%v: %d tries left before staff mode locks for %v", ErrWrongPIN, e.TriesLeft, LockFor)
}

// Unwrap makes errors.Is(err, ErrWrongPIN) true.
func (e *WrongPINError) Unwrap() error { return ErrWrongPIN }

// LockedError says until when staff mode is locked.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return fmt.Sprintf("%v: try again after %s", ErrLocked, e.Until.Format("15:04:05"))
}

// Unwrap makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Unwrap() error { return ErrLocked }
