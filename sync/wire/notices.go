package wire

import (
	"time"

	"civicdesk/app/catalog"
)

// Notice paths. PathNotices needs a device token (GET, query "hall");
// PathBackofficeNotices a staff token (POST publishes, DELETE
// {PathBackofficeNotices}/{id} withdraws).
const (
	PathNotices           = "/v1/notices"
	PathBackofficeNotices = "/v1/backoffice/notices"
)

// Notice kinds.
const (
	NoticeHours   = "hours"   // opening hours
	NoticeClosure = "closure" // a closure
	NoticePolicy  = "policy"  // a policy change
	NoticeInfo    = "info"    // anything else
)

// Notice is a message of the hall to residents, in both languages. It
// holds no personal data.
type Notice struct {
	ID    string       `json:"id"`             // set by the server on publish
	Hall  string       `json:"hall,omitempty"` // "" = every hall
	Title catalog.Text `json:"title"`
	Body  catalog.Text `json:"body,omitempty"`
	Kind  string       `json:"kind"` // NoticeHours, NoticeClosure, NoticePolicy or NoticeInfo
	// From and Until bound when the notice is current (From <= now < Until);
	// zero: no bound.
	From      time.Time `json:"from,omitzero"`
	Until     time.Time `json:"until,omitzero"`
	Published time.Time `json:"published,omitzero"` // server time, set on publish
}

// Current reports whether the notice is to be shown at now.
func (n Notice) Current(now time.Time) bool {
	return (n.From.IsZero() || !now.Before(n.From)) && (n.Until.IsZero() || now.Before(n.Until))
}

// NoticesResponse is the answer of GET /v1/notices: the current notices of
// the hall and of every hall, newest first.
type NoticesResponse struct {
	Notices []Notice `json:"notices"`
}
