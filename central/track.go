package central

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"civicdesk/sync/wire"
)

// handleTrack answers a lookup by tracking number and verification code,
// within the limits of tracklimit.go: past them, 429 whatever the code.
func (s *Server) handleTrack(w http.ResponseWriter, r *http.Request, c caller) error {
	body, err := readBody(w, r, smallBody)
	if err != nil {
		return err
	}
	var req wire.TrackRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	if req.Tracking == "" || req.VerificationCode == "" {
		return errorf(http.StatusBadRequest, codeBadRequest,
			"tracking and verification_code are both required: copy them from the receipt")
	}
	if wait, ok := s.trackLimit.begin(req.Tracking, c.device, s.now()); !ok {
		return errTooManyAttempts(w.Header(), wait)
	}
	resp, ok, err := s.track(req)
	if err != nil {
		s.trackLimit.abandoned(req.Tracking, c.device)
		return err
	}
	if !ok {
		// The same answer for an unknown number and a wrong code, so that
		// the endpoint does not reveal which tracking numbers exist; both
		// stay counted as failures.
		return errorf(http.StatusNotFound, codeNotFound,
			"no application matches this tracking number and verification code: check both on the receipt")
	}
	s.trackLimit.succeeded(req.Tracking, c.device)
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// errTooManyAttempts is the 429 of a tracking number or device past its
// limit of failed attempts; it sets Retry-After (whole seconds) in h.
func errTooManyAttempts(h http.Header, wait time.Duration) error {
	secs := max(int64((wait+time.Second-1)/time.Second), 1)
	h.Set("Retry-After", strconv.FormatInt(secs, 10))
	h.Set("Cache-Control", "no-store")
	return errorf(http.StatusTooManyRequests, codeTooManyAttempts,
		"too many wrong tracking numbers or verification codes were tried: wait %d minutes, then type both exactly as printed on the receipt (or scan its code)",
		(secs+59)/60)
}

// track looks an application up by tracking number and verification code.
func (s *Server) track(req wire.TrackRequest) (wire.TrackResponse, bool, error) {
	var (
		a     appRecord
		found bool
	)
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketTracking).Get([]byte(req.Tracking))
		if id == nil {
			return nil
		}
		var err error
		found, err = getJSON(tx.Bucket(bucketApplications), id, &a)
		return err
	})
	if err != nil {
		return wire.TrackResponse{}, false, err
	}
	code := a.Code
	if !found {
		code = "\x00\x00\x00\x00\x00\x00" // compare anyway: same work either way
	}
	match := subtle.ConstantTimeCompare([]byte(code), []byte(req.VerificationCode)) == 1
	if !found || !match {
		return wire.TrackResponse{}, false, nil
	}
	return wire.TrackResponse{Tracking: a.Tracking, Service: a.Service, Status: a.Status,
		AcceptedAt: a.AcceptedAt, History: a.History}, true, nil
}
