package central

import "errors"

// Sentinel errors of the central server. Callers check them with errors.Is.
var (
	// ErrLocked: the data file is held by another process (a running server).
	ErrLocked = errors.New("central: the data file is in use by another process (is the server running?)")
	// ErrNotFound: no application has this tracking number.
	ErrNotFound = errors.New("central: no application has this tracking number")
	// ErrInvalidStatus: the status is not one the central API decides.
	ErrInvalidStatus = errors.New("central: not a server status (use received, in_review, needs_more_info, approved, rejected, ready_for_pickup or completed)")
	// ErrFinal: the application is in a final state (rejected, completed) and cannot move on.
	ErrFinal = errors.New("central: the application is in a final state and cannot change status")
	// ErrClosed: the server has been closed.
	ErrClosed = errors.New("central: server is closed")
	// ErrBadName: a staff name is empty or too long.
	ErrBadName = errors.New("central: staff name must be 1 to 64 characters")
	// ErrBadTTL: an enrolment code lifetime is not positive.
	ErrBadTTL = errors.New("central: enrolment code lifetime must be positive")
)
