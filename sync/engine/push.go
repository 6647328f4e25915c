package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/sync/client"
	"civicdesk/sync/wire"
)

// WireItem converts a queued application to what the central API
// receives; attachments go by reference, their bytes as blobs before.
func WireItem(it store.OutboxItem) wire.SubmitItem {
	w := wire.SubmitItem{
		ID:             it.ID,
		Service:        it.Service,
		ServiceVersion: it.ServiceVersion,
		Values:         it.Values,
		StaffID:        it.StaffID,
		CreatedAt:      it.CreatedAt,
	}
	for _, a := range it.Attachments {
		w.Attachments = append(w.Attachments, wire.Attachment{SHA256: a.Ref.SHA256, Type: a.Ref.Type, Size: a.Ref.Size})
	}
	return w
}

// push drains the outbox in batches until it is empty or a batch fails.
//
// Items the server answered with "retry" (or did not name) stay queued and
// are not sent again in the same round, so they never hold up the items
// behind them; the next round, after a backoff, sends them again.
//
// Items whose attachments the central API does not hold yet (WaitingBlobs)
// are left queued without a word: the upload step sends their blobs, and
// until then they hold up nobody.
//
// A batch that fails as a whole (network, 5xx, a captive portal, an
// unusable answer) ends the push. Its items are NOT marked failed: an
// outage is not the item's fault, and Attempts/LastError on an application
// then mean "the server answered about this item and it did not go
// through", which is what points staff at a poison item. The failure is
// recorded in Status.LastError instead.
func (e *Engine) push(ctx context.Context, rep *Report) error {
	seen := make(map[string]bool)   // sent this round: never twice in one round
	deferred, deferredBytes := 0, 0 // sent this round and still queued
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Deferred items are at the head of the queue: ask for enough to
		// see past them, then leave every item already sent out.
		items, err := e.q.Pending(deferred+e.cfg.BatchItems, deferredBytes+e.cfg.BatchBytes)
		if err != nil {
			return fmt.Errorf("reading the outbox: %w", err)
		}
		waiting := false // new items that wait for their attachments
		for _, it := range items {
			if len(it.WaitingBlobs) > 0 && !seen[it.ID] {
				seen[it.ID] = true
				deferred++
				deferredBytes += it.Size
				rep.Waiting++
				waiting = true
			}
		}
		batch := pick(items, seen, e.cfg.BatchItems, e.cfg.BatchBytes)
		if len(batch) == 0 {
			if waiting {
				continue // look past them
			}
			return nil
		}
		for _, it := range batch {
			seen[it.ID] = true
		}
		left, err := e.sendBatch(ctx, batch, rep)
		for _, it := range left {
			deferred++
			deferredBytes += it.Size
		}
		e.refreshStats()
		if err != nil {
			return err
		}
	}
}

// pick takes up to maxItems items not in skip, within maxBytes (but at
// least one).
func pick(items []store.OutboxItem, skip map[string]bool, maxItems, maxBytes int) []store.OutboxItem {
	var out []store.OutboxItem
	size := 0
	for _, it := range items {
		if skip[it.ID] {
			continue
		}
		if len(out) >= maxItems || (len(out) > 0 && size+it.Size > maxBytes) {
			break
		}
		out = append(out, it)
		size += it.Size
	}
	return out
}

// splittable are whole-batch refusals that one bad item can cause: the
// batch is split in halves until the item that causes it stands alone and
// is refused, so it cannot block the others.
func splittable(err error) (*client.APIError, bool) {
	var ae *client.APIError
	if !errors.As(err, &ae) {
		return nil, false
	}
	switch ae.Status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		return ae, true
	}
	return nil, false
}

// sendBatch submits one batch and records every item's outcome. It returns
// the items that stay queued after the server answered about them (retry,
// not named), and an error when the push must stop.
func (e *Engine) sendBatch(ctx context.Context, batch []store.OutboxItem, rep *Report) (left []store.OutboxItem, err error) {
	var resp wire.SubmitResponse
	b := batchSender[store.OutboxItem, wire.ItemResult]{
		noun: "applications",
		send: func(ctx context.Context, batch []store.OutboxItem) ([]wire.ItemResult, error) {
			items := make([]wire.SubmitItem, len(batch))
			for i, it := range batch {
				items[i] = WireItem(it)
				if it.Fingerprint != "" && it.Fingerprint != items[i].Fingerprint() {
					e.log.Warn("queued application changed since it was queued; the server may report a conflict", "id", it.ID)
				}
			}
			rep.Batches++
			var err error
			resp, err = e.api.Submit(ctx, items)
			return resp.Results, err
		},
		itemID:   func(it store.OutboxItem) string { return it.ID },
		resultID: func(r wire.ItemResult) string { return r.ID },
		alone: func(it store.OutboxItem, ae *client.APIError) error {
			rep.Sent++
			return e.refuse(it.ID, lifecycle.NeedsAttention, ae.FieldErrors,
				fmt.Sprintf("the central API refused this application (HTTP %d %s): %s", ae.Status, ae.Code, ae.Message), rep)
		},
		each: func(it store.OutboxItem, r wire.ItemResult, named bool) (bool, error) {
			return e.recordResult(it, r, named, resp, rep)
		},
		outage: func(n int) { rep.Sent += n; rep.Transient += n },
	}
	return b.sendHalving(ctx, batch)
}

// recordResult records the server's answer about one application; stays
// says it is still queued.
func (e *Engine) recordResult(it store.OutboxItem, r wire.ItemResult, named bool, resp wire.SubmitResponse, rep *Report) (stays bool, err error) {
	rep.Sent++
	var cause string
	switch {
	case !named:
		cause = "the central API did not answer for this application"
	case r.Outcome == wire.Accepted && r.Tracking == "":
		cause = "the central API accepted this application without a tracking number"
	case r.Outcome == wire.Accepted:
		return false, e.accept(it.ID, r, resp, rep)
	case r.Outcome == wire.Invalid:
		return false, e.refuse(it.ID, lifecycle.NeedsAttention, r.Errors, r.Message, rep)
	case r.Outcome == wire.Conflict:
		return false, e.refuse(it.ID, lifecycle.Conflict, r.Errors, r.Message, rep)
	case r.Outcome == wire.Retry:
		if missing := missingBlobs(it, r.Errors); len(missing) > 0 {
			for _, sha := range missing {
				if err := e.q.MarkBlobMissing(sha); err != nil && !errors.Is(err, store.ErrNotFound) {
					return false, fmt.Errorf("recording an attachment the central API lacks: %w", err)
				}
				e.forgetOffset(sha)
			}
			cause = "the central API does not hold all attachments of this application: they are uploaded again, then it is sent again"
			break
		}
		cause = "the central API asked to send this application again later"
		if r.Message != "" {
			cause += ": " + r.Message
		}
	default:
		cause = fmt.Sprintf("the central API answered with an unknown outcome %q", r.Outcome)
	}
	rep.Transient++
	if err := e.q.MarkFailed(it.ID, cause); err != nil {
		return true, fmt.Errorf("recording a deferred application: %w", err)
	}
	return true, nil
}

// missingBlobs are the SHA-256s of the attachments that field errors with
// wire.CodeBlobMissing name: by the attachment's field, or all of the
// item's attachments when the field names none of them.
func missingBlobs(it store.OutboxItem, fes []catalog.FieldError) []string {
	var out []string
	add := func(sha string) {
		if sha != "" && !slices.Contains(out, sha) {
			out = append(out, sha)
		}
	}
	for _, fe := range fes {
		if fe.Code != wire.CodeBlobMissing {
			continue
		}
		named := false
		for _, a := range it.Attachments {
			if a.Field == fe.Field {
				add(a.Ref.SHA256)
				named = true
			}
		}
		if !named {
			for _, a := range it.Attachments {
				add(a.Ref.SHA256)
			}
		}
	}
	return out
}

// forgetOffset drops what the central API was last known to hold of a blob.
func (e *Engine) forgetOffset(sha string) {
	e.mu.Lock()
	delete(e.blobOff, sha)
	e.mu.Unlock()
}

// accept records the server's receipt, in server time.
func (e *Engine) accept(id string, r wire.ItemResult, resp wire.SubmitResponse, rep *Report) error {
	a := store.Acceptance{Tracking: r.Tracking, VerificationCode: r.VerificationCode, Status: r.Status, At: r.AcceptedAt}
	if !a.Status.IsServer() {
		a.Status = lifecycle.Received
	}
	if a.At.IsZero() {
		a.At = resp.ServerTime
	}
	if err := e.q.MarkAccepted(id, a); err != nil {
		return fmt.Errorf("recording an accepted application: %w", err)
	}
	rep.Accepted++
	if r.Duplicate {
		rep.Duplicates++
	}
	e.publish(Event{Kind: Accepted, ID: id, Tracking: a.Tracking, AppStatus: a.Status, At: a.At})
	return nil
}

// refuse records a final refusal (NeedsAttention or Conflict).
func (e *Engine) refuse(id string, state lifecycle.Status, fes []catalog.FieldError, msg string, rep *Report) error {
	if err := e.q.MarkRefused(id, store.Refusal{State: state, FieldErrors: fes, Message: msg}); err != nil {
		return fmt.Errorf("recording a refused application: %w", err)
	}
	kind := Refused
	if state == lifecycle.Conflict {
		kind = Conflict
		rep.Conflicts++
	} else {
		rep.Refused++
	}
	e.publish(Event{Kind: kind, ID: id, AppStatus: state, FieldErrors: fes, Message: msg})
	return nil
}
