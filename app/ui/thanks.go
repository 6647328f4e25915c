package ui

import (
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/store"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

// Thanks thanks the resident for a queued rating or feedback and follows
// it through the sync engine while it is shown: "saved, it will be sent
// automatically" until the central API has it, then its reference; a
// refusal says so. It tells whether the hall will follow it up.
//
// It listens to the engine from NewThanks until Close: the shell that
// shows it closes it when the screen is left (the kiosk does so from the
// Navigator's OnChange). Events are applied on the UI goroutine with
// fyne.Do; tests may call Apply directly. What is shown (State, Reference)
// is kept in bindings, set after the widgets they describe, so a reader on
// another goroutine that sees them change sees the screen too.
type Thanks struct {
	d      *Deps
	id     string // the interaction's, fixed: read by the listening goroutine
	finish func()
	box    *fyne.Container
	lang   string // the language of the widgets shown

	// The interaction as the screen got it: its body is decoded once, as a
	// kiosk purges the stored body when the central API accepts it.
	it     store.Interaction
	in     wire.Interaction
	decErr error

	state binding.String // the store.InteractionState shown
	ref   binding.String // the reference shown ("" before the acceptance)

	cancel func()
	once   sync.Once
	mu     sync.Mutex
	closed bool
}

// NewThanks builds the thanks for it, queued just now, and follows the
// engine until Close. finish ends the flow (the "Finish" button).
func NewThanks(d *Deps, it store.Interaction, finish func()) *Thanks {
	t := newThanks(d, it, finish)
	if d.Sync != nil {
		// Subscribe before reading the store, so an acceptance between the
		// two is not missed.
		events, cancel := d.Sync.Subscribe(8)
		t.cancel = cancel
		go t.follow(events)
	}
	t.reload()
	t.render()
	return t
}

// NewThanksScreen is the thanks for it as the store has it now: a snapshot
// that does not follow the engine, so it owns nothing to close. A shell
// that uses it rebuilds it on the engine's interaction events (the phone
// app does); NewThanks follows them by itself.
func NewThanksScreen(d *Deps, it store.Interaction, finish func()) fyne.CanvasObject {
	t := newThanks(d, it, finish)
	t.reload()
	t.render()
	return t.box
}

func newThanks(d *Deps, it store.Interaction, finish func()) *Thanks {
	t := &Thanks{d: d, id: it.ID, finish: finish, it: it, box: container.NewStack(),
		state: binding.NewString(), ref: binding.NewString(), cancel: func() {}}
	t.in, t.decErr = engine.DecodeInteraction(it)
	return t
}

// Object is the screen's content, rebuilt in the current language if that
// changed since it was built.
func (t *Thanks) Object() fyne.CanvasObject {
	if t.lang != t.d.Loc.Lang() {
		t.render()
	}
	return t.box
}

// Refresh rebuilds the screen in the current language and theme.
func (t *Thanks) Refresh() { t.render() }

// State is the state shown: queued (saved, to be sent), sent, refused or
// conflict. Safe to call from any goroutine.
func (t *Thanks) State() store.InteractionState {
	s, _ := t.state.Get()
	return store.InteractionState(s)
}

// Reference is the central API's reference shown ("" before it is sent).
// Safe to call from any goroutine.
func (t *Thanks) Reference() string {
	s, _ := t.ref.Get()
	return s
}

// Close stops following the engine; later events change nothing. It may
// be called more than once.
func (t *Thanks) Close() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.once.Do(t.cancel)
}

// Apply shows the effect of an engine event: on the acceptance or the
// refusal of this interaction, or after lost events (Dropped), its state is
// read again from the store. Other events, and every event after Close,
// change nothing. Call it on the UI goroutine.
func (t *Thanks) Apply(ev engine.Event) {
	if !t.concerns(ev) {
		return
	}
	t.mu.Lock()
	closed := t.closed
	t.mu.Unlock()
	if closed {
		return
	}
	t.reload()
	t.render()
}

// concerns reports whether ev may have changed this interaction.
func (t *Thanks) concerns(ev engine.Event) bool {
	if ev.Dropped > 0 {
		return true
	}
	switch ev.Kind {
	case engine.InteractionAccepted, engine.InteractionRefused:
		return ev.ID == t.id
	}
	return false
}

func (t *Thanks) follow(events <-chan engine.Event) {
	for ev := range events {
		if t.concerns(ev) {
			fyne.Do(func() { t.Apply(ev) })
		}
	}
}

// reload reads the interaction's latest state from the store (the body
// stays the one decoded at first).
func (t *Thanks) reload() {
	if fresh, err := t.d.Store.GetInteraction(t.id); err == nil {
		t.it.State, t.it.Reference, t.it.FollowUp, t.it.LastError = fresh.State, fresh.Reference, fresh.FollowUp, fresh.LastError
	}
}

// render builds the screen from the interaction's state.
func (t *Thanks) render() {
	d, l := t.d, t.d.Loc
	t.lang = l.Lang()
	it, in := t.it, t.in
	title := l.T("ui.thanks.feedback")
	if it.Kind == wire.KindRating {
		title = l.T("ui.thanks.rating")
	}
	heading := Heading(title)
	heading.Alignment = fyne.TextAlignCenter
	body := container.NewVBox()
	if in.Rating != nil {
		body.Add(container.NewCenter(faceImage(in.Rating.Score, 4)))
		body.Add(centered(Strong(ScoreText(l, in.Rating.Score))))
	}
	followUp := false
	switch it.State {
	case store.InteractionSent:
		if it.Reference != "" {
			body.Add(centered(Strong(l.T("ui.thanks.reference"))))
			ref := Heading(it.Reference)
			ref.Alignment = fyne.TextAlignCenter
			body.Add(ref)
		}
		body.Add(centered(Paragraph(l.T("ui.thanks.sent"))))
		followUp = it.FollowUp
	case store.InteractionRefused, store.InteractionConflict:
		// Not sent and never will be: no promise of a follow-up.
		refused := centered(Paragraph(l.T("ui.thanks.refused")))
		refused.Importance = widget.WarningImportance
		body.Add(refused)
	default:
		body.Add(centered(Paragraph(l.T("ui.thanks.saved"))))
		followUp = t.decErr == nil && in.FollowUp()
	}
	if followUp {
		line := l.T("ui.thanks.follow_up")
		if in.Feedback != nil && in.Feedback.Contact != "" {
			line = l.T("ui.thanks.follow_up_call")
		}
		body.Add(centered(Strong(line)))
	}
	done := widget.NewButtonWithIcon(l.T("ui.thanks.finish"), theme.ConfirmIcon(), func() {
		d.Touched()
		if t.finish != nil {
			t.finish()
		}
	})
	done.Importance = widget.HighImportance
	t.box.Objects = []fyne.CanvasObject{screen(container.NewPadded(heading), body, buttonBar(done))}
	t.box.Refresh()
	// Last: a reader that sees these change sees the widgets above.
	_ = t.ref.Set(it.Reference)
	_ = t.state.Set(string(it.State))
}
