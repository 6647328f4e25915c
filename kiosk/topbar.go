package kiosk

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/i18n"
)

// topBar is on every screen: home, language, large text, high contrast,
// the sync indicator and a discreet staff entry.
type topBar struct {
	k        *Kiosk
	home     *widget.Button
	lang     *widget.Button
	large    *widget.Button
	contrast *widget.Button
	staff    *widget.Button
	row      *fyne.Container
	obj      fyne.CanvasObject
}

func newTopBar(k *Kiosk) *topBar {
	b := &topBar{k: k}
	b.home = widget.NewButtonWithIcon("", theme.HomeIcon(), k.confirmHome)
	b.lang = widget.NewButton("", k.toggleLang)
	b.large = widget.NewButton("", func() { k.SetLargeText(!k.th.LargeText) })
	b.contrast = widget.NewButton("", func() { k.SetHighContrast(!k.th.HighContrast) })
	b.staff = widget.NewButtonWithIcon("", theme.AccountIcon(), k.OpenStaff)
	b.staff.Importance = widget.LowImportance
	b.row = container.NewHBox(b.home, b.lang, b.large, b.contrast, layout.NewSpacer(), k.syncInd.Object(), b.staff)
	b.obj = container.NewVBox(b.row, widget.NewSeparator())
	b.relabel()
	return b
}

// relabel writes the bar's labels in the current language and state.
func (b *topBar) relabel() {
	if b == nil {
		return
	}
	k := b.k
	b.home.SetText(k.t("kiosk.bar.home"))
	if k.d.Loc.Lang() == i18n.En {
		b.lang.SetText(k.t("kiosk.bar.lang_zh"))
	} else {
		b.lang.SetText(k.t("kiosk.bar.lang_en"))
	}
	b.large.SetText(k.t("kiosk.bar.large_text"))
	b.contrast.SetText(k.t("kiosk.bar.high_contrast"))
	setOn(b.large, k.th.LargeText)
	setOn(b.contrast, k.th.HighContrast)
	if id := k.sess.staffID; id != "" {
		b.staff.SetText(k.t("kiosk.bar.staff_active", "ID", id))
		b.staff.Importance = widget.WarningImportance
	} else {
		b.staff.SetText(k.t("kiosk.bar.staff"))
		b.staff.Importance = widget.LowImportance
	}
	b.staff.Refresh()
	b.row.Refresh() // the labels' widths changed: lay the row out again
}

// setOn shows a toggle button's state.
func setOn(btn *widget.Button, on bool) {
	imp := widget.MediumImportance
	if on {
		imp = widget.HighImportance
	}
	if btn.Importance != imp {
		btn.Importance = imp
		btn.Refresh()
	}
}
