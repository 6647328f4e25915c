package kiosk

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/ui"
	"civicdesk/sync/engine"
)

// diagView is the sync diagnostics screen for staff.
type diagView struct {
	k       *Kiosk
	values  map[string]binding.String // row id -> value
	syncNow *widget.Button
	refresh *widget.Button
	msg     binding.String
}

// The diagnostics rows, in order: key and label message id.
var diagRows = []struct{ key, label string }{
	{"state", "kiosk.diag.state"},
	{"pending", "kiosk.diag.pending"},
	{"oldest", "kiosk.diag.oldest"},
	{"interactions", "kiosk.diag.interactions"},
	{"last_sync", "kiosk.diag.last_sync"},
	{"last_attempt", "kiosk.diag.last_attempt"},
	{"last_error", "kiosk.diag.last_error"},
	{"next", "kiosk.diag.next"},
}

// engineStateText names the engine's connectivity.
func engineStateText(k *Kiosk, s engine.State) string {
	switch s {
	case engine.Online:
		return k.t("kiosk.diag.online")
	case engine.Syncing:
		return k.t("kiosk.diag.syncing")
	}
	return k.t("kiosk.diag.offline")
}

func (k *Kiosk) diagScreen() ui.Screen {
	return ui.Screen{Name: ScreenStaffSync, Build: func() fyne.CanvasObject {
		v := &diagView{k: k, values: map[string]binding.String{}, msg: binding.NewString()}
		k.sess.diag = v
		title := widget.NewLabel(k.t("kiosk.staff.sync"))
		title.SizeName = theme.SizeNameHeadingText
		title.TextStyle.Bold = true
		form := widget.NewForm()
		for _, row := range diagRows {
			b := binding.NewString()
			v.values[row.key] = b
			val := widget.NewLabelWithData(b)
			val.Wrapping = fyne.TextWrapWord
			form.Append(k.t(row.label), val)
		}
		v.syncNow = widget.NewButtonWithIcon(k.t("kiosk.diag.sync_now"), theme.UploadIcon(), v.triggerSync)
		v.syncNow.Importance = widget.HighImportance
		v.refresh = widget.NewButtonWithIcon(k.t("kiosk.refresh"), theme.ViewRefreshIcon(), func() {
			k.Activity()
			v.msg.Set("")
			v.update()
		})
		back := widget.NewButtonWithIcon(k.t("kiosk.back"), theme.NavigateBackIcon(), k.back)
		msg := widget.NewLabelWithData(v.msg)
		v.update()
		return container.NewVScroll(container.NewPadded(container.NewVBox(
			container.NewBorder(nil, nil, back, nil, title), form, msg,
			container.NewGridWithColumns(2, v.refresh, v.syncNow))))
	}}
}

// triggerSync is "Sync now".
func (v *diagView) triggerSync() {
	v.k.Activity()
	v.k.d.Sync.Trigger()
	v.msg.Set(v.k.t("kiosk.diag.sync_requested"))
	v.update()
}

// Value is what a diagnostics row shows now (for tests).
func (v *diagView) Value(row string) string {
	s, _ := v.values[row].Get()
	return s
}

func (v *diagView) update() {
	k := v.k
	st := k.d.Sync.Status()
	set := func(row, s string) { v.values[row].Set(s) }
	set("state", engineStateText(k, st.State))
	set("pending", k.t("kiosk.diag.pending_value", "N", st.Pending, "Size", byteSize(st.PendingBytes)))
	set("oldest", v.when(st.OldestPending, "kiosk.diag.none"))
	if st.PendingInteractions == 0 {
		set("interactions", k.t("kiosk.diag.none"))
	} else {
		set("interactions", k.t("kiosk.diag.interactions_value", "N", st.PendingInteractions, "Since", v.when(st.OldestInteraction, "kiosk.diag.none")))
	}
	set("last_sync", v.when(st.LastSuccess, "kiosk.diag.never"))
	set("last_attempt", v.when(st.LastAttempt, "kiosk.diag.never"))
	if st.LastError == "" {
		set("last_error", k.t("kiosk.diag.none"))
	} else {
		set("last_error", st.LastError)
	}
	next := v.when(st.NextAttempt, "kiosk.diag.not_scheduled")
	if st.State == engine.Syncing {
		next = k.t("kiosk.diag.syncing")
	}
	set("next", next)
}

// when formats a device time, or says zeroID's text for a zero time.
func (v *diagView) when(t time.Time, zeroID string) string {
	if t.IsZero() {
		return v.k.t(zeroID)
	}
	return t.Local().Format("2006-01-02 15:04:05")
}
