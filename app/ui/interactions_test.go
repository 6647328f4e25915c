package ui_test

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/google/uuid"

	"civicdesk/app/catalog"
	"civicdesk/app/i18n"
	"civicdesk/app/store"
	"civicdesk/app/ui"
	"civicdesk/app/ui/uitest"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

// pending returns the interactions waiting to be sent, decoded.
func pending(t *testing.T, d *ui.Deps) []wire.Interaction {
	t.Helper()
	its, err := d.Store.PendingInteractions(100)
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

// doneRecorder records what a screen's done callback got.
type doneRecorder struct{ got []store.Interaction }

func (r *doneRecorder) done(it store.Interaction) { r.got = append(r.got, it) }

func TestRatingLowScoreNeedsComment(t *testing.T) {
	d, fs := setup(t)
	var rec doneRecorder
	s := ui.NewRatingScreen(d, "gulou", ui.RateTarget{}, rec.done)
	window(t, s.Object())
	root := s.Object()
	for _, want := range []string{"服务评价", "请为本大厅今天的服务评分。", "非常满意", "满意", "基本满意", "不满意", "非常不满意"} {
		if !hasLabel(root, want) {
			t.Errorf("rating screen lacks %q: %q", want, labels(root))
		}
	}
	if got := s.Prompt(); got != "还有什么想告诉我们的吗？（选填）" {
		t.Errorf("prompt before a choice: %q", got)
	}

	test.Tap(s.ScoreButton(wire.RatingDissatisfied))
	if s.Score() != wire.RatingDissatisfied {
		t.Fatalf("score %d after tapping 不满意", s.Score())
	}
	if got := s.Prompt(); got != "请告诉我们哪里做得不好（必填）：大厅会跟进处理。" {
		t.Errorf("prompt at a low score: %q", got)
	}
	test.Tap(s.SubmitButton())
	if got, want := s.ErrorText("rating.comment"), "评价为“不满意”或“非常不满意”时，请写下遇到的问题，以便大厅跟进处理。"; got != want {
		t.Fatalf("comment error %q, want %q", got, want)
	}
	if s.ErrorText("") == "" {
		t.Error("no summary line over the buttons")
	}
	if n := len(pending(t, d)); n != 0 || len(rec.got) != 0 || fs.Triggers != 0 {
		t.Fatalf("%d queued, done called %d times, %d syncs asked after a refused rating", n, len(rec.got), fs.Triggers)
	}

	test.Type(s.CommentEntry(), "等了一个小时")
	if s.ErrorText("rating.comment") != "" || s.ErrorText("") != "" {
		t.Errorf("errors still shown after typing a comment: %q %q", s.ErrorText("rating.comment"), s.ErrorText(""))
	}
	test.Tap(s.SubmitButton())
	if len(rec.got) != 1 {
		t.Fatalf("done called %d times", len(rec.got))
	}
	q := pending(t, d)
	if len(q) != 1 {
		t.Fatalf("%d queued, want 1", len(q))
	}
	in := q[0]
	id, err := uuid.Parse(in.ID)
	if err != nil || id.Version() != 7 {
		t.Errorf("id %q is not a UUIDv7 (%v)", in.ID, err)
	}
	want := wire.Rating{Score: wire.RatingDissatisfied, Comment: "等了一个小时"}
	if in.Kind != wire.KindRating || in.Hall != "gulou" || !in.CreatedAt.Equal(uitest.Epoch) || in.Rating == nil || *in.Rating != want || in.Feedback != nil {
		t.Fatalf("queued %+v (rating %+v)", in, in.Rating)
	}
	if rec.got[0].ID != in.ID || rec.got[0].State != store.InteractionQueued {
		t.Errorf("done got %+v", rec.got[0])
	}
	if fs.Triggers != 1 {
		t.Errorf("%d syncs asked for, want 1", fs.Triggers)
	}
	// A second tap does not send it twice.
	test.Tap(s.SubmitButton())
	if len(pending(t, d)) != 1 || len(rec.got) != 1 {
		t.Fatal("a second tap queued the rating again")
	}
}

func TestRatingScores(t *testing.T) {
	tests := []struct {
		name    string
		score   int
		comment string
		target  bool
		errAt   string // the field showing an error; "" when it is queued
	}{
		{"very satisfied without comment", wire.RatingVerySatisfied, "", false, ""},
		{"basically satisfied without comment", wire.RatingBasicallySatisfied, "", true, ""},
		{"very dissatisfied without comment", wire.RatingVeryDissatisfied, "  ", false, "rating.comment"},
		{"no score", 0, "很好", false, "rating.score"},
		{"comment too long", wire.RatingSatisfied, strings.Repeat("好", wire.MaxComment+1), false, "rating.comment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := setup(t)
			target := ui.RateTarget{}
			if tt.target {
				app := queued(t, d)
				target = ui.RateTarget{Application: app.ID, Service: app.Service}
			}
			var rec doneRecorder
			s := ui.NewRatingScreen(d, "", target, rec.done)
			window(t, s.Object())
			if tt.target && !hasLabel(s.Object(), "请为“城乡居民医保参保登记”的办理服务评分。") {
				t.Errorf("the screen does not say which service: %q", labels(s.Object()))
			}
			if tt.score != 0 {
				s.Choose(tt.score)
			}
			s.SetComment(tt.comment)
			err := s.Submit()
			q := pending(t, d)
			if tt.errAt != "" {
				if err == nil || s.ErrorText(tt.errAt) == "" || len(q) != 0 || len(rec.got) != 0 {
					t.Fatalf("err %v, error at %s %q, %d queued, %d done", err, tt.errAt, s.ErrorText(tt.errAt), len(q), len(rec.got))
				}
				return
			}
			if err != nil || len(q) != 1 || len(rec.got) != 1 {
				t.Fatalf("err %v, %d queued, %d done", err, len(q), len(rec.got))
			}
			r := q[0].Rating
			if r.Score != tt.score || r.Comment != "" || r.Application != target.Application || r.Service != target.Service {
				t.Fatalf("queued rating %+v for target %+v", r, target)
			}
		})
	}
}

func TestRatingLanguageSwitchKeepsState(t *testing.T) {
	d, _ := setup(t)
	s := ui.NewRatingScreen(d, "", ui.RateTarget{}, nil)
	window(t, s.Object())
	s.Choose(wire.RatingVeryDissatisfied)
	test.Type(s.CommentEntry(), "没人")
	_ = s.Submit() // fine: a comment is there
	d.Loc.SetLang(i18n.En)
	root := s.Object() // rebuilt in English
	for _, want := range []string{"Rate our service", "Very dissatisfied", "Please tell us what went wrong (required): the hall will follow it up."} {
		if !hasLabel(root, want) {
			t.Errorf("English rating screen lacks %q: %q", want, labels(root))
		}
	}
	if s.Score() != wire.RatingVeryDissatisfied || s.CommentEntry().Text != "没人" {
		t.Errorf("state lost in the switch: score %d comment %q", s.Score(), s.CommentEntry().Text)
	}
}

func TestRatingRenders(t *testing.T) {
	d, _ := setup(t)
	s := ui.NewRatingScreen(d, "", ui.RateTarget{}, nil)
	w := window(t, s.Object())
	s.Choose(wire.RatingDissatisfied)
	_ = s.Submit()
	test.AssertRendersToMarkup(t, "rating_low.xml", w.Canvas())
}

func TestFeedback(t *testing.T) {
	tests := []struct {
		name, category, text, contact string
		errAt, errText                string
	}{
		{"category required", "", "大厅空调太冷", "", "feedback.category", "请选择投诉、建议或咨询。"},
		{"text required", wire.FeedbackSuggestion, " \n ", "", "feedback.text", "此项为必填项。"},
		{"bad phone", wire.FeedbackComplaint, "三号窗口没人", "1385201234", "feedback.contact", "请输入以 1 开头的 11 位手机号码。"},
		{"complaint with a number", wire.FeedbackComplaint, "三号窗口没人", "138 5201 2345", "", ""},
		{"anonymous question", wire.FeedbackQuestion, "周六开门吗？", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, fs := setup(t)
			var rec doneRecorder
			s := ui.NewFeedbackScreen(d, "gulou", rec.done)
			window(t, s.Object())
			if tt.category != "" {
				test.Tap(s.CategoryButton(tt.category))
				if s.Category() != tt.category {
					t.Fatalf("category %q after the tap", s.Category())
				}
			}
			test.Type(s.TextEntry(), tt.text)
			test.Type(s.ContactEntry(), tt.contact)
			test.Tap(s.SubmitButton())
			q := pending(t, d)
			if tt.errAt != "" {
				if got := s.ErrorText(tt.errAt); got != tt.errText {
					t.Fatalf("error at %s %q, want %q", tt.errAt, got, tt.errText)
				}
				if len(q) != 0 || len(rec.got) != 0 {
					t.Fatalf("%d queued, %d done after an error", len(q), len(rec.got))
				}
				return
			}
			if len(q) != 1 || len(rec.got) != 1 || fs.Triggers != 1 {
				t.Fatalf("%d queued, %d done, %d syncs", len(q), len(rec.got), fs.Triggers)
			}
			want := wire.Feedback{Category: tt.category, Text: tt.text, Contact: strings.ReplaceAll(tt.contact, " ", "")}
			if in := q[0]; in.Kind != wire.KindFeedback || in.Hall != "gulou" || in.Feedback == nil || *in.Feedback != want {
				t.Fatalf("queued %+v (feedback %+v), want %+v", in, in.Feedback, want)
			}
		})
	}
}

func TestFeedbackCounterAndLanguage(t *testing.T) {
	d, _ := setup(t)
	s := ui.NewFeedbackScreen(d, "", nil)
	window(t, s.Object())
	root := s.Object()
	for _, want := range []string{"投诉、建议、咨询", "投诉", "建议", "咨询", "告诉我们怎样做得更好", "回电手机号（选填）", "还可输入 2000 字"} {
		if !hasLabel(root, want) {
			t.Errorf("feedback screen lacks %q: %q", want, labels(root))
		}
	}
	if !hasLabelContaining(root, "手机号仅用于就本条留言与您联系") {
		t.Error("no privacy line")
	}
	test.Tap(s.CategoryButton(wire.FeedbackQuestion))
	test.Type(s.TextEntry(), "几点关门")
	if got := s.CharsLeft(); got != "还可输入 1996 字" {
		t.Errorf("counter %q", got)
	}
	s.SetText(strings.Repeat("长", wire.MaxFeedbackText+3))
	if got := s.CharsLeft(); got != "超出 3 字，请删减" {
		t.Errorf("counter over the limit %q", got)
	}
	s.SetText("几点关门")
	d.Loc.SetLang(i18n.En)
	root = s.Object()
	for _, want := range []string{"Complaint, suggestion or question", "Question", "1996 characters left", "Mobile number for a call back (optional)"} {
		if !hasLabel(root, want) {
			t.Errorf("English feedback screen lacks %q: %q", want, labels(root))
		}
	}
	if s.Category() != wire.FeedbackQuestion || s.TextEntry().Text != "几点关门" {
		t.Error("state lost in the language switch")
	}
}

// A kiosk's keypad types the call-back number; it shows once the number
// is being filled in.
func TestFeedbackKeypad(t *testing.T) {
	d, _ := setup(t)
	d.Keypad = func(target *widget.Entry, allowX bool) fyne.CanvasObject {
		return widget.NewButton("KEY1", func() { target.SetText(target.Text + "1") })
	}
	s := ui.NewFeedbackScreen(d, "", nil)
	window(t, s.Object())
	if hasButton(s.Object(), "KEY1") {
		t.Fatal("the keypad shows before the number is used")
	}
	test.Type(s.ContactEntry(), "138")
	if !hasButton(s.Object(), "KEY1") {
		t.Fatal("no keypad while the number is typed")
	}
	test.Tap(button(t, s.Object(), "KEY1"))
	if got := s.ContactEntry().Text; got != "1381" {
		t.Fatalf("number %q after a keypad tap", got)
	}
	s.Refresh() // a rebuild keeps it shown
	if !hasButton(s.Object(), "KEY1") {
		t.Fatal("the keypad is gone after a rebuild")
	}
}

// hasButton reports whether a button with text is shown: it and every
// container above it visible.
func hasButton(root fyne.CanvasObject, text string) bool {
	found := false
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() || found {
			return
		}
		switch x := o.(type) {
		case *widget.Button:
			found = x.Text == text
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				walk(c)
			}
		}
	}
	walk(root)
	return found
}

// queueRating queues a rating as the rating screen does.
func queueRating(t *testing.T, d *ui.Deps, score int, comment string) store.Interaction {
	t.Helper()
	var rec doneRecorder
	s := ui.NewRatingScreen(d, "", ui.RateTarget{}, rec.done)
	s.Choose(score)
	s.SetComment(comment)
	if err := s.Submit(); err != nil {
		t.Fatal(err)
	}
	return rec.got[0]
}

// queueFeedback queues a feedback as the feedback screen does.
func queueFeedback(t *testing.T, d *ui.Deps, category, text, contact string) store.Interaction {
	t.Helper()
	var rec doneRecorder
	s := ui.NewFeedbackScreen(d, "", rec.done)
	s.Choose(category)
	s.SetText(text)
	s.SetContact(contact)
	if err := s.Submit(); err != nil {
		t.Fatal(err)
	}
	return rec.got[0]
}

func TestThanks(t *testing.T) {
	const saved = "已保存在本机，联网后将自动发送，无需再次提交。"
	tests := []struct {
		name   string
		queue  func(*testing.T, *ui.Deps) store.Interaction
		accept bool
		want   []string
		lacks  []string
	}{
		{"low rating saved", func(t *testing.T, d *ui.Deps) store.Interaction {
			return queueRating(t, d, wire.RatingVeryDissatisfied, "没人")
		}, false, []string{"感谢您的评价！", "非常不满意", saved, "大厅将跟进处理并给予答复。"}, []string{"留言编号"}},
		{"good rating saved", func(t *testing.T, d *ui.Deps) store.Interaction {
			return queueRating(t, d, wire.RatingVerySatisfied, "")
		}, false, []string{"感谢您的评价！", saved}, []string{"大厅将跟进处理并给予答复。"}},
		{"low rating sent", func(t *testing.T, d *ui.Deps) store.Interaction {
			return queueRating(t, d, wire.RatingDissatisfied, "没人")
		}, true, []string{"感谢您的评价！", "留言编号", "FK20261127-0007", "已送达政务服务平台。", "大厅将跟进处理并给予答复。"}, []string{saved}},
		{"complaint with a number", func(t *testing.T, d *ui.Deps) store.Interaction {
			return queueFeedback(t, d, wire.FeedbackComplaint, "没人", samplePhone)
		}, false, []string{"感谢您的留言！", saved, "大厅将跟进处理，并按您留下的手机号回电。"}, nil},
		{"suggestion", func(t *testing.T, d *ui.Deps) store.Interaction {
			return queueFeedback(t, d, wire.FeedbackSuggestion, "多放几把椅子", "")
		}, false, []string{"感谢您的留言！", saved}, []string{"大厅将跟进处理并给予答复。"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := setup(t)
			it := tt.queue(t, d)
			if tt.accept {
				if err := d.Store.MarkInteractionAccepted(it.ID, store.InteractionAcceptance{Reference: "FK20261127-0007", FollowUp: true, At: uitest.Epoch}); err != nil {
					t.Fatal(err)
				}
			}
			finished := 0
			obj := ui.NewThanksScreen(d, it, func() { finished++ })
			window(t, obj)
			for _, want := range tt.want {
				if !hasLabel(obj, want) {
					t.Errorf("thanks lack %q: %q", want, labels(obj))
				}
			}
			for _, unwanted := range tt.lacks {
				if hasLabel(obj, unwanted) {
					t.Errorf("thanks show %q", unwanted)
				}
			}
			test.Tap(button(t, obj, "完成"))
			if finished != 1 {
				t.Error("finish not called")
			}
		})
	}
}

func TestInteractionListFollowsTheEngine(t *testing.T) {
	test.NewTempApp(t)
	d, fs := uitest.Deps(t, store.PolicyPersonal) // a phone keeps what it sent
	rating := queueRating(t, d, wire.RatingDissatisfied, "排队太久\n第二行\n第三行\n第四行不显示")
	queueFeedback(t, d, wire.FeedbackSuggestion, "多放几把椅子", "")
	// A queue ticket is the kiosk's business, not a resident's.
	if _, err := engine.QueueInteraction(d.Store, wire.Interaction{ID: uuid.Must(uuid.NewV7()).String(), Kind: wire.KindTicket,
		CreatedAt: uitest.Epoch, Ticket: &wire.Ticket{Kiosk: "1", Category: "A", Day: "20261127", Seq: 1, Number: "A1-001"}}); err != nil {
		t.Fatal(err)
	}
	list := ui.NewInteractionList(d)
	defer list.Close()
	window(t, list.Object())
	if list.Len() != 2 {
		t.Fatalf("the list shows %d, want the rating and the feedback", list.Len())
	}
	root := list.Object()
	for _, want := range []string{"我的评价与留言", "服务评价：不满意", "排队太久\n第二行\n第三行…", "建议", "多放几把椅子", "等待发送：联网后自动发送"} {
		if !hasLabel(root, want) {
			t.Errorf("list lacks %q: %q", want, labels(root))
		}
	}
	// Newest first: the feedback was queued after the rating.
	all := labels(root)
	if first, second := indexOf(all, "建议"), indexOf(all, "服务评价：不满意"); first < 0 || second < first {
		t.Errorf("not newest first: %q", all)
	}

	// Other events change nothing.
	fs.Send(engine.Event{Kind: engine.Accepted, ID: "an-application"})
	// The central API accepts the rating.
	if err := d.Store.MarkInteractionAccepted(rating.ID, store.InteractionAcceptance{Reference: "FK20261127-0007", FollowUp: true, At: uitest.Epoch}); err != nil {
		t.Fatal(err)
	}
	fs.Send(engine.Event{Kind: engine.InteractionAccepted, ID: rating.ID, Tracking: "FK20261127-0007"})
	waitFor(t, "the list to show the acceptance", func() bool { return list.Sent() == 1 })
	root = list.Object()
	for _, want := range []string{"已发送，编号 FK20261127-0007", "大厅将跟进处理并答复。"} {
		if !hasLabel(root, want) {
			t.Errorf("list lacks %q after the acceptance: %q", want, labels(root))
		}
	}

	// The hall replies.
	at := uitest.Epoch.Add(time.Hour)
	reply := catalog.Text{catalog.LangZh: "已增加周五下午的窗口。", catalog.LangEn: "A counter was added on Friday afternoons."}
	if err := d.Store.ApplyChanges([]store.StatusChange{{Kind: store.ChangeReply, ID: rating.ID, At: at, Note: reply}}, "c1"); err != nil {
		t.Fatal(err)
	}
	fs.Send(engine.Event{Kind: engine.ReplyReceived, ID: rating.ID, Tracking: "FK20261127-0007", Note: reply, At: at})
	waitFor(t, "the list to show the reply", func() bool { return list.Replies() == 1 })
	root = list.Object()
	for _, want := range []string{"大厅答复（2026-11-27 10:30）", "已增加周五下午的窗口。"} {
		if !hasLabel(root, want) {
			t.Errorf("list lacks %q after the reply: %q", want, labels(root))
		}
	}
	if hasLabel(root, "大厅将跟进处理并答复。") {
		t.Error("still says the hall will answer after it did")
	}

	// In English, the reply too.
	d.Loc.SetLang(i18n.En)
	root = list.Object()
	for _, want := range []string{"My ratings and messages", "Rating: Dissatisfied", "Suggestion", "Sent, reference FK20261127-0007",
		"The hall's answer (2026-11-27 10:30)", "A counter was added on Friday afternoons."} {
		if !hasLabel(root, want) {
			t.Errorf("English list lacks %q: %q", want, labels(root))
		}
	}
}

func TestInteractionListEmpty(t *testing.T) {
	d, _ := setup(t)
	list := ui.NewInteractionList(d)
	defer list.Close()
	window(t, list.Object())
	if list.Len() != 0 || !hasLabel(list.Object(), "您还没有提交过评价或留言。") {
		t.Fatalf("empty list: %q", labels(list.Object()))
	}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func TestReceiptOffersRating(t *testing.T) {
	d, _ := setup(t)
	app := queued(t, d)
	var got []ui.RateTarget
	d.Rate = func(t ui.RateTarget) { got = append(got, t) }
	rc := ui.NewReceipt(d, app.ID, func() {})
	defer rc.Close()
	window(t, rc.Object())
	test.Tap(button(t, rc.Object(), "评价本次服务"))
	if len(got) != 1 || got[0] != (ui.RateTarget{Application: app.ID, Service: medical}) {
		t.Fatalf("Rate got %+v", got)
	}
}
