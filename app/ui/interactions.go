package ui

import (
	"errors"
	"fmt"
	"image/color"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/google/uuid"

	"civicdesk/app/catalog"
	"civicdesk/app/i18n"
	"civicdesk/app/store"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

// Two-way interaction with the hall: the five-level review of a service
// (ratingscreen.go), complaints, suggestions and questions
// (feedbackscreen.go), the thanks that follows them (thanks.go) and the
// resident's own list with the hall's replies (interactionlist.go). They
// are queued through engine.QueueInteraction and sent by the sync engine
// like applications.

// RateTarget names what a rating is about: an application (its id and
// service code) or, when zero, the hall's service in general.
type RateTarget struct {
	Application string
	Service     string
}

// ScoreText names a rating score, 1 to 5, in the current language
// (非常不满意 ... 非常满意).
func ScoreText(l *i18n.Localizer, score int) string {
	switch score {
	case wire.RatingVerySatisfied:
		return l.T("ui.rating.level5")
	case wire.RatingSatisfied:
		return l.T("ui.rating.level4")
	case wire.RatingBasicallySatisfied:
		return l.T("ui.rating.level3")
	case wire.RatingDissatisfied:
		return l.T("ui.rating.level2")
	case wire.RatingVeryDissatisfied:
		return l.T("ui.rating.level1")
	}
	return l.T("ui.rating.level_unknown")
}

// CategoryText names a feedback category (wire.FeedbackComplaint,
// FeedbackSuggestion, FeedbackQuestion) in the current language.
func CategoryText(l *i18n.Localizer, category string) string {
	switch category {
	case wire.FeedbackComplaint:
		return l.T("ui.feedback.complaint")
	case wire.FeedbackSuggestion:
		return l.T("ui.feedback.suggestion")
	case wire.FeedbackQuestion:
		return l.T("ui.feedback.question")
	}
	return l.T("ui.feedback.unknown")
}

// Face icons of the five levels, drawn with fills only (Fyne recolours
// the fills of a themed SVG): a ring, two eyes and a mouth from a broad
// smile to a deep frown. Each is coloured by scoreColor, and the level is
// always named beside it, so colour is never the only cue.
const (
	faceRing = `<path d="M12 1a11 11 0 1 1 0 22a11 11 0 1 1 0-22z M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z"/>`
	faceEyes = `<circle cx="8.5" cy="9.5" r="1.6"/><circle cx="15.5" cy="9.5" r="1.6"/>`
)

var faceMouths = [...]string{
	wire.RatingVeryDissatisfied:   `<path d="M6.5 18.5Q12 11.5 17.5 18.5Q12 14.8 6.5 18.5z"/>`,
	wire.RatingDissatisfied:       `<path d="M8 17.2Q12 13.8 16 17.2Q12 15.6 8 17.2z"/>`,
	wire.RatingBasicallySatisfied: `<path d="M8 15h8v1.8h-8z"/>`,
	wire.RatingSatisfied:          `<path d="M8 14.5Q12 18 16 14.5Q12 16.4 8 14.5z"/>`,
	wire.RatingVerySatisfied:      `<path d="M6.5 13.5Q12 21 17.5 13.5Q12 16.8 6.5 13.5z"/>`,
}

// FaceIcon is the face of a rating score, 1 to 5, in the theme's colour
// for it (success, warning, error); nil for another score.
func FaceIcon(score int) fyne.Resource {
	if score < wire.RatingVeryDissatisfied || score > wire.RatingVerySatisfied {
		return nil
	}
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24">` +
		faceRing + faceEyes + faceMouths[score] + `</svg>`
	res := fyne.NewStaticResource(fmt.Sprintf("face-%d.svg", score), []byte(svg))
	return theme.NewColoredResource(res, scoreColor(score))
}

// scoreColor is the colour cue of a score: green for satisfied, amber for
// basically satisfied, red for dissatisfied (the theme's own, so high
// contrast has its own strong shades).
func scoreColor(score int) fyne.ThemeColorName {
	switch {
	case score >= wire.RatingSatisfied:
		return theme.ColorNameSuccess
	case score == wire.RatingBasicallySatisfied:
		return theme.ColorNameWarning
	}
	return theme.ColorNameError
}

// choiceRow is a large selectable row: an icon, a title and an optional
// line under it, over a button that takes the tap (labels and images do
// not take taps). The chosen row is framed in the theme's primary colour
// and shows a tick, so the choice is visible without relying on colour
// alone and in high contrast (a yellow frame on black).
func choiceRow(icon fyne.Resource, title, sub string, selected bool, tapped func()) (fyne.CanvasObject, *widget.Button) {
	b := widget.NewButton("", tapped)
	text := container.NewVBox(Strong(title))
	if sub != "" {
		text.Add(Caption(sub))
	}
	var left, right fyne.CanvasObject
	if icon != nil {
		img := canvas.NewImageFromResource(icon)
		img.FillMode = canvas.ImageFillContain
		img.SetMinSize(fyne.NewSquareSize(2.5 * theme.Size(theme.SizeNameText)))
		left = container.NewCenter(img)
	}
	layers := []fyne.CanvasObject{b}
	if selected {
		frame := canvas.NewRectangle(color.Transparent)
		frame.StrokeColor = theme.Color(theme.ColorNamePrimary)
		frame.StrokeWidth = max(3, theme.Padding())
		frame.CornerRadius = theme.Size(theme.SizeNameInputRadius)
		layers = append(layers, frame)
		tick := canvas.NewImageFromResource(theme.NewPrimaryThemedResource(theme.ConfirmIcon()))
		tick.FillMode = canvas.ImageFillContain
		tick.SetMinSize(fyne.NewSquareSize(1.5 * theme.Size(theme.SizeNameText)))
		right = container.NewCenter(tick)
	}
	content := container.NewBorder(nil, nil, left, right, text)
	layers = append(layers, container.NewPadded(content))
	return container.NewStack(layers...), b
}

// scrolled is the frame of the interaction screens: a fixed top, a
// scrolling middle (returned, so a rebuild keeps the offset) and a fixed
// bottom.
func scrolled(top, middle, bottom fyne.CanvasObject) (fyne.CanvasObject, *container.Scroll) {
	scroll := container.NewVScroll(container.NewPadded(middle))
	return container.NewBorder(top, bottom, nil, nil, scroll), scroll
}

// charsLeft updates a counter label under a text of at most max characters.
func charsLeft(l *i18n.Localizer, lbl *widget.Label, text string, limit int) {
	left := limit - utf8.RuneCountInString(text)
	if left < 0 {
		lbl.Importance = widget.DangerImportance
		lbl.SetText(l.T("ui.interaction.too_long", "N", -left))
		return
	}
	lbl.Importance = widget.LowImportance
	lbl.SetText(l.T("ui.interaction.chars_left", "N", left))
}

// newInteractionID is a time-ordered UUID, the interaction's idempotency key.
func newInteractionID() string {
	if id, err := uuid.NewV7(); err == nil {
		return id.String()
	}
	return uuid.NewString()
}

func (d *Deps) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// queueInteraction queues in and asks the engine for a sync. Field errors
// come back as a list (err wraps engine.ErrInvalidInteraction); another
// error is the store's.
func queueInteraction(d *Deps, in wire.Interaction) (store.Interaction, []catalog.FieldError, error) {
	it, err := engine.QueueInteraction(d.Store, in)
	var inv *engine.InvalidInteractionError
	switch {
	case errors.As(err, &inv):
		return it, inv.Errors, err
	case err != nil:
		return it, nil, fmt.Errorf("ui: queue the %s: %w", in.Kind, err)
	}
	if d.Sync != nil {
		d.Sync.Trigger()
	}
	return it, nil, nil
}

// fieldErrors are the errors of a submitted interaction, by wire field name.
type fieldErrors []catalog.FieldError

// get returns the first error of field.
func (fe fieldErrors) get(field string) (catalog.FieldError, bool) {
	for _, e := range fe {
		if e.Field == field {
			return e, true
		}
	}
	return catalog.FieldError{}, false
}

// without drops the errors of a field (the resident changed it).
func (fe fieldErrors) without(field string, codes ...string) fieldErrors {
	out := fe[:0:0]
	for _, e := range fe {
		if e.Field == field && (len(codes) == 0 || slices.Contains(codes, e.Code)) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// others reports whether some error is about none of fields: nothing the
// resident can correct (a malformed id), shown as a general failure.
func (fe fieldErrors) others(fields ...string) bool {
	for _, e := range fe {
		if !slices.Contains(fields, e.Field) {
			return true
		}
	}
	return false
}

// faceImage is a score's face, size text heights wide.
func faceImage(score int, size float32) fyne.CanvasObject {
	res := FaceIcon(score)
	if res == nil {
		return layout.NewSpacer()
	}
	img := canvas.NewImageFromResource(res)
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(fyne.NewSquareSize(size * theme.Size(theme.SizeNameText)))
	return img
}

// centered centres a label's text.
func centered(l *widget.Label) *widget.Label {
	l.Alignment = fyne.TextAlignCenter
	return l
}

// firstLines is the start of a text for a list: at most lines lines and
// n characters, "…" when cut.
func firstLines(s string, lines, n int) string {
	s = strings.TrimSpace(s)
	parts := strings.SplitN(s, "\n", lines+1)
	cut := len(parts) > lines
	if cut {
		parts = parts[:lines]
	}
	out := strings.Join(parts, "\n")
	if utf8.RuneCountInString(out) > n {
		out = string([]rune(out)[:n])
		cut = true
	}
	if cut {
		out = strings.TrimRight(out, " \n") + "…"
	}
	return out
}
