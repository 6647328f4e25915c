package central

import (
	"encoding/binary"
	"net/http"
	"strconv"

	bolt "go.etcd.io/bbolt"

	"civicdesk/sync/wire"
)

// Limits of the changes feed.
const (
	DefaultChangesLimit = 100
	MaxChangesLimit     = 1000
)

// changesQuery is the parsed query of GET /v1/changes.
type changesQuery struct {
	after uint64 // the last sequence number the device has seen
	limit int
}

// parseChangesQuery reads cursor and limit. The cursor is the decimal
// sequence number of the last change returned ("" = from the start).
func parseChangesQuery(r *http.Request) (changesQuery, error) {
	q := r.URL.Query()
	cq := changesQuery{limit: DefaultChangesLimit}
	if c := q.Get("cursor"); c != "" {
		n, err := strconv.ParseUint(c, 10, 64)
		if err != nil {
			return cq, errorf(http.StatusBadRequest, codeBadRequest,
				"the cursor is not one this server issued: pass back the cursor of the last answer, or none to start over")
		}
		cq.after = n
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return cq, errorf(http.StatusBadRequest, codeBadRequest,
				"limit must be a whole number from 1 to %d: fix it or leave it out (default %d)", MaxChangesLimit, DefaultChangesLimit)
		}
		cq.limit = min(n, MaxChangesLimit)
	}
	return cq, nil
}

func (s *Server) handleChanges(w http.ResponseWriter, r *http.Request, c caller) error {
	cq, err := parseChangesQuery(r)
	if err != nil {
		return err
	}
	resp, err := s.changes(c.device, cq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// changes returns one page of the device's feed after cq.after.
func (s *Server) changes(device string, cq changesQuery) (wire.ChangesResponse, error) {
	resp := wire.ChangesResponse{Changes: []wire.Change{}, Cursor: strconv.FormatUint(cq.after, 10)}
	err := s.db.View(func(tx *bolt.Tx) error {
		feed := tx.Bucket(bucketDeviceFeeds).Bucket([]byte(device))
		if feed == nil {
			return nil
		}
		if cq.after == ^uint64(0) {
			return nil // nothing can follow the largest sequence number
		}
		log := tx.Bucket(bucketChanges)
		cur := feed.Cursor()
		for k, _ := cur.Seek(seqKey(cq.after + 1)); k != nil; k, _ = cur.Next() {
			if len(resp.Changes) == cq.limit {
				resp.More = true
				break
			}
			var rec changeRecord
			ok, err := getJSON(log, k, &rec)
			if err != nil {
				return err
			}
			if ok {
				resp.Changes = append(resp.Changes, wire.Change{Kind: rec.Kind, ID: rec.AppID, Tracking: rec.Tracking,
					Status: rec.Status, At: rec.At, Note: rec.Note})
			}
			resp.Cursor = strconv.FormatUint(binary.BigEndian.Uint64(k), 10)
		}
		return nil
	})
	resp.ServerTime = s.now()
	return resp, err
}
