package central

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"civicdesk/sync/wire"
)

// Device kinds an enrolment may name.
const (
	KindKiosk = "kiosk"
	KindPhone = "phone"
)

func (s *Server) handleEnroll(w http.ResponseWriter, r *http.Request, _ caller) error {
	body, err := readBody(w, r, smallBody)
	if err != nil {
		return err
	}
	var req wire.EnrollRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(req.Code) == "":
		return errorf(http.StatusBadRequest, codeBadRequest, "code is required: enter the enrolment code the operator gave you")
	case len(req.Code) > 64:
		return errorf(http.StatusUnauthorized, codeUnauthorized, "the enrolment code is not valid: check it, or ask the operator for a new one")
	case req.Kind != "" && req.Kind != KindKiosk && req.Kind != KindPhone:
		return errorf(http.StatusBadRequest, codeBadRequest, "kind must be %q or %q", KindKiosk, KindPhone)
	case utf8.RuneCountInString(req.DeviceName) > maxNameLen:
		return errorf(http.StatusBadRequest, codeBadRequest, "device_name is longer than %d characters: shorten it", maxNameLen)
	}
	res, id, tok, err := s.enroll(req.Code, req.DeviceName, req.Kind)
	if err != nil {
		return err
	}
	switch res {
	case enrollUnknown:
		return errorf(http.StatusUnauthorized, codeUnauthorized, "the enrolment code is not valid: check it, or ask the operator for a new one")
	case enrollUsed:
		return errorf(http.StatusGone, codeCodeUsed, "this enrolment code has already been used: ask the operator for a new one")
	case enrollExpired:
		return errorf(http.StatusGone, codeCodeExpired, "this enrolment code has expired: ask the operator for a new one")
	}
	s.log.Info("device enrolled", "device", id, "kind", req.Kind)
	writeJSON(w, http.StatusOK, wire.EnrollResponse{DeviceID: id, Token: tok})
	return nil
}
