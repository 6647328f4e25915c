package mobile

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/ui"
)

// notice is a wrapping label in a colour of importance, hidden while empty.
func notice(importance widget.Importance) *widget.Label {
	l := ui.Paragraph("")
	l.Importance = importance
	l.Hide()
	return l
}

// setText shows text in a notice, or hides it when text is "".
func setText(l *widget.Label, text string) {
	l.SetText(text)
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

func bullets(items []string) *fyne.Container {
	box := container.NewVBox()
	for _, it := range items {
		box.Add(ui.Paragraph("• " + it))
	}
	return box
}

// button is a full-width button of the given importance.
func button(text string, icon fyne.Resource, importance widget.Importance, tapped func()) *widget.Button {
	b := widget.NewButtonWithIcon(text, icon, tapped)
	b.Importance = importance
	return b
}

// tile is a large touch target with a title and a line under it that wrap;
// a tap anywhere on it reaches its button.
func tile(title, sub string, tapped func()) (fyne.CanvasObject, *widget.Button) {
	b := widget.NewButton("", tapped)
	parts := []fyne.CanvasObject{ui.Strong(title)}
	if sub != "" {
		parts = append(parts, ui.Caption(sub))
	}
	return container.NewStack(b, container.NewPadded(container.NewVBox(parts...))), b
}

// page is a screen of the phone: a fixed top, a scrolling middle and the
// actions at the bottom, under the thumb.
func page(top, middle, bottom fyne.CanvasObject) fyne.CanvasObject {
	scroll := container.NewVScroll(container.NewPadded(middle))
	if top != nil {
		top = container.NewPadded(top)
	}
	if bottom != nil {
		bottom = container.NewPadded(bottom)
	}
	return container.NewBorder(top, bottom, nil, nil, scroll)
}
