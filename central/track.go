package central

import (
	"crypto/subtle"
	"net/http"

	bolt "go.etcd.io/bbolt"

	"civicdesk/sync/wire"
)

func (s *Server) handleTrack(w http.ResponseWriter, r *http.Request, _ caller) error {
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
	resp, ok, err := s.track(req)
	if err != nil {
		return err
	}
	if !ok {
		// The same answer for an unknown number and a wrong code, so that
		// the endpoint does not reveal which tracking numbers exist.
		return errorf(http.StatusNotFound, codeNotFound,
			"no application matches this tracking number and verification code: check both on the receipt")
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
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
