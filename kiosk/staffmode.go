package kiosk

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/staff"
	"civicdesk/app/ui"
)

// MaxStaffIDLen bounds a staff id.
const MaxStaffIDLen = 32

// loginVM holds what the staff sign-in screen shows, so a language switch
// keeps it; the wipe drops it.
type loginVM struct {
	staffID binding.String
	pin     binding.String
	msg     binding.String
}

func newLoginVM() *loginVM {
	return &loginVM{staffID: binding.NewString(), pin: binding.NewString(), msg: binding.NewString()}
}

// loginView holds the sign-in widgets, for tests.
type loginView struct {
	staffID, pin *focusEntry
	keypad       *Keypad
	signIn       *widget.Button
	msg          *widget.Label
	box          fyne.CanvasObject
}

// focusEntry is an entry that tells when it gains the focus, so the
// keypad types where the user tapped.
type focusEntry struct {
	widget.Entry
	onFocus func()
}

func newFocusEntry(onFocus func()) *focusEntry {
	e := &focusEntry{onFocus: onFocus}
	e.ExtendBaseWidget(e)
	return e
}

// FocusGained implements fyne.Focusable.
func (e *focusEntry) FocusGained() {
	e.Entry.FocusGained()
	if e.onFocus != nil {
		e.onFocus()
	}
}

// OpenStaff is the bar's staff button: the sign-in screen, or the staff
// home when already signed in.
func (k *Kiosk) OpenStaff() {
	k.Activity()
	cur := k.nav.Current()
	if k.sess.staffID != "" {
		if cur != ScreenStaffHome {
			k.nav.Push(k.staffHomeScreen())
		}
		return
	}
	if cur != ScreenStaffLogin {
		k.nav.Push(ui.Screen{Name: ScreenStaffLogin, Build: func() fyne.CanvasObject { return k.buildLogin().obj() }})
	}
}

func (v *loginView) obj() fyne.CanvasObject { return v.box }

func (k *Kiosk) buildLogin() *loginView {
	vm := k.sess.login
	v := &loginView{}
	var idEntry, pinEntry *focusEntry
	idEntry = newFocusEntry(func() { v.keypad.SetTarget(&idEntry.Entry) })
	idEntry.Bind(vm.staffID)
	idEntry.SetPlaceHolder(k.t("kiosk.staff.staff_id"))
	pinEntry = newFocusEntry(func() { v.keypad.SetTarget(&pinEntry.Entry) })
	pinEntry.Password = true
	pinEntry.Bind(vm.pin)
	pinEntry.SetPlaceHolder(k.t("kiosk.staff.pin"))
	for _, e := range []*focusEntry{idEntry, pinEntry} {
		e.OnChanged = func(string) { k.Activity() }
	}
	idEntry.OnSubmitted = func(string) { k.signIn() }
	pinEntry.OnSubmitted = func(string) { k.signIn() }
	v.staffID, v.pin = idEntry, pinEntry
	target := &idEntry.Entry
	if s, _ := vm.staffID.Get(); s != "" {
		target = &pinEntry.Entry
	}
	v.keypad = newKeypad(target, false)
	v.keypad.SetLabels(k.t("kiosk.keypad.backspace"), k.t("kiosk.keypad.clear"))
	v.keypad.OnKey = k.Activity
	v.signIn = widget.NewButtonWithIcon(k.t("kiosk.staff.sign_in"), theme.LoginIcon(), k.signIn)
	v.signIn.Importance = widget.HighImportance
	cancel := widget.NewButton(k.t("kiosk.back"), k.back)
	v.msg = widget.NewLabelWithData(vm.msg)
	v.msg.Wrapping = fyne.TextWrapWord
	v.msg.Importance = widget.DangerImportance
	title := widget.NewLabel(k.t("kiosk.staff.login_title"))
	title.SizeName = theme.SizeNameHeadingText
	title.TextStyle.Bold = true
	form := widget.NewForm(
		widget.NewFormItem(k.t("kiosk.staff.staff_id"), idEntry),
		widget.NewFormItem(k.t("kiosk.staff.pin"), pinEntry),
	)
	v.box = container.NewVScroll(container.NewPadded(container.NewVBox(
		title, form, v.msg, v.keypad, container.NewGridWithColumns(2, cancel, v.signIn))))
	k.sess.loginView = v
	return v
}

// signIn is the sign-in button: it checks what was typed and says why
// staff mode stays closed.
func (k *Kiosk) signIn() {
	k.Activity()
	vm := k.sess.login
	id, _ := vm.staffID.Get()
	pin, _ := vm.pin.Get()
	vm.pin.Set("") // never kept after a try
	err := k.SignIn(id, pin)
	var wrong *staff.WrongPINError
	var locked *staff.LockedError
	switch {
	case err == nil:
	case errors.Is(err, ErrNoStaffID):
		vm.msg.Set(k.t("kiosk.staff.need_id"))
	case errors.Is(err, ErrBadStaffID):
		vm.msg.Set(k.t("kiosk.staff.bad_id", "Max", MaxStaffIDLen))
	case errors.As(err, &wrong):
		vm.msg.Set(k.t("kiosk.staff.wrong_pin", "N", wrong.TriesLeft))
	case errors.As(err, &locked):
		vm.msg.Set(k.t("kiosk.staff.locked", "Time", locked.Until.Format("15:04:05")))
	case errors.Is(err, staff.ErrNoPIN):
		vm.msg.Set(k.t("kiosk.staff.no_pin"))
	default:
		vm.msg.Set(k.t("kiosk.staff.check_failed"))
	}
}

// SignIn enters staff mode as staffID if pin is the staff PIN, and shows
// the staff home. Errors: ErrNoStaffID, ErrBadStaffID, or the guard's
// (staff.ErrWrongPIN, staff.ErrLocked, staff.ErrNoPIN, ...).
func (k *Kiosk) SignIn(staffID, pin string) error {
	staffID = strings.TrimSpace(staffID)
	if staffID == "" {
		return ErrNoStaffID
	}
	if !validStaffID(staffID) {
		return ErrBadStaffID
	}
	if err := k.cfg.Staff.Check(pin); err != nil {
		return err
	}
	k.sess.staffID = staffID
	k.sess.login = newLoginVM()
	if k.nav.Current() == ScreenStaffLogin {
		k.nav.Replace(k.staffHomeScreen())
	} else {
		k.nav.Push(k.staffHomeScreen())
	}
	return nil
}

// validStaffID: letters, digits and '-', at most MaxStaffIDLen.
func validStaffID(id string) bool {
	if id == "" || len(id) > MaxStaffIDLen {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// LeaveStaff ends staff mode and returns home.
func (k *Kiosk) LeaveStaff() {
	k.Activity()
	k.sess.staffID = ""
	k.GoHome()
}

// staffHomeView holds the staff home widgets, for tests.
type staffHomeView struct {
	queue, diag, assisted, leave *widget.Button
}

func (k *Kiosk) staffHomeScreen() ui.Screen {
	return ui.Screen{Name: ScreenStaffHome, Build: func() fyne.CanvasObject {
		v := &staffHomeView{}
		title := widget.NewLabel(k.t("kiosk.staff.title"))
		title.SizeName = theme.SizeNameHeadingText
		title.TextStyle.Bold = true
		who := widget.NewLabel(k.t("kiosk.staff.signed_in", "ID", k.sess.staffID))
		v.queue = widget.NewButtonWithIcon(k.t("kiosk.staff.queue"), theme.ListIcon(), k.ShowStaffQueue)
		v.diag = widget.NewButtonWithIcon(k.t("kiosk.staff.sync"), theme.ViewRefreshIcon(), k.ShowSyncDiagnostics)
		v.assisted = widget.NewButtonWithIcon(k.t("kiosk.staff.assisted"), theme.DocumentCreateIcon(), k.StartApply)
		v.assisted.Importance = widget.HighImportance
		assistedHint := widget.NewLabel(k.t("kiosk.staff.assisted_hint"))
		assistedHint.Wrapping = fyne.TextWrapWord
		v.leave = widget.NewButtonWithIcon(k.t("kiosk.staff.leave"), theme.LogoutIcon(), k.LeaveStaff)
		v.leave.Importance = widget.WarningImportance
		k.sess.staffHome = v
		return container.NewVScroll(container.NewPadded(container.NewVBox(
			title, who, widget.NewSeparator(),
			v.queue, v.diag, v.assisted, assistedHint, widget.NewSeparator(), v.leave)))
	}}
}

// ShowStaffQueue opens the local queue (staff mode only).
func (k *Kiosk) ShowStaffQueue() {
	k.Activity()
	if k.sess.staffID != "" {
		k.nav.Push(k.queueScreen())
	}
}

// ShowSyncDiagnostics opens the sync diagnostics (staff mode only).
func (k *Kiosk) ShowSyncDiagnostics() {
	k.Activity()
	if k.sess.staffID != "" {
		k.nav.Push(k.diagScreen())
	}
}
