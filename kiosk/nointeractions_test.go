package kiosk

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"civicdesk/app/i18n"
	"civicdesk/app/store"
	"civicdesk/app/ui"
)

// With a backend that takes no interactions (Open311) the kiosk offers no
// rating or feedback anywhere, and its queue numbers are issued, shown and
// printed but never queued for sending.
func TestNoInteractions(t *testing.T) {
	r := newRigWith(t, Config{KioskPrefix: "1", HallCode: "gulou", NoInteractions: true})
	h := r.k.sess.home
	if h.rate != nil {
		t.Fatal("the home screen built a rating tile")
	}
	r.lacks(t, "服务评价")
	r.lacks(t, "评价服务，或投诉、建议、咨询")
	r.shows(t, "选择办理业务，领取排队号")
	// Three tiles: the last one (queue numbers) takes the whole width, so
	// no empty cell is left where the rating tile was.
	if a, s, q := h.apply.Size().Width, h.status.Size().Width, h.queue.Size().Width; q < a+s {
		t.Errorf("queue tile %.0f wide, apply %.0f, status %.0f: want it as wide as both", q, a, s)
	}
	if r.d.Rate != nil {
		t.Fatal("Deps.Rate is set: the receipt would offer a rating")
	}

	// The entry points do nothing if called anyway.
	for name, open := range map[string]func(){
		"OpenRate":     r.k.OpenRate,
		"RateService":  func() { r.k.RateService(ui.RateTarget{}) },
		"OpenFeedback": r.k.OpenFeedback,
	} {
		t.Run(name, func(t *testing.T) {
			r.k.Nav().Home()
			open()
			r.at(t, ScreenHome)
		})
	}

	// A number is still issued and shown, and nothing waits to be sent.
	triggers := r.fs.Triggers
	r.take(t, "综合受理")
	if r.bigNumber("A1-001") == nil {
		t.Fatal("no number shown")
	}
	if !r.qrShown("ticket-qr.png") {
		t.Fatal("no QR code on the ticket")
	}
	its, err := r.d.Store.PendingInteractions(10)
	if err != nil {
		t.Fatal(err)
	}
	if len(its) != 0 {
		t.Fatalf("%d interactions queued, want none: the backend never takes them", len(its))
	}
	if r.fs.Triggers != triggers {
		t.Errorf("a sync was asked for after the ticket")
	}
	// The next number follows on.
	tk, err := r.k.TakeNumber(DefaultCounters[0])
	if err != nil || tk.Number != "A1-002" {
		t.Fatalf("next number %q, %v; want A1-002", tk.Number, err)
	}

	// The receipt of an application offers no rating.
	app, err := r.d.Store.Submit(store.NewApplication{Service: "medical_insurance_enrolment", ServiceVersion: 1, Values: sample})
	if err != nil {
		t.Fatal(err)
	}
	r.k.ShowReceipt(app)
	r.at(t, ScreenReceipt)
	r.shows(t, "申请已保存")
	r.lacks(t, "评价本次服务")

	// The English home has no rating tile either.
	r.k.Nav().Home()
	r.k.SetLang(i18n.En)
	r.shows(t, "Take a queue number")
	if r.k.sess.home.rate != nil {
		t.Fatal("the rebuilt home screen has a rating tile")
	}
}

// Without the flag, the default, the rating tile and the receipt's rating
// are there (the other tests cover what they do).
func TestInteractionsOfferedByDefault(t *testing.T) {
	r := newRigWith(t, Config{KioskPrefix: "1"})
	if r.k.sess.home.rate == nil || r.d.Rate == nil {
		t.Fatal("no rating tile or no Deps.Rate by default")
	}
	test.Tap(r.k.sess.home.rate)
	r.at(t, ScreenRateChoice)
}
