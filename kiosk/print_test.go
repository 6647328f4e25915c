package kiosk

import (
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/test"

	"civicdesk/app/i18n"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/app/ui"
	"civicdesk/app/ui/uitest"
)

// submit queues the sample application and shows its receipt.
func (r *rig) submit(t *testing.T) store.Application {
	t.Helper()
	app, err := r.d.Store.Submit(store.NewApplication{Service: "medical_insurance_enrolment", ServiceVersion: 1, Values: sample})
	if err != nil {
		t.Fatal(err)
	}
	r.k.submitted(app)
	r.at(t, ScreenReceipt)
	return app
}

func TestReceiptWithoutPrinter(t *testing.T) {
	r := newRigWith(t, Config{})
	r.submit(t)
	r.shows(t, "完成")
	r.lacks(t, "打印")
}

func TestReceiptPrinted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "receipts.bin")
	r := newRigWith(t, Config{Printer: path})
	r.submit(t)
	test.Tap(r.button(t, "打印回执"))
	r.k.bg.Wait()
	r.shows(t, "已打印")
	d := decodeFile(t, path)
	if len(d.Cuts) != 1 || d.Image == nil || d.Image.Bounds().Dx() != 576 {
		t.Fatalf("%d cuts, image %v; want one cut and an image 576 dots wide", len(d.Cuts), d.Image)
	}
	// The status survives a language switch, and a second print appends a second job.
	r.k.SetLang(i18n.En)
	r.shows(t, "Printed")
	test.Tap(r.button(t, "Print receipt"))
	r.k.bg.Wait()
	if d := decodeFile(t, path); len(d.Cuts) != 2 {
		t.Fatalf("%d cuts after printing twice", len(d.Cuts))
	}
}

func TestReceiptPrinterFails(t *testing.T) {
	r := newRigWith(t, Config{Printer: t.TempDir()})
	app := r.submit(t)
	test.Tap(r.button(t, "打印回执"))
	r.k.bg.Wait()
	r.shows(t, "打印机无响应：请记下屏幕上的编号，或向工作人员求助")
	r.shows(t, ui.LocalRef(app.ID)) // the receipt is still there
	r.lacks(t, "已打印")
}

func TestReceiptData(t *testing.T) {
	r := newRigWith(t, Config{})
	app, err := r.d.Store.Submit(store.NewApplication{Service: "medical_insurance_enrolment", ServiceVersion: 1, Values: sample})
	if err != nil {
		t.Fatal(err)
	}
	svc := r.service(t, "medical_insurance_enrolment")
	accepted := app
	accepted.Tracking, accepted.VerificationCode, accepted.State = "GL20261127-0001", "482913", lifecycle.Received
	refused := app
	refused.State = lifecycle.NeedsAttention
	tests := []struct {
		name                string
		app                 store.Application
		tracking, ref, code string
		qr                  string
	}{
		{"waiting to be sent", app, "", ui.LocalRef(app.ID), "", ui.RefLink(app.ID)},
		{"accepted", accepted, "GL20261127-0001", "", "482913", ui.TrackLink("GL20261127-0001", "482913")},
		{"needs attention", refused, "", ui.LocalRef(app.ID), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.k.receiptData(tt.app)
			if got.TrackingNo != tt.tracking || got.LocalRef != tt.ref || got.VerifyCode != tt.code || got.QRPayload != tt.qr {
				t.Fatalf("got tracking %q ref %q code %q qr %q", got.TrackingNo, got.LocalRef, got.VerifyCode, got.QRPayload)
			}
			if got.Service != svc.Name.In(i18n.Zh) || len(got.Materials) != len(svc.Materials) || got.Hall != DefaultHallName.In(i18n.Zh) {
				t.Fatalf("service %q, %d materials, hall %q", got.Service, len(got.Materials), got.Hall)
			}
			if !got.Time.Equal(uitest.Epoch) { // the store's clock when it was submitted
				t.Fatalf("time %v, want the submission time", got.Time)
			}
		})
	}
}
