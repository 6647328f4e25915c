package mobile

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"github.com/google/uuid"

	"civicdesk/app/catalog"
	"civicdesk/app/i18n"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/app/ui"
	"civicdesk/app/ui/uitest"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

const (
	sampleRef   = "FK20261127-0007"
	sampleReply = "请带身份证原件到 3 号窗口办理，无需预约。"
)

var replyText = catalog.Text{catalog.LangZh: sampleReply, catalog.LangEn: "Bring your ID card to counter 3; no appointment needed."}

// queueFeedback queues a feedback as the feedback screen does.
func queueFeedback(t testing.TB, d *ui.Deps, category, text string) store.Interaction {
	t.Helper()
	it, err := engine.QueueInteraction(d.Store, wire.Interaction{ID: uuid.Must(uuid.NewV7()).String(), Kind: wire.KindFeedback,
		CreatedAt: uitest.Epoch, Feedback: &wire.Feedback{Category: category, Text: text}})
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// queueRating queues a rating as the rating screen does.
func queueRating(t testing.TB, d *ui.Deps, score int, comment string) store.Interaction {
	t.Helper()
	it, err := engine.QueueInteraction(d.Store, wire.Interaction{ID: uuid.Must(uuid.NewV7()).String(), Kind: wire.KindRating,
		CreatedAt: uitest.Epoch, Rating: &wire.Rating{Score: score, Comment: comment}})
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// accept records the central API's acceptance of an interaction.
func accept(t testing.TB, d *ui.Deps, id string) {
	t.Helper()
	if err := d.Store.MarkInteractionAccepted(id, store.InteractionAcceptance{Reference: sampleRef, FollowUp: true, At: uitest.Epoch}); err != nil {
		t.Fatal(err)
	}
}

// reply applies a staff reply from the changes feed, as the engine's pull does.
func reply(t testing.TB, d *ui.Deps, id, cursor string) {
	t.Helper()
	if err := d.Store.ApplyChanges([]store.StatusChange{{Kind: store.ChangeReply, ID: id, Note: replyText,
		At: uitest.Epoch.Add(time.Hour)}}, cursor); err != nil {
		t.Fatal(err)
	}
}

// decode is an interaction's wire form.
func decode(t *testing.T, it store.Interaction) wire.Interaction {
	t.Helper()
	in, err := engine.DecodeInteraction(it)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// only is the one interaction of a kind in the store.
func only(t *testing.T, d *ui.Deps, kind string) store.Interaction {
	t.Helper()
	list, err := d.Store.Interactions(kind)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("%d %s interactions stored, want 1", len(list), kind)
	}
	return list[0]
}

// waitListed waits until the shell has handled an interaction event
// after the count was before (fyne.Do is asynchronous under -tags mobile).
func (r *rig) waitListed(t *testing.T, before int64) {
	t.Helper()
	for start := time.Now(); r.s.fb.listed.Load() <= before; time.Sleep(time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatal("the shell did not follow the interaction event")
		}
	}
}

func (r *rig) finishThanks(t *testing.T) {
	t.Helper()
	test.Tap(r.button(t, r.d.Loc.T("ui.thanks.finish")))
}

// The Services tab's entry opens the choice, then the rating; a low rating
// needs a comment, and with one it is queued, thanked for and counted on
// the Sync tab.
func TestRateHallFromServicesTab(t *testing.T) {
	r := newRig(t)
	r.at(t, TabServices, ScreenServices)
	test.Tap(r.button(t, "评价服务 · 投诉建议"))
	r.at(t, TabServices, ScreenFeedbackChoice)
	test.Tap(r.s.fb.rate)
	r.at(t, TabServices, ScreenRate)
	rs := r.s.Rating()
	if rs == nil {
		t.Fatal("no rating screen")
	}
	rs.Choose(wire.RatingVeryDissatisfied)
	if err := rs.Submit(); err == nil {
		t.Fatal("a rating of 1 without a comment was accepted")
	}
	r.at(t, TabServices, ScreenRate)
	if list, _ := r.d.Store.Interactions(""); len(list) != 0 {
		t.Fatalf("%d interactions queued without a comment", len(list))
	}
	rs.SetComment("排队一个多小时，没有人引导")
	if err := rs.Submit(); err != nil {
		t.Fatal(err)
	}
	r.at(t, TabServices, ScreenThanks)
	it := only(t, r.d, wire.KindRating)
	if it.State != store.InteractionQueued || r.s.Thanked().ID != it.ID {
		t.Fatalf("state %q, thanked for %q", it.State, r.s.Thanked().ID)
	}
	in := decode(t, it)
	if in.Hall != "" || in.Rating.Score != 1 || in.Rating.Comment != "排队一个多小时，没有人引导" || in.Rating.Application != "" {
		t.Fatalf("queued %+v %+v", in, in.Rating)
	}
	if r.fs.Triggers == 0 {
		t.Fatal("the engine was not asked to send")
	}
	r.finishThanks(t)
	r.at(t, TabServices, ScreenServices)
}

// A complaint, suggestion or question from the Services tab is queued and
// listed under My feedback.
func TestFeedbackQueuedAndListed(t *testing.T) {
	r := newRig(t)
	r.s.OpenFeedback()
	test.Tap(r.s.fb.feedback)
	r.at(t, TabServices, ScreenFeedbackForm)
	fs := r.s.FeedbackForm()
	if fs == nil {
		t.Fatal("no feedback screen")
	}
	fs.Choose(wire.FeedbackSuggestion)
	fs.SetText("希望周六上午也能办理医保业务")
	if err := fs.Submit(); err != nil {
		t.Fatal(err)
	}
	r.at(t, TabServices, ScreenThanks)
	in := decode(t, only(t, r.d, wire.KindFeedback))
	if in.Hall != "" || in.Feedback.Category != wire.FeedbackSuggestion || in.Feedback.Text != "希望周六上午也能办理医保业务" {
		t.Fatalf("queued %+v %+v", in, in.Feedback)
	}
	r.finishThanks(t)
	r.at(t, TabServices, ScreenServices)

	r.s.ShowTab(TabApplications)
	r.shows(t, "我的评价与留言（1）")
	test.Tap(r.s.fb.mine)
	r.at(t, TabApplications, ScreenMyFeedback)
	if l := r.s.FeedbackList(); l == nil || l.Len() != 1 {
		t.Fatal("My feedback does not list the feedback")
	}
	r.shows(t, "希望周六上午也能办理医保业务")
	r.s.Nav(TabApplications).Back()
	if r.s.FeedbackList() != nil {
		t.Fatal("the list was kept after leaving My feedback")
	}
}

// An application is rated from its details, and from its receipt through
// Deps.Rate; the rating names the application, and the journey returns to
// where it started.
func TestRateApplication(t *testing.T) {
	var a store.Application
	r := newRig(t, func(d *ui.Deps, _ *uitest.FakeSync) {
		a = queue(t, d)
		if err := d.Store.MarkAccepted(a.ID, store.Acceptance{Tracking: "XZ20261127000042", VerificationCode: "4821", Status: lifecycle.Received, At: uitest.Epoch}); err != nil {
			t.Fatal(err)
		}
	})
	if r.d.Rate == nil {
		t.Fatal("the shell did not set Deps.Rate: the receipt offers no rating")
	}
	r.s.OpenApplication(a.ID)
	test.Tap(r.button(t, "评价本次服务"))
	r.at(t, TabApplications, ScreenAppRate)
	rs := r.s.Rating()
	rs.Choose(wire.RatingVerySatisfied)
	if err := rs.Submit(); err != nil {
		t.Fatal(err)
	}
	r.at(t, TabApplications, ScreenAppThanks)
	in := decode(t, only(t, r.d, wire.KindRating))
	if in.Rating.Score != 5 || in.Rating.Application != a.ID || in.Rating.Service != medical {
		t.Fatalf("queued %+v", in.Rating)
	}
	r.finishThanks(t)
	r.at(t, TabApplications, ScreenApplication)

	// From the receipt (its button calls Deps.Rate), back to the receipt.
	test.Tap(r.button(t, "回执和二维码"))
	r.at(t, TabApplications, ScreenAppReceipt)
	test.Tap(r.button(t, "评价本次服务")) // the shared receipt's button calls Deps.Rate
	r.at(t, TabApplications, ScreenAppRate)
	r.s.Rating().Choose(wire.RatingSatisfied)
	if err := r.s.Rating().Submit(); err != nil {
		t.Fatal(err)
	}
	r.finishThanks(t)
	r.at(t, TabApplications, ScreenAppReceipt)

	// From the receipt after a submission on the Services tab, back to it.
	r.s.ShowTab(TabServices)
	r.s.submitted(a)
	r.at(t, TabServices, ScreenReceipt)
	test.Tap(r.button(t, "评价本次服务"))
	r.at(t, TabServices, ScreenRate)
	r.s.Rating().Choose(wire.RatingBasicallySatisfied)
	if err := r.s.Rating().Submit(); err != nil {
		t.Fatal(err)
	}
	r.at(t, TabServices, ScreenThanks)
	r.finishThanks(t)
	r.at(t, TabServices, ScreenReceipt)
	if list, _ := r.d.Store.Interactions(wire.KindRating); len(list) != 3 {
		t.Fatalf("%d ratings", len(list))
	}
}

// A reply the engine pulled shows in My feedback and raises a short
// notification: a title and the reference, never the reply's text.
func TestReplyReceived(t *testing.T) {
	for _, tc := range []struct{ name, tracking string }{
		{"reference in the event", sampleRef},
		{"reference from the store", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var it store.Interaction
			r := newRig(t, func(d *ui.Deps, _ *uitest.FakeSync) {
				it = queueFeedback(t, d, wire.FeedbackQuestion, "社保卡补办需要带什么材料？")
			})
			accept(t, r.d, it.ID)
			before := r.s.fb.listed.Load()
			r.fs.Send(engine.Event{Kind: engine.InteractionAccepted, ID: it.ID, Tracking: sampleRef, At: uitest.Epoch, Message: "follow_up"})
			r.waitListed(t, before)
			r.s.ShowMyFeedback()
			r.shows(t, sampleRef)
			r.lacks(t, sampleReply)

			reply(t, r.d, it.ID, "7")
			before = r.s.fb.listed.Load()
			r.fs.Send(engine.Event{Kind: engine.ReplyReceived, ID: it.ID, Tracking: tc.tracking, Note: replyText, At: uitest.Epoch.Add(time.Hour)})
			select {
			case got := <-r.notes.ch:
				if want := "服务大厅答复了您|编号 " + sampleRef; got != want {
					t.Fatalf("notification %q, want %q", got, want)
				}
				if strings.Contains(got, "身份证") {
					t.Fatal("the notification quotes the reply")
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no notification")
			}
			r.waitListed(t, before)
			r.at(t, TabApplications, ScreenMyFeedback)
			r.shows(t, sampleReply)
			if n := r.s.UnreadReplies(); n != 0 {
				t.Fatalf("%d unread replies while My feedback shows them", n)
			}
		})
	}
}

// A reply that came while My feedback was not shown is marked new on My
// applications until it is read.
func TestUnreadReplies(t *testing.T) {
	r := newRig(t, func(d *ui.Deps, _ *uitest.FakeSync) {
		it := queueFeedback(t, d, wire.FeedbackComplaint, "3 号窗口中午无人")
		accept(t, d, it.ID)
		reply(t, d, it.ID, "3")
	})
	r.s.ShowTab(TabApplications)
	if n := r.s.UnreadReplies(); n != 1 {
		t.Fatalf("%d unread replies", n)
	}
	r.shows(t, "我的评价与留言（1）· 1 条新答复")
	test.Tap(r.s.fb.mine)
	r.shows(t, sampleReply)
	r.s.Nav(TabApplications).Back()
	r.at(t, TabApplications, ScreenApplications)
	r.shows(t, "我的评价与留言（1）")
	r.lacks(t, "新答复")
	r.d.Loc.SetLang(i18n.En)
	r.shows(t, "My ratings and messages (1)")
}

// "Delete my data" deletes the ratings and feedback too, and says so.
func TestDeleteMyDataDeletesFeedback(t *testing.T) {
	r := newRig(t, func(d *ui.Deps, _ *uitest.FakeSync) {
		queue(t, d)
		queueRating(t, d, wire.RatingSatisfied, "")
		it := queueFeedback(t, d, wire.FeedbackQuestion, "社保卡补办需要带什么材料？")
		accept(t, d, it.ID)
		reply(t, d, it.ID, "1")
	})
	r.s.ShowTab(TabSettings)
	test.Tap(r.s.set.del)
	r.shows(t, "您的 2 条评价和留言（连同大厅的答复）也会一并删除。")
	test.Tap(r.s.set.confirm)
	if list, err := r.d.Store.Interactions(""); err != nil || len(list) != 0 {
		t.Fatalf("%d interactions left (%v)", len(list), err)
	}
	if st, _ := r.d.Store.InteractionStats(); st.Count != 0 {
		t.Fatalf("%d still queued", st.Count)
	}
	r.shows(t, "已删除 1 份申请和草稿，以及 2 条评价和留言。")
	if n := r.s.UnreadReplies(); n != 0 {
		t.Fatalf("%d unread replies after deleting", n)
	}
	r.s.ShowTab(TabApplications)
	r.lacks(t, "我的评价与留言（")
}

// The Sync tab counts the ratings and feedback waiting besides the
// applications, as the engine's status has them.
func TestSyncTabCountsFeedback(t *testing.T) {
	r := newRig(t)
	r.s.ShowTab(TabSync)
	for _, tc := range []struct {
		name string
		st   engine.Status
		want string
	}{
		{"feedback only", engine.Status{State: engine.Offline, PendingInteractions: 1}, "1 条评价或留言等待发送"},
		{"with applications", engine.Status{State: engine.Offline, Pending: 2, PendingBytes: 3 << 20, PendingInteractions: 3}, "2 份申请等待发送，共 3.0 MB；另有 3 条评价或留言"},
		{"nothing", engine.Status{State: engine.Online}, "没有等待发送的内容"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.fs.SetStatus(tc.st)
			r.flush(t)
			if got := get(t, r.s.sync.Waiting); got != tc.want {
				t.Fatalf("%q, want %q", got, tc.want)
			}
		})
	}
}
