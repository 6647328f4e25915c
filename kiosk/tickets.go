package kiosk

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/escpos"
	"civicdesk/app/tickets"
	"civicdesk/app/ui"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

// "Take a queue number": the resident picks a counter category, the
// kiosk issues the next number offline (app/tickets), shows it very large
// with a QR code and prints it when a printer is configured.

// Screen names of the queue-number journey.
const (
	ScreenTicketPick = "ticket.pick"
	ScreenTicket     = "ticket"
)

// Queue-number screen sizes, in multiples of theme sizes.
const (
	// numberScale is the queue number's size in heading-text heights:
	// readable from across the waiting area.
	numberScale = 4
)

// TicketLink is what a queue ticket's QR code encodes.
func TicketLink(t tickets.Ticket) string {
	return "civicdesk://ticket?no=" + t.Number + "&id=" + t.ID
}

// ticketVM is one issued number as its screen shows it; it outlives
// rebuilds of the screen (a language or theme switch).
type ticketVM struct {
	ticket  tickets.Ticket
	counter Counter
	print   *printVM
}

// ticketsEnabled reports whether this kiosk issues queue numbers: it has a
// valid kiosk prefix.
func (k *Kiosk) ticketsEnabled() bool {
	if k.cfg.KioskPrefix == "" {
		return false
	}
	_, err := k.issuer()
	return err == nil
}

// issuer hands out this kiosk's numbers over the store, on the device
// clock and in its zone (the sequences live in the store, so a fresh
// issuer continues them).
func (k *Kiosk) issuer() (*tickets.Issuer, error) {
	now := k.d.Now
	if now == nil {
		now = k.cfg.Clock.Now
	}
	return tickets.New(k.d.Store, k.cfg.HallCode, k.cfg.KioskPrefix, now().Location(), now)
}

// OpenTickets shows the choice of counter category.
func (k *Kiosk) OpenTickets() {
	k.Activity()
	k.nav.Push(ui.Screen{Name: ScreenTicketPick, Build: k.buildTicketPick})
}

func (k *Kiosk) buildTicketPick() fyne.CanvasObject {
	lang := k.d.Loc.Lang()
	title := ui.Heading(k.t("kiosk.ticket.pick"))
	hint := ui.Paragraph(k.t("kiosk.ticket.pick_hint"))
	grid := container.NewGridWithColumns(2)
	for _, c := range k.cfg.Counters {
		b := widget.NewButton(c.Name.In(lang), func() { _, _ = k.TakeNumber(c) })
		b.Importance = widget.HighImportance
		grid.Add(tile(b, k.t("kiosk.ticket.category", "Letter", c.Category)))
	}
	back := widget.NewButtonWithIcon(k.t("kiosk.back"), theme.NavigateBackIcon(), k.back)
	return container.NewBorder(container.NewPadded(container.NewVBox(title, hint)), container.NewPadded(back), nil, nil,
		container.NewVScroll(container.NewPadded(grid)))
}

// TakeNumber issues the next number of counter c, records it for the
// central API (unless Config.NoInteractions) and shows it in place of the counter choice; it prints the
// ticket when a printer is configured. On an error (wrapping
// tickets.ErrConfig, or the store's) the resident is told to ask the staff.
func (k *Kiosk) TakeNumber(c Counter) (tickets.Ticket, error) {
	k.Activity()
	is, err := k.issuer()
	var t tickets.Ticket
	if err == nil {
		t, err = is.Issue(c.Category)
	}
	if err != nil {
		k.showError(k.t("kiosk.ticket.failed_title"), k.t("kiosk.ticket.failed"))
		return tickets.Ticket{}, err
	}
	k.recordTicket(t)
	vm := &ticketVM{ticket: t, counter: c, print: &printVM{failed: "kiosk.print.ticket_failed"}}
	if k.cfg.Printer == "" {
		vm.print.state = printNoPrinter
	}
	scr := ui.Screen{Name: ScreenTicket, Build: func() fyne.CanvasObject { return k.buildTicket(vm) }}
	if k.nav.Current() == ScreenTicketPick {
		k.nav.Replace(scr) // Back must not offer a second number
	} else {
		k.nav.Push(scr)
	}
	if k.cfg.Printer != "" {
		k.startPrint(vm.print, k.ticketDoc(vm))
	}
	return t, nil
}

// recordTicket queues t for the central API, which records the hall's
// numbers (engine.QueueInteraction; the sync engine sends it). The number
// is valid whatever happens here (its sequence is already saved), so a
// failure is logged (a ticket holds no personal data) and does not keep
// it from the resident. With Config.NoInteractions nothing is queued: the
// backend would never take it.
func (k *Kiosk) recordTicket(t tickets.Ticket) {
	if k.cfg.NoInteractions {
		return
	}
	_, err := engine.QueueInteraction(k.d.Store, TicketInteraction(t))
	if err != nil {
		k.cfg.Logger.Warn("kiosk: queue ticket for sync", "ticket", t.ID, "number", t.Number, "err", err)
		return
	}
	k.d.Sync.Trigger()
}

// TicketInteraction is the interaction that reports an issued ticket to
// the central API; its id is the ticket's.
func TicketInteraction(t tickets.Ticket) wire.Interaction {
	return wire.Interaction{ID: t.ID, Kind: wire.KindTicket, Hall: t.Hall, CreatedAt: t.IssuedAt,
		Ticket: &wire.Ticket{Kiosk: t.Kiosk, Category: t.Category, Day: t.Day, Seq: t.Seq, Number: t.Number}}
}

func (k *Kiosk) buildTicket(vm *ticketVM) fyne.CanvasObject {
	t := vm.ticket
	title := ui.Heading(k.t("kiosk.ticket.yours"))
	title.Alignment = fyne.TextAlignCenter
	counter := ui.Subheading(vm.counter.Name.In(k.d.Loc.Lang()))
	counter.Alignment = fyne.TextAlignCenter
	number := canvas.NewText(t.Number, theme.Color(theme.ColorNameForeground))
	number.TextSize = numberScale * theme.Size(theme.SizeNameHeadingText)
	number.TextStyle.Bold = true
	number.Alignment = fyne.TextAlignCenter
	body := container.NewVBox(title, counter, number)
	if img := ui.QRImage("ticket-qr.png", TicketLink(t)); img != nil {
		body.Add(container.NewCenter(img))
	}
	at := widget.NewLabel(k.t("kiosk.ticket.time", "Time", k.d.LocalTime(t.IssuedAt)))
	at.Alignment = fyne.TextAlignCenter
	listen := ui.Paragraph(k.t("kiosk.ticket.listen"))
	listen.Alignment = fyne.TextAlignCenter
	body.Add(at)
	body.Add(k.printLabel(vm.print))
	body.Add(listen)
	done := widget.NewButtonWithIcon(k.t("kiosk.ticket.done"), theme.ConfirmIcon(), func() {
		k.Activity()
		k.GoHome()
	})
	done.Importance = widget.HighImportance
	return container.NewBorder(nil, container.NewPadded(done), nil, nil,
		container.NewVScroll(container.NewPadded(body)))
}

// ticketDoc is the printed ticket, in the current language. It says nothing
// about how many people wait: an offline kiosk cannot know.
func (k *Kiosk) ticketDoc(vm *ticketVM) *escpos.Doc {
	lang := k.d.Loc.Lang()
	t := vm.ticket
	return escpos.NewDoc().
		Title(k.cfg.HallName.In(lang)).
		Text(vm.counter.Name.In(lang)).
		Rule().
		Text(k.t("kiosk.ticket.heading")).
		Big(t.Number).
		Text(k.t("kiosk.ticket.time", "Time", k.d.LocalTime(t.IssuedAt))).
		Rule().
		QR(TicketLink(t)).
		Text(k.t("kiosk.ticket.listen")).
		Feed(1)
}
