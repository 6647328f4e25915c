package kiosk

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/ui"
)

// homeView holds the home screen's widgets, for tests; rate is nil when
// the tile is not shown (Config.NoInteractions).
type homeView struct {
	apply, status, queue, rate *widget.Button
	obj                        fyne.CanvasObject
}

func (k *Kiosk) homeScreen() ui.Screen {
	return ui.Screen{Name: ScreenHome, Build: func() fyne.CanvasObject {
		h := k.buildHome()
		k.sess.home = h
		return h.obj
	}}
}

func (k *Kiosk) buildHome() *homeView {
	h := &homeView{}
	lang := k.d.Loc.Lang()
	welcome := widget.NewLabel(k.t("kiosk.home.welcome"))
	welcome.SizeName = theme.SizeNameHeadingText
	welcome.TextStyle.Bold = true
	welcome.Alignment = fyne.TextAlignCenter
	welcome.Wrapping = fyne.TextWrapWord
	hall := widget.NewLabel(k.cfg.HallName.In(lang))
	hall.SizeName = theme.SizeNameSubHeadingText
	hall.Alignment = fyne.TextAlignCenter
	hall.Wrapping = fyne.TextWrapWord

	h.apply = widget.NewButtonWithIcon(k.t("kiosk.home.apply"), theme.DocumentCreateIcon(), k.StartApply)
	h.apply.Importance = widget.HighImportance
	h.status = widget.NewButtonWithIcon(k.t("kiosk.home.status"), theme.SearchIcon(), k.OpenStatus)
	h.status.Importance = widget.HighImportance
	queueHint := k.t("kiosk.home.coming_soon")
	if k.ticketsEnabled() {
		h.queue = widget.NewButtonWithIcon(k.t("kiosk.home.queue"), theme.ListIcon(), k.OpenTickets)
		h.queue.Importance = widget.HighImportance
		queueHint = k.t("kiosk.home.queue_hint")
	} else {
		h.queue = widget.NewButtonWithIcon(k.t("kiosk.home.queue"), theme.ListIcon(), nil)
		h.queue.Disable()
	}
	tiles := []fyne.CanvasObject{
		tile(h.apply, k.t("kiosk.home.apply_hint")),
		tile(h.status, k.t("kiosk.home.status_hint")),
		tile(h.queue, queueHint),
	}
	if !k.cfg.NoInteractions { // else no rating tile: the backend would never get them
		h.rate = widget.NewButtonWithIcon(k.t("kiosk.home.rate"), theme.ConfirmIcon(), k.OpenRate)
		h.rate.Importance = widget.HighImportance
		tiles = append(tiles, tile(h.rate, k.t("kiosk.home.rate_hint")))
	}
	scanHint := widget.NewLabel(k.t("kiosk.home.scan_hint"))
	scanHint.Alignment = fyne.TextAlignCenter
	scanHint.Wrapping = fyne.TextWrapWord
	scanHint.Importance = widget.LowImportance

	box := container.NewVBox(welcome, hall)
	if notices := k.noticesCard(lang); notices != nil {
		box.Add(notices)
	}
	// Tiles two by two; an odd last one takes the whole width.
	pairs := len(tiles) &^ 1
	box.Add(container.NewGridWithColumns(2, tiles[:pairs]...))
	if pairs < len(tiles) {
		box.Add(tiles[pairs])
	}
	box.Add(scanHint)
	h.obj = container.NewVScroll(container.NewPadded(box))
	return h
}

// tile is a home-screen button with a line beneath it.
func tile(btn *widget.Button, caption string) fyne.CanvasObject {
	c := widget.NewLabel(caption)
	c.Alignment = fyne.TextAlignCenter
	c.Truncation = fyne.TextTruncateEllipsis
	if btn.Disabled() {
		c.Importance = widget.LowImportance
	}
	// A tall, easy target: eight lines of text high, whatever the theme.
	space := canvas.NewRectangle(color.Transparent)
	space.SetMinSize(fyne.NewSize(0, 8*theme.TextSize()))
	return container.NewBorder(nil, c, nil, nil, container.NewStack(space, btn))
}
