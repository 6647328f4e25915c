package kiosk

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

// cachedNotices are the hall's notices the engine cached that are current
// now; none when nothing is cached or the cache cannot be read (the home
// screen never fails for a notice).
func (k *Kiosk) cachedNotices() []wire.Notice {
	if k.d.Store == nil {
		return nil
	}
	list, err := engine.CachedNotices(k.d.Store, k.cfg.Clock.Now())
	if err != nil {
		return nil
	}
	return list
}

// noticesCard shows the static notices of the configuration, one line
// each, then the cached notices of the central API, title in bold over
// body, in lang; nil when there are none.
func (k *Kiosk) noticesCard(lang string) fyne.CanvasObject {
	cached := k.cachedNotices()
	if len(k.cfg.Notices) == 0 && len(cached) == 0 {
		return nil
	}
	box := container.NewVBox()
	for _, n := range k.cfg.Notices {
		l := widget.NewLabelWithStyle(n.In(lang), fyne.TextAlignLeading, fyne.TextStyle{})
		l.Wrapping = fyne.TextWrapWord
		l.Importance = widget.WarningImportance
		box.Add(l)
	}
	for _, n := range cached {
		title := widget.NewLabelWithStyle(n.Title.In(lang), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		title.Wrapping = fyne.TextWrapWord
		box.Add(title)
		if body := n.Body.In(lang); body != "" {
			l := widget.NewLabel(body)
			l.Wrapping = fyne.TextWrapWord
			box.Add(l)
		}
	}
	return widget.NewCard("", "", box)
}

// followNotices redraws the home screen when the engine caches new
// notices. It returns the function that stops it.
func (k *Kiosk) followNotices() func() {
	events, cancel := k.d.Sync.Subscribe(8)
	go func() {
		for ev := range events {
			if ev.Kind == engine.NoticesUpdated || ev.Dropped > 0 {
				fyne.Do(k.noticesUpdated)
			}
		}
	}()
	return cancel
}

// noticesUpdated rebuilds the home screen if it is shown. It runs on the
// UI goroutine.
func (k *Kiosk) noticesUpdated() {
	if k.nav.Current() == ScreenHome {
		k.nav.Refresh()
	}
}
