package mobile

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The phone's text styles, as the shared screens use them.

func heading(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.SizeName = theme.SizeNameHeadingText
	l.TextStyle = fyne.TextStyle{Bold: true}
	l.Wrapping = fyne.TextWrapWord
	return l
}

func subheading(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.SizeName = theme.SizeNameSubHeadingText
	l.TextStyle = fyne.TextStyle{Bold: true}
	l.Wrapping = fyne.TextWrapWord
	return l
}

func paragraph(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

func strong(text string) *widget.Label {
	l := paragraph(text)
	l.TextStyle = fyne.TextStyle{Bold: true}
	return l
}

func caption(text string) *widget.Label {
	l := paragraph(text)
	l.Importance = widget.LowImportance
	return l
}

// notice is a wrapping label in a colour of importance, hidden while empty.
func notice(importance widget.Importance) *widget.Label {
	l := paragraph("")
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
		box.Add(paragraph("• " + it))
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
	parts := []fyne.CanvasObject{strong(title)}
	if sub != "" {
		parts = append(parts, caption(sub))
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
