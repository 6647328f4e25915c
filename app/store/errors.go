package store

import "errors"

// Sentinel errors of the store. Every error a method returns wraps one of
// these (or an I/O error from the disk), so callers test with errors.Is.
var (
	// ErrInUse: another process holds the store file open.
	ErrInUse = errors.New("store is already in use by another civicdesk process")
	// ErrNotFound: no application (or no store) with that name.
	ErrNotFound = errors.New("not found")
	// ErrState: the application is not in a state that allows the operation.
	ErrState = errors.New("not allowed in the application's current state")
	// ErrKey: the encryption key is missing, malformed, or does not match this store.
	ErrKey = errors.New("encryption key problem")
	// ErrReadOnly: the store was opened read-only and a write was attempted.
	ErrReadOnly = errors.New("store is open read-only")
	// ErrInvalid: an argument is malformed (empty service, bad id, ...).
	ErrInvalid = errors.New("invalid argument")
	// ErrSchema: the store file was written by a newer civicdesk (or needs
	// a migration that a read-only open cannot run).
	ErrSchema = errors.New("unsupported store schema version")
	// ErrCorrupt: the store file is damaged (Check found a problem, or a
	// read-only open met a file it would otherwise have moved aside).
	ErrCorrupt = errors.New("store file is damaged")
)
