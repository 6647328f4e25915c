package store

import (
	"time"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
)

// Policy says how long personal data stays on the device.
type Policy string

const (
	// PolicyKiosk deletes form values and attachments as soon as the central
	// API has accepted the application; only the receipt stays.
	PolicyKiosk Policy = "kiosk"
	// PolicyPersonal keeps everything until the user deletes it (phones).
	PolicyPersonal Policy = "personal"
)

// Application is one application as the device knows it. Values and
// Attachments are nil once personal data has been purged (Purged is then true).
type Application struct {
	ID             string           `json:"id"`
	Service        string           `json:"service"`
	ServiceVersion int              `json:"service_version"`
	State          lifecycle.Status `json:"state"`
	Values         catalog.Values   `json:"values,omitempty"`
	Attachments    []Attachment     `json:"attachments,omitempty"`
	Purged         bool             `json:"purged,omitempty"`
	StaffID        string           `json:"staff_id,omitempty"`
	// Receipt, filled when the central API accepts the application.
	Tracking         string    `json:"tracking,omitempty"`
	VerificationCode string    `json:"verification_code,omitempty"`
	AcceptedAt       time.Time `json:"accepted_at,omitzero"` // server time
	// Why the server refused it (NeedsAttention, Conflict), or why the last attempt failed.
	FieldErrors []catalog.FieldError `json:"field_errors,omitempty"`
	LastError   string               `json:"last_error,omitempty"`
	Attempts    int                  `json:"attempts,omitempty"`
	Fingerprint string               `json:"fingerprint,omitempty"`
	CreatedAt   time.Time            `json:"created_at"`
	UpdatedAt   time.Time            `json:"updated_at"`
	History     []Transition         `json:"history"`
}

// Attachment is an attached file. Data is given when attaching (CreateDraft,
// SaveDraft, Submit); the store keeps the bytes as an encrypted,
// content-addressed blob and returns attachments without Data (read the
// bytes with ReadBlob).
type Attachment struct {
	Field string                `json:"field"`
	Ref   catalog.AttachmentRef `json:"ref"`
	Data  []byte                `json:"data,omitempty"`
}

// Transition records one change of state and when it happened. Source is
// "device" (At is the device clock) or "server" (At is the server's clock).
type Transition struct {
	From   lifecycle.Status `json:"from,omitempty"`
	To     lifecycle.Status `json:"to"`
	At     time.Time        `json:"at"`
	Source string           `json:"source"`
	Note   catalog.Text     `json:"note,omitempty"`
}

// OutboxItem is one queued application, decrypted and ready to send.
// Its Attachments carry references only (no Data): the bytes go as blobs.
type OutboxItem struct {
	Application
	EnqueuedAt time.Time
	// Size is the approximate encoded size in bytes, used to fill batches.
	Size int
	// WaitingBlobs are the SHA-256s of its attachments the central API does
	// not hold yet; the item is sent only when this is empty.
	WaitingBlobs []string
}

// QueueStats summarises what waits to be sent.
type QueueStats struct {
	Count  int
	Bytes  int64
	Oldest time.Time // zero when the queue is empty
}

// Acceptance is the central API's receipt for one application.
type Acceptance struct {
	Tracking         string
	VerificationCode string
	Status           lifecycle.Status // usually Received
	At               time.Time        // server time
}

// Refusal is the central API refusing one application for good.
type Refusal struct {
	State       lifecycle.Status // NeedsAttention or Conflict
	FieldErrors []catalog.FieldError
	Message     string
}

// StatusChange is one entry of the central API's changes feed: a status
// change of an application, or (Kind ChangeReply) a staff reply to an
// interaction: ID is then the interaction's id, Note the reply.
type StatusChange struct {
	Kind     string // "" (a status change) or ChangeReply
	ID       string
	Tracking string
	Status   lifecycle.Status
	At       time.Time // server time
	Note     catalog.Text
}

// Summary is the personal-data-free view of an application, used to list
// large stores without decrypting anything.
type Summary struct {
	ID         string
	Service    string
	State      lifecycle.Status
	Tracking   string
	Attempts   int
	LastError  string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	AcceptedAt time.Time
	Purged     bool
	StaffID    string
}

// Event is one entry of the append-only audit journal. It holds no personal data.
type Event struct {
	Seq    uint64           `json:"seq"`
	At     time.Time        `json:"at"`
	Kind   string           `json:"kind"` // created, queued, sent, refused, status, purged, deleted, retried, recovered, interaction_*, reply
	ID     string           `json:"id,omitempty"`
	State  lifecycle.Status `json:"state,omitempty"`
	Detail string           `json:"detail,omitempty"` // never form values
}

// BlobInfo describes an attachment's bytes as the store holds them:
// encrypted, in chunks, named by the SHA-256 of the plain bytes, stored
// once however many applications reference them.
type BlobInfo struct {
	SHA256 string
	Size   int64
	Type   string
	// Uploaded: the central API has confirmed it holds the blob complete.
	Uploaded bool
	// Apps are the queued applications that reference the blob.
	Apps []string
}

// ChangeReply is StatusChange.Kind for a staff reply to an interaction.
const ChangeReply = "reply"

// InteractionState is where a queued interaction stands.
type InteractionState string

// Interaction states.
const (
	InteractionQueued   InteractionState = "queued"   // waiting to be sent
	InteractionSent     InteractionState = "sent"     // the central API has it (Reference, FollowUp set)
	InteractionRefused  InteractionState = "refused"  // the central API refused it for good (LastError says why)
	InteractionConflict InteractionState = "conflict" // the central API holds another payload under the id, or another ticket under the number
)

// Interaction is a small record sent besides applications: a queue ticket,
// a rating or a feedback (see sync/wire). The store keeps its Body opaque
// (JSON that the engine and the screens give meaning to) and encrypted at
// rest, since comments and contact numbers are personal data; the rest
// holds no personal data.
type Interaction struct {
	ID        string // time-ordered UUID: the idempotency key
	Kind      string // "ticket", "rating" or "feedback"
	Body      []byte // nil once purged
	State     InteractionState
	CreatedAt time.Time // device clock
	QueuedAt  time.Time // device clock
	// Set when the central API accepted it (server time).
	AcceptedAt time.Time
	Reference  string
	FollowUp   bool
	Attempts   int    // answers that did not put it through
	LastError  string // why the last attempt did not go through
	Replies    []Reply
	Purged     bool // the body was dropped (kiosk policy, after acceptance)
}

// Reply is a staff answer to an interaction, from the changes feed.
type Reply struct {
	Text catalog.Text
	At   time.Time // server time
}

// InteractionAcceptance is the central API's answer accepting an interaction.
type InteractionAcceptance struct {
	Reference string
	FollowUp  bool
	At        time.Time // server time
}
