package kiosk

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Keypad is the on-screen numeric keypad (desktop Fyne has no virtual
// keyboard): big 0-9 keys, X for ID numbers, backspace and clear. Taps
// edit the target entry at its end, as a resident expects.
type Keypad struct {
	widget.BaseWidget
	target *widget.Entry
	allowX bool
	// OnKey runs after every tap (the kiosk counts it as activity).
	OnKey func()

	keys      map[string]*widget.Button
	backspace *widget.Button
	clearKey  *widget.Button
	obj       fyne.CanvasObject
}

// NewKeypad returns a keypad typing into target; allowX adds an X key (the
// last character of a Chinese ID number). The object is a *Keypad.
func NewKeypad(target *widget.Entry, allowX bool) fyne.CanvasObject {
	return newKeypad(target, allowX)
}

func newKeypad(target *widget.Entry, allowX bool) *Keypad {
	p := &Keypad{target: target, allowX: allowX, keys: map[string]*widget.Button{}}
	key := func(r rune) fyne.CanvasObject {
		b := widget.NewButton(string(r), func() { p.Type(r) })
		p.keys[string(r)] = b
		return b
	}
	digits := make([]fyne.CanvasObject, 0, 12)
	for d := 1; d <= 9; d++ {
		digits = append(digits, key(rune('0'+d)))
	}
	var x fyne.CanvasObject = layout.NewSpacer()
	if allowX {
		x = key('X')
	}
	p.backspace = widget.NewButtonWithIcon("", theme.NavigateBackIcon(), p.Backspace)
	p.clearKey = widget.NewButtonWithIcon("", theme.ContentClearIcon(), p.Clear)
	digits = append(digits, x, key('0'), p.backspace)
	p.obj = container.NewVBox(container.NewGridWithColumns(3, digits...), p.clearKey)
	p.ExtendBaseWidget(p)
	return p
}

// SetLabels names the backspace and clear keys (in the current language).
func (p *Keypad) SetLabels(backspace, clearAll string) {
	p.backspace.SetText(backspace)
	p.clearKey.SetText(clearAll)
}

// SetTarget makes the keypad type into e.
func (p *Keypad) SetTarget(e *widget.Entry) { p.target = e }

// Target is the entry the keypad types into.
func (p *Keypad) Target() *widget.Entry { return p.target }

// Key returns the button for "0"-"9" or "X" (nil when absent), for tests.
func (p *Keypad) Key(label string) *widget.Button { return p.keys[label] }

// BackspaceKey and ClearKey return those buttons, for tests.
func (p *Keypad) BackspaceKey() *widget.Button { return p.backspace }

// ClearKey returns the clear button.
func (p *Keypad) ClearKey() *widget.Button { return p.clearKey }

// Type appends r (a digit, or X when allowed) to the target.
func (p *Keypad) Type(r rune) {
	if r == 'x' {
		r = 'X'
	}
	if !(r >= '0' && r <= '9') && !(r == 'X' && p.allowX) {
		return
	}
	p.edit(func(s []rune) []rune { return append(s, r) })
}

// Backspace removes the last character.
func (p *Keypad) Backspace() {
	p.edit(func(s []rune) []rune {
		if len(s) == 0 {
			return s
		}
		return s[:len(s)-1]
	})
}

// Clear empties the target.
func (p *Keypad) Clear() { p.edit(func([]rune) []rune { return nil }) }

func (p *Keypad) edit(f func([]rune) []rune) {
	if p.OnKey != nil {
		p.OnKey()
	}
	e := p.target
	if e == nil || e.Disabled() {
		return
	}
	text := string(f([]rune(e.Text)))
	if text == e.Text {
		return
	}
	e.SetText(text) // runs the entry's OnChanged and validation
	e.CursorRow, e.CursorColumn = 0, len([]rune(text))
	e.Refresh()
}

// CreateRenderer implements fyne.Widget.
func (p *Keypad) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(p.obj) }
