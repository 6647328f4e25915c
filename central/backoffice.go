package central

import (
	"errors"
	"fmt"
	"net/http"
	"sort"

	bolt "go.etcd.io/bbolt"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/sync/wire"
)

func (s *Server) handleBackofficeList(w http.ResponseWriter, r *http.Request, _ caller) error {
	var filter lifecycle.Status
	if v := r.URL.Query().Get("status"); v != "" {
		filter = lifecycle.Status(v)
		if !filter.IsServer() {
			return errorf(http.StatusBadRequest, codeBadRequest,
				"status filter is not a server status: use received, in_review, needs_more_info, approved, rejected, ready_for_pickup or completed")
		}
	}
	list, err := s.list(filter)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

// list returns the applications (with status filter, if not empty) in
// acceptance order.
func (s *Server) list(filter lifecycle.Status) ([]wire.BackofficeApplication, error) {
	type row struct {
		ord uint64
		app wire.BackofficeApplication
	}
	var rows []row
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketApplications).ForEach(func(_, v []byte) error {
			var a appRecord
			if err := jsonUnmarshal(v, &a); err != nil {
				return err
			}
			if filter == "" || a.Status == filter {
				rows = append(rows, row{a.Ordinal, a.backoffice()})
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].ord < rows[j].ord })
	out := make([]wire.BackofficeApplication, len(rows))
	for i, r := range rows {
		out[i] = r.app
	}
	return out, nil
}

func (s *Server) handleBackofficeStatus(w http.ResponseWriter, r *http.Request, _ caller) error {
	body, err := readBody(w, r, smallBody)
	if err != nil {
		return err
	}
	var u wire.StatusUpdate
	if err := decodeStrict(body, &u); err != nil {
		return err
	}
	a, err := s.setStatus(r.PathValue("tracking"), u)
	switch {
	case errors.Is(err, ErrInvalidStatus):
		return errorf(http.StatusBadRequest, codeBadRequest,
			"status is not a server status: use received, in_review, needs_more_info, approved, rejected, ready_for_pickup or completed")
	case errors.Is(err, ErrNotFound):
		return errorf(http.StatusNotFound, codeNotFound, "no application has this tracking number: check the number")
	case errors.Is(err, ErrFinal):
		return errorf(http.StatusConflict, codeConflict,
			"the application is already %s, a final state, and cannot change status", a.Status)
	case err != nil:
		return err
	}
	writeJSON(w, http.StatusOK, a.backoffice())
	return nil
}

// SetStatus moves an application on, as the back-office endpoint does:
// ErrInvalidStatus for a status the server does not decide, ErrNotFound for
// an unknown tracking number, ErrFinal when the application is rejected or
// completed. Setting the current status again changes nothing.
func (s *Server) SetStatus(tracking string, u wire.StatusUpdate) error {
	_, err := s.setStatus(tracking, u)
	return err
}

func (s *Server) setStatus(tracking string, u wire.StatusUpdate) (*appRecord, error) {
	if !u.Status.IsServer() {
		return nil, ErrInvalidStatus
	}
	var a appRecord
	err := s.db.Update(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketTracking).Get([]byte(tracking))
		if id == nil {
			return ErrNotFound
		}
		ok, err := getJSON(tx.Bucket(bucketApplications), id, &a)
		switch {
		case err != nil:
			return err
		case !ok:
			return fmt.Errorf("central: tracking index points at a missing application: %w", ErrNotFound)
		case a.Status == u.Status:
			return nil
		case a.Status.Final():
			return ErrFinal
		}
		return setStatus(tx, &a, u.Status, cleanNote(u.Note), s.now())
	})
	return &a, err
}

// cleanNote drops empty translations so that an empty note is no note.
func cleanNote(t catalog.Text) catalog.Text {
	var out catalog.Text
	for k, v := range t {
		if v == "" {
			continue
		}
		if out == nil {
			out = catalog.Text{}
		}
		out[k] = v
	}
	return out
}
