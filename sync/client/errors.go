package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"civicdesk/app/catalog"
)

// Sentinel errors. Every error the client returns wraps one of them (or a
// context error), so callers check with errors.Is; Retryable tells a failure
// worth trying again later from a final one.
var (
	// ErrOffline: the central API could not be reached (DNS, connect, reset,
	// timeout, untrusted TLS certificate). Try again when a connection exists.
	ErrOffline = errors.New("central API unreachable: check the network connection")
	// ErrCaptivePortal: something answered that is not the central API, most
	// likely a Wi-Fi login page. Log in to the network, then sync again.
	ErrCaptivePortal = errors.New("the network answered with a page that is not the central API (a Wi-Fi login page?): log in to the network and sync again")
	// ErrBadResponse: the answer could not be used (truncated, not the API's
	// JSON, or not naming every item sent). Nothing is lost; sync again later.
	ErrBadResponse = errors.New("central API answer was incomplete or unreadable: sync again later")
	// ErrUnauthorized: the token was refused (401/403). Enrol the device again
	// or check the staff token.
	ErrUnauthorized = errors.New("central API refused the credentials: enrol the device again or check the token")
	// ErrNotFound: the thing asked for does not exist (404).
	ErrNotFound = errors.New("not found on the central API: check the tracking number and code, or the id")
	// ErrTooManyAttempts: too many failed status lookups (429
	// too_many_attempts); APIError.RetryAfter says how long to wait.
	ErrTooManyAttempts = errors.New("too many failed lookups: wait, then type the numbers exactly as printed on the receipt")
	// ErrChunkChecksum: the central API refused an attachment chunk whose
	// bytes did not match their checksum (tus 460): the link damaged them.
	// The chunk was dropped; send it again.
	ErrChunkChecksum = errors.New("the central API refused a damaged attachment chunk (checksum mismatch): send the chunk again")
	// ErrBlobCorrupt: the last chunk completed a blob whose SHA-256 is not
	// its name (422). The central API dropped the blob; upload it again.
	ErrBlobCorrupt = errors.New("the attachment the central API received does not match its SHA-256 and was dropped: upload it again")
	// ErrChunkTooLarge: a chunk is larger than the central API takes in one
	// request (wire.MaxChunk). Send smaller chunks.
	ErrChunkTooLarge = errors.New("attachment chunk larger than the central API takes: send smaller chunks")
)

// OffsetMismatchError is the central API's 409 to a chunk that did not start
// where the server's copy of the blob ends. Offset is how many bytes the
// server holds (-1 when the answer did not say: ask BlobOffset); resume from
// there. It unwraps to the *APIError of the answer.
type OffsetMismatchError struct {
	Offset int64

	api *APIError
}

func (e *OffsetMismatchError) Error() string {
	if e.Offset < 0 {
		return "central API blob upload: the chunk did not start at the server's offset (not given): ask the offset and resume"
	}
	return fmt.Sprintf("central API blob upload: the server holds %d bytes of the blob, not where the chunk started: resume from %d", e.Offset, e.Offset)
}

// Unwrap gives the 409 answer as an *APIError.
func (e *OffsetMismatchError) Unwrap() error {
	if e.api == nil {
		return nil
	}
	return e.api
}

// APIError is a non-2xx answer of the central API (or of whatever stood in
// its way). It keeps the last HTTP status after retries and the API's error
// code, message and field errors when the body was the API's JSON error.
type APIError struct {
	Status      int
	Code        string
	Message     string
	FieldErrors []catalog.FieldError
	// Attempts is how many times the request was sent.
	Attempts int
	// RetryAfter is the wait a 429 asked for (zero when it named none).
	RetryAfter time.Duration

	op   string
	kind error // ErrUnauthorized, ErrNotFound, ErrTooManyAttempts, ErrChunkChecksum, ErrBlobCorrupt or nil
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("central API %s: HTTP %d", e.op, e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	switch {
	case e.kind != nil:
		s += " (" + e.kind.Error() + ")"
	case retryableStatus(e.Status):
		s += "; try again later"
	}
	return s
}

// Unwrap lets errors.Is(err, ErrUnauthorized), errors.Is(err, ErrNotFound),
// errors.Is(err, ErrChunkChecksum) and errors.Is(err, ErrBlobCorrupt) work.
func (e *APIError) Unwrap() error { return e.kind }

// Retryable reports whether err is a transient failure that a later attempt
// may cure: network errors, a captive portal, an unusable 2xx body, 429 and
// 5xx. A deadline that ran out is retryable; cancellation and 4xx answers are not.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false // the caller gave up; not a property of the network
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true // too slow this time (a 2G link); may work later
	}
	if errors.Is(err, ErrOffline) || errors.Is(err, ErrCaptivePortal) || errors.Is(err, ErrBadResponse) {
		return true
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return retryableStatus(ae.Status)
	}
	return false
}

// retryableStatus: 429 and every 5xx (a proxy's 502/503/504 included).
func retryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500
}
