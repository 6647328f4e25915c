package central

import (
	"errors"
	"fmt"
)

// Sentinel errors of the central server. Callers check them with errors.Is.
var (
	// ErrLocked: the data file is held by another process (a running server).
	ErrLocked = errors.New("central: the data file is in use by another process (is the server running?)")
	// ErrNotFound: no application has this tracking number.
	ErrNotFound = errors.New("central: no application has this tracking number")
	// ErrInvalidStatus: the status is not one the central API decides.
	ErrInvalidStatus = errors.New("central: not a server status (use received, in_review, needs_more_info, approved, rejected, ready_for_pickup or completed)")
	// ErrFinal: the application is in a final state (rejected, completed) and cannot move on.
	ErrFinal = errors.New("central: the application is in a final state and cannot change status")
	// ErrClosed: the server has been closed.
	ErrClosed = errors.New("central: server is closed")
	// ErrBadName: a staff name is empty or too long.
	ErrBadName = errors.New("central: staff name must be 1 to 64 characters")
	// ErrBadTTL: an enrolment code lifetime is not positive.
	ErrBadTTL = errors.New("central: enrolment code lifetime must be positive")

	// ErrBadNotice: a notice to publish fails the checks (the error says which).
	ErrBadNotice = errors.New("central: the notice is not valid")
	// ErrNoticeNotFound: no notice has this id (never published, or withdrawn).
	ErrNoticeNotFound = errors.New("central: no notice has this id")

	// ErrInteractionNotFound: no interaction has this id.
	ErrInteractionNotFound = errors.New("central: no interaction has this id")
	// ErrNotReplyable: the interaction is a queue ticket, which takes no reply.
	ErrNotReplyable = errors.New("central: a queue ticket cannot be replied to: reply to a rating or a feedback")
	// ErrBadReply: a reply fails the checks (the error says which).
	ErrBadReply = errors.New("central: the reply is not valid")
	// ErrBadFilter: a back-office filter value is malformed (the error says which).
	ErrBadFilter = errors.New("central: the filter is not valid")

	// ErrBlobNotFound: no blob has this SHA-256 (never created, or dropped
	// after a whole-blob mismatch).
	ErrBlobNotFound = errors.New("central: no blob has this sha256: create it (POST /v1/blobs) and upload it")
	// ErrBlobIncomplete: the blob exists but not all its bytes have arrived.
	ErrBlobIncomplete = errors.New("central: the blob is not complete yet: upload the rest of it")
	// ErrBlobCorrupt: the bytes of a completed upload do not hash to the
	// blob's name; the server dropped them.
	ErrBlobCorrupt = errors.New("central: the uploaded bytes do not match the blob's sha256 and were dropped: upload the file again")
	// ErrBlobConflict: a complete blob with this SHA-256 has another size or type.
	ErrBlobConflict = errors.New("central: a complete blob with this sha256 has another size or type: compute both from the file again")
	// ErrOffsetMismatch: a chunk does not start where the server's copy ends
	// (see OffsetError for the server's offset).
	ErrOffsetMismatch = errors.New("central: the chunk does not start at the server's offset: resume from that offset")
	// ErrChunkPastEnd: a chunk would make the blob longer than its size.
	ErrChunkPastEnd = errors.New("central: the chunk goes past the end of the blob: send only the bytes that remain")
)

// OffsetError is ErrOffsetMismatch with the offset the server holds.
type OffsetError struct{ Offset int64 }

func (e *OffsetError) Error() string {
	return fmt.Sprintf("%v (server offset %d)", ErrOffsetMismatch, e.Offset)
}

// Is makes errors.Is(err, ErrOffsetMismatch) true.
func (e *OffsetError) Is(target error) bool { return target == ErrOffsetMismatch }
