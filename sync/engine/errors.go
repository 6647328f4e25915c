package engine

import "errors"

// Sentinel errors of the sync engine. Errors from the central API client
// (civicdesk/sync/client) are wrapped as they are.
var (
	// ErrAlreadyRunning: Run was called while another Run of the same
	// engine is active. Start it once per engine.
	ErrAlreadyRunning = errors.New("sync engine is already running: start Run once per engine")
	// ErrServerNotReady: the central API answered its health check with
	// ok=false (maintenance). The engine tries again later.
	ErrServerNotReady = errors.New("central API reports it is not ready (maintenance?): the engine will try again later")
	// ErrBadCatalog: the central API sent a catalog this version cannot
	// read; the cached catalog stays in use.
	ErrBadCatalog = errors.New("central API sent a catalog this device cannot read; the cached catalog stays in use (tell the central API's operator)")
	// ErrStuckCursor: the changes feed announced more pages without moving
	// its cursor. The engine stops pulling and tries again later.
	ErrStuckCursor = errors.New("central API changes feed did not move its cursor: the engine will try again later")
	// ErrBadNotices: the central API sent notices this version cannot read
	// (or the cached ones are damaged); the cached notices stay in use.
	ErrBadNotices = errors.New("central API notices are not readable; the cached notices stay in use (tell the central API's operator)")
	// ErrChunkRejected: the central API refused the same attachment chunk
	// as damaged again and again (a link that corrupts data). The engine
	// stops uploading and tries again later.
	ErrChunkRejected = errors.New("central API refused an attachment chunk as damaged several times in a row (a link that corrupts data?): the engine will try again later")
	// ErrUploadStalled: the central API's offsets for an attachment did not
	// move on. The engine stops uploading it and tries again later.
	ErrUploadStalled = errors.New("central API kept answering an attachment upload without taking its bytes: the engine will try again later")
	// ErrInteractionUnreadable: a stored interaction's body is not the
	// wire form's JSON (a damaged record). It cannot be sent or shown;
	// enter it again.
	ErrInteractionUnreadable = errors.New("the stored interaction cannot be read (damaged record): enter it again")
)
