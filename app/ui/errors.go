package ui

import "errors"

// Sentinel errors of the shared screens. Every error a view-model returns
// wraps one of these (or a store error), so callers test with errors.Is;
// the screens translate them with errorText.
var (
	// ErrInvalidForm: the application still has fields to correct; the
	// view-model's Errors name them and the wizard shows them inline.
	ErrInvalidForm = errors.New("the application has fields to correct: go back and fix the marked fields")
	// ErrIncomplete: a status lookup lacks the tracking number or the verification code.
	ErrIncomplete = errors.New("enter both the tracking number and the verification code from the receipt")
	// ErrNotFound: no application matches the tracking number and code (or the reference).
	ErrNotFound = errors.New("no application matches: check the tracking number and the verification code")
	// ErrOffline: the central API could not be reached and this device has no record to show.
	ErrOffline = errors.New("the central API cannot be reached now and this device has no record of it: try again later")
	// ErrTooManyAttempts: the central API refuses lookups of this number (or
	// from this device) for a while after too many wrong tries.
	ErrTooManyAttempts = errors.New("too many wrong tries: wait, then type both numbers exactly as printed on the receipt")
	// ErrMalformed: a scanned code is not a civicdesk receipt code.
	ErrMalformed = errors.New("the scanned code is not a civicdesk receipt code: scan the code on the receipt or type the numbers")
	// ErrPrepare: Deps.PrepareAttachment refused a file (a damaged photo):
	// choose the file again.
	ErrPrepare = errors.New("the file could not be prepared for sending: choose it again")
	// ErrUnknownService: a saved draft names a service the catalog in use
	// no longer offers; it cannot be reopened (it can be deleted).
	ErrUnknownService = errors.New("the draft's service is no longer in the catalog: delete the draft and start again")
	// ErrSubmitted: the application was already submitted and can no longer be changed.
	ErrSubmitted = errors.New("the application was already submitted and cannot be changed")
)
