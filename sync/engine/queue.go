package engine

import "civicdesk/app/store"

// Queue is what the engine needs from the local store. *store.Store
// implements it; tests may use an in-memory twin.
type Queue interface {
	// Pending returns queued applications, oldest first: at most maxItems,
	// and no more than maxBytes of Size in total, but always at least one
	// when the queue is not empty. Applications waiting for attachments
	// (WaitingBlobs not empty) come in their place and may or may not count
	// towards the limits: the engine copes with both.
	Pending(maxItems, maxBytes int) ([]store.OutboxItem, error)
	// Stats summarises the queue.
	Stats() (store.QueueStats, error)
	// MarkAccepted records the receipt, removes the outbox entry and, under
	// the kiosk policy, purges personal data, all in one transaction.
	MarkAccepted(id string, a store.Acceptance) error
	// MarkRefused moves the application to NeedsAttention or Conflict and
	// removes its outbox entry.
	MarkRefused(id string, r store.Refusal) error
	// MarkFailed records a transient failure: the item stays queued.
	MarkFailed(id string, cause string) error
	// ApplyChanges applies a page of the changes feed and stores the new
	// cursor in one transaction. Unknown ids are skipped.
	ApplyChanges(changes []store.StatusChange, cursor string) error
	// Cursor is the stored changes-feed cursor ("" at first).
	Cursor() (string, error)
	// CachedCatalog returns the cached catalog body and its ETag ("" if none).
	CachedCatalog() (etag string, body []byte, err error)
	// PutCatalog caches a catalog body with its ETag.
	PutCatalog(etag string, body []byte) error

	// PendingBlobs returns the attachment blobs queued applications
	// reference and the central API does not hold yet, oldest application
	// first, each once however many applications share it.
	PendingBlobs() ([]store.BlobInfo, error)
	// ReadBlob reads the plain bytes of blob sha at off into p, like
	// io.ReaderAt (io.EOF at the end); store.ErrNotFound for an unknown blob.
	ReadBlob(sha string, off int64, p []byte) (int, error)
	// MarkBlobUploaded records that the central API holds blob sha complete:
	// it leaves the WaitingBlobs of every application.
	MarkBlobUploaded(sha string) error
	// MarkBlobMissing records that the central API does not hold blob sha
	// (any more): it is uploaded again.
	MarkBlobMissing(sha string) error

	// PendingInteractions returns up to max queued interactions (tickets,
	// ratings, feedback), oldest first.
	PendingInteractions(max int) ([]store.Interaction, error)
	// InteractionStats counts the queued interactions.
	InteractionStats() (store.QueueStats, error)
	// MarkInteractionAccepted records the central API's acceptance and
	// takes the interaction out of the queue (kiosk policy: body purged).
	MarkInteractionAccepted(id string, a store.InteractionAcceptance) error
	// MarkInteractionRefused records a final refusal (InteractionRefused or
	// InteractionConflict) and takes it out of the queue.
	MarkInteractionRefused(id string, state store.InteractionState, msg string) error
	// MarkInteractionFailed records a transient failure: it stays queued.
	MarkInteractionFailed(id, cause string) error
}
