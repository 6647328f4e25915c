package open311

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"civicdesk/app/lifecycle"
	"civicdesk/sync/wire"
)

// seenRecord is what was last reported for one request.
type seenRecord struct {
	Status  lifecycle.Status `json:"s"`
	Notes   string           `json:"n,omitempty"`
	Updated time.Time        `json:"u,omitzero"`
}

// Changes reads the status of every tracked application from the server
// and reports those whose status or status_notes changed. Tokens are
// resolved through tokens/{token} first; ids are asked for in batches of
// MaxBatchIDs (GET requests?service_request_id=a,b,c), and ids a batch
// answer leaves out are asked for one by one (GET requests/{id}).
//
// Status mapping: closed (and closed*, fixed, resolved, completed) ->
// completed; open and anything else -> received while the request has not
// been touched (no status_notes and updated_datetime missing or equal to
// requested_datetime), in_review once it has. A request that was further
// along locally never goes back to received.
//
// "Changed" means: the mapped status differs from the tracked status, or
// the notes differ from those last reported; an observation already
// reported and applied is not reported again. What was reported is
// remembered (State seen.<id>) only when the engine comes back with the
// cursor of that answer, which it does after storing the changes, so a
// crash in between reports them again. The cursor is otherwise opaque;
// More is always false (one answer holds everything).
func (b *Backend) Changes(ctx context.Context, cursor string, limit int) (wire.ChangesResponse, error) {
	b.commitSeen(cursor)
	tracked, err := b.cfg.State.Tracked()
	if err != nil {
		return wire.ChangesResponse{}, fmt.Errorf("%w: reading the applications to follow: %v", ErrState, err)
	}
	if err := b.discover(ctx); err != nil {
		return wire.ChangesResponse{}, err
	}
	type follow struct {
		t  Tracked
		id string
	}
	var follows []follow
	var ids []string
	want := map[string]bool{}
	for _, t := range tracked {
		id := t.Tracking
		switch {
		case id == "" || strings.HasPrefix(id, BlackboxPrefix):
			continue
		case strings.HasPrefix(id, TokenPrefix):
			rid, err := b.resolveToken(ctx, strings.TrimPrefix(id, TokenPrefix))
			switch {
			case errors.Is(err, ErrOffline) || errors.Is(err, ErrCaptivePortal) || errors.Is(err, ErrForbidden) || ctx.Err() != nil:
				return wire.ChangesResponse{}, err
			case err != nil:
				b.log.Debug("open311: token not resolved yet", "id", t.ID)
				continue
			case rid == "":
				continue
			}
			id = rid
		}
		follows = append(follows, follow{t, id})
		if !want[id] {
			want[id] = true
			ids = append(ids, id)
		}
	}

	got, last, err := b.fetchRequests(ctx, ids)
	if err != nil {
		return wire.ChangesResponse{}, err
	}
	now := b.serverNow(last)
	resp := wire.ChangesResponse{Changes: []wire.Change{}, ServerTime: now}
	pending := map[string]seenRecord{}
	for _, f := range follows {
		r, ok := got[f.id]
		if !ok {
			continue
		}
		status := MapStatus(r, f.t.Status)
		obs := seenRecord{Status: status, Notes: r.StatusNotes, Updated: r.Updated}
		prev, _ := b.seen(f.id)
		if status == f.t.Status && obs.Notes == prev.Notes {
			pending[f.id] = obs
			continue
		}
		if prev.Status == obs.Status && prev.Notes == obs.Notes && prev.Updated.Equal(obs.Updated) {
			continue // reported before; the store has what it takes of it
		}
		at := r.Updated
		if at.IsZero() {
			at = now
		}
		c := wire.Change{ID: f.t.ID, Tracking: f.id, Status: status, At: at.UTC()}
		if obs.Notes != "" && obs.Notes != prev.Notes {
			c.Note = both(obs.Notes)
		}
		resp.Changes = append(resp.Changes, c)
		pending[f.id] = obs
	}
	b.mu.Lock()
	b.cursorSeq++
	resp.Cursor = "open311:" + strconv.FormatInt(b.cfg.Clock().UnixNano(), 36) + "." + strconv.FormatUint(b.cursorSeq, 36)
	b.pendingCursor, b.pendingSeen = resp.Cursor, pending
	b.mu.Unlock()
	return resp, nil
}

// commitSeen stores what the answer with this cursor reported, now that
// the engine has come back with its cursor.
func (b *Backend) commitSeen(cursor string) {
	b.mu.Lock()
	if cursor == "" || cursor != b.pendingCursor {
		b.mu.Unlock()
		return
	}
	pending := b.pendingSeen
	b.pendingCursor, b.pendingSeen = "", nil
	b.mu.Unlock()
	for id, obs := range pending {
		data, _ := json.Marshal(obs)
		if err := b.cfg.State.Set(prefixSeen+id, string(data)); err != nil {
			b.log.Warn("open311: could not remember a reported status; it may be reported again")
			return
		}
	}
}

func (b *Backend) seen(id string) (seenRecord, bool) {
	raw, err := b.cfg.State.Get(prefixSeen + id)
	if err != nil || raw == "" {
		return seenRecord{}, false
	}
	var s seenRecord
	if json.Unmarshal([]byte(raw), &s) != nil {
		return seenRecord{}, false
	}
	return s, true
}

// fetchRequests gets the requests with the given ids: batches of
// MaxBatchIDs through the list, then one by one for what the list left
// out. A 404 for one id skips it. It returns the last answer (for its Date).
func (b *Backend) fetchRequests(ctx context.Context, ids []string) (map[string]Request, answer, error) {
	got := make(map[string]Request, len(ids))
	var last answer
	listWorks := true
	for start := 0; start < len(ids) && listWorks; start += MaxBatchIDs {
		chunk := ids[start:min(start+MaxBatchIDs, len(ids))]
		q := url.Values{}
		q.Set("service_request_id", strings.Join(chunk, ","))
		a, err := b.get(ctx, "changes", q, "requests")
		var se *statusError
		if errors.As(err, &se) && se.status >= 400 && se.status < 500 && se.status != 401 && se.status != 403 && se.status != 429 {
			listWorks = false // the server takes no id list: one by one
			break
		}
		if err != nil {
			return nil, last, err
		}
		last = a
		reqs, err := DecodeRequests(a.body)
		if err != nil {
			return nil, last, fmt.Errorf("Open311 changes: %w", err)
		}
		in := make(map[string]bool, len(chunk))
		for _, id := range chunk {
			in[id] = true
		}
		for _, r := range reqs {
			if in[r.ID] {
				if _, dup := got[r.ID]; !dup {
					got[r.ID] = r
				}
			}
		}
	}
	for _, id := range ids {
		if _, ok := got[id]; ok {
			continue
		}
		a, err := b.get(ctx, "changes", nil, "requests", id)
		if errors.Is(err, ErrNotFound) {
			b.log.Debug("open311: a tracked request is not on the server")
			continue
		}
		if err != nil {
			return nil, last, err
		}
		last = a
		reqs, err := DecodeRequests(a.body)
		if err != nil {
			return nil, last, fmt.Errorf("Open311 changes: %w", err)
		}
		for _, r := range reqs {
			if r.ID == id || (r.ID == "" && len(reqs) == 1) {
				r.ID = id
				got[id] = r
				break
			}
		}
	}
	return got, last, nil
}

// MapStatus maps a request's Open311 status onto the local life cycle,
// given the application's current status (see Changes).
func MapStatus(r Request, current lifecycle.Status) lifecycle.Status {
	s := strings.ToLower(strings.TrimSpace(r.Status))
	switch {
	case strings.HasPrefix(s, "closed") || s == "fixed" || s == "resolved" || s == "completed" || s == "done":
		return lifecycle.Completed
	}
	touched := r.StatusNotes != "" || (!r.Updated.IsZero() && !r.Updated.Equal(r.Requested))
	if touched {
		if current.IsServer() && current != lifecycle.Received && !current.Final() {
			return current // a finer status from elsewhere stays
		}
		return lifecycle.InReview
	}
	switch {
	case current.Final():
		return lifecycle.InReview // reopened
	case current.IsServer():
		return current // never back to received
	}
	return lifecycle.Received
}
