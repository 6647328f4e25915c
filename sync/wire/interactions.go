package wire

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"civicdesk/app/catalog"
)

// Hall interactions: what devices send besides applications. A queue
// ticket a kiosk issued, a rating of a service (the five-level "good / bad
// review", 好差评) and feedback of the 12345 hotline's kinds (complaint,
// suggestion, question). They travel like applications: the client makes
// the id (a time-ordered UUID, the idempotency key), queues them offline and
// sends them in batches with a result per item; staff replies come back
// through the device's changes feed (Change.Kind == ChangeReply).
//
//	POST /v1/interactions                              (device token) InteractionsRequest -> InteractionsResponse
//	GET  /v1/backoffice/interactions?kind=&hall=&day=&follow_up=true
//	                                                   (staff token)  -> []BackofficeInteraction, newest first
//	POST /v1/backoffice/interactions/{id}/reply        (staff token)  Reply -> BackofficeInteraction
const (
	PathInteractions           = "/v1/interactions"
	PathBackofficeInteractions = "/v1/backoffice/interactions"
	// HeaderTicketClashes, on the back office's list, counts the tickets
	// refused because another ticket held their number (for the hall and
	// day filters): two kiosks set up with one prefix.
	HeaderTicketClashes = "X-Ticket-Clashes"
)

// Interaction kinds.
const (
	KindTicket   = "ticket"
	KindRating   = "rating"
	KindFeedback = "feedback"
)

// Rating scores, the five levels of the national review system.
const (
	RatingVeryDissatisfied   = 1 // 非常不满意
	RatingDissatisfied       = 2 // 不满意
	RatingBasicallySatisfied = 3 // 基本满意
	RatingSatisfied          = 4 // 满意
	RatingVerySatisfied      = 5 // 非常满意
	// LowRating and below need a comment, and the central API flags them
	// for a follow-up by the hall.
	LowRating = RatingDissatisfied
)

// Feedback categories, those of the 12345 hotline.
const (
	FeedbackComplaint  = "complaint"
	FeedbackSuggestion = "suggestion"
	FeedbackQuestion   = "question"
)

// Limits, in characters.
const (
	MaxComment      = 500  // a rating's comment
	MaxFeedbackText = 2000 // a feedback's text
	MaxReplyText    = 2000 // a staff reply, per language
)

// CodeCommentRequired: a low rating came without a comment.
const CodeCommentRequired = "rating.comment_required"

// Interaction is one ticket, rating or feedback. Exactly the part that
// matches Kind is set.
type Interaction struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Hall      string    `json:"hall,omitempty"` // the hall's code; "" from a phone
	CreatedAt time.Time `json:"created_at"`     // device clock: informational only
	Ticket    *Ticket   `json:"ticket,omitempty"`
	Rating    *Rating   `json:"rating,omitempty"`
	Feedback  *Feedback `json:"feedback,omitempty"`
}

// Ticket is a queue number a kiosk issued offline. Number is unique in the
// hall and day because it carries the kiosk's prefix; the central API
// answers Conflict when another ticket already holds it (two kiosks set up
// with one prefix). It holds no personal data.
type Ticket struct {
	Kiosk    string `json:"kiosk"`    // the kiosk's prefix
	Category string `json:"category"` // counter category letter
	Day      string `json:"day"`      // YYYYMMDD, the hall's time zone
	Seq      int    `json:"seq"`
	Number   string `json:"number"` // e.g. "A2-023"
}

// Rating is a resident's review of a service or of the hall.
type Rating struct {
	Score   int    `json:"score"`             // 1..5, RatingVeryDissatisfied..RatingVerySatisfied
	Comment string `json:"comment,omitempty"` // required at LowRating and below
	// Application is the id of the application rated ("" for the hall in
	// general); Service its service code.
	Application string `json:"application,omitempty"`
	Service     string `json:"service,omitempty"`
}

// Feedback is a complaint, suggestion or question.
type Feedback struct {
	Category string `json:"category"` // FeedbackComplaint, FeedbackSuggestion or FeedbackQuestion
	Text     string `json:"text"`
	Service  string `json:"service,omitempty"` // the service it is about, if any
	// Contact is an optional mainland mobile number for a call back:
	// personal data, encrypted at rest, never logged.
	Contact string `json:"contact,omitempty"`
}

// FollowUp reports whether the hall must follow the interaction up: a
// rating at LowRating or below, a complaint or a question.
func (in Interaction) FollowUp() bool {
	switch {
	case in.Rating != nil:
		return in.Rating.Score <= LowRating
	case in.Feedback != nil:
		return in.Feedback.Category == FeedbackComplaint || in.Feedback.Category == FeedbackQuestion
	}
	return false
}

// Check validates an interaction; client and server use it alike. Field
// names are "id", "kind", "ticket.number", "rating.score", "rating.comment",
// "feedback.category", "feedback.text", "feedback.contact" and so on;
// messages never quote a value.
func (in Interaction) Check() []catalog.FieldError {
	var errs []catalog.FieldError
	bad := func(field, code, msg string, params map[string]string) {
		errs = append(errs, catalog.FieldError{Field: field, Code: code, Message: msg, Params: params})
	}
	tooLong := func(field, s string, n int) {
		if utf8.RuneCountInString(s) > n {
			bad(field, catalog.CodeMaxLength, "too long: enter at most "+strconv.Itoa(n)+" characters",
				map[string]string{"max": strconv.Itoa(n)})
		}
	}
	if !isUUID(in.ID) {
		bad("id", catalog.CodePattern, "the id must be a UUID made by the device", nil)
	}
	parts := 0
	for _, set := range []bool{in.Ticket != nil, in.Rating != nil, in.Feedback != nil} {
		if set {
			parts++
		}
	}
	if parts > 1 {
		bad("kind", catalog.CodeType, "send exactly one of ticket, rating and feedback", nil)
	}
	tooLong("hall", in.Hall, 64)
	switch in.Kind {
	case KindTicket:
		t := in.Ticket
		if t == nil {
			bad("ticket", catalog.CodeRequired, "a ticket interaction needs its ticket", nil)
			break
		}
		if t.Kiosk == "" || len(t.Kiosk) > 2 {
			bad("ticket.kiosk", catalog.CodePattern, "the kiosk prefix has one or two characters", nil)
		}
		if len(t.Category) != 1 || t.Category[0] < 'A' || t.Category[0] > 'Z' {
			bad("ticket.category", catalog.CodePattern, "the counter category is one letter A-Z", nil)
		}
		if _, err := time.Parse("20060102", t.Day); err != nil {
			bad("ticket.day", catalog.CodeDateInvalid, "the day is a real date written YYYYMMDD", nil)
		}
		if t.Seq < 1 {
			bad("ticket.seq", catalog.CodeMin, "the sequence starts at 1", map[string]string{"min": "1"})
		}
		if t.Number != t.Category+t.Kiosk+"-"+pad3(t.Seq) {
			bad("ticket.number", catalog.CodePattern, "the number is category, kiosk prefix, \"-\" and the sequence in three digits", nil)
		}
	case KindRating:
		r := in.Rating
		if r == nil {
			bad("rating", catalog.CodeRequired, "a rating interaction needs its rating", nil)
			break
		}
		if r.Score < RatingVeryDissatisfied || r.Score > RatingVerySatisfied {
			bad("rating.score", catalog.CodeOption, "choose one of the five levels, 1 to 5", nil)
		}
		if r.Score >= RatingVeryDissatisfied && r.Score <= LowRating && strings.TrimSpace(r.Comment) == "" {
			bad("rating.comment", CodeCommentRequired, "a low rating needs a comment: say what went wrong so that the hall can follow it up", nil)
		}
		tooLong("rating.comment", r.Comment, MaxComment)
		if r.Application != "" && !isUUID(r.Application) {
			bad("rating.application", catalog.CodePattern, "the application is named by its id", nil)
		}
		tooLong("rating.service", r.Service, 64)
	case KindFeedback:
		f := in.Feedback
		if f == nil {
			bad("feedback", catalog.CodeRequired, "a feedback interaction needs its feedback", nil)
			break
		}
		switch f.Category {
		case FeedbackComplaint, FeedbackSuggestion, FeedbackQuestion:
		default:
			bad("feedback.category", catalog.CodeOption, "choose complaint, suggestion or question", nil)
		}
		if strings.TrimSpace(f.Text) == "" {
			bad("feedback.text", catalog.CodeRequired, "this field is required", nil)
		}
		tooLong("feedback.text", f.Text, MaxFeedbackText)
		if f.Contact != "" && catalog.CheckPhone(f.Contact) != "" {
			bad("feedback.contact", catalog.CodePhoneInvalid, "enter an 11-digit mainland mobile number starting with 1, or leave it empty", nil)
		}
		tooLong("feedback.service", f.Service, 64)
	default:
		bad("kind", catalog.CodeOption, "the kind is ticket, rating or feedback", nil)
	}
	return errs
}

// isUUID reports whether s is a UUID in its canonical 36-character form.
func isUUID(s string) bool { return len(s) == 36 && uuid.Validate(s) == nil }

func pad3(n int) string {
	s := strconv.Itoa(n)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}

// InteractionsRequest is a batch of interactions; each gets its own result.
type InteractionsRequest struct {
	Items []Interaction `json:"items"`
}

// InteractionsResponse has one result per item, matched by ID.
type InteractionsResponse struct {
	Results    []InteractionResult `json:"results"`
	ServerTime time.Time           `json:"server_time"`
}

// InteractionResult is the server's answer for one interaction. Outcomes
// are those of applications: Accepted (Duplicate when the server had it
// already: the original result again), Invalid (Errors say why), Conflict
// (the id is known with another payload, or a ticket's number is already
// held by another ticket), Retry.
type InteractionResult struct {
	ID         string               `json:"id"`
	Outcome    Outcome              `json:"outcome"`
	Reference  string               `json:"reference,omitempty"` // ratings and feedback: e.g. "FK20261127-0007", for the resident and the hall
	FollowUp   bool                 `json:"follow_up,omitempty"` // the hall will follow it up
	AcceptedAt time.Time            `json:"accepted_at,omitzero"`
	Duplicate  bool                 `json:"duplicate,omitempty"`
	Errors     []catalog.FieldError `json:"errors,omitempty"`
	Message    string               `json:"message,omitempty"`
}

// Reply is a staff answer to a rating or a feedback, in one or both languages.
type Reply struct {
	Text catalog.Text `json:"text"`
}

// ReplyEntry is a reply as recorded.
type ReplyEntry struct {
	Text catalog.Text `json:"text"`
	At   time.Time    `json:"at"` // server time
}

// BackofficeInteraction is one row of the back office's list.
type BackofficeInteraction struct {
	Interaction
	Device     string       `json:"device"` // the sending device's id
	Reference  string       `json:"reference,omitempty"`
	ReceivedAt time.Time    `json:"received_at"` // server time
	FollowUp   bool         `json:"follow_up"`
	Replies    []ReplyEntry `json:"replies,omitempty"`
}
