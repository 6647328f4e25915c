package open311

import (
	"errors"
	"fmt"

	"civicdesk/sync/client"
)

// aliasError is a sentinel with its own message that also matches another
// sentinel under errors.Is: the sync engine classifies connectivity by
// sync/client's ErrOffline and ErrCaptivePortal, and this package's
// versions of them say "Open311 server" instead of "central API".
type aliasError struct {
	msg  string
	also error
}

func (e *aliasError) Error() string        { return e.msg }
func (e *aliasError) Is(target error) bool { return target == e.also }

// Sentinel errors. Every error the Backend returns wraps one of them (or a
// context error); check with errors.Is.
var (
	// ErrOffline: the Open311 server could not be reached (DNS, connect,
	// reset, timeout, a connection cut mid-answer). It matches
	// client.ErrOffline. Try again when a connection exists.
	ErrOffline error = &aliasError{"Open311 server unreachable: check the network connection", client.ErrOffline}
	// ErrCaptivePortal: something answered with an HTML page instead of the
	// Open311 server (a Wi-Fi login page?). It matches client.ErrCaptivePortal.
	ErrCaptivePortal error = &aliasError{"the network answered with a web page that is not the Open311 server (a Wi-Fi login page?): log in to the network and sync again", client.ErrCaptivePortal}
	// ErrUnreadable: an answer was neither usable Open311 JSON nor XML. It
	// matches client.ErrBadResponse (retryable). Nothing is lost; sync
	// again later, and tell the server's operator if it persists.
	ErrUnreadable error = &aliasError{"the Open311 server's answer could not be read", client.ErrBadResponse}
	// ErrForbidden: the server refused the api_key (HTTP 401/403). Check the
	// API key in the Open311 settings; nothing is sent until it is fixed.
	// It matches client.ErrUnauthorized.
	ErrForbidden error = &aliasError{"the Open311 server refused the API key (HTTP 403): check the api_key in the Open311 settings", client.ErrUnauthorized}
	// ErrServer: the server answered with an HTTP error (5xx, 429, or a
	// status this client does not expect). Try again later.
	ErrServer = errors.New("the Open311 server answered with an error: try again later")
	// ErrNotFound: the server does not have what was asked for (404). It
	// matches client.ErrNotFound.
	ErrNotFound error = &aliasError{"not found on the Open311 server", client.ErrNotFound}
	// ErrNoUploads: Open311 GeoReport v2 has no file uploads. The Open311
	// catalog never has attachment fields, so nothing should ask.
	ErrNoUploads = errors.New("the Open311 server takes no file uploads: remove the attachment or use the central API")
	// ErrConfig: the Config is unusable; the message says which setting.
	ErrConfig = errors.New("invalid Open311 settings")
	// ErrState: the adapter's remembered state could not be read or written
	// (the local store failed). Nothing was sent that cannot be found again.
	ErrState = errors.New("the Open311 adapter could not use its local state: check the local store")
)

// statusError is a non-2xx answer: it unwraps to ErrForbidden, ErrNotFound
// or ErrServer and never quotes the server's body.
type statusError struct {
	op     string
	status int
	kind   error
}

func (e *statusError) Error() string {
	return fmt.Sprintf("Open311 %s: HTTP %d: %v", e.op, e.status, e.kind)
}

func (e *statusError) Unwrap() error { return e.kind }

func newStatusError(op string, status int) error {
	kind := ErrServer
	switch status {
	case 401, 403:
		kind = ErrForbidden
	case 404:
		kind = ErrNotFound
	}
	return &statusError{op: op, status: status, kind: kind}
}
