package ui

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/store"
)

// RateTarget names what a rating is about: an application (its id and
// service code) or, when zero, the hall's service in general.
type RateTarget struct {
	Application string
	Service     string
}

var errTodoScreens = errors.New("ui: rating and feedback screens are not implemented yet")

// RatingScreen is the five-level review (非常满意 ... 非常不满意) with an
// optional comment, required and asked for at a low rating. Submit checks
// and queues it through engine.QueueInteraction, then calls done.
type RatingScreen struct{ obj fyne.CanvasObject }

// NewRatingScreen builds the rating screen for target; hall is the hall's
// code ("" on a phone).
func NewRatingScreen(d *Deps, hall string, target RateTarget, done func(store.Interaction)) *RatingScreen {
	return &RatingScreen{obj: widget.NewLabel("")}
}

// Object is the screen's content.
func (s *RatingScreen) Object() fyne.CanvasObject { return s.obj }

// Choose selects a score, 1 to 5, as a tap on its button does.
func (s *RatingScreen) Choose(score int) {}

// SetComment types the comment.
func (s *RatingScreen) SetComment(text string) {}

// Submit queues the rating as the submit button does; the error (field
// errors shown inline, or the store's) is also shown on the screen.
func (s *RatingScreen) Submit() error { return errTodoScreens }

// FeedbackScreen takes a complaint, suggestion or question (the 12345
// categories) with its text and an optional mobile number for a call back.
type FeedbackScreen struct{ obj fyne.CanvasObject }

// NewFeedbackScreen builds the feedback screen; hall is the hall's code.
func NewFeedbackScreen(d *Deps, hall string, done func(store.Interaction)) *FeedbackScreen {
	return &FeedbackScreen{obj: widget.NewLabel("")}
}

// Object is the screen's content.
func (s *FeedbackScreen) Object() fyne.CanvasObject { return s.obj }

// Choose selects the category: wire.FeedbackComplaint, FeedbackSuggestion or FeedbackQuestion.
func (s *FeedbackScreen) Choose(category string) {}

// SetText types the feedback's text.
func (s *FeedbackScreen) SetText(text string) {}

// SetContact types the optional call-back number.
func (s *FeedbackScreen) SetContact(phone string) {}

// Submit queues the feedback as the submit button does.
func (s *FeedbackScreen) Submit() error { return errTodoScreens }

// NewThanksScreen thanks the resident for a queued rating or feedback: its
// reference once the central API has it, or "saved, it will be sent
// automatically"; whether the hall will follow it up. finish ends the flow.
func NewThanksScreen(d *Deps, it store.Interaction, finish func()) fyne.CanvasObject {
	return widget.NewLabel("")
}

// InteractionList shows the resident's own ratings and feedback, newest
// first: what was said, whether it was sent, its reference, and the hall's
// replies. It refreshes itself on the engine's interaction events.
type InteractionList struct{ obj fyne.CanvasObject }

// NewInteractionList builds the list; Close stops listening to the engine.
func NewInteractionList(d *Deps) *InteractionList { return &InteractionList{obj: widget.NewLabel("")} }

// Object is the list's content.
func (l *InteractionList) Object() fyne.CanvasObject { return l.obj }

// Refresh reloads the list from the store.
func (l *InteractionList) Refresh() {}

// Len is how many interactions the list shows.
func (l *InteractionList) Len() int { return 0 }

// Close stops listening to the engine.
func (l *InteractionList) Close() {}
