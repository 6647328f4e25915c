package ui

import (
	"fmt"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/i18n"
	"civicdesk/app/lifecycle"
)

// Heading is a screen's title: large, bold, wrapping.
func Heading(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.SizeName = theme.SizeNameHeadingText
	l.TextStyle = fyne.TextStyle{Bold: true}
	l.Wrapping = fyne.TextWrapWord
	return l
}

// Subheading titles a section of a screen.
func Subheading(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.SizeName = theme.SizeNameSubHeadingText
	l.TextStyle = fyne.TextStyle{Bold: true}
	l.Wrapping = fyne.TextWrapWord
	return l
}

// Paragraph is wrapping body text.
func Paragraph(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// Strong is wrapping bold body text.
func Strong(text string) *widget.Label {
	l := Paragraph(text)
	l.TextStyle = fyne.TextStyle{Bold: true}
	return l
}

// Caption is secondary wrapping text (help, hints).
func Caption(text string) *widget.Label {
	l := Paragraph(text)
	l.Importance = widget.LowImportance
	return l
}

// errorLabel is a wrapping label in the theme's error colour, hidden while empty.
func errorLabel() *widget.Label {
	l := Paragraph("")
	l.Importance = widget.DangerImportance
	l.Hide()
	return l
}

// setError shows text in an error label, or hides it when text is "".
func setError(l *widget.Label, text string) {
	if text == "" {
		l.SetText("")
		l.Hide()
		return
	}
	l.SetText(text)
	l.Show()
}

// bullets lists items one per line with a bullet.
func bullets(items []string) *fyne.Container {
	box := container.NewVBox()
	for _, it := range items {
		box.Add(Paragraph("• " + it))
	}
	return box
}

// buttonBar lays out a screen's buttons side by side in equal cells, the
// primary action last (right, under the thumb).
func buttonBar(buttons ...fyne.CanvasObject) fyne.CanvasObject {
	return container.NewPadded(container.NewGridWithColumns(len(buttons), buttons...))
}

// screen is the frame every shared screen uses: a fixed top (title), a
// scrolling middle and a fixed bottom (the actions).
func screen(top, middle, bottom fyne.CanvasObject) fyne.CanvasObject {
	scroll := container.NewVScroll(container.NewPadded(middle))
	return container.NewBorder(top, bottom, nil, nil, scroll)
}

// columns is a grid layout whose number of columns follows the width
// available: as many as fit cells at least minCells text heights wide, so
// tiles are two abreast on a portrait kiosk and one on a phone.
type columns struct{ minCells float32 }

func (c columns) count(width float32) int {
	cell := c.minCells * theme.Size(theme.SizeNameText)
	n := int(math.Floor(float64(width / cell)))
	return max(n, 1)
}

func (c columns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	n := c.count(size.Width)
	w := (size.Width - pad*float32(n-1)) / float32(n)
	y := float32(0)
	for i := 0; i < len(objs); i += n {
		row := objs[i:min(i+n, len(objs))]
		h := float32(0)
		for _, o := range row {
			h = max(h, o.MinSize().Height)
		}
		for j, o := range row {
			o.Move(fyne.NewPos(float32(j)*(w+pad), y))
			o.Resize(fyne.NewSize(w, h))
		}
		y += h + pad
	}
}

func (c columns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for _, o := range objs {
		m := o.MinSize()
		w = max(w, m.Width)
		h += m.Height + theme.Padding()
	}
	// The height is that of one column; Layout uses less when more fit, and
	// the scroll container around the grid absorbs the difference.
	return fyne.NewSize(w, h)
}

var _ fyne.Layout = columns{}

// tile is a large touch target: a button under a title and a subtitle that
// wrap. Labels do not take taps, so a tap anywhere on the tile reaches the
// button.
func tile(title, sub string, importance widget.Importance, tapped func()) fyne.CanvasObject {
	b := widget.NewButton("", tapped)
	b.Importance = importance
	t := Subheading(title)
	parts := []fyne.CanvasObject{t}
	if sub != "" {
		parts = append(parts, Caption(sub))
	}
	return container.NewStack(b, container.NewPadded(container.NewVBox(parts...)))
}

// windowFor finds the window showing o (dialogs need one); nil when o is
// not on screen.
func windowFor(o fyne.CanvasObject) fyne.Window {
	app := fyne.CurrentApp()
	if app == nil {
		return nil
	}
	c := app.Driver().CanvasForObject(o)
	for _, w := range app.Driver().AllWindows() {
		if c != nil && w.Canvas() == c {
			return w
		}
	}
	return nil
}

// fileSize says how big a file is, in the current language.
func fileSize(l *i18n.Localizer, n int64) string {
	switch {
	case n < 1024:
		return l.T("ui.size.bytes", "N", n)
	case n < 1024*1024:
		return l.T("ui.size.kb", "N", fmt.Sprintf("%.0f", float64(n)/1024))
	default:
		return l.T("ui.size.mb", "N", fmt.Sprintf("%.1f", float64(n)/(1024*1024)))
	}
}

// statusText names an application status in the current language.
func statusText(l *i18n.Localizer, s lifecycle.Status) string {
	switch s {
	case lifecycle.Draft:
		return l.T("ui.state.draft")
	case lifecycle.Queued:
		return l.T("ui.state.queued")
	case lifecycle.Sent:
		return l.T("ui.state.sent")
	case lifecycle.Received:
		return l.T("ui.state.received")
	case lifecycle.InReview:
		return l.T("ui.state.in_review")
	case lifecycle.NeedsMoreInfo:
		return l.T("ui.state.needs_more_info")
	case lifecycle.Approved:
		return l.T("ui.state.approved")
	case lifecycle.Rejected:
		return l.T("ui.state.rejected")
	case lifecycle.ReadyForPickup:
		return l.T("ui.state.ready_for_pickup")
	case lifecycle.Completed:
		return l.T("ui.state.completed")
	case lifecycle.NeedsAttention:
		return l.T("ui.state.needs_attention")
	case lifecycle.Conflict:
		return l.T("ui.state.conflict")
	}
	return l.T("ui.state.unknown")
}

// localTime shows a time in the device's zone (the zone of d.Now), to the minute.
func (d *Deps) localTime(t time.Time) string {
	loc := time.Local
	if d.Now != nil {
		loc = d.Now().Location()
	}
	return t.In(loc).Format("2006-01-02 15:04")
}
