package open311test

import "errors"

// Errors of the back-office methods.
var (
	// ErrUnknownRequest: no stored request has that service_request_id.
	ErrUnknownRequest = errors.New("open311test: no request with that service_request_id: use an id a POST answered")
	// ErrBadStatus: a status other than "open" or "closed".
	ErrBadStatus = errors.New(`open311test: a GeoReport v2 status is "open" or "closed"`)
)
