package ui

import (
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/store"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

// InteractionList shows the resident's own ratings and feedback, newest
// first: what was said, whether it was sent, its reference, and the hall's
// replies. It refreshes itself on the engine's interaction events.
//
// The engine's events arrive on a goroutine of the list's own; the counts
// tests and shells read (Len, Sent, Replies) are bindings, set after the
// cards they describe, so a reader that sees them change sees the cards too.
type InteractionList struct {
	d       *Deps
	box     *fyne.Container
	count   binding.Int
	sent    binding.Int
	replies binding.Int
	cancel  func()
	once    sync.Once

	mu   sync.Mutex
	lang string // the language of the cards shown
}

// NewInteractionList builds the list; Close stops listening to the engine.
func NewInteractionList(d *Deps) *InteractionList {
	l := &InteractionList{d: d, box: container.NewStack(), count: binding.NewInt(), sent: binding.NewInt(), replies: binding.NewInt()}
	events, cancel := d.Sync.Subscribe(16)
	l.cancel = cancel
	l.Refresh()
	go l.follow(events)
	return l
}

// Object is the list's content. It is rebuilt in the current language if
// that changed since the cards were made.
func (l *InteractionList) Object() fyne.CanvasObject {
	l.mu.Lock()
	stale := l.lang != l.d.Loc.Lang()
	l.mu.Unlock()
	if stale {
		l.Refresh()
	}
	return l.box
}

// Refresh reloads the list from the store (call it after queuing a new
// rating or feedback, and from a Screen.Build after a language switch).
func (l *InteractionList) Refresh() {
	items, err := l.load()
	l.show(items, err)
}

// Len is how many interactions the list shows.
func (l *InteractionList) Len() int {
	n, _ := l.count.Get()
	return n
}

// Sent is how many of them the central API has accepted.
func (l *InteractionList) Sent() int {
	n, _ := l.sent.Get()
	return n
}

// Replies is how many replies of the hall the list shows, in all.
func (l *InteractionList) Replies() int {
	n, _ := l.replies.Get()
	return n
}

// Close stops listening to the engine.
func (l *InteractionList) Close() { l.once.Do(l.cancel) }

func (l *InteractionList) follow(events <-chan engine.Event) {
	for ev := range events {
		switch ev.Kind {
		case engine.InteractionAccepted, engine.InteractionRefused, engine.ReplyReceived:
		default:
			if ev.Dropped == 0 {
				continue
			}
		}
		items, err := l.load()
		fyne.Do(func() { l.show(items, err) })
	}
}

// load reads the ratings and feedback, newest first (tickets are the
// kiosk's and not the resident's to see).
func (l *InteractionList) load() ([]store.Interaction, error) {
	all, err := l.d.Store.Interactions("")
	if err != nil {
		return nil, err
	}
	out := all[:0:0]
	for _, it := range all {
		if it.Kind == wire.KindRating || it.Kind == wire.KindFeedback {
			out = append(out, it)
		}
	}
	return out, nil
}

func (l *InteractionList) show(items []store.Interaction, err error) {
	loc := l.d.Loc
	lang := loc.Lang()
	box := container.NewVBox()
	replies, sent := 0, 0
	switch {
	case err != nil:
		e := errorLabel()
		setError(e, loc.T("ui.interactions.load_failed"))
		box.Add(e)
	case len(items) == 0:
		box.Add(Paragraph(loc.T("ui.interactions.empty")))
	}
	for _, it := range items {
		box.Add(l.card(it))
		replies += len(it.Replies)
		if it.State == store.InteractionSent {
			sent++
		}
	}
	top := container.NewPadded(container.NewVBox(Heading(loc.T("ui.interactions.title")), Caption(loc.T("ui.interactions.hint"))))
	l.box.Objects = []fyne.CanvasObject{screen(top, box, nil)}
	l.box.Refresh()
	l.mu.Lock()
	l.lang = lang
	l.mu.Unlock()
	_ = l.replies.Set(replies)
	_ = l.sent.Set(sent)
	_ = l.count.Set(len(items))
}

// card is one rating or feedback with its state and replies.
func (l *InteractionList) card(it store.Interaction) fyne.CanvasObject {
	d, loc := l.d, l.d.Loc
	in, _ := engine.DecodeInteraction(it) // a purged body decodes to its kind only
	box := container.NewVBox()
	var title, text string
	var face fyne.CanvasObject
	switch {
	case in.Rating != nil:
		title = loc.T("ui.interactions.rating", "Score", ScoreText(loc, in.Rating.Score))
		text = in.Rating.Comment
		face = faceImage(in.Rating.Score, 1.6)
	case in.Feedback != nil:
		title = CategoryText(loc, in.Feedback.Category)
		text = in.Feedback.Text
	case it.Kind == wire.KindRating:
		title = loc.T("ui.interactions.rating_only")
	default:
		title = loc.T("ui.interactions.feedback_only")
	}
	// The time has its own line: beside the title it would be squeezed to
	// one character a line on a phone in English.
	box.Add(container.NewBorder(nil, nil, face, nil, Strong(title)))
	box.Add(Caption(d.localTime(it.CreatedAt)))
	if text != "" {
		box.Add(Paragraph(firstLines(text, 3, 120)))
	}
	switch it.State {
	case store.InteractionSent:
		box.Add(Paragraph(loc.T("ui.interactions.sent", "Ref", it.Reference)))
		if it.FollowUp && len(it.Replies) == 0 {
			box.Add(Caption(loc.T("ui.interactions.follow_up")))
		}
	case store.InteractionRefused, store.InteractionConflict:
		refused := Paragraph(loc.T("ui.interactions.refused"))
		refused.Importance = widget.WarningImportance
		box.Add(refused)
		if it.LastError != "" {
			box.Add(Caption(loc.T("ui.interactions.reason", "Reason", it.LastError)))
		}
	default:
		box.Add(Caption(loc.T("ui.interactions.queued")))
	}
	for _, r := range it.Replies {
		box.Add(widget.NewSeparator())
		box.Add(Strong(loc.T("ui.interactions.reply", "Time", d.localTime(r.At))))
		box.Add(Paragraph(loc.Text(r.Text)))
	}
	return widget.NewCard("", "", box)
}
