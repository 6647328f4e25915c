package engine

import (
	"sync"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
)

// EventKind says what an Event reports.
type EventKind string

// Event kinds.
const (
	// StatusChanged: the engine's Status changed (state, pending counts,
	// last error, next attempt).
	StatusChanged EventKind = "status_changed"
	// Accepted: the central API accepted an application (ID, Tracking,
	// AppStatus, At in server time).
	Accepted EventKind = "accepted"
	// Refused: the central API refused an application as invalid; it is now
	// needs_attention (ID, FieldErrors, Message).
	Refused EventKind = "refused"
	// Conflict: the central API knows the id with another payload (ID, Message).
	Conflict EventKind = "conflict"
	// ApplicationUpdated: the changes feed moved an application on (ID,
	// Tracking, AppStatus, At in server time, Note).
	ApplicationUpdated EventKind = "application_updated"
	// CatalogUpdated: a new catalog was fetched and cached.
	CatalogUpdated EventKind = "catalog_updated"
	// NoticesUpdated: the hall's notices changed and the new ones are
	// cached (read them with CachedNotices).
	NoticesUpdated EventKind = "notices_updated"
	// SyncFinished: a sync round ended (Report, Err).
	SyncFinished EventKind = "sync_finished"
	// InteractionAccepted: the central API accepted a ticket, rating or
	// feedback (ID, Tracking = its reference, At in server time; Message
	// "follow_up" when the hall will follow it up).
	InteractionAccepted EventKind = "interaction_accepted"
	// InteractionRefused: the central API refused an interaction for good
	// (ID, FieldErrors, Message), or holds another under its id or number
	// (also this kind, Message says which).
	InteractionRefused EventKind = "interaction_refused"
	// ReplyReceived: the hall replied to a rating or feedback (ID is the
	// interaction's id, Tracking its reference, Note the reply, At in
	// server time).
	ReplyReceived EventKind = "reply_received"
	// Progress: an attachment upload moved on (ID, Blob, Done, Total), after
	// every chunk, once for each application that references the blob.
	Progress EventKind = "progress"
)

// Event is one thing that happened in the engine. Status is the engine's
// status when the event was published. It holds no personal data.
type Event struct {
	Kind        EventKind
	ID          string // application id
	Tracking    string
	AppStatus   lifecycle.Status // the application's status after the event
	At          time.Time        // server time of an acceptance or change
	Note        catalog.Text     // a change's note from the back office
	FieldErrors []catalog.FieldError
	Message     string // the server's explanation of a refusal or conflict
	Status      Status
	Report      *Report // SyncFinished
	Err         string  // SyncFinished: why the round failed ("" on success)
	// Progress: Blob is the SHA-256 of the attachment being uploaded; Done
	// and Total are bytes of the application's attachments (all of them,
	// those uploaded earlier counted as done). Done only grows, unless the
	// central API lost bytes it had (a wrong offset, a blob it dropped).
	Blob        string
	Done, Total int64
	// Dropped counts the events this subscriber lost just before this one
	// because its buffer was full. When non-zero, re-read Status (and the
	// store) rather than trusting the event stream to be complete.
	Dropped uint64
}

type subscriber struct {
	ch      chan Event
	dropped uint64
	once    sync.Once
}

// Subscribe returns a channel of engine events with a buffer of buf (at
// least 1) and a cancel func that closes it. A subscriber that does not keep
// up never blocks the engine: events that do not fit are dropped and counted
// in the next delivered event's Dropped field.
func (e *Engine) Subscribe(buf int) (events <-chan Event, cancel func()) {
	if buf < 1 {
		buf = 1
	}
	s := &subscriber{ch: make(chan Event, buf)}
	e.mu.Lock()
	e.subs[s] = struct{}{}
	e.mu.Unlock()
	return s.ch, func() {
		s.once.Do(func() {
			e.mu.Lock()
			delete(e.subs, s)
			close(s.ch)
			e.mu.Unlock()
		})
	}
}

// publishLocked sends ev to every subscriber without blocking; e.mu is held.
func (e *Engine) publishLocked(ev Event) {
	ev.Status = e.st
	for s := range e.subs {
		ev.Dropped = s.dropped
		select {
		case s.ch <- ev:
			s.dropped = 0
		default:
			s.dropped++
		}
	}
}

func (e *Engine) publish(ev Event) {
	e.mu.Lock()
	e.publishLocked(ev)
	e.mu.Unlock()
}
