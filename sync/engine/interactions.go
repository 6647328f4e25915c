package engine

import (
	"context"
	"errors"

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
func (e *InvalidInteractionError) Unwrap() error  { return ErrInvalidInteraction }

// QueueInteraction checks in (wire.Interaction.Check), and queues it for
// the next sync in one store transaction. Screens, hallctl and tests use it
// for every ticket, rating and feedback.
func QueueInteraction(q InteractionQueuer, in wire.Interaction) (store.Interaction, error) {
	return store.Interaction{}, errors.New("engine: QueueInteraction is not implemented yet")
}

// DecodeInteraction gives a stored interaction's wire form (for screens).
// A purged interaction decodes to its id and kind only.
func DecodeInteraction(it store.Interaction) (wire.Interaction, error) {
	return wire.Interaction{ID: it.ID, Kind: it.Kind}, errors.New("engine: DecodeInteraction is not implemented yet")
}
