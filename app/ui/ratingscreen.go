package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/store"
	"civicdesk/sync/wire"
)

// RatingScreen is the five-level review (非常满意 ... 非常不满意) with an
// optional comment, required and asked for at a low rating. Submit checks
// and queues it through engine.QueueInteraction, then calls done.
//
// Its state (the score, the comment, the errors) lives in the screen, not
// in its widgets: a shell keeps the screen across rebuilds and calls
// Refresh from its Screen.Build after a language or theme switch (Object
// also rebuilds by itself when the language changed since it was built).
type RatingScreen struct {
	d      *Deps
	hall   string
	target RateTarget
	done   func(store.Interaction)
	onBack func()

	score   int
	comment string
	errs    fieldErrors
	failed  bool               // the store could not queue it
	queued  *store.Interaction // set once submitted: a second tap does nothing

	lang       string
	box        *fyne.Container
	body, bar  *fyne.Container // laid out again when an error shows or hides
	scroll     *container.Scroll
	levels     *fyne.Container
	scores     [wire.RatingVerySatisfied + 1]*widget.Button
	entry      *widget.Entry
	prompt     *widget.Label
	left       *widget.Label
	scoreErr   *widget.Label
	commentErr *widget.Label
	notice     *widget.Label
	submit     *widget.Button
}

// NewRatingScreen builds the rating screen for target; hall is the hall's
// code ("" on a phone).
func NewRatingScreen(d *Deps, hall string, target RateTarget, done func(store.Interaction)) *RatingScreen {
	s := &RatingScreen{d: d, hall: hall, target: target, done: done, box: container.NewStack()}
	s.render()
	return s
}

// Object is the screen's content.
func (s *RatingScreen) Object() fyne.CanvasObject {
	if s.lang != s.d.Loc.Lang() {
		s.render()
	}
	return s.box
}

// Refresh rebuilds the screen from its state in the current language and
// theme.
func (s *RatingScreen) Refresh() { s.render() }

// SetOnBack adds a Back button that calls f (nil removes it).
func (s *RatingScreen) SetOnBack(f func()) {
	s.onBack = f
	s.render()
}

// Choose selects a score, 1 to 5, as a tap on its button does.
func (s *RatingScreen) Choose(score int) {
	s.d.Touched()
	if score < wire.RatingVeryDissatisfied || score > wire.RatingVerySatisfied {
		return
	}
	s.score = score
	s.errs = s.errs.without("rating.score")
	if score > wire.LowRating {
		s.errs = s.errs.without("rating.comment", wire.CodeCommentRequired)
	}
	s.renderLevels()
	s.update()
}

// Score is the score chosen (0 before a choice).
func (s *RatingScreen) Score() int { return s.score }

// Unsent reports whether the resident chose a score or typed a comment
// that was not submitted yet: what leaving the screen would lose.
func (s *RatingScreen) Unsent() bool {
	return s.queued == nil && (s.score != 0 || strings.TrimSpace(s.comment) != "")
}

// SetComment types the comment.
func (s *RatingScreen) SetComment(text string) { s.entry.SetText(text) }

// ScoreButton is the button of a score, 1 to 5, for tests.
func (s *RatingScreen) ScoreButton(score int) *widget.Button {
	if score < wire.RatingVeryDissatisfied || score > wire.RatingVerySatisfied {
		return nil
	}
	return s.scores[score]
}

// CommentEntry is the comment box, for tests.
func (s *RatingScreen) CommentEntry() *widget.Entry { return s.entry }

// SubmitButton sends the rating, for tests.
func (s *RatingScreen) SubmitButton() *widget.Button { return s.submit }

// Prompt is what the comment box asks for, as shown.
func (s *RatingScreen) Prompt() string { return s.prompt.Text }

// ErrorText is the error shown under a field ("rating.score",
// "rating.comment"), or for "" the screen's general error; "" when none.
func (s *RatingScreen) ErrorText(field string) string {
	var l *widget.Label
	switch field {
	case "rating.score":
		l = s.scoreErr
	case "rating.comment":
		l = s.commentErr
	case "":
		l = s.notice
	}
	if l == nil || !l.Visible() {
		return ""
	}
	return l.Text
}

// Submit queues the rating as the submit button does; the error (field
// errors shown inline, or the store's) is also shown on the screen.
func (s *RatingScreen) Submit() error {
	d := s.d
	d.Touched()
	if s.queued != nil {
		return nil
	}
	in := wire.Interaction{
		ID:        newInteractionID(),
		Kind:      wire.KindRating,
		Hall:      s.hall,
		CreatedAt: d.now(),
		Rating: &wire.Rating{
			Score:       s.score,
			Comment:     strings.TrimSpace(s.comment),
			Application: s.target.Application,
			Service:     s.target.Service,
		},
	}
	it, errs, err := queueInteraction(d, in)
	s.errs, s.failed = errs, err != nil && errs == nil
	if err != nil {
		s.update()
		return err
	}
	s.queued = &it
	s.update()
	if s.done != nil {
		s.done(it)
	}
	return nil
}

// render builds the whole screen from the state.
func (s *RatingScreen) render() {
	d, l := s.d, s.d.Loc
	s.lang = l.Lang()
	var offset fyne.Position
	if s.scroll != nil {
		offset = s.scroll.Offset
	}
	about := l.T("ui.rating.about_hall")
	if svc, ok := d.Catalog().Service(s.target.Service); ok && s.target.Service != "" {
		about = l.T("ui.rating.about_service", "Service", l.Text(svc.Name))
	}
	top := container.NewPadded(container.NewVBox(Heading(l.T("ui.rating.title")), Paragraph(about)))

	s.levels = container.NewVBox()
	s.renderLevels()
	s.scoreErr = errorLabel()
	s.prompt = Strong("")
	s.entry = widget.NewMultiLineEntry()
	s.entry.Wrapping = fyne.TextWrapWord
	s.entry.SetMinRowsVisible(4)
	s.entry.SetPlaceHolder(l.T("ui.rating.comment_hint"))
	s.entry.SetText(s.comment)
	s.entry.OnChanged = s.typed
	s.left = Caption("")
	s.commentErr = errorLabel()
	s.notice = errorLabel()

	s.submit = widget.NewButtonWithIcon(l.T("ui.rating.submit"), theme.MailSendIcon(), func() { _ = s.Submit() })
	s.submit.Importance = widget.HighImportance
	buttons := []fyne.CanvasObject{s.submit}
	if s.onBack != nil {
		back := widget.NewButtonWithIcon(l.T("ui.back"), theme.NavigateBackIcon(), func() { d.Touched(); s.onBack() })
		buttons = []fyne.CanvasObject{back, s.submit}
	}
	s.body = container.NewVBox(
		Strong(l.T("ui.rating.question")), s.levels, s.scoreErr,
		widget.NewSeparator(),
		s.prompt, s.entry, s.left, s.commentErr,
	)
	s.bar = container.NewVBox(container.NewPadded(s.notice), buttonBar(buttons...))
	obj, scroll := scrolled(top, s.body, s.bar)
	s.scroll = scroll
	s.update()
	s.box.Objects = []fyne.CanvasObject{obj}
	s.box.Refresh()
	if offset != (fyne.Position{}) {
		s.scroll.Offset = offset
		s.scroll.Refresh()
	}
}

// renderLevels (re)builds the five choices, the chosen one marked: from
// 非常满意 at the top to 非常不满意 at the bottom, as on the national form.
func (s *RatingScreen) renderLevels() {
	l := s.d.Loc
	objs := make([]fyne.CanvasObject, 0, 5)
	for score := wire.RatingVerySatisfied; score >= wire.RatingVeryDissatisfied; score-- {
		obj, b := choiceRow(FaceIcon(score), ScoreText(l, score), "", s.score == score, func() { s.Choose(score) })
		s.scores[score] = b
		objs = append(objs, obj)
	}
	s.levels.Objects = objs
	s.levels.Refresh()
}

// typed follows the comment box.
func (s *RatingScreen) typed(text string) {
	s.d.Touched()
	s.comment = text
	if strings.TrimSpace(text) != "" {
		s.errs = s.errs.without("rating.comment", wire.CodeCommentRequired)
	}
	s.update()
}

// update shows the prompt, the counter and the errors for the state.
func (s *RatingScreen) update() {
	l := s.d.Loc
	if s.score >= wire.RatingVeryDissatisfied && s.score <= wire.LowRating {
		s.prompt.SetText(l.T("ui.rating.comment_required"))
	} else {
		s.prompt.SetText(l.T("ui.rating.comment_optional"))
	}
	charsLeft(l, s.left, s.comment, wire.MaxComment)
	scoreErr := ""
	if _, ok := s.errs.get("rating.score"); ok {
		scoreErr = l.T("ui.rating.choose")
	}
	setError(s.scoreErr, scoreErr)
	commentErr := ""
	if e, ok := s.errs.get("rating.comment"); ok {
		commentErr = l.FieldError(e)
	}
	setError(s.commentErr, commentErr)
	notice := ""
	switch {
	case s.failed:
		notice = l.T("ui.interaction.save_failed")
	case s.errs.others("rating.score", "rating.comment"):
		notice = l.T("ui.interaction.invalid")
	case len(s.errs) > 0:
		notice = l.T("ui.interaction.fix_marked")
	}
	setError(s.notice, notice)
	if s.body != nil {
		s.body.Refresh()
		s.bar.Refresh()
	}
}
