package ui_test

import (
	"testing"

	"civicdesk/app/i18n"
	"civicdesk/app/store"
	"civicdesk/app/ui"
	"civicdesk/app/ui/uitest"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

const (
	thanksSaved    = "已保存在本机，联网后将自动发送，无需再次提交。"
	thanksRefused  = "平台未能接收，请联系大厅工作人员。"
	thanksFollowUp = "大厅将跟进处理并给予答复。"
	thanksRef      = "FK20261127-0007"
)

// accept marks it accepted in the store, as the engine does before it
// publishes InteractionAccepted.
func accept(t *testing.T, d *ui.Deps, id string) {
	t.Helper()
	if err := d.Store.MarkInteractionAccepted(id, store.InteractionAcceptance{Reference: thanksRef, FollowUp: true, At: uitest.Epoch}); err != nil {
		t.Fatal(err)
	}
}

func TestThanksFollowsAcceptance(t *testing.T) {
	d, fs := setup(t)
	it := queueRating(t, d, wire.RatingVeryDissatisfied, "没人")
	th := ui.NewThanks(d, it, nil)
	defer th.Close()
	window(t, th.Object())
	if n := fs.Subscribers(); n != 1 {
		t.Fatalf("%d subscriptions while the thanks show, want 1", n)
	}
	root := th.Object()
	for _, want := range []string{"感谢您的评价！", "非常不满意", thanksSaved, thanksFollowUp} {
		if !hasLabel(root, want) {
			t.Errorf("thanks lack %q before the acceptance: %q", want, labels(root))
		}
	}
	if th.State() != store.InteractionQueued || th.Reference() != "" {
		t.Fatalf("state %q reference %q before the acceptance", th.State(), th.Reference())
	}

	accept(t, d, it.ID)
	// Events about something else change nothing.
	for _, ev := range []engine.Event{
		{Kind: engine.Accepted, ID: it.ID},
		{Kind: engine.InteractionAccepted, ID: "another-interaction"},
		{Kind: engine.StatusChanged},
	} {
		th.Apply(ev)
		if th.State() != store.InteractionQueued || !hasLabel(th.Object(), thanksSaved) {
			t.Fatalf("%s for %q changed the thanks: %q", ev.Kind, ev.ID, labels(th.Object()))
		}
	}

	th.Apply(engine.Event{Kind: engine.InteractionAccepted, ID: it.ID, Tracking: thanksRef})
	if th.State() != store.InteractionSent || th.Reference() != thanksRef {
		t.Fatalf("state %q reference %q after the acceptance", th.State(), th.Reference())
	}
	root = th.Object()
	// The kiosk policy purged the body: the face and score stay.
	for _, want := range []string{"留言编号", thanksRef, "已送达政务服务平台。", thanksFollowUp, "非常不满意"} {
		if !hasLabel(root, want) {
			t.Errorf("thanks lack %q after the acceptance: %q", want, labels(root))
		}
	}
	if hasLabel(root, thanksSaved) {
		t.Error("still says it will be sent")
	}

	// A language switch keeps the reference.
	d.Loc.SetLang(i18n.En)
	root = th.Object()
	for _, want := range []string{"Thank you for your rating!", "Reference", thanksRef, "The government service platform has received it."} {
		if !hasLabel(root, want) {
			t.Errorf("English thanks lack %q: %q", want, labels(root))
		}
	}

	th.Close()
	th.Close() // twice is fine
	if n := fs.Subscribers(); n != 0 {
		t.Fatalf("%d subscriptions left after Close", n)
	}
}

func TestThanksRefusedOrResynced(t *testing.T) {
	tests := []struct {
		name  string
		mark  func(*testing.T, *ui.Deps, string)
		event func(id string) engine.Event
		state store.InteractionState
		want  []string
		lacks []string
	}{
		{"refused", func(t *testing.T, d *ui.Deps, id string) {
			if err := d.Store.MarkInteractionRefused(id, store.InteractionRefused, "invalid rating"); err != nil {
				t.Fatal(err)
			}
		}, func(id string) engine.Event {
			return engine.Event{Kind: engine.InteractionRefused, ID: id, Message: "invalid rating"}
		}, store.InteractionRefused, []string{"感谢您的评价！", thanksRefused}, []string{thanksSaved, thanksFollowUp, "留言编号"}},
		{"conflict", func(t *testing.T, d *ui.Deps, id string) {
			if err := d.Store.MarkInteractionRefused(id, store.InteractionConflict, "another payload under the id"); err != nil {
				t.Fatal(err)
			}
		}, func(id string) engine.Event {
			return engine.Event{Kind: engine.InteractionRefused, ID: id}
		}, store.InteractionConflict, []string{thanksRefused}, []string{thanksSaved, thanksFollowUp}},
		// Events were lost: whatever comes next, the store is read again.
		{"accepted, events dropped", accept, func(string) engine.Event {
			return engine.Event{Kind: engine.StatusChanged, Dropped: 3}
		}, store.InteractionSent, []string{thanksRef, thanksFollowUp}, []string{thanksSaved, thanksRefused}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := setup(t)
			it := queueRating(t, d, wire.RatingDissatisfied, "没人")
			th := ui.NewThanks(d, it, nil)
			defer th.Close()
			window(t, th.Object())
			tt.mark(t, d, it.ID)
			th.Apply(tt.event(it.ID))
			if th.State() != tt.state {
				t.Fatalf("state %q, want %q", th.State(), tt.state)
			}
			root := th.Object()
			for _, want := range tt.want {
				if !hasLabel(root, want) {
					t.Errorf("thanks lack %q: %q", want, labels(root))
				}
			}
			for _, unwanted := range tt.lacks {
				if hasLabel(root, unwanted) {
					t.Errorf("thanks show %q", unwanted)
				}
			}
		})
	}
}

func TestThanksClosedIgnoresEvents(t *testing.T) {
	d, fs := setup(t)
	it := queueFeedback(t, d, wire.FeedbackComplaint, "没人", samplePhone)
	th := ui.NewThanks(d, it, nil)
	window(t, th.Object())
	th.Close()
	if n := fs.Subscribers(); n != 0 {
		t.Fatalf("%d subscriptions after Close", n)
	}
	accept(t, d, it.ID)
	th.Apply(engine.Event{Kind: engine.InteractionAccepted, ID: it.ID, Tracking: thanksRef})
	fs.Send(engine.Event{Kind: engine.InteractionAccepted, ID: it.ID, Tracking: thanksRef}) // nobody listens
	if th.State() != store.InteractionQueued || th.Reference() != "" {
		t.Fatalf("a closed thanks moved to %q %q", th.State(), th.Reference())
	}
	if !hasLabel(th.Object(), thanksSaved) || hasLabel(th.Object(), thanksRef) {
		t.Fatalf("a closed thanks changed: %q", labels(th.Object()))
	}
}

// The subscription delivers the engine's events by itself.
func TestThanksListensToTheEngine(t *testing.T) {
	d, fs := setup(t)
	it := queueFeedback(t, d, wire.FeedbackComplaint, "三号窗口没人", samplePhone)
	th := ui.NewThanks(d, it, nil)
	defer th.Close()
	window(t, th.Object())
	accept(t, d, it.ID)
	fs.Send(engine.Event{Kind: engine.InteractionAccepted, ID: it.ID, Tracking: thanksRef})
	waitFor(t, "the thanks to show the reference", func() bool { return th.Reference() == thanksRef })
	root := th.Object()
	for _, want := range []string{"感谢您的留言！", thanksRef, "大厅将跟进处理，并按您留下的手机号回电。"} {
		if !hasLabel(root, want) {
			t.Errorf("thanks lack %q: %q", want, labels(root))
		}
	}
}

// NewThanksScreen is a snapshot: it holds no subscription.
func TestThanksScreenSnapshot(t *testing.T) {
	d, fs := setup(t)
	it := queueRating(t, d, wire.RatingVerySatisfied, "")
	obj := ui.NewThanksScreen(d, it, nil)
	window(t, obj)
	if n := fs.Subscribers(); n != 0 {
		t.Fatalf("NewThanksScreen left %d subscriptions", n)
	}
	if err := d.Store.MarkInteractionRefused(it.ID, store.InteractionRefused, "invalid rating"); err != nil {
		t.Fatal(err)
	}
	// Rebuilt as a shell does on the engine's event.
	obj = ui.NewThanksScreen(d, it, nil)
	if !hasLabel(obj, thanksRefused) || hasLabel(obj, thanksSaved) {
		t.Fatalf("rebuilt thanks after a refusal: %q", labels(obj))
	}
}
