package store

import "errors"

// errTodo marks the interaction methods until they are written.
var errTodo = errors.New("store: interactions are not implemented yet")

// QueueInteraction stores a new interaction and queues it for sending, in
// one transaction. The id must be a UUID, the kind one of "ticket",
// "rating", "feedback", the body non-empty JSON: ErrInvalid otherwise.
// Queuing an id already stored with the same kind and body is a no-op
// returning the stored one; with another body, ErrState.
func (s *Store) QueueInteraction(id, kind string, body []byte) (Interaction, error) {
	return Interaction{}, errTodo
}

// PendingInteractions returns up to max queued interactions, oldest first,
// decrypted.
func (s *Store) PendingInteractions(max int) ([]Interaction, error) { return nil, errTodo }

// InteractionStats counts the queued interactions and the oldest one's
// QueuedAt (zero when none).
func (s *Store) InteractionStats() (QueueStats, error) { return QueueStats{}, errTodo }

// MarkInteractionAccepted records the central API's acceptance and takes
// the interaction out of the queue; under the kiosk policy its body is
// purged in the same transaction. An interaction already accepted is left
// as it is. ErrNotFound for an unknown id.
func (s *Store) MarkInteractionAccepted(id string, a InteractionAcceptance) error { return errTodo }

// MarkInteractionRefused records a final refusal (state InteractionRefused
// or InteractionConflict) with its reason and takes it out of the queue.
func (s *Store) MarkInteractionRefused(id string, state InteractionState, msg string) error {
	return errTodo
}

// MarkInteractionFailed records a transient failure: it stays queued,
// Attempts grows, LastError is cause.
func (s *Store) MarkInteractionFailed(id, cause string) error { return errTodo }

// GetInteraction returns one interaction, decrypted. ErrNotFound when unknown.
func (s *Store) GetInteraction(id string) (Interaction, error) { return Interaction{}, errTodo }

// Interactions lists the stored interactions of a kind ("" for all),
// newest first, decrypted.
func (s *Store) Interactions(kind string) ([]Interaction, error) { return nil, errTodo }

// DeleteInteractions deletes every interaction, queued or not (the
// resident's "delete my data"), and returns how many went.
func (s *Store) DeleteInteractions() (int, error) { return 0, errTodo }
