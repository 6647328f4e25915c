// Package wire holds the request and response types of the civicdesk central
// API, shared by the client in sync/ and the server in central/.
package wire

import (
	"time"

	"civicdesk/app/catalog"
	"civicdesk/app/fingerprint"
	"civicdesk/app/lifecycle"
)

// API paths. Every path but Health and Enroll needs "Authorization: Bearer <token>";
// the back-office paths need a staff token instead of a device token.
const (
	PathHealth     = "/v1/health"
	PathEnroll     = "/v1/devices/enroll"
	PathCatalog    = "/v1/catalog"
	PathSubmit     = "/v1/submissions"
	PathChanges    = "/v1/changes"
	PathTrack      = "/v1/track"
	PathBackoffice = "/v1/backoffice/applications" // GET list; POST {PathBackoffice}/{tracking}/status
)

// HealthService is the fixed service name in a health answer. A 200 page
// without it (a captive portal's login page, say) means "not really online".
const HealthService = "civicdesk-central"

// Health is the answer of GET /v1/health.
type Health struct {
	Service    string    `json:"service"` // always HealthService
	OK         bool      `json:"ok"`
	APIVersion int       `json:"api_version"`
	ServerTime time.Time `json:"server_time"`
}

// EnrollRequest trades a one-time enrolment code for a device token.
type EnrollRequest struct {
	Code       string `json:"code"`
	DeviceName string `json:"device_name"`
	Kind       string `json:"kind"` // "kiosk" or "phone"
}

// EnrollResponse is the answer to a successful enrolment.
type EnrollResponse struct {
	DeviceID string `json:"device_id"`
	Token    string `json:"token"`
}

// SubmitRequest is a batch of applications; each gets its own result.
type SubmitRequest struct {
	Items []SubmitItem `json:"items"`
}

// SubmitItem is one application. ID is made by the client when the
// application is created (a time-ordered UUID) and is its idempotency key.
type SubmitItem struct {
	ID             string         `json:"id"`
	Service        string         `json:"service"`
	ServiceVersion int            `json:"service_version"`
	Values         catalog.Values `json:"values"`
	Attachments    []Attachment   `json:"attachments,omitempty"`
	// StaffID is set for an application a staff member entered for a walk-in.
	StaffID string `json:"staff_id,omitempty"`
	// CreatedAt is the device's clock when the application was created:
	// informational only, the server's clock decides.
	CreatedAt time.Time `json:"created_at"`
}

// Attachment names an attached file by the SHA-256 of its bytes, which
// travel apart as a resumable blob upload (see blobs.go) before the item.
type Attachment struct {
	SHA256 string `json:"sha256"`
	Type   string `json:"type"`
	Size   int64  `json:"size"`
}

// Fingerprint is the content hash of the item (see package fingerprint):
// client and server compute it the same way.
func (it SubmitItem) Fingerprint() string {
	c := fingerprint.Content{ID: it.ID, Service: it.Service, ServiceVersion: it.ServiceVersion, Values: it.Values, StaffID: it.StaffID}
	for _, a := range it.Attachments {
		c.Attachments = append(c.Attachments, fingerprint.Attachment{SHA256: a.SHA256, Type: a.Type})
	}
	return fingerprint.Of(c)
}

// Outcome is what became of one submitted item.
type Outcome string

// Item outcomes.
const (
	// Accepted: the server has the application (now, or from an earlier
	// attempt: Duplicate is then true and the original result is returned).
	Accepted Outcome = "accepted"
	// Invalid: the payload fails validation; never retried by itself.
	Invalid Outcome = "invalid"
	// Conflict: the id is known with a different payload.
	Conflict Outcome = "conflict"
	// Retry: a transient server-side problem with this item; send it again later.
	Retry Outcome = "retry"
)

// SubmitResponse has one result per item, in any order, matched by ID.
type SubmitResponse struct {
	Results    []ItemResult `json:"results"`
	ServerTime time.Time    `json:"server_time"`
}

// ItemResult is the server's answer for one item.
type ItemResult struct {
	ID               string               `json:"id"`
	Outcome          Outcome              `json:"outcome"`
	Tracking         string               `json:"tracking,omitempty"`
	VerificationCode string               `json:"verification_code,omitempty"`
	Status           lifecycle.Status     `json:"status,omitempty"`
	AcceptedAt       time.Time            `json:"accepted_at,omitzero"`
	Duplicate        bool                 `json:"duplicate,omitempty"`
	Errors           []catalog.FieldError `json:"errors,omitempty"`
	Message          string               `json:"message,omitempty"`
}

// ChangesResponse is a page of the changes feed for the calling device.
// GET /v1/changes?cursor=C&limit=N; an empty cursor starts at the beginning.
type ChangesResponse struct {
	Changes    []Change  `json:"changes"`
	Cursor     string    `json:"cursor"` // pass it back to get what follows
	More       bool      `json:"more"`   // true when another page is ready now
	ServerTime time.Time `json:"server_time"`
}

// Change is one entry of the device's changes feed: a status change of one
// of its applications (Kind "" or ChangeStatus), or a staff reply to one of
// its ratings or feedbacks (ChangeReply: ID is the interaction's id,
// Tracking its reference, Note the reply, Status empty).
type Change struct {
	Kind     string           `json:"kind,omitempty"`
	ID       string           `json:"id"` // the application's or the interaction's id
	Tracking string           `json:"tracking"`
	Status   lifecycle.Status `json:"status,omitempty"`
	At       time.Time        `json:"at"` // server time
	Note     catalog.Text     `json:"note,omitempty"`
}

// Change kinds.
const (
	ChangeStatus = "status" // also the meaning of an empty Kind
	ChangeReply  = "reply"
)

// TrackRequest looks an application up by what its receipt shows. POST, so
// that the verification code stays out of URLs and access logs.
type TrackRequest struct {
	Tracking         string `json:"tracking"`
	VerificationCode string `json:"verification_code"`
}

// TrackResponse is the public view of an application: no personal data.
type TrackResponse struct {
	Tracking   string           `json:"tracking"`
	Service    string           `json:"service"`
	Status     lifecycle.Status `json:"status"`
	AcceptedAt time.Time        `json:"accepted_at"`
	History    []StatusEntry    `json:"history"`
}

// StatusEntry is one step of an application's status history.
type StatusEntry struct {
	Status lifecycle.Status `json:"status"`
	At     time.Time        `json:"at"`
	Note   catalog.Text     `json:"note,omitempty"`
}

// StatusUpdate is the back office moving an application on:
// POST /v1/backoffice/applications/{tracking}/status with a staff token.
type StatusUpdate struct {
	Status lifecycle.Status `json:"status"`
	Note   catalog.Text     `json:"note,omitempty"`
}

// BackofficeApplication is one row of GET /v1/backoffice/applications.
type BackofficeApplication struct {
	ID         string           `json:"id"`
	Tracking   string           `json:"tracking"`
	Service    string           `json:"service"`
	Device     string           `json:"device"`
	StaffID    string           `json:"staff_id,omitempty"`
	Status     lifecycle.Status `json:"status"`
	AcceptedAt time.Time        `json:"accepted_at"`
}

// CodeTooManyAttempts is the Error code of a 429 from PathTrack: too many
// failed lookups of a tracking number, or from a device; Retry-After says
// how long to wait.
const CodeTooManyAttempts = "too_many_attempts"

// Error is the body of every 4xx and 5xx answer.
type Error struct {
	Code    string               `json:"error"`   // stable, e.g. "bad_request", "unauthorized", "too_large"
	Message string               `json:"message"` // what is wrong and what to do
	Errors  []catalog.FieldError `json:"errors,omitempty"`
}
