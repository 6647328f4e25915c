package kiosk

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/catalog"
	"civicdesk/app/handoff"
	"civicdesk/app/store"
	"civicdesk/app/ui"
)

// The resident's journeys through the shared screens of app/ui:
// apply (catalog -> detail -> wizard -> review -> receipt) and status.

// StartApply opens the catalog. In staff mode this is an assisted
// application: the staff id is recorded on the submission.
func (k *Kiosk) StartApply() {
	k.Activity()
	k.nav.Push(ui.Screen{Name: ScreenCatalog, Build: func() fyne.CanvasObject {
		return ui.CatalogScreen(k.d, k.sess.catalogVM, k.PickService)
	}})
}

func (k *Kiosk) PickService(svc *catalog.Service) {
	k.Activity()
	k.nav.Push(ui.Screen{Name: ScreenDetail, Build: func() fyne.CanvasObject {
		return ui.DetailScreen(k.d, svc, func() { k.BeginForm(svc) }, k.back)
	}})
}

func (k *Kiosk) back() {
	k.Activity()
	k.nav.Back()
}

// BeginForm creates the draft and shows the form wizard.
func (k *Kiosk) BeginForm(svc *catalog.Service) {
	k.Activity()
	k.discardApplication() // one draft per session at most
	vm, err := ui.NewApplyVM(k.d, svc, k.sess.staffID)
	if err != nil {
		k.showError(k.t("kiosk.apply.failed_title"), k.t("kiosk.apply.failed"))
		return
	}
	k.sess.apply = vm
	k.nav.Push(ui.Screen{Name: ScreenWizard, Build: func() fyne.CanvasObject {
		w := ui.NewWizard(k.d, vm, ui.WizardOptions{
			OnCancel: func() { k.cancelForm(vm) },
			OnReview: func() { k.review(vm) },
		})
		k.sess.wizard = w
		return w.Object()
	}})
}

// cancelForm deletes the draft and returns to the service detail.
func (k *Kiosk) cancelForm(vm *ui.ApplyVM) {
	k.Activity()
	if k.sess.apply == vm {
		k.discardApplication()
	}
	k.nav.Back()
}

func (k *Kiosk) review(vm *ui.ApplyVM) {
	k.Activity()
	k.nav.Push(ui.Screen{Name: ScreenReview, Build: func() fyne.CanvasObject {
		return ui.ReviewScreen(k.d, vm, k.submitted, k.back)
	}})
}

// submitted: the application is queued (kept whatever happens to the
// session); the receipt replaces the journey, so Back cannot return to it.
func (k *Kiosk) submitted(app store.Application) {
	k.Activity()
	if vm := k.sess.apply; vm != nil {
		discard(vm) // submitted: only the memory of the answers goes
	}
	k.sess.apply, k.sess.wizard = nil, nil
	id := app.ID
	printing := &printVM{}
	k.nav.Home()
	k.nav.Push(ui.Screen{Name: ScreenReceipt, Build: func() fyne.CanvasObject {
		if k.sess.receipt != nil {
			k.sess.receipt.Close()
		}
		k.sess.receipt = ui.NewReceipt(k.d, id, k.GoHome)
		return k.withReceiptPrint(k.sess.receipt.Object(), id, printing)
	}})
}

// Keypad is the on-screen keypad for the shared screens' numeric fields
// (ui.Deps.Keypad): labelled in the current language, its taps
// count as activity.
func (k *Kiosk) Keypad(target *widget.Entry, allowX bool) fyne.CanvasObject {
	p := newKeypad(target, allowX)
	p.SetLabels(k.t("kiosk.keypad.backspace"), k.t("kiosk.keypad.clear"))
	p.OnKey = k.Activity
	return p
}

// OpenStatus shows the status lookup.
func (k *Kiosk) OpenStatus() {
	k.Activity()
	k.nav.Push(k.statusScreen())
}

func (k *Kiosk) statusScreen() ui.Screen {
	return ui.Screen{Name: ScreenStatus, Build: func() fyne.CanvasObject {
		return ui.StatusScreen(k.d, k.sess.statusVM, k.back)
	}}
}

// onScan handles a code read by the barcode scanner at the window canvas.
// On the status screen it goes to the status view-model, which looks a
// tracking link up at once (a bare tracking number waits for its code);
// on the home screen it opens the status screen first. Elsewhere (a form)
// it is ignored: typing into a field never reaches the canvas anyway.
// A hand-off code from a resident's phone is queued (see handoff.go),
// also on the staff home (an assisted hand-off at the counter).
func (k *Kiosk) onScan(code string) {
	if cur := k.nav.Current(); handoff.IsCode(code) && (cur == ScreenHome || cur == ScreenStatus || cur == ScreenStaffHome) {
		k.scanHandoff(code)
		return
	}
	switch k.nav.Current() {
	case ScreenStatus:
	case ScreenHome:
		k.nav.Push(k.statusScreen())
	default:
		return
	}
	vm := k.sess.statusVM
	k.bg.Add(1)
	go func() { // the lookup may wait for the network: off the UI goroutine
		defer k.bg.Done()
		_ = vm.Scan(code) // the screen shows the outcome from the view-model
	}()
}

// discard forgets a view-model's answers and deletes its draft (after a
// submission only the memory goes). A failure to delete leaves the draft
// encrypted in the store; the session is wiped regardless.
func discard(vm *ui.ApplyVM) { _ = vm.Discard() }

// showError shows a message in a dialog (closed by the wipe like any).
func (k *Kiosk) showError(title, msg string) {
	if k.win == nil {
		return
	}
	dialog.NewInformation(title, msg, k.win).Show()
}
