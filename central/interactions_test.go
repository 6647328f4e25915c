package central

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/sync/wire"
)

// deviceTime is the device clock interactions are made with: informational.
var deviceTime = time.Date(2026, 3, 2, 9, 29, 0, 0, time.FixedZone("CST", 8*3600))

func ticketItem(hall, day, kiosk string, seq int) wire.Interaction {
	return wire.Interaction{ID: uuid.Must(uuid.NewV7()).String(), Kind: wire.KindTicket, Hall: hall, CreatedAt: deviceTime,
		Ticket: &wire.Ticket{Kiosk: kiosk, Category: "A", Day: day, Seq: seq, Number: fmt.Sprintf("A%s-%03d", kiosk, seq)}}
}

func ratingItem(score int, comment string) wire.Interaction {
	return wire.Interaction{ID: uuid.Must(uuid.NewV7()).String(), Kind: wire.KindRating, Hall: "gulou", CreatedAt: deviceTime,
		Rating: &wire.Rating{Score: score, Comment: comment, Service: "residence_permit"}}
}

func feedbackItem(category, text string) wire.Interaction {
	return wire.Interaction{ID: uuid.Must(uuid.NewV7()).String(), Kind: wire.KindFeedback, Hall: "gulou", CreatedAt: deviceTime,
		Feedback: &wire.Feedback{Category: category, Text: text, Contact: "13852261234"}}
}

// interact sends a batch of interactions and returns its results.
func (f *fixture) interact(token string, items ...wire.Interaction) []wire.InteractionResult {
	f.t.Helper()
	var ir wire.InteractionsResponse
	f.doJSON(request{method: "POST", path: wire.PathInteractions, token: token, body: wire.InteractionsRequest{Items: items}}, 200, &ir)
	if len(ir.Results) != len(items) {
		f.t.Fatalf("interact: %d results for %d items", len(ir.Results), len(items))
	}
	for i, r := range ir.Results {
		if r.ID != items[i].ID {
			f.t.Fatalf("result %d names %q, want %q", i, r.ID, items[i].ID)
		}
	}
	return ir.Results
}

// listInteractions is the back office's list for query, with the clash count.
func (f *fixture) listInteractions(staff, query string) ([]wire.BackofficeInteraction, int) {
	f.t.Helper()
	var list []wire.BackofficeInteraction
	resp := f.doJSON(request{method: "GET", path: wire.PathBackofficeInteractions + "?" + query, token: staff}, 200, &list)
	n, err := strconv.Atoi(resp.Header.Get(wire.HeaderTicketClashes))
	if err != nil {
		f.t.Fatalf("%s header %q", wire.HeaderTicketClashes, resp.Header.Get(wire.HeaderTicketClashes))
	}
	return list, n
}

func hasCode(errs []catalog.FieldError, field, code string) bool {
	for _, e := range errs {
		if e.Field == field && e.Code == code {
			return true
		}
	}
	return false
}

func TestInteractionsAccepted(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	tests := []struct {
		name     string
		in       wire.Interaction
		ref      string
		followUp bool
	}{
		{"ticket", ticketItem("gulou", "20260302", "1", 1), "", false},
		{"rating 5", ratingItem(wire.RatingVerySatisfied, ""), "FK20260302-0001", false},
		{"rating 3", ratingItem(wire.RatingBasicallySatisfied, "ok"), "FK20260302-0002", false},
		{"rating 2", ratingItem(wire.RatingDissatisfied, "slow counter"), "FK20260302-0003", true},
		{"rating 1", ratingItem(wire.RatingVeryDissatisfied, "rude"), "FK20260302-0004", true},
		{"complaint", feedbackItem(wire.FeedbackComplaint, "the queue display is broken"), "FK20260302-0005", true},
		{"suggestion", feedbackItem(wire.FeedbackSuggestion, "more chairs"), "FK20260302-0006", false},
		{"question", feedbackItem(wire.FeedbackQuestion, "is parking free?"), "FK20260302-0007", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.interact(tok, tc.in)[0]
			if r.Outcome != wire.Accepted || r.Duplicate || r.Reference != tc.ref || r.FollowUp != tc.followUp ||
				!r.AcceptedAt.Equal(f.clock.Now()) || len(r.Errors) != 0 {
				t.Fatalf("result %+v, want accepted, reference %q, follow-up %v", r, tc.ref, tc.followUp)
			}
		})
	}
	t.Run("the next day starts a new sequence", func(t *testing.T) {
		f.clock.Advance(16 * time.Hour) // 2026-03-03 01:30 China time
		if r := f.interact(tok, ratingItem(4, ""))[0]; r.Reference != "FK20260303-0001" {
			t.Fatalf("reference %q", r.Reference)
		}
	})
}

func TestInteractionsInvalid(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	staff := f.staffToken()
	noComment := ratingItem(wire.RatingDissatisfied, "  ")
	badID := ratingItem(5, "")
	badID.ID = "not-a-uuid"
	both := feedbackItem(wire.FeedbackQuestion, "why?")
	both.Rating = &wire.Rating{Score: 5}
	badTicket := ticketItem("gulou", "20260231", "1", 1)
	badContact := feedbackItem(wire.FeedbackComplaint, "no answer")
	badContact.Feedback.Contact = "12345"
	long := feedbackItem(wire.FeedbackSuggestion, strings.Repeat("长", wire.MaxFeedbackText+1))
	tests := []struct {
		name        string
		in          wire.Interaction
		field, code string
	}{
		{"low rating without comment", noComment, "rating.comment", wire.CodeCommentRequired},
		{"id not a UUID", badID, "id", catalog.CodePattern},
		{"two parts", both, "kind", catalog.CodeType},
		{"ticket day not a date", badTicket, "ticket.day", catalog.CodeDateInvalid},
		{"contact not a mobile number", badContact, "feedback.contact", catalog.CodePhoneInvalid},
		{"text too long", long, "feedback.text", catalog.CodeMaxLength},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.interact(tok, tc.in)[0]
			if r.Outcome != wire.Invalid || !hasCode(r.Errors, tc.field, tc.code) || r.Reference != "" || r.Message == "" {
				t.Fatalf("result %+v, want invalid with %s %s", r, tc.field, tc.code)
			}
			if strings.Contains(fmt.Sprint(r), "12345") {
				t.Fatal("the result quotes a value")
			}
		})
	}
	t.Run("malformed items in a batch", func(t *testing.T) {
		good := ratingItem(5, "")
		goodJSON, _ := json.Marshal(good)
		raw := `{"items":[` + string(goodJSON) + `,{"id":"0192d6f0-7b1a-7cc4-8e4c-3a8f4b2d1e90","kind":7},{"id":"0192d6f0-7b1a-7cc4-8e4c-3a8f4b2d1e91","kind":"rating","stars":5},null,"x",` +
			`{"id":"0192d6f0-7b1a-7cc4-8e4c-3a8f4b2d1e92","kind":"rating","created_at":"0000-01-01T00:00:00+01:00","rating":{"score":5}}]}`
		var ir wire.InteractionsResponse
		f.doJSON(request{method: "POST", path: wire.PathInteractions, token: tok, raw: []byte(raw)}, 200, &ir)
		if len(ir.Results) != 6 || ir.Results[0].Outcome != wire.Accepted {
			t.Fatalf("results %+v", ir.Results)
		}
		for i, want := range []struct{ id, field, code string }{
			{"0192d6f0-7b1a-7cc4-8e4c-3a8f4b2d1e90", "item", fieldCodeItemMalformed},
			{"0192d6f0-7b1a-7cc4-8e4c-3a8f4b2d1e91", "item", fieldCodeItemMalformed},
			{"", "id", catalog.CodePattern},
			{"", "item", fieldCodeItemMalformed},
			{"0192d6f0-7b1a-7cc4-8e4c-3a8f4b2d1e92", "created_at", catalog.CodeDateInvalid},
		} {
			r := ir.Results[i+1]
			if r.Outcome != wire.Invalid || r.ID != want.id || !hasCode(r.Errors, want.field, want.code) {
				t.Errorf("item %d: %+v, want invalid %q with %s %s", i+1, r, want.id, want.field, want.code)
			}
		}
	})
	t.Run("nothing refused is stored", func(t *testing.T) {
		if list, _ := f.listInteractions(staff, ""); len(list) != 1 {
			t.Fatalf("%d interactions stored, want 1", len(list))
		}
	})
}

func TestInteractionsIdempotent(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	_, other := f.enroll("phone")
	staff := f.staffToken()
	fb := feedbackItem(wire.FeedbackComplaint, "the lift is out of order")
	first := f.interact(tok, fb)[0]
	f.clock.Advance(time.Hour)

	t.Run("same payload is a duplicate with the original result", func(t *testing.T) {
		for _, token := range []string{tok, other} {
			r := f.interact(token, fb)[0]
			if r.Outcome != wire.Accepted || !r.Duplicate || r.Reference != first.Reference || !r.AcceptedAt.Equal(first.AcceptedAt) || !r.FollowUp {
				t.Fatalf("resend %+v, first %+v", r, first)
			}
		}
	})
	t.Run("the same time written in another offset is the same payload", func(t *testing.T) {
		utc := fb
		utc.CreatedAt = fb.CreatedAt.UTC()
		if r := f.interact(tok, utc)[0]; !r.Duplicate {
			t.Fatalf("resend in UTC: %+v", r)
		}
	})
	t.Run("within one batch", func(t *testing.T) {
		r2 := ratingItem(4, "")
		res := f.interact(tok, r2, r2)
		if res[0].Duplicate || !res[1].Duplicate || res[1].Reference != res[0].Reference {
			t.Fatalf("results %+v", res)
		}
	})
	changed := map[string]func(in *wire.Interaction){
		"contact": func(in *wire.Interaction) { in.Feedback.Contact = "13900000000" },
		"text":    func(in *wire.Interaction) { in.Feedback.Text += "!" },
		"hall":    func(in *wire.Interaction) { in.Hall = "tongshan" },
		"created": func(in *wire.Interaction) { in.CreatedAt = in.CreatedAt.Add(time.Second) },
		"service": func(in *wire.Interaction) { in.Feedback.Service = "residence_permit" },
		"kind": func(in *wire.Interaction) {
			in.Kind, in.Feedback, in.Rating = wire.KindRating, nil, &wire.Rating{Score: 5}
		},
		"invalid now": func(in *wire.Interaction) { in.Feedback.Text = "" },
	}
	for name, mutate := range changed {
		t.Run("other payload is a conflict: "+name, func(t *testing.T) {
			in := fb
			fbCopy := *fb.Feedback
			in.Feedback = &fbCopy
			mutate(&in)
			r := f.interact(tok, in)[0]
			if r.Outcome != wire.Conflict || r.Reference != "" || r.Message == "" {
				t.Fatalf("result %+v, want conflict", r)
			}
		})
	}
	t.Run("the stored copy is the first", func(t *testing.T) {
		list, _ := f.listInteractions(staff, "kind=feedback")
		if len(list) != 1 || list[0].Feedback.Contact != "13852261234" || list[0].Feedback.Text != fb.Feedback.Text {
			t.Fatalf("stored %+v", list)
		}
	})
}

func TestTicketClash(t *testing.T) {
	f := newFixture(t)
	devA, kioskA := f.enroll("kiosk")
	_, kioskB := f.enroll("kiosk")
	staff := f.staffToken()
	held := ticketItem("gulou", "20260302", "1", 23)
	if r := f.interact(kioskA, held)[0]; r.Outcome != wire.Accepted || r.Reference != "" {
		t.Fatalf("first ticket %+v", r)
	}
	clash := ticketItem("gulou", "20260302", "1", 23) // kiosk B set up with A's prefix
	tests := []struct {
		name string
		in   wire.Interaction
		want wire.Outcome
	}{
		{"same hall, day and number", clash, wire.Conflict},
		{"the clashing ticket sent again", clash, wire.Conflict},
		{"another hall", ticketItem("tongshan", "20260302", "1", 23), wire.Accepted},
		{"another day", ticketItem("gulou", "20260303", "1", 23), wire.Accepted},
		{"another prefix", ticketItem("gulou", "20260302", "2", 23), wire.Accepted},
		{"the holder sent again", held, wire.Accepted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.interact(kioskB, tc.in)[0]
			if r.Outcome != tc.want {
				t.Fatalf("result %+v, want %s", r, tc.want)
			}
			if tc.want == wire.Conflict && (!strings.Contains(r.Message, "share a prefix") || !strings.Contains(r.Message, "kiosk prefixes")) {
				t.Fatalf("message %q does not point at the kiosk prefixes", r.Message)
			}
		})
	}
	t.Run("within one batch", func(t *testing.T) {
		a, b := ticketItem("gulou", "20260302", "3", 1), ticketItem("gulou", "20260302", "3", 1)
		res := f.interact(kioskB, a, b)
		if res[0].Outcome != wire.Accepted || res[1].Outcome != wire.Conflict {
			t.Fatalf("results %+v", res)
		}
	})
	t.Run("the back office sees the clashes", func(t *testing.T) {
		for _, tc := range []struct {
			query   string
			tickets int
			clashes int
		}{
			{"kind=ticket", 5, 2},
			{"kind=ticket&hall=gulou&day=20260302", 4, 2}, // with the 20260303 ticket, received on the 2nd
			{"kind=ticket&hall=gulou&day=20260303", 1, 0},
			{"kind=ticket&hall=tongshan", 1, 0},
		} {
			list, n := f.listInteractions(staff, tc.query)
			if len(list) != tc.tickets || n != tc.clashes {
				t.Errorf("%s: %d tickets, %d clashes; want %d, %d", tc.query, len(list), n, tc.tickets, tc.clashes)
			}
		}
		if n, err := f.srv.TicketClashes("gulou", ""); err != nil || n != 2 {
			t.Errorf("TicketClashes = %d, %v", n, err)
		}
		list, _ := f.listInteractions(staff, "kind=ticket&hall=gulou&day=20260302")
		holder := list[len(list)-1]
		if holder.ID != held.ID || holder.Device != devA || holder.Ticket.Number != "A1-023" {
			t.Errorf("oldest gulou ticket %+v", holder)
		}
	})
}

func TestBackofficeInteractionsList(t *testing.T) {
	f := newFixture(t)
	devA, kioskA := f.enroll("kiosk")
	_, phone := f.enroll("phone")
	staff := f.staffToken()
	low := ratingItem(1, "waited two hours")
	f.interact(kioskA, low)
	f.clock.Advance(time.Minute)
	tk := ticketItem("gulou", "20260301", "1", 1) // issued yesterday, synced today
	f.interact(kioskA, tk)
	f.clock.Advance(time.Minute)
	q := feedbackItem(wire.FeedbackQuestion, "opening hours on Sunday?")
	q.Hall = ""
	f.interact(phone, q)
	f.clock.Advance(24 * time.Hour)
	good := ratingItem(5, "")
	f.interact(kioskA, good)

	ids := func(list []wire.BackofficeInteraction) string {
		names := map[string]string{low.ID: "low", tk.ID: "ticket", q.ID: "question", good.ID: "good"}
		var s []string
		for _, b := range list {
			s = append(s, names[b.ID])
		}
		return strings.Join(s, ",")
	}
	for _, tc := range []struct{ query, want string }{
		{"", "good,question,ticket,low"}, // newest first
		{"kind=rating", "good,low"},
		{"kind=ticket", "ticket"},
		{"hall=gulou", "good,ticket,low"},
		{"follow_up=true", "question,low"},
		{"follow_up=false", "good,ticket"},
		{"day=20260301", "ticket"},              // the ticket's own day
		{"day=20260302", "question,ticket,low"}, // the day received, China time
		{"day=20260303", "good"},                // 2026-03-03 01:32 UTC is 09:32 China time
		{"kind=rating&follow_up=true&hall=gulou", "low"},
		{"kind=feedback&hall=gulou", ""},
		{"unknown=1", "good,question,ticket,low"}, // unknown parameters are ignored
	} {
		t.Run(tc.query, func(t *testing.T) {
			list, _ := f.listInteractions(staff, tc.query)
			if got := ids(list); got != tc.want {
				t.Fatalf("%q lists %q, want %q", tc.query, got, tc.want)
			}
		})
	}
	t.Run("rows carry what the back office needs", func(t *testing.T) {
		list, _ := f.listInteractions(staff, "kind=rating&follow_up=true")
		b := list[0]
		if b.Device != devA || !b.FollowUp || b.Reference != "FK20260302-0001" || !b.ReceivedAt.Equal(time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)) ||
			b.Rating == nil || b.Rating.Comment != "waited two hours" || !b.CreatedAt.Equal(deviceTime) || b.Replies != nil {
			t.Fatalf("row %+v", b)
		}
	})
	t.Run("bad filters", func(t *testing.T) {
		for _, query := range []string{"kind=tickets", "day=2026-03-02", "day=20260231", "day=202603021", "follow_up=yes", "hall=" + strings.Repeat("h", 65)} {
			e := f.wantError(request{method: "GET", path: wire.PathBackofficeInteractions + "?" + query, token: staff}, 400, codeBadRequest)
			if strings.Contains(e.Message, "2026-03-02") || strings.Contains(e.Message, "yes") {
				t.Errorf("%s: message quotes the value: %q", query, e.Message)
			}
		}
	})
	t.Run("staff token required", func(t *testing.T) {
		f.wantError(request{method: "GET", path: wire.PathBackofficeInteractions, token: kioskA}, 401, codeUnauthorized)
		f.wantError(request{method: "GET", path: wire.PathBackofficeInteractions}, 401, codeUnauthorized)
	})
}

func TestReplyReachesTheSendingDevice(t *testing.T) {
	f := newFixture(t)
	_, kioskA := f.enroll("kiosk")
	_, kioskB := f.enroll("kiosk")
	staff := f.staffToken()
	app := f.submit(kioskA, newItem(validValues()))[0]
	complaint := feedbackItem(wire.FeedbackComplaint, "the printer is out of paper")
	ref := f.interact(kioskA, complaint)[0].Reference
	f.interact(kioskB, ratingItem(5, ""))
	before := f.changes(kioskA, "", 0)
	beforeB := f.changes(kioskB, "", 0)

	f.clock.Advance(time.Hour)
	text := catalog.Text{catalog.LangZh: "已补充纸张，感谢反馈。", catalog.LangEn: "Paper refilled, thank you."}
	var bi wire.BackofficeInteraction
	f.doJSON(request{method: "POST", path: wire.PathBackofficeInteractions + "/" + complaint.ID + "/reply", token: staff,
		body: wire.Reply{Text: catalog.Text{catalog.LangZh: text[catalog.LangZh], catalog.LangEn: text[catalog.LangEn]}}}, 200, &bi)
	if bi.ID != complaint.ID || len(bi.Replies) != 1 || bi.Replies[0].Text[catalog.LangEn] != text[catalog.LangEn] || !bi.Replies[0].At.Equal(f.clock.Now()) {
		t.Fatalf("answer %+v", bi)
	}

	t.Run("the sender's feed carries it", func(t *testing.T) {
		cr := f.changes(kioskA, before.Cursor, 0)
		if len(cr.Changes) != 1 {
			t.Fatalf("%d new changes, want 1: %+v", len(cr.Changes), cr.Changes)
		}
		c := cr.Changes[0]
		if c.Kind != wire.ChangeReply || c.ID != complaint.ID || c.Tracking != ref || c.Status != "" ||
			c.Note[catalog.LangZh] != text[catalog.LangZh] || !c.At.Equal(f.clock.Now()) {
			t.Fatalf("change %+v", c)
		}
	})
	t.Run("no other device's feed does", func(t *testing.T) {
		if cr := f.changes(kioskB, beforeB.Cursor, 0); len(cr.Changes) != 0 {
			t.Fatalf("kiosk B sees %+v", cr.Changes)
		}
	})
	t.Run("status changes keep their old shape", func(t *testing.T) {
		_, body := f.do(request{method: "GET", path: wire.PathChanges, token: kioskA})
		var raw struct{ Changes []map[string]any }
		if err := json.Unmarshal(body, &raw); err != nil || len(raw.Changes) != 2 {
			t.Fatalf("feed %s", body)
		}
		if _, ok := raw.Changes[0]["kind"]; ok || raw.Changes[0]["status"] != string(lifecycle.Received) || raw.Changes[0]["tracking"] != app.Tracking {
			t.Fatalf("status change %v", raw.Changes[0])
		}
		if raw.Changes[1]["kind"] != wire.ChangeReply {
			t.Fatalf("reply change %v", raw.Changes[1])
		}
	})
	t.Run("replies accumulate and each reaches the feed", func(t *testing.T) {
		f.clock.Advance(time.Minute)
		bi, err := f.srv.Reply(complaint.ID, wire.Reply{Text: catalog.Text{catalog.LangZh: "  ", catalog.LangEn: "Also fixed the tray."}})
		if err != nil || len(bi.Replies) != 2 || bi.Replies[1].Text[catalog.LangZh] != "" {
			t.Fatalf("second reply %+v, %v", bi, err)
		}
		cr := f.changes(kioskA, before.Cursor, 0)
		if len(cr.Changes) != 2 || len(cr.Changes[1].Note) != 1 {
			t.Fatalf("feed %+v", cr.Changes)
		}
		list, _ := f.listInteractions(staff, "kind=feedback")
		if len(list) != 1 || len(list[0].Replies) != 2 || !list[0].FollowUp {
			t.Fatalf("list %+v", list)
		}
	})
}

func TestReplyRefused(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	staff := f.staffToken()
	tk := ticketItem("gulou", "20260302", "1", 1)
	fb := feedbackItem(wire.FeedbackSuggestion, "more chairs")
	f.interact(tok, tk, fb)
	path := func(id string) string { return wire.PathBackofficeInteractions + "/" + id + "/reply" }
	ok := wire.Reply{Text: catalog.Text{catalog.LangEn: "Thanks"}}
	tests := []struct {
		name   string
		rq     request
		status int
		code   string
	}{
		{"a ticket", request{path: path(tk.ID), token: staff, body: ok}, 409, codeConflict},
		{"unknown id", request{path: path(uuid.NewString()), token: staff, body: ok}, 404, codeNotFound},
		{"no text", request{path: path(fb.ID), token: staff, body: wire.Reply{}}, 400, codeBadRequest},
		{"blank text", request{path: path(fb.ID), token: staff, body: wire.Reply{Text: catalog.Text{catalog.LangZh: " \n", catalog.LangEn: ""}}}, 400, codeBadRequest},
		{"too long", request{path: path(fb.ID), token: staff, body: wire.Reply{Text: catalog.Text{catalog.LangZh: strings.Repeat("谢", wire.MaxReplyText+1)}}}, 400, codeBadRequest},
		{"another language", request{path: path(fb.ID), token: staff, body: wire.Reply{Text: catalog.Text{"fr": "Merci"}}}, 400, codeBadRequest},
		{"malformed", request{path: path(fb.ID), token: staff, raw: []byte(`{"text":"thanks"}`)}, 400, codeMalformedJSON},
		{"unknown field", request{path: path(fb.ID), token: staff, raw: []byte(`{"text":{"en":"x"},"to":"all"}`)}, 400, codeMalformedJSON},
		{"too large", request{path: path(fb.ID), token: staff, raw: []byte(`{"text":{"en":"` + strings.Repeat("x", smallBody) + `"}}`)}, 413, codeTooLarge},
		{"not JSON", request{path: path(fb.ID), token: staff, raw: []byte(`x`), header: map[string]string{"Content-Type": "text/plain"}}, 415, codeUnsupportedMedia},
		{"device token", request{path: path(fb.ID), token: tok, body: ok}, 401, codeUnauthorized},
		{"no token", request{path: path(fb.ID), body: ok}, 401, codeUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.rq.method = "POST"
			f.wantError(tc.rq, tc.status, tc.code)
		})
	}
	if cr := f.changes(tok, "", 0); len(cr.Changes) != 0 {
		t.Fatalf("a refused reply reached the feed: %+v", cr.Changes)
	}
	list, _ := f.listInteractions(staff, "")
	for _, b := range list {
		if len(b.Replies) != 0 {
			t.Fatalf("a refused reply was recorded: %+v", b)
		}
	}
}

func TestInteractionsBadBodies(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxItems = 3; o.MaxBody = 4096 })
	_, tok := f.enroll("kiosk")
	staff := f.staffToken()
	one, _ := json.Marshal(wire.InteractionsRequest{Items: []wire.Interaction{ratingItem(5, "")}})
	tests := []struct {
		name   string
		rq     request
		status int
		code   string
	}{
		{"empty", request{raw: []byte{}}, 400, codeMalformedJSON},
		{"truncated", request{raw: []byte(`{"items":[`)}, 400, codeMalformedJSON},
		{"an array", request{raw: []byte(`[]`)}, 400, codeMalformedJSON},
		{"unknown field", request{raw: []byte(`{"items":[],"device":"x"}`)}, 400, codeMalformedJSON},
		{"trailing data", request{raw: []byte(`{"items":[]} {}`)}, 400, codeMalformedJSON},
		{"items not an array", request{raw: []byte(`{"items":{}}`)}, 400, codeMalformedJSON},
		{"too many items", request{raw: []byte(`{"items":[{},{},{},{}]}`)}, 413, codeTooLarge},
		{"too large", request{raw: []byte(`{"items":[` + strings.Repeat(`{},`, 2000) + `{}]}`)}, 413, codeTooLarge},
		{"bad gzip", request{raw: []byte("not gzip"), header: map[string]string{"Content-Encoding": "gzip"}}, 400, codeBadRequest},
		{"unknown encoding", request{raw: one, header: map[string]string{"Content-Encoding": "br"}}, 415, codeUnsupportedMedia},
		{"not JSON", request{raw: one, header: map[string]string{"Content-Type": "text/plain"}}, 415, codeUnsupportedMedia},
		{"no token", request{raw: one, token: "-"}, 401, codeUnauthorized},
		{"staff token", request{raw: one, token: staff}, 401, codeUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rq := tc.rq
			rq.method, rq.path = "POST", wire.PathInteractions
			switch rq.token {
			case "":
				rq.token = tok
			case "-":
				rq.token = ""
			}
			f.wantError(rq, tc.status, tc.code)
		})
	}
	t.Run("gzip body accepted", func(t *testing.T) {
		var ir wire.InteractionsResponse
		f.doJSON(request{method: "POST", path: wire.PathInteractions, token: tok, raw: one, gzip: true}, 200, &ir)
		if len(ir.Results) != 1 || ir.Results[0].Outcome != wire.Accepted {
			t.Fatalf("results %+v", ir.Results)
		}
	})
	t.Run("empty batch", func(t *testing.T) {
		_, b := f.do(request{method: "POST", path: wire.PathInteractions, token: tok, raw: []byte(`{"items":[]}`)})
		if !strings.Contains(string(b), `"results":[]`) {
			t.Fatalf("answer %s", b)
		}
	})
	if list, _ := f.listInteractions(staff, ""); len(list) != 1 {
		t.Fatalf("%d stored after bad bodies, want 1", len(list))
	}
}

func TestInteractionsSurviveRestart(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	staff := f.staffToken()
	fb := feedbackItem(wire.FeedbackQuestion, "can I pay by card?")
	tk := ticketItem("gulou", "20260302", "1", 1)
	first := f.interact(tok, fb, tk)
	cursor := f.changes(tok, "", 0).Cursor
	clash := ticketItem("gulou", "20260302", "1", 1)
	f.interact(tok, clash)

	f.reopen()

	again := f.interact(tok, fb, tk)
	if !again[0].Duplicate || again[0].Reference != first[0].Reference || !again[1].Duplicate {
		t.Fatalf("after restart %+v", again)
	}
	if r := f.interact(tok, ticketItem("gulou", "20260302", "1", 1))[0]; r.Outcome != wire.Conflict {
		t.Fatalf("ticket number forgotten: %+v", r)
	}
	if r := f.interact(tok, ratingItem(4, ""))[0]; r.Reference != "FK20260302-0002" {
		t.Fatalf("reference sequence after restart: %q", r.Reference)
	}
	if _, n := f.listInteractions(staff, ""); n != 2 {
		t.Fatalf("%d clashes after restart, want 2", n)
	}
	if _, err := f.srv.Reply(fb.ID, wire.Reply{Text: catalog.Text{catalog.LangEn: "Yes."}}); err != nil {
		t.Fatal(err)
	}
	cr := f.changes(tok, cursor, 0)
	if len(cr.Changes) != 1 || cr.Changes[0].Kind != wire.ChangeReply || cr.Changes[0].Tracking != first[0].Reference {
		t.Fatalf("feed after restart %+v", cr.Changes)
	}
}

func TestServerInteractionFilterErrors(t *testing.T) {
	f := newFixture(t)
	no := false
	for _, flt := range []InteractionFilter{{Kind: "x"}, {Day: "yesterday"}, {Hall: strings.Repeat("h", 65)}} {
		if _, err := f.srv.Interactions(flt); !errors.Is(err, ErrBadFilter) {
			t.Errorf("%+v: err %v, want ErrBadFilter", flt, err)
		}
	}
	if list, err := f.srv.Interactions(InteractionFilter{FollowUp: &no}); err != nil || len(list) != 0 {
		t.Fatalf("empty server: %v %v", list, err)
	}
	if _, err := f.srv.Reply("x", wire.Reply{Text: catalog.Text{catalog.LangEn: "hi"}}); !errors.Is(err, ErrInteractionNotFound) {
		t.Fatalf("Reply to unknown: %v", err)
	}
	if _, err := f.srv.Reply("x", wire.Reply{}); !errors.Is(err, ErrBadReply) {
		t.Fatalf("empty reply: %v", err)
	}
}
