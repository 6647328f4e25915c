package ui

import (
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/catalog"
	"civicdesk/app/store"
	"civicdesk/sync/wire"
)

// feedbackCategories in the order shown.
var feedbackCategories = []string{wire.FeedbackComplaint, wire.FeedbackSuggestion, wire.FeedbackQuestion}

// FeedbackScreen takes a complaint, suggestion or question (the 12345
// categories) with its text and an optional mobile number for a call back.
// Like RatingScreen, its state lives in the screen: keep it across
// rebuilds and call Refresh after a language or theme switch.
type FeedbackScreen struct {
	d      *Deps
	hall   string
	done   func(store.Interaction)
	onBack func()

	category string
	text     string
	contact  string
	padShown bool // the keypad under the number, once it was used
	errs     fieldErrors
	failed   bool
	queued   *store.Interaction

	lang       string
	box        *fyne.Container
	body, bar  *fyne.Container // laid out again when an error shows or hides
	scroll     *container.Scroll
	choices    *fyne.Container
	categories map[string]*widget.Button
	entry      *widget.Entry
	left       *widget.Label
	phone      *formEntry
	pad        *fyne.Container
	catErr     *widget.Label
	textErr    *widget.Label
	phoneErr   *widget.Label
	notice     *widget.Label
	submit     *widget.Button
}

// NewFeedbackScreen builds the feedback screen; hall is the hall's code.
func NewFeedbackScreen(d *Deps, hall string, done func(store.Interaction)) *FeedbackScreen {
	s := &FeedbackScreen{d: d, hall: hall, done: done, box: container.NewStack()}
	s.render()
	return s
}

// Object is the screen's content.
func (s *FeedbackScreen) Object() fyne.CanvasObject {
	if s.lang != s.d.Loc.Lang() {
		s.render()
	}
	return s.box
}

// Refresh rebuilds the screen from its state in the current language and theme.
func (s *FeedbackScreen) Refresh() { s.render() }

// SetOnBack adds a Back button that calls f (nil removes it).
func (s *FeedbackScreen) SetOnBack(f func()) {
	s.onBack = f
	s.render()
}

// Choose selects the category: wire.FeedbackComplaint, FeedbackSuggestion or FeedbackQuestion.
func (s *FeedbackScreen) Choose(category string) {
	s.d.Touched()
	if !slices.Contains(feedbackCategories, category) {
		return
	}
	s.category = category
	s.errs = s.errs.without("feedback.category")
	s.renderChoices()
	s.entry.SetPlaceHolder(s.hint())
	s.update()
}

// Category is the category chosen ("" before a choice).
func (s *FeedbackScreen) Category() string { return s.category }

// Unsent reports whether the resident chose a category or typed a text or
// a call-back number that was not submitted yet: what leaving the screen
// would lose.
func (s *FeedbackScreen) Unsent() bool {
	return s.queued == nil && (s.category != "" || strings.TrimSpace(s.text) != "" || s.contact != "")
}

// SetText types the feedback's text.
func (s *FeedbackScreen) SetText(text string) { s.entry.SetText(text) }

// SetContact types the optional call-back number.
func (s *FeedbackScreen) SetContact(phone string) { s.phone.SetText(phone) }

// CategoryButton is the button of a category, for tests.
func (s *FeedbackScreen) CategoryButton(category string) *widget.Button {
	return s.categories[category]
}

// TextEntry is the message box, for tests.
func (s *FeedbackScreen) TextEntry() *widget.Entry { return s.entry }

// ContactEntry is the call-back number, for tests.
func (s *FeedbackScreen) ContactEntry() *widget.Entry { return &s.phone.Entry }

// SubmitButton sends the feedback, for tests.
func (s *FeedbackScreen) SubmitButton() *widget.Button { return s.submit }

// CharsLeft is the counter under the message, as shown.
func (s *FeedbackScreen) CharsLeft() string { return s.left.Text }

// ErrorText is the error shown under a field ("feedback.category",
// "feedback.text", "feedback.contact"), or for "" the screen's general
// error; "" when none.
func (s *FeedbackScreen) ErrorText(field string) string {
	var l *widget.Label
	switch field {
	case "feedback.category":
		l = s.catErr
	case "feedback.text":
		l = s.textErr
	case "feedback.contact":
		l = s.phoneErr
	case "":
		l = s.notice
	}
	if l == nil || !l.Visible() {
		return ""
	}
	return l.Text
}

// Submit queues the feedback as the submit button does.
func (s *FeedbackScreen) Submit() error {
	d := s.d
	d.Touched()
	if s.queued != nil {
		return nil
	}
	in := wire.Interaction{
		ID:        newInteractionID(),
		Kind:      wire.KindFeedback,
		Hall:      s.hall,
		CreatedAt: d.now(),
		Feedback: &wire.Feedback{
			Category: s.category,
			Text:     strings.TrimSpace(s.text),
			Contact:  s.contact,
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

// hint is the message box's placeholder for the category chosen.
func (s *FeedbackScreen) hint() string {
	l := s.d.Loc
	switch s.category {
	case wire.FeedbackComplaint:
		return l.T("ui.feedback.text_hint_complaint")
	case wire.FeedbackSuggestion:
		return l.T("ui.feedback.text_hint_suggestion")
	case wire.FeedbackQuestion:
		return l.T("ui.feedback.text_hint_question")
	}
	return l.T("ui.feedback.text_hint")
}

func (s *FeedbackScreen) render() {
	d, l := s.d, s.d.Loc
	s.lang = l.Lang()
	var offset fyne.Position
	if s.scroll != nil {
		offset = s.scroll.Offset
	}
	top := container.NewPadded(container.NewVBox(Heading(l.T("ui.feedback.title")), Paragraph(l.T("ui.feedback.intro"))))

	s.choices = container.NewVBox()
	s.renderChoices()
	s.catErr = errorLabel()

	s.entry = widget.NewMultiLineEntry()
	s.entry.Wrapping = fyne.TextWrapWord
	s.entry.SetMinRowsVisible(5)
	s.entry.SetPlaceHolder(s.hint())
	s.entry.SetText(s.text)
	s.entry.OnChanged = func(text string) {
		d.Touched()
		s.text = text
		if strings.TrimSpace(text) != "" {
			s.errs = s.errs.without("feedback.text", catalog.CodeRequired)
		}
		s.update()
	}
	s.left = Caption("")
	s.textErr = errorLabel()

	s.phone = newFormEntry()
	s.phone.SetPlaceHolder(l.T("ui.feedback.contact_hint"))
	s.phone.SetText(s.contact)
	s.phone.OnChanged = func(text string) {
		d.Touched()
		s.contact = strings.Join(strings.Fields(text), "")
		s.errs = s.errs.without("feedback.contact")
		s.showPad()
		s.update()
	}
	s.phoneErr = errorLabel()
	var phoneBlock fyne.CanvasObject = s.phone
	s.pad = nil
	if d.Keypad != nil {
		s.pad = container.NewVBox(d.Keypad(&s.phone.Entry, false))
		s.phone.onFocus = func(focused bool) {
			if focused {
				s.showPad()
			}
		}
		if !s.padShown && s.contact == "" {
			s.pad.Hide()
		}
		phoneBlock = container.NewVBox(s.phone, s.pad)
	}
	s.notice = errorLabel()

	s.submit = widget.NewButtonWithIcon(l.T("ui.feedback.submit"), theme.MailSendIcon(), func() { _ = s.Submit() })
	s.submit.Importance = widget.HighImportance
	buttons := []fyne.CanvasObject{s.submit}
	if s.onBack != nil {
		back := widget.NewButtonWithIcon(l.T("ui.back"), theme.NavigateBackIcon(), func() { d.Touched(); s.onBack() })
		buttons = []fyne.CanvasObject{back, s.submit}
	}
	s.body = container.NewVBox(
		Strong(l.T("ui.feedback.category")), s.choices, s.catErr,
		widget.NewSeparator(),
		Strong(l.T("ui.feedback.text")), s.entry, s.left, s.textErr,
		widget.NewSeparator(),
		Strong(l.T("ui.feedback.contact")), phoneBlock, s.phoneErr,
		Caption(l.T("ui.feedback.privacy")),
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

// showPad shows the keypad under the number once the resident uses it.
func (s *FeedbackScreen) showPad() {
	s.padShown = true
	if s.pad != nil && !s.pad.Visible() {
		s.pad.Show()
	}
}

// renderChoices (re)builds the three categories, the chosen one marked.
func (s *FeedbackScreen) renderChoices() {
	l := s.d.Loc
	s.categories = map[string]*widget.Button{}
	objs := make([]fyne.CanvasObject, 0, len(feedbackCategories))
	for _, c := range feedbackCategories {
		var icon fyne.Resource
		var sub string
		switch c {
		case wire.FeedbackComplaint:
			icon, sub = theme.NewWarningThemedResource(theme.WarningIcon()), l.T("ui.feedback.complaint_hint")
		case wire.FeedbackSuggestion:
			icon, sub = theme.NewPrimaryThemedResource(theme.InfoIcon()), l.T("ui.feedback.suggestion_hint")
		case wire.FeedbackQuestion:
			icon, sub = theme.NewPrimaryThemedResource(theme.QuestionIcon()), l.T("ui.feedback.question_hint")
		}
		obj, b := choiceRow(icon, CategoryText(l, c), sub, s.category == c, func() { s.Choose(c) })
		s.categories[c] = b
		objs = append(objs, obj)
	}
	s.choices.Objects = objs
	s.choices.Refresh()
}

// update shows the counter and the errors for the state.
func (s *FeedbackScreen) update() {
	l := s.d.Loc
	charsLeft(l, s.left, s.text, wire.MaxFeedbackText)
	// msg is a field's error: fixed when given (a clearer request than
	// the validator's generic one), else the validator's translated.
	msg := func(field, fixed string) string {
		e, ok := s.errs.get(field)
		switch {
		case !ok:
			return ""
		case fixed != "":
			return fixed
		}
		return l.FieldError(e)
	}
	setError(s.catErr, msg("feedback.category", l.T("ui.feedback.choose")))
	setError(s.textErr, msg("feedback.text", ""))
	setError(s.phoneErr, msg("feedback.contact", ""))
	notice := ""
	switch {
	case s.failed:
		notice = l.T("ui.interaction.save_failed")
	case s.errs.others("feedback.category", "feedback.text", "feedback.contact"):
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
