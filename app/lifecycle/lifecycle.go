// Package lifecycle names the states an application passes through, shared by
// the local store, the wire types and the central API.
package lifecycle

// Status is the state of one application.
type Status string

// The states of an application. Draft, Queued and Sent are local; the rest are
// decided by the central API, except NeedsAttention and Conflict, which record
// that the server refused a submission.
const (
	Draft          Status = "draft"
	Queued         Status = "queued"
	Sent           Status = "sent"
	Received       Status = "received"
	InReview       Status = "in_review"
	NeedsMoreInfo  Status = "needs_more_info"
	Approved       Status = "approved"
	Rejected       Status = "rejected"
	ReadyForPickup Status = "ready_for_pickup"
	Completed      Status = "completed"
	NeedsAttention Status = "needs_attention"
	Conflict       Status = "conflict"
)

// All lists every status in lifecycle order.
var All = []Status{Draft, Queued, Sent, Received, InReview, NeedsMoreInfo, Approved,
	Rejected, ReadyForPickup, Completed, NeedsAttention, Conflict}

// ServerStatuses are the statuses the central API may report for an accepted application.
var ServerStatuses = []Status{Received, InReview, NeedsMoreInfo, Approved, Rejected, ReadyForPickup, Completed}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, k := range All {
		if s == k {
			return true
		}
	}
	return false
}

// IsServer reports whether s is a status the central API decides.
func (s Status) IsServer() bool {
	for _, k := range ServerStatuses {
		if s == k {
			return true
		}
	}
	return false
}

// Final reports whether no further change is expected.
func (s Status) Final() bool {
	return s == Rejected || s == Completed
}

// Accepted reports whether the central API has the application (it was sent
// and acknowledged, or the server has moved it on since).
func (s Status) Accepted() bool {
	return s == Sent || s.IsServer()
}
