package ui

import (
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

// Receipt shows what a resident takes away after submitting: the tracking
// number, verification code and a QR code once the central API has the
// application; before that a local reference, "saved on this kiosk, it
// will be sent automatically" and a QR code that works once it is sent.
// It follows the engine and switches to the tracking number live.
type Receipt struct {
	d      *Deps
	id     string
	onDone func()

	box      *fyne.Container
	tracking binding.String // safe to read from any goroutine
	state    binding.String
	cancel   func()
	once     sync.Once
}

// LocalRef is the short reference of an application not yet sent: the
// first 8 characters of its id, upper case.
func LocalRef(id string) string {
	return strings.ToUpper(id[:min(8, len(id))])
}

// RefLink is the QR content of a receipt not yet sent; the status screen
// finds the application with it (on this device at once, anywhere once sent).
func RefLink(id string) string { return "civicdesk://track?ref=" + id }

// NewReceipt reads the application from the store and follows the engine
// until Close.
func NewReceipt(d *Deps, id string, onDone func()) *Receipt {
	r := &Receipt{d: d, id: id, onDone: onDone, box: container.NewStack(),
		tracking: binding.NewString(), state: binding.NewString()}
	events, cancel := d.Sync.Subscribe(8)
	r.cancel = cancel
	app, err := d.Store.Get(id)
	r.show(app, err)
	go r.follow(events)
	return r
}

// Object is the receipt screen.
func (r *Receipt) Object() fyne.CanvasObject { return r.box }

// Tracking is the tracking number shown ("" while the application waits to be sent).
func (r *Receipt) Tracking() string {
	t, _ := r.tracking.Get()
	return t
}

// State is the application's state as shown ("" when it cannot be read).
func (r *Receipt) State() lifecycle.Status {
	s, _ := r.state.Get()
	return lifecycle.Status(s)
}

// Close stops following the engine (call it when the receipt leaves the screen).
func (r *Receipt) Close() { r.once.Do(r.cancel) }

func (r *Receipt) follow(events <-chan engine.Event) {
	for ev := range events {
		mine := ev.ID == r.id && (ev.Kind == engine.Accepted || ev.Kind == engine.Refused ||
			ev.Kind == engine.Conflict || ev.Kind == engine.ApplicationUpdated)
		if !mine && ev.Dropped == 0 {
			continue
		}
		app, err := r.d.Store.Get(r.id)
		fyne.Do(func() { r.show(app, err) })
	}
}

// show renders app; the bindings are set last, so a reader that sees them
// change also sees the widgets they belong to.
func (r *Receipt) show(app store.Application, err error) {
	d, l := r.d, r.d.Loc
	done := widget.NewButton(l.T("ui.receipt.done"), func() { d.Touched(); r.onDone() })
	done.Importance = widget.HighImportance
	body := container.NewVBox()
	var top fyne.CanvasObject
	switch {
	case err != nil:
		top = Heading(l.T("ui.receipt.missing"))
		body.Add(Paragraph(l.T("ui.receipt.missing_help")))
	case app.Tracking != "":
		top = Heading(l.T("ui.receipt.accepted"))
		body.Add(Strong(l.T("ui.receipt.tracking")))
		body.Add(Heading(app.Tracking))
		body.Add(Strong(l.T("ui.receipt.code")))
		body.Add(Heading(app.VerificationCode))
		track := d.TrackURL
		if track == nil {
			track = TrackLink
		}
		if img := QRImage("receipt-qr.png", track(app.Tracking, app.VerificationCode)); img != nil {
			body.Add(container.NewCenter(img))
		}
		body.Add(Caption(l.T("ui.receipt.accepted_help")))
	case app.State == lifecycle.NeedsAttention || app.State == lifecycle.Conflict:
		top = Heading(l.T("ui.receipt.attention"))
		body.Add(Strong(l.T("ui.receipt.ref")))
		body.Add(Heading(LocalRef(app.ID)))
		body.Add(Paragraph(l.T("ui.receipt.attention_help")))
	default:
		top = Heading(l.T("ui.receipt.saved"))
		body.Add(Strong(l.T("ui.receipt.ref")))
		body.Add(Heading(LocalRef(app.ID)))
		body.Add(Paragraph(l.T("ui.receipt.saved_help")))
		if img := QRImage("receipt-ref-qr.png", RefLink(app.ID)); img != nil {
			body.Add(container.NewCenter(img))
		}
		body.Add(Caption(l.T("ui.receipt.saved_qr")))
	}
	if err == nil {
		if svc, ok := d.Catalog().Service(app.Service); ok {
			body.Add(widget.NewSeparator())
			body.Add(Subheading(l.Text(svc.Name)))
			var items []string
			for _, m := range svc.Materials {
				items = append(items, l.Text(m))
			}
			if len(items) > 0 {
				body.Add(Strong(l.T("ui.receipt.bring")))
				body.Add(bullets(items))
			}
			if svc.InPerson {
				visit := l.T("ui.receipt.visit")
				if note := l.Text(svc.InPersonNote); note != "" {
					visit += " " + note
				}
				body.Add(Paragraph(visit))
			}
		}
	}
	buttons := []fyne.CanvasObject{done}
	if d.Rate != nil && err == nil {
		target := RateTarget{Application: app.ID, Service: app.Service}
		rate := widget.NewButtonWithIcon(l.T("ui.receipt.rate"), FaceIcon(wire.RatingVerySatisfied), func() {
			d.Touched()
			d.Rate(target)
		})
		buttons = []fyne.CanvasObject{rate, done}
	}
	r.box.Objects = []fyne.CanvasObject{screen(container.NewPadded(top), body, buttonBar(buttons...))}
	r.box.Refresh()
	_ = r.tracking.Set(app.Tracking)
	_ = r.state.Set(string(app.State))
}
