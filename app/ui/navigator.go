package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
)

// Screen is one place in the navigation: a name (for tests and logs) and a
// builder. Builders are called again when the language or theme changes,
// so they must read their state from view-models, not from old widgets.
type Screen struct {
	Name  string
	Build func() fyne.CanvasObject
}

// Navigator is a stack of screens shown in one container.
type Navigator struct {
	stack    []Screen
	box      *fyne.Container
	onChange []func(current string)
}

// NewNavigator starts at home.
func NewNavigator(home Screen) *Navigator {
	n := &Navigator{box: container.NewStack()}
	n.stack = []Screen{home}
	n.show()
	return n
}

// Content is the container the current screen is shown in.
func (n *Navigator) Content() fyne.CanvasObject { return n.box }

// Current is the name of the screen on top.
func (n *Navigator) Current() string { return n.stack[len(n.stack)-1].Name }

// Depth is how many screens are stacked (1 at home).
func (n *Navigator) Depth() int { return len(n.stack) }

// Push shows s on top of the current screen.
func (n *Navigator) Push(s Screen) {
	n.stack = append(n.stack, s)
	n.show()
}

// Replace swaps the top screen for s (e.g. review -> receipt, so Back does
// not return to a submitted form).
func (n *Navigator) Replace(s Screen) {
	n.stack[len(n.stack)-1] = s
	n.show()
}

// Back returns to the previous screen; at home it does nothing.
func (n *Navigator) Back() {
	if len(n.stack) > 1 {
		n.stack = n.stack[:len(n.stack)-1]
		n.show()
	}
}

// Home drops every screen above home and rebuilds it.
func (n *Navigator) Home() {
	n.stack = n.stack[:1]
	n.show()
}

// SetHome replaces the bottom screen and clears the stack.
func (n *Navigator) SetHome(home Screen) {
	n.stack = []Screen{home}
	n.show()
}

// Refresh rebuilds the current screen (after a language or theme switch).
func (n *Navigator) Refresh() { n.show() }

// OnChange registers f to run after every navigation.
func (n *Navigator) OnChange(f func(current string)) { n.onChange = append(n.onChange, f) }

func (n *Navigator) show() {
	top := n.stack[len(n.stack)-1]
	n.box.Objects = []fyne.CanvasObject{top.Build()}
	n.box.Refresh()
	for _, f := range n.onChange {
		f(top.Name)
	}
}
