package mobile

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"civicdesk/sync/engine"
)

// noticesBox shows the hall's notices the engine cached that are current
// now, title in bold over body in the current language; nil when there
// are none (or the cache cannot be read: the tab never fails for a notice).
func (s *Shell) noticesBox() fyne.CanvasObject {
	if s.d.Store == nil {
		return nil
	}
	list, err := engine.CachedNotices(s.d.Store, s.cfg.Clock())
	if err != nil || len(list) == 0 {
		return nil
	}
	box := container.NewVBox()
	for _, n := range list {
		title := widget.NewLabelWithStyle(s.d.Loc.Text(n.Title), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		title.Wrapping = fyne.TextWrapWord
		box.Add(title)
		if body := s.d.Loc.Text(n.Body); body != "" {
			l := widget.NewLabel(body)
			l.Wrapping = fyne.TextWrapWord
			box.Add(l)
		}
	}
	return widget.NewCard("", "", box)
}

// noticesUpdated redraws the Services tab's first screen if it is shown.
// It runs on the UI goroutine.
func (s *Shell) noticesUpdated() {
	if n := s.navs[TabServices]; n.Current() == ScreenServices {
		n.Refresh()
	}
}
