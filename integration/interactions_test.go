package integration

import (
	"context"
	"errors"
	"maps"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"civicdesk/app/catalog"
	"civicdesk/app/store"
	"civicdesk/app/tickets"
	"civicdesk/sync/client"
	"civicdesk/sync/engine"
	"civicdesk/sync/engine/enginetest"
	"civicdesk/sync/wire"
)

const testHall = "XZ-GL-01"

// queueTicket queues a ticket the kiosk issued, as the kiosk screen does.
func queueTicket(t testing.TB, st *store.Store, tk tickets.Ticket) {
	t.Helper()
	in := wire.Interaction{ID: tk.ID, Kind: wire.KindTicket, Hall: tk.Hall, CreatedAt: tk.IssuedAt,
		Ticket: &wire.Ticket{Kiosk: tk.Kiosk, Category: tk.Category, Day: tk.Day, Seq: tk.Seq, Number: tk.Number}}
	if _, err := engine.QueueInteraction(st, in); err != nil {
		t.Fatalf("queue ticket %s: %v", tk.Number, err)
	}
}

// syncOnce runs one round with a deadline.
func syncOnce(t testing.TB, d *device) (engine.Report, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return d.eng.SyncOnce(ctx)
}

// TestInteractionTicketNumbering: three kiosks of one hall issue queue
// numbers offline over two counter categories and a day boundary, then
// sync (twice): the server holds every ticket once and no number twice
// for the hall and day. A fourth kiosk set up with a prefix already in use
// gets a conflict for each number it shares.
func TestInteractionTicketNumbering(t *testing.T) {
	env := startCentral(t)
	loc := time.FixedZone("China", 8*3600)
	clk := enginetest.NewFakeClock(time.Date(2030, 3, 1, 23, 30, 0, 0, loc))

	type kiosk struct {
		d      *device
		is     *tickets.Issuer
		issued []tickets.Ticket
	}
	newKiosk := func(prefix string, now func() time.Time) *kiosk {
		d := env.newDevice(t, env.URL(), deviceOpt{policy: store.PolicyKiosk, clock: now})
		is, err := tickets.New(d.st, testHall, prefix, loc, now)
		if err != nil {
			t.Fatal(err)
		}
		return &kiosk{d: d, is: is}
	}
	issue := func(k *kiosk, cat string) tickets.Ticket {
		t.Helper()
		tk, err := k.is.Issue(cat)
		if err != nil {
			t.Fatal(err)
		}
		k.issued = append(k.issued, tk)
		queueTicket(t, k.d.st, tk)
		return tk
	}
	kiosks := []*kiosk{newKiosk("1", clk.Now), newKiosk("2", clk.Now), newKiosk("3", clk.Now)}

	// Offline, interleaved as residents come in: before midnight A A B A B,
	// after it A B A.
	for _, cat := range []string{"A", "A", "B", "A", "B"} {
		for _, k := range kiosks {
			issue(k, cat)
			clk.Advance(time.Minute)
		}
	}
	clk.Advance(30 * time.Minute) // 00:15 the next day
	for _, cat := range []string{"A", "B", "A"} {
		for _, k := range kiosks {
			issue(k, cat)
			clk.Advance(time.Minute)
		}
	}
	// Each kiosk numbers on its own: per category and day, from 1.
	k2 := kiosks[1].issued
	if k2[3].Number != "A2-003" || k2[3].Day != "20300301" || k2[4].Number != "B2-002" ||
		k2[5].Number != "A2-001" || k2[5].Day != "20300302" || k2[7].Number != "A2-002" {
		t.Fatalf("kiosk 2 numbers: %+v", k2)
	}

	total := 0
	for i, k := range kiosks {
		rep, err := syncOnce(t, k.d)
		if err != nil {
			t.Fatalf("kiosk %d sync: %v", i+1, err)
		}
		if rep.InteractionsAccepted != len(k.issued) || rep.Interactions != len(k.issued) {
			t.Errorf("kiosk %d: report %+v, want %d accepted", i+1, rep, len(k.issued))
		}
		total += len(k.issued)
	}
	for i, k := range kiosks { // the second round sends nothing new
		rep, err := syncOnce(t, k.d)
		if err != nil || rep.Interactions != 0 {
			t.Errorf("kiosk %d second sync: %+v, %v", i+1, rep, err)
		}
		for _, tk := range k.issued {
			it, err := k.d.st.GetInteraction(tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			if it.State != store.InteractionSent {
				t.Errorf("kiosk %d ticket %s: state %s, want sent", i+1, tk.Number, it.State)
			}
		}
	}

	list := backofficeTickets(t, env)
	if len(list) != total {
		t.Errorf("the server holds %d tickets, want %d", len(list), total)
	}
	byID := map[string]int{}
	byNumber := map[string]string{}
	for _, bi := range list {
		byID[bi.ID]++
		if bi.Ticket == nil {
			t.Fatalf("ticket %s without its ticket", bi.ID)
		}
		key := bi.Hall + "|" + bi.Ticket.Day + "|" + bi.Ticket.Number
		if other, ok := byNumber[key]; ok {
			t.Errorf("number %s held twice on %s (tickets %s and %s)", bi.Ticket.Number, bi.Ticket.Day, other, bi.ID)
		}
		byNumber[key] = bi.ID
	}
	for _, k := range kiosks {
		for _, tk := range k.issued {
			if byID[tk.ID] != 1 {
				t.Errorf("ticket %s (%s) is on the server %d times, want once", tk.ID, tk.Number, byID[tk.ID])
			}
		}
	}

	// A fourth kiosk, set up by mistake with prefix 1, issues four A
	// tickets on the first day: three of its numbers are kiosk 1's.
	day1 := enginetest.NewFakeClock(time.Date(2030, 3, 1, 23, 50, 0, 0, loc))
	bad := newKiosk("1", day1.Now)
	events, cancel := bad.d.eng.Subscribe(100)
	defer cancel()
	for range 4 {
		issue(bad, "A")
	}
	rep, err := syncOnce(t, bad.d)
	if err != nil {
		t.Fatalf("misconfigured kiosk sync: %v", err)
	}
	if rep.InteractionsConflicts != 3 || rep.InteractionsAccepted != 1 {
		t.Errorf("misconfigured kiosk: report %+v, want 3 conflicts and 1 accepted", rep)
	}
	refused := map[string]bool{}
	for len(events) > 0 {
		if ev := <-events; ev.Kind == engine.InteractionRefused {
			refused[ev.ID] = true
		}
	}
	for i, tk := range bad.issued {
		it, err := bad.d.st.GetInteraction(tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := store.InteractionConflict
		if i == 3 {
			want = store.InteractionSent // A1-004: kiosk 1 issued only three A on that day
		}
		if it.State != want || refused[tk.ID] != (want == store.InteractionConflict) {
			t.Errorf("misconfigured kiosk ticket %s: state %s (refused event %v), want %s", tk.Number, it.State, refused[tk.ID], want)
		}
	}
	after := backofficeTickets(t, env)
	if len(after) != total+1 {
		t.Errorf("the server holds %d tickets, want %d (the clashing ones refused)", len(after), total+1)
	}
	seen := map[string]bool{}
	for _, bi := range after {
		key := bi.Hall + "|" + bi.Ticket.Day + "|" + bi.Ticket.Number
		if seen[key] {
			t.Errorf("number %s held twice on %s", bi.Ticket.Number, bi.Ticket.Day)
		}
		seen[key] = true
	}
	day, err := staffClient(t, env).InteractionList(context.Background(), client.InteractionFilter{Kind: wire.KindTicket, Hall: testHall, Day: "20300301"})
	if err != nil {
		t.Fatal(err)
	}
	if len(day.Items) != 3*5+1 || day.TicketClashes != 3 {
		t.Errorf("the first day: %d tickets and %d clashes, want 16 and 3", len(day.Items), day.TicketClashes)
	}
}

// backofficeTickets lists the hall's tickets as the back office sees them.
func backofficeTickets(t testing.TB, env *centralEnv) []wire.BackofficeInteraction {
	t.Helper()
	list, err := staffClient(t, env).Interactions(context.Background(), client.InteractionFilter{Kind: wire.KindTicket, Hall: testHall})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// staffClient is the back office's client of the central API.
func staffClient(t testing.TB, env *centralEnv) *client.Backoffice {
	t.Helper()
	tok, err := env.srv.MintStaffToken("hall-staff")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(env.URL(), client.Options{RetryMax: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.CloseIdleConnections)
	return cl.Backoffice(tok)
}

// TestInteractionRatingsAndReplies follows ratings and a complaint through
// the whole loop: queued on a phone offline, synced, listed by the back
// office with the follow-ups flagged, answered by staff, and the answer
// back on the phone through its changes feed.
func TestInteractionRatingsAndReplies(t *testing.T) {
	env := startCentral(t)
	var offline atomic.Bool
	offline.Store(true)
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if offline.Load() {
			return nil, errors.New("network is unreachable")
		}
		return (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, addr)
	}
	phone := env.newDevice(t, env.URL(), deviceOpt{policy: store.PolicyPersonal, dial: dial})
	events, cancel := phone.eng.Subscribe(200)
	defer cancel()

	newID := func() string {
		id, err := uuid.NewV7()
		if err != nil {
			t.Fatal(err)
		}
		return id.String()
	}
	now := time.Now()
	low := wire.Interaction{ID: newID(), Kind: wire.KindRating, CreatedAt: now,
		Rating: &wire.Rating{Score: wire.RatingVeryDissatisfied, Comment: "窗口等了两个小时，没有人解释", Service: sampleService}}
	high := wire.Interaction{ID: newID(), Kind: wire.KindRating, CreatedAt: now,
		Rating: &wire.Rating{Score: wire.RatingVerySatisfied}}
	complaint := wire.Interaction{ID: newID(), Kind: wire.KindFeedback, CreatedAt: now,
		Feedback: &wire.Feedback{Category: wire.FeedbackComplaint, Text: "叫号屏一上午都是黑的", Contact: "13812345678"}}
	// A low rating without a comment is refused on the device.
	noComment := wire.Interaction{ID: newID(), Kind: wire.KindRating, CreatedAt: now, Rating: &wire.Rating{Score: wire.RatingDissatisfied}}
	if _, err := engine.QueueInteraction(phone.st, noComment); !errors.Is(err, engine.ErrInvalidInteraction) {
		t.Fatalf("a low rating without a comment: %v, want ErrInvalidInteraction", err)
	}
	for _, in := range []wire.Interaction{low, high, complaint} {
		if _, err := engine.QueueInteraction(phone.st, in); err != nil {
			t.Fatalf("queue %s: %v", in.Kind, err)
		}
	}
	if _, err := syncOnce(t, phone); !errors.Is(err, client.ErrOffline) {
		t.Fatalf("offline sync: %v, want ErrOffline", err)
	}
	if st := phone.eng.Status(); st.PendingInteractions != 3 {
		t.Errorf("offline: %d interactions pending, want 3", st.PendingInteractions)
	}

	offline.Store(false)
	rep, err := syncOnce(t, phone)
	if err != nil {
		t.Fatalf("online sync: %v", err)
	}
	if rep.InteractionsAccepted != 3 {
		t.Errorf("report %+v, want 3 interactions accepted", rep)
	}
	refs := map[string]string{}
	for _, in := range []wire.Interaction{low, high, complaint} {
		it, err := phone.st.GetInteraction(in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if it.State != store.InteractionSent || it.Reference == "" || it.FollowUp != in.FollowUp() || it.Purged {
			t.Errorf("%s on the phone: state %s, reference %q, follow-up %v, purged %v", in.Kind, it.State, it.Reference, it.FollowUp, it.Purged)
		}
		refs[in.ID] = it.Reference
	}
	// The phone keeps what the resident wrote (personal policy).
	lowIt, err := phone.st.GetInteraction(low.ID)
	if err != nil {
		t.Fatal(err)
	}
	if w, err := engine.DecodeInteraction(lowIt); err != nil || w.Rating == nil || w.Rating.Comment != low.Rating.Comment {
		t.Errorf("the phone lost the rating's comment (decode error %v)", err)
	}

	bo := staffClient(t, env)
	ctx := context.Background()
	all, err := bo.Interactions(ctx, client.InteractionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("the server lists %d interactions, want 3", len(all))
	}
	follow, err := bo.Interactions(ctx, client.InteractionFilter{FollowUpOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]wire.BackofficeInteraction{}
	for _, bi := range follow {
		got[bi.ID] = bi
	}
	if len(got) != 2 || !got[low.ID].FollowUp || !got[complaint.ID].FollowUp {
		t.Fatalf("follow-ups listed: %d, want the low rating and the complaint", len(follow))
	}
	if got[complaint.ID].Reference != refs[complaint.ID] || got[complaint.ID].Feedback == nil ||
		got[complaint.ID].Feedback.Text != complaint.Feedback.Text {
		t.Errorf("the complaint on the server differs from the phone's (reference %q vs %q)", got[complaint.ID].Reference, refs[complaint.ID])
	}

	// Staff answers the complaint; the phone pulls the answer.
	answer := catalog.Text{catalog.LangZh: "已联系厂家维修，今天下午恢复。", catalog.LangEn: "The display was repaired this afternoon."}
	if _, err := bo.Reply(ctx, complaint.ID, wire.Reply{Text: answer}); err != nil {
		t.Fatalf("reply: %v", err)
	}
	for range len(events) {
		<-events
	}
	rep, err = syncOnce(t, phone)
	if err != nil {
		t.Fatalf("sync after the reply: %v", err)
	}
	if rep.Replies != 1 {
		t.Errorf("report %+v, want 1 reply", rep)
	}
	it, err := phone.st.GetInteraction(complaint.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(it.Replies) != 1 || !maps.Equal(it.Replies[0].Text, answer) || it.Replies[0].At.IsZero() {
		t.Errorf("replies on the phone: %+v, want the staff answer", it.Replies)
	}
	var replyEv *engine.Event
	for len(events) > 0 {
		ev := <-events
		if ev.Kind == engine.ReplyReceived {
			replyEv = &ev
		}
	}
	if replyEv == nil || replyEv.ID != complaint.ID || replyEv.Tracking != refs[complaint.ID] || !maps.Equal(replyEv.Note, answer) ||
		!replyEv.At.Equal(it.Replies[0].At) {
		t.Errorf("ReplyReceived event = %+v", replyEv)
	}
	// Syncing again keeps the one reply.
	if _, err := syncOnce(t, phone); err != nil {
		t.Fatal(err)
	}
	if it, _ := phone.st.GetInteraction(complaint.ID); len(it.Replies) != 1 {
		t.Errorf("%d replies after another sync, want 1", len(it.Replies))
	}

	// A kiosk keeps a rating only until the central API has it.
	kiosk := env.newDevice(t, env.URL(), deviceOpt{policy: store.PolicyKiosk})
	kr := wire.Interaction{ID: newID(), Kind: wire.KindRating, Hall: testHall, CreatedAt: now,
		Rating: &wire.Rating{Score: wire.RatingDissatisfied, Comment: "材料清单和窗口说的不一样"}}
	if _, err := engine.QueueInteraction(kiosk.st, kr); err != nil {
		t.Fatal(err)
	}
	if _, err := syncOnce(t, kiosk); err != nil {
		t.Fatal(err)
	}
	kit, err := kiosk.st.GetInteraction(kr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if kit.State != store.InteractionSent || !kit.Purged || kit.Body != nil || kit.Reference == "" || !kit.FollowUp {
		t.Errorf("kiosk rating after acceptance: state %s, purged %v, body %d bytes, reference %q, follow-up %v",
			kit.State, kit.Purged, len(kit.Body), kit.Reference, kit.FollowUp)
	}
	if w, err := engine.DecodeInteraction(kit); err != nil || w.Rating != nil || w.ID != kr.ID {
		t.Errorf("a purged rating decodes to %+v, %v; want its id and kind only", w, err)
	}
	if list, err := bo.Interactions(ctx, client.InteractionFilter{Hall: testHall, Kind: wire.KindRating}); err != nil || len(list) != 1 ||
		list[0].Rating == nil || list[0].Rating.Comment != kr.Rating.Comment {
		t.Errorf("the server lost the kiosk rating's comment: %d listed, %v", len(list), err)
	}
}
