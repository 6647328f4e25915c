package kiosk

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/i18n"
	"civicdesk/app/store"
	"civicdesk/app/tickets"
	"civicdesk/app/ui"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

// queuedInteractions returns what waits to be sent, decoded.
func (r *rig) queuedInteractions(t *testing.T) []wire.Interaction {
	t.Helper()
	its, err := r.d.Store.PendingInteractions(100)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]wire.Interaction, 0, len(its))
	for _, it := range its {
		in, err := engine.DecodeInteraction(it)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, in)
	}
	return out
}

// openRating goes home -> "Rate our service" -> rating, as the buttons do.
func (r *rig) openRating(t *testing.T) *ui.RatingScreen {
	t.Helper()
	r.k.Nav().Home()
	test.Tap(r.k.sess.home.rate)
	r.at(t, ScreenRateChoice)
	test.Tap(r.k.sess.rateChoice.rating)
	r.at(t, ScreenRating)
	if r.k.sess.rating == nil {
		t.Fatal("no rating screen in the session")
	}
	return r.k.sess.rating
}

func TestRateTileOpensTheChoice(t *testing.T) {
	r := newRig(t)
	h := r.k.sess.home
	if h.rate.Disabled() {
		t.Fatal("the rate tile is disabled")
	}
	r.shows(t, "评价服务，或投诉、建议、咨询")
	test.Tap(h.rate)
	r.at(t, ScreenRateChoice)
	for _, want := range []string{"评价我们的服务", "服务评价", "投诉、建议、咨询", "从“非常满意”到“非常不满意”打分"} {
		r.shows(t, want)
	}
	test.Tap(r.k.sess.rateChoice.feedback)
	r.at(t, ScreenFeedback)
	r.shows(t, "对服务、工作人员或办理结果不满意，需要处理")
	test.Tap(r.button(t, "返回"))
	r.at(t, ScreenRateChoice)
	test.Tap(r.k.sess.rateChoice.rating)
	r.at(t, ScreenRating)
	r.shows(t, "请为本大厅今天的服务评分。")
	test.Tap(r.button(t, "返回"))
	r.at(t, ScreenRateChoice)
	test.Tap(r.button(t, "返回"))
	r.at(t, ScreenHome)
}

func TestRatingFlowEndToEnd(t *testing.T) {
	r := newRigWith(t, Config{HallCode: "gulou"})
	s := r.openRating(t)
	test.Tap(s.ScoreButton(wire.RatingVeryDissatisfied))
	r.shows(t, "请告诉我们哪里做得不好（必填）")
	test.Tap(s.SubmitButton())
	r.at(t, ScreenRating)
	r.shows(t, "请写下遇到的问题")
	if n := len(r.queuedInteractions(t)); n != 0 {
		t.Fatalf("%d queued without the comment", n)
	}
	test.Type(s.CommentEntry(), "叫号屏不亮")
	test.Tap(s.SubmitButton())
	r.at(t, ScreenThanks)
	for _, want := range []string{"感谢您的评价！", "非常不满意", "已保存在本机，联网后将自动发送", "大厅将跟进处理并给予答复。"} {
		r.shows(t, want)
	}
	q := r.queuedInteractions(t)
	if len(q) != 1 || q[0].Kind != wire.KindRating || q[0].Hall != "gulou" ||
		*q[0].Rating != (wire.Rating{Score: wire.RatingVeryDissatisfied, Comment: "叫号屏不亮"}) {
		t.Fatalf("queued %+v", q)
	}
	if r.fs.Triggers == 0 {
		t.Error("no sync asked for")
	}
	// The thanks replaced the form: Back goes to the choice, not to the form.
	if r.k.sess.rating != nil {
		t.Error("the rating screen stays in the session after it was sent")
	}
	test.Tap(r.button(t, "完成"))
	r.at(t, ScreenHome)
	if r.k.Nav().Depth() != 1 {
		t.Fatalf("depth %d after finishing", r.k.Nav().Depth())
	}
}

func TestFeedbackFlow(t *testing.T) {
	r := newRigWith(t, Config{HallCode: "gulou"})
	test.Tap(r.k.sess.home.rate)
	test.Tap(r.k.sess.rateChoice.feedback)
	s := r.k.sess.feedback
	test.Tap(s.CategoryButton(wire.FeedbackComplaint))
	test.Type(s.TextEntry(), "三号窗口午休无人")
	// The number is typed on the kiosk's keypad.
	test.Type(s.ContactEntry(), "1")
	for _, c := range "3852012345" {
		test.Tap(r.keypadKey(t, string(c)))
	}
	test.Tap(s.SubmitButton())
	r.at(t, ScreenThanks)
	r.shows(t, "感谢您的留言！")
	r.shows(t, "大厅将跟进处理，并按您留下的手机号回电。")
	q := r.queuedInteractions(t)
	want := wire.Feedback{Category: wire.FeedbackComplaint, Text: "三号窗口午休无人", Contact: "13852012345"}
	if len(q) != 1 || q[0].Feedback == nil || *q[0].Feedback != want || q[0].Hall != "gulou" {
		t.Fatalf("queued %+v", q)
	}
	test.Tap(r.button(t, "完成"))
	r.at(t, ScreenHome)
}

// keypadKey finds a key of the on-screen keypad shown.
func (r *rig) keypadKey(t *testing.T, label string) *widget.Button {
	t.Helper()
	for _, o := range r.visible() {
		if p, ok := o.(*Keypad); ok && p.Key(label) != nil {
			return p.Key(label)
		}
	}
	t.Fatalf("no keypad on screen; texts: %q", r.texts())
	return nil
}

func TestReceiptOffersRating(t *testing.T) {
	r := newRigWith(t, Config{HallCode: "gulou"})
	app, err := r.d.Store.Submit(store.NewApplication{Service: "medical_insurance_enrolment", ServiceVersion: 1, Values: sample})
	if err != nil {
		t.Fatal(err)
	}
	r.k.ShowReceipt(app)
	r.at(t, ScreenReceipt)
	test.Tap(r.button(t, "评价本次服务"))
	r.at(t, ScreenRating)
	r.shows(t, "请为“城乡居民医保参保登记”的办理服务评分。")
	// Back returns to the receipt, rebuilt.
	test.Tap(r.button(t, "返回"))
	r.at(t, ScreenReceipt)
	r.shows(t, "申请已保存")
	test.Tap(r.button(t, "评价本次服务"))
	s := r.k.sess.rating
	test.Tap(s.ScoreButton(wire.RatingVerySatisfied))
	test.Tap(s.SubmitButton())
	r.at(t, ScreenThanks)
	q := r.queuedInteractions(t)
	want := wire.Rating{Score: wire.RatingVerySatisfied, Application: app.ID, Service: "medical_insurance_enrolment"}
	if len(q) != 1 || q[0].Rating == nil || *q[0].Rating != want {
		t.Fatalf("queued %+v, want a rating of the application", q)
	}
	r.lacks(t, "大厅将跟进处理")
	test.Tap(r.button(t, "完成"))
	r.at(t, ScreenHome)
	if r.k.Nav().Depth() != 1 {
		t.Fatalf("depth %d after finishing", r.k.Nav().Depth())
	}
}

func TestRatingLanguageSwitch(t *testing.T) {
	r := newRig(t)
	s := r.openRating(t)
	test.Tap(s.ScoreButton(wire.RatingDissatisfied))
	test.Type(s.CommentEntry(), "太慢")
	test.Tap(r.k.bar.lang)
	r.at(t, ScreenRating)
	r.shows(t, "Please tell us what went wrong (required)")
	r.shows(t, "Dissatisfied")
	if s.Score() != wire.RatingDissatisfied || s.CommentEntry().Text != "太慢" {
		t.Fatalf("state after the switch: score %d comment %q", s.Score(), s.CommentEntry().Text)
	}
	r.k.SetLang(i18n.Zh)
	r.shows(t, "请告诉我们哪里做得不好（必填）")
}

func TestIdleWipeFromRating(t *testing.T) {
	r := newRig(t)
	// An earlier resident's rating is queued: the wipe keeps it.
	s := r.openRating(t)
	test.Tap(s.ScoreButton(wire.RatingSatisfied))
	test.Tap(s.SubmitButton())
	r.at(t, ScreenThanks)
	test.Tap(r.button(t, "完成"))

	// The next one starts a rating, types and leaves.
	s = r.openRating(t)
	test.Tap(s.ScoreButton(wire.RatingVeryDissatisfied))
	test.Type(s.CommentEntry(), "王秀兰说窗口没人")
	r.clk.Advance(testIdle)
	if !r.k.CountdownShowing() {
		t.Fatal("no countdown on the rating screen")
	}
	r.clk.Advance(testCountdown)
	r.at(t, ScreenHome)
	if r.k.Nav().Depth() != 1 {
		t.Fatalf("depth %d after the wipe", r.k.Nav().Depth())
	}
	if r.k.sess.rating != nil || r.k.sess.feedback != nil {
		t.Error("the rating screen survived the wipe")
	}
	r.lacks(t, "王秀兰说窗口没人")
	q := r.queuedInteractions(t)
	if len(q) != 1 || q[0].Rating == nil || q[0].Rating.Score != wire.RatingSatisfied {
		t.Fatalf("queued after the wipe: %+v, want only the earlier rating", q)
	}
	// The next resident starts afresh.
	s = r.openRating(t)
	if s.Score() != 0 || s.CommentEntry().Text != "" {
		t.Errorf("a new rating starts with score %d comment %q", s.Score(), s.CommentEntry().Text)
	}
}

func TestTicketQueueFailureIsLogged(t *testing.T) {
	var buf bytes.Buffer
	r := newRigWith(t, Config{KioskPrefix: "1", Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	// A ticket the central API would refuse (no sequence) cannot be queued.
	r.k.recordTicket(tickets.Ticket{ID: "0196a3f2-7c1e-7abc-8def-0123456789ab", Kiosk: "1", Category: "A", Day: "20261127", Number: "A1-000"})
	if n := len(r.queuedInteractions(t)); n != 0 {
		t.Fatalf("%d queued", n)
	}
	if out := buf.String(); !strings.Contains(out, "queue ticket for sync") || !strings.Contains(out, "A1-000") {
		t.Fatalf("log: %q", out)
	}
	// Issuing still works and shows the number.
	r.take(t, "综合受理")
	if r.bigNumber("A1-001") == nil {
		t.Fatal("no number shown")
	}
}

// The thanks follow the engine while shown, and stop listening once left.
func TestThanksFollowTheEngine(t *testing.T) {
	r := newRig(t)
	base := r.fs.Subscribers() // the sync indicator's and the shell's own
	s := r.openRating(t)
	test.Tap(s.ScoreButton(wire.RatingDissatisfied))
	test.Type(s.CommentEntry(), "叫号屏不亮")
	test.Tap(s.SubmitButton())
	r.at(t, ScreenThanks)
	r.shows(t, "已保存在本机，联网后将自动发送")
	th := r.k.sess.thanks
	if th == nil {
		t.Fatal("no thanks in the session")
	}
	if n := r.fs.Subscribers(); n != base+1 {
		t.Fatalf("%d subscriptions on the thanks, want %d", n, base+1)
	}
	// A rebuild (a language switch) keeps the one subscription.
	test.Tap(r.k.bar.lang)
	r.k.SetLang(i18n.Zh)
	if n := r.fs.Subscribers(); n != base+1 {
		t.Fatalf("%d subscriptions after a rebuild, want %d", n, base+1)
	}

	id := r.queuedInteractions(t)[0].ID
	if err := r.d.Store.MarkInteractionAccepted(id, store.InteractionAcceptance{Reference: "FK20261127-0007", FollowUp: true}); err != nil {
		t.Fatal(err)
	}
	th.Apply(engine.Event{Kind: engine.InteractionAccepted, ID: id, Tracking: "FK20261127-0007"})
	r.shows(t, "FK20261127-0007")
	r.shows(t, "已送达政务服务平台。")
	r.lacks(t, "已保存在本机")

	test.Tap(r.button(t, "完成"))
	r.at(t, ScreenHome)
	if r.k.sess.thanks != nil {
		t.Error("the thanks stay in the session")
	}
	if n := r.fs.Subscribers(); n != base {
		t.Fatalf("%d subscriptions after leaving the thanks, want %d", n, base)
	}
}

func TestIdleWipeClosesThanks(t *testing.T) {
	r := newRig(t)
	base := r.fs.Subscribers()
	s := r.openRating(t)
	test.Tap(s.ScoreButton(wire.RatingSatisfied))
	test.Tap(s.SubmitButton())
	r.at(t, ScreenThanks)
	r.clk.Advance(testIdle)
	r.clk.Advance(testCountdown)
	r.at(t, ScreenHome)
	if n := r.fs.Subscribers(); n != base || r.k.sess.thanks != nil {
		t.Fatalf("%d subscriptions after the wipe, want %d", n, base)
	}
}

// Home asks before dropping a rating or feedback the resident started, as
// it does for an application; the language switch never asks.
func TestHomeAsksBeforeDroppingInteraction(t *testing.T) {
	tests := []struct {
		name   string
		open   func(*testing.T, *rig) // opens the screen and starts it
		screen string
		body   string // the confirmation's text
		stay   string // its "stay" button
		kept   func(*rig) bool
	}{
		{"rating with a score", func(t *testing.T, r *rig) {
			test.Tap(r.openRating(t).ScoreButton(wire.RatingSatisfied))
		}, ScreenRating, "您的评价还没有提交", "继续评价", func(r *rig) bool {
			return r.k.sess.rating != nil && r.k.sess.rating.Score() == wire.RatingSatisfied
		}},
		{"rating with a comment only", func(t *testing.T, r *rig) {
			test.Type(r.openRating(t).CommentEntry(), "椅子太少")
		}, ScreenRating, "您的评价还没有提交", "继续评价", func(r *rig) bool {
			return r.k.sess.rating != nil && r.k.sess.rating.CommentEntry().Text == "椅子太少"
		}},
		{"feedback with a category", func(t *testing.T, r *rig) {
			test.Tap(r.k.sess.home.rate)
			test.Tap(r.k.sess.rateChoice.feedback)
			test.Tap(r.k.sess.feedback.CategoryButton(wire.FeedbackQuestion))
		}, ScreenFeedback, "您的留言还没有提交", "继续填写", func(r *rig) bool {
			return r.k.sess.feedback != nil && r.k.sess.feedback.Category() == wire.FeedbackQuestion
		}},
		{"feedback with a text", func(t *testing.T, r *rig) {
			test.Tap(r.k.sess.home.rate)
			test.Tap(r.k.sess.rateChoice.feedback)
			test.Type(r.k.sess.feedback.TextEntry(), "几点关门")
		}, ScreenFeedback, "您的留言还没有提交", "继续填写", func(r *rig) bool {
			return r.k.sess.feedback != nil && r.k.sess.feedback.TextEntry().Text == "几点关门"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			tt.open(t, r)
			r.at(t, tt.screen)
			// The language switch is not a way out: no question.
			test.Tap(r.k.bar.lang)
			r.at(t, tt.screen)
			r.lacks(t, "Go back to the home screen?")
			r.k.SetLang(i18n.Zh)

			test.Tap(r.k.bar.home)
			r.at(t, tt.screen)
			r.shows(t, "返回首页？")
			r.shows(t, tt.body)
			test.Tap(r.button(t, tt.stay))
			r.at(t, tt.screen)
			r.lacks(t, "返回首页？")
			if !tt.kept(r) {
				t.Fatal("staying lost what was started")
			}

			test.Tap(r.k.bar.home)
			test.Tap(r.button(t, "不提交，返回首页"))
			r.at(t, ScreenHome)
			r.lacks(t, "返回首页？")
			if r.k.sess.rating != nil || r.k.sess.feedback != nil {
				t.Error("the screen stays in the session after leaving")
			}
			if q := r.queuedInteractions(t); len(q) != 0 {
				t.Fatalf("leaving queued %+v", q)
			}
		})
	}
}

func TestHomeFromUntouchedInteractionDoesNotAsk(t *testing.T) {
	for _, screen := range []string{ScreenRating, ScreenFeedback} {
		t.Run(screen, func(t *testing.T) {
			r := newRig(t)
			test.Tap(r.k.sess.home.rate)
			if screen == ScreenRating {
				test.Tap(r.k.sess.rateChoice.rating)
			} else {
				test.Tap(r.k.sess.rateChoice.feedback)
			}
			r.at(t, screen)
			test.Tap(r.k.bar.home)
			r.at(t, ScreenHome)
			r.lacks(t, "返回首页？")
		})
	}
}
