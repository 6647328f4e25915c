package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"civicdesk/app/catalog"
	"civicdesk/app/store"
	"civicdesk/sync/client"
	"civicdesk/sync/wire"
)

// Interactor is the optional part of an API that takes hall interactions
// (tickets, ratings, feedback); *client.Client implements it. With an API
// that does not (an Open311 backend), interactions stay queued.
type Interactor interface {
	Interact(ctx context.Context, items []wire.Interaction) (wire.InteractionsResponse, error)
}

var _ Interactor = (*client.Client)(nil)

// InteractionQueuer is what QueueInteraction needs; *store.Store implements it.
type InteractionQueuer interface {
	QueueInteraction(id, kind string, body []byte) (store.Interaction, error)
}

// ErrInvalidInteraction: an interaction fails wire.Interaction.Check; the
// error wraps a *InvalidInteractionError with the field errors.
var ErrInvalidInteraction = errors.New("the interaction is incomplete or malformed")

// InvalidInteractionError carries the field errors of a refused interaction.
type InvalidInteractionError struct {
	Errors []catalog.FieldError
}

func (e *InvalidInteractionError) Error() string { return ErrInvalidInteraction.Error() }
func (e *InvalidInteractionError) Unwrap() error { return ErrInvalidInteraction }

// QueueInteraction checks in (wire.Interaction.Check), and queues it for
// the next sync in one store transaction. Screens, hallctl and tests use it
// for every ticket, rating and feedback. in.CreatedAt is the caller's (the
// device clock when the resident acted); it is sent as it is. An
// interaction that fails the check is not queued: the error is a
// *InvalidInteractionError (errors.Is(err, ErrInvalidInteraction)).
func QueueInteraction(q InteractionQueuer, in wire.Interaction) (store.Interaction, error) {
	if fes := in.Check(); len(fes) > 0 {
		return store.Interaction{}, &InvalidInteractionError{Errors: fes}
	}
	body, err := json.Marshal(in)
	if err != nil {
		return store.Interaction{}, fmt.Errorf("engine: encoding the interaction: %w", err)
	}
	it, err := q.QueueInteraction(in.ID, in.Kind, body)
	if err != nil {
		return store.Interaction{}, fmt.Errorf("engine: queuing the interaction: %w", err)
	}
	return it, nil
}

// DecodeInteraction gives a stored interaction's wire form (for screens).
// A purged interaction decodes to its id and kind only. The id and kind are
// always the stored record's. A body that is not the wire form's JSON is
// ErrInteractionUnreadable.
func DecodeInteraction(it store.Interaction) (wire.Interaction, error) {
	if it.Purged || len(it.Body) == 0 {
		return wire.Interaction{ID: it.ID, Kind: it.Kind}, nil
	}
	var w wire.Interaction
	if err := json.Unmarshal(it.Body, &w); err != nil {
		// The JSON error may quote part of the body: leave it out.
		return wire.Interaction{ID: it.ID, Kind: it.Kind}, fmt.Errorf("interaction %s: %w", it.ID, ErrInteractionUnreadable)
	}
	w.ID, w.Kind = it.ID, it.Kind
	return w, nil
}

// pushInteractions sends the queued interactions in batches until none is
// left that was not sent in this round, or a batch fails. It works like
// push: items the server deferred (retry, not named) stay queued and are
// not sent again in the same round; a batch that fails as a whole ends the
// step without marking its items (an outage is not their fault); a
// whole-batch 400, 413 or 422 is split in halves until the item that
// causes it stands alone and is refused. With an API that is not an
// Interactor it does nothing: the interactions wait for one that is.
func (e *Engine) pushInteractions(ctx context.Context, rep *Report) error {
	api, ok := e.api.(Interactor)
	if !ok {
		return nil
	}
	seen := make(map[string]bool) // sent (or looked at) this round
	deferred := 0                 // sent this round and still queued
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Items sent this round and still queued are at the head: ask for
		// enough to see past them.
		items, err := e.q.PendingInteractions(deferred + e.cfg.BatchItems)
		if err != nil {
			return fmt.Errorf("reading the queued interactions: %w", err)
		}
		var batch []store.Interaction
		size := 0
		for _, it := range items {
			if seen[it.ID] {
				continue
			}
			if len(batch) >= e.cfg.BatchItems || (len(batch) > 0 && size+len(it.Body) > e.cfg.BatchBytes) {
				break
			}
			batch = append(batch, it)
			size += len(it.Body)
		}
		if len(batch) == 0 {
			return nil
		}
		for _, it := range batch {
			seen[it.ID] = true
		}
		before := rep.InteractionsTransient
		err = e.sendInteractions(ctx, api, batch, rep)
		deferred += rep.InteractionsTransient - before
		e.refreshStats()
		if err != nil {
			return err
		}
	}
}

// sendInteractions sends one batch and records every item's outcome; it
// returns an error when the step must stop.
func (e *Engine) sendInteractions(ctx context.Context, api Interactor, batch []store.Interaction, rep *Report) error {
	sendable := make([]store.Interaction, 0, len(batch))
	for _, it := range batch {
		if _, err := DecodeInteraction(it); err != nil {
			// Never sendable as it is: a damaged record. Take it out of the
			// queue so that it blocks nobody, and show it to staff.
			if err := e.refuseInteraction(it.ID, store.InteractionRefused, nil,
				"this interaction's copy on the device cannot be read (damaged record); it was not sent: enter it again", rep); err != nil {
				return err
			}
			continue
		}
		sendable = append(sendable, it)
	}
	if len(sendable) == 0 {
		return nil
	}
	var resp wire.InteractionsResponse
	b := batchSender[store.Interaction, wire.InteractionResult]{
		noun: "interactions",
		send: func(ctx context.Context, batch []store.Interaction) ([]wire.InteractionResult, error) {
			items := make([]wire.Interaction, len(batch))
			for i, it := range batch {
				items[i], _ = DecodeInteraction(it) // decodable: checked above
			}
			rep.InteractionBatches++
			var err error
			resp, err = api.Interact(ctx, items)
			return resp.Results, err
		},
		itemID:   func(it store.Interaction) string { return it.ID },
		resultID: func(r wire.InteractionResult) string { return r.ID },
		alone: func(it store.Interaction, ae *client.APIError) error {
			rep.Interactions++
			return e.refuseInteraction(it.ID, store.InteractionRefused, ae.FieldErrors,
				fmt.Sprintf("the central API refused this interaction (HTTP %d %s): %s", ae.Status, ae.Code, ae.Message), rep)
		},
		each: func(it store.Interaction, r wire.InteractionResult, named bool) (bool, error) {
			return e.recordInteractionResult(it, r, named, resp, rep)
		},
		outage: func(n int) { rep.Interactions += n; rep.InteractionsTransient += n },
	}
	_, err := b.sendHalving(ctx, sendable)
	return err
}

// recordInteractionResult records the server's answer about one
// interaction; stays says it is still queued.
func (e *Engine) recordInteractionResult(it store.Interaction, r wire.InteractionResult, named bool, resp wire.InteractionsResponse, rep *Report) (stays bool, err error) {
	rep.Interactions++
	var cause string
	switch {
	case !named:
		cause = "the central API did not answer for this interaction"
	case r.Outcome == wire.Accepted:
		return false, e.acceptInteraction(it.ID, r, resp, rep)
	case r.Outcome == wire.Invalid:
		return false, e.refuseInteraction(it.ID, store.InteractionRefused, r.Errors, invalidMessage(r), rep)
	case r.Outcome == wire.Conflict:
		msg := r.Message
		if msg == "" {
			msg = "the central API holds another interaction under this id, or another ticket under this number"
		}
		return false, e.refuseInteraction(it.ID, store.InteractionConflict, r.Errors, msg, rep)
	case r.Outcome == wire.Retry:
		cause = "the central API asked to send this interaction again later"
		if r.Message != "" {
			cause += ": " + r.Message
		}
	default:
		cause = fmt.Sprintf("the central API answered with an unknown outcome %q", r.Outcome)
	}
	rep.InteractionsTransient++
	if err := e.q.MarkInteractionFailed(it.ID, cause); err != nil && !errors.Is(err, store.ErrNotFound) {
		return true, fmt.Errorf("recording a deferred interaction: %w", err)
	}
	return true, nil
}

// invalidMessage explains an Invalid answer from its message and field
// errors (which name fields, never values).
func invalidMessage(r wire.InteractionResult) string {
	var parts []string
	if r.Message != "" {
		parts = append(parts, r.Message)
	}
	for _, fe := range r.Errors {
		m := fe.Message
		if m == "" {
			m = fe.Code
		}
		parts = append(parts, fe.Field+": "+m)
	}
	if len(parts) == 0 {
		return "the central API refused this interaction as invalid"
	}
	return "the central API refused this interaction: " + strings.Join(parts, "; ")
}

// acceptInteraction records the server's acceptance, in server time. An
// interaction deleted meanwhile (the resident's "delete my data") is
// skipped.
func (e *Engine) acceptInteraction(id string, r wire.InteractionResult, resp wire.InteractionsResponse, rep *Report) error {
	a := store.InteractionAcceptance{Reference: r.Reference, FollowUp: r.FollowUp, At: r.AcceptedAt}
	if a.At.IsZero() {
		a.At = resp.ServerTime
	}
	if err := e.q.MarkInteractionAccepted(id, a); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("recording an accepted interaction: %w", err)
	}
	rep.InteractionsAccepted++
	if r.Duplicate {
		rep.InteractionsDuplicates++
	}
	ev := Event{Kind: InteractionAccepted, ID: id, Tracking: a.Reference, At: a.At}
	if a.FollowUp {
		ev.Message = "follow_up"
	}
	e.publish(ev)
	return nil
}

// refuseInteraction records a final refusal (InteractionRefused or
// InteractionConflict). An interaction deleted meanwhile is skipped.
func (e *Engine) refuseInteraction(id string, state store.InteractionState, fes []catalog.FieldError, msg string, rep *Report) error {
	if err := e.q.MarkInteractionRefused(id, state, msg); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("recording a refused interaction: %w", err)
	}
	if state == store.InteractionConflict {
		rep.InteractionsConflicts++
	} else {
		rep.InteractionsRefused++
	}
	e.publish(Event{Kind: InteractionRefused, ID: id, FieldErrors: fes, Message: msg})
	return nil
}
