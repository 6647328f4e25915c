package kiosk

import (
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/escpos"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/app/ui"
)

// Printing on the hall's thermal printer (Config.Printer). A job is laid
// out on the UI goroutine (it reads the localizer and the store), then
// rendered and sent off it; the screen says how it went and never waits
// for the printer.

// Print states of a printVM.
const (
	printNone      = ""          // nothing printed yet
	printNoPrinter = "noprinter" // no printer configured (queue tickets say "note your number")
	printBusy      = "printing"
	printDone      = "printed"
	printFailed    = "failed"
)

// printVM is what a screen shows about its printout; it outlives
// rebuilds of the screen (a language switch). Its fields belong to the UI
// goroutine.
type printVM struct {
	state  string
	failed string // message id shown when the printer fails
	label  *widget.Label
}

// printLabel is the status line of vm for a screen being built.
func (k *Kiosk) printLabel(vm *printVM) *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	l.Alignment = fyne.TextAlignCenter
	vm.label = l
	k.showPrint(vm)
	return l
}

// showPrint updates the status line of the screen last built.
func (k *Kiosk) showPrint(vm *printVM) {
	l := vm.label
	if l == nil {
		return
	}
	l.Importance = widget.MediumImportance
	l.TextStyle.Bold = false
	switch vm.state {
	case printNone:
		l.Text = ""
	case printNoPrinter:
		l.Text = k.t("kiosk.ticket.note")
		l.TextStyle.Bold = true
	case printBusy:
		l.Text = k.t("kiosk.print.printing")
	case printDone:
		l.Text = k.t("kiosk.print.printed")
		l.Importance = widget.SuccessImportance
	case printFailed:
		l.Text = k.t(vm.failed)
		l.Importance = widget.WarningImportance
		l.TextStyle.Bold = true
	}
	if l.Text == "" {
		l.Hide()
	} else {
		l.Show()
	}
	l.Refresh()
}

// startPrint prints doc off the UI goroutine and reports the outcome in vm.
// A job already printing is not doubled.
func (k *Kiosk) startPrint(vm *printVM, doc *escpos.Doc) {
	if vm.state == printBusy {
		return
	}
	vm.state = printBusy
	k.showPrint(vm)
	k.bg.Add(1)
	go func() {
		defer k.bg.Done()
		err := k.printDoc(doc)
		fyne.Do(func() {
			vm.state = printDone
			if err != nil {
				vm.state = printFailed
			}
			k.showPrint(vm)
		})
	}()
}

// printDoc renders doc for the configured paper and sends it to the
// printer (opened for each job: it may have been unplugged meanwhile).
func (k *Kiosk) printDoc(doc *escpos.Doc) error {
	p, err := escpos.Open(k.cfg.Printer)
	if err != nil {
		return err
	}
	img, err := doc.Render(k.cfg.Paper)
	if err != nil {
		return err
	}
	return p.Print(escpos.Encode(img))
}

// PrinterState is the printer's health for the device heartbeat: "" when
// no printer is configured, "ok", or "error: <reason>" (the reason names
// the kind of fault, never a path or anything a resident entered). It
// probes the printer, so call it off the UI goroutine; it is safe from any.
func (k *Kiosk) PrinterState() string {
	if k.cfg.Printer == "" {
		return ""
	}
	if _, err := escpos.Open(k.cfg.Printer); err != nil {
		return "error: " + printerReason(err)
	}
	if _, err := escpos.DefaultFonts(); err != nil {
		return "error: " + printerReason(err)
	}
	return "ok"
}

// printerReason names the kind of printer fault (the sentinel's text).
func printerReason(err error) string {
	for _, e := range []error{escpos.ErrNoPrinter, escpos.ErrNotPrinter, escpos.ErrPrinterDenied,
		escpos.ErrPrinterBusy, escpos.ErrWrite, escpos.ErrNoFont, escpos.ErrBadFont, escpos.ErrBadPaper} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return escpos.ErrPrinterBusy.Error()
}

// withReceiptPrint adds "Print receipt" under the receipt of application
// id when a printer is configured; without one the receipt is unchanged.
func (k *Kiosk) withReceiptPrint(receipt fyne.CanvasObject, id string, vm *printVM) fyne.CanvasObject {
	if k.cfg.Printer == "" {
		return receipt
	}
	btn := widget.NewButtonWithIcon(k.t("kiosk.print.receipt"), theme.DocumentPrintIcon(), func() {
		k.Activity()
		k.printReceipt(id, vm)
	})
	bar := container.NewPadded(container.NewVBox(k.printLabel(vm), btn))
	return container.NewBorder(nil, bar, nil, nil, receipt)
}

// printReceipt prints the receipt of application id as the screen shows it.
func (k *Kiosk) printReceipt(id string, vm *printVM) {
	vm.failed = "kiosk.print.receipt_failed"
	app, err := k.d.Store.Get(id)
	if err != nil {
		vm.state = printFailed
		k.showPrint(vm)
		return
	}
	k.startPrint(vm, escpos.ReceiptDoc(k.receiptData(app), k.d.Loc.Lang()))
}

// receiptData is what the printed receipt shows: the same numbers and QR
// code as the receipt on screen (ui.Receipt).
func (k *Kiosk) receiptData(app store.Application) escpos.ReceiptData {
	lang := k.d.Loc.Lang()
	r := escpos.ReceiptData{Hall: k.cfg.HallName.In(lang), Time: submittedAt(app)}
	switch {
	case app.Tracking != "":
		r.TrackingNo, r.VerifyCode = app.Tracking, app.VerificationCode
		track := k.d.TrackURL
		if track == nil {
			track = ui.TrackLink
		}
		r.QRPayload = track(app.Tracking, app.VerificationCode)
	case app.State == lifecycle.NeedsAttention || app.State == lifecycle.Conflict:
		r.LocalRef = ui.LocalRef(app.ID) // the screen shows no QR code either
	default:
		r.LocalRef = ui.LocalRef(app.ID)
		r.QRPayload = ui.RefLink(app.ID)
	}
	if svc, ok := k.d.Catalog().Service(app.Service); ok {
		r.Service = k.d.Loc.Text(svc.Name)
		for _, m := range svc.Materials {
			r.Materials = append(r.Materials, k.d.Loc.Text(m))
		}
	}
	return r
}

// submittedAt is when the application was submitted on this device (its
// first move to the queue), else when it was created.
func submittedAt(app store.Application) time.Time {
	for _, tr := range app.History {
		if tr.To == lifecycle.Queued {
			return tr.At
		}
	}
	return app.CreatedAt
}
