package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"civicdesk/app/catalog"
	"civicdesk/central"
	"civicdesk/sync/client"
	"civicdesk/sync/wire"
)

// sender enrols a device and returns its client (device token set).
func (b *backOffice) sender(name string) *client.Client {
	b.t.Helper()
	code, err := b.srv.MintEnrollCode(time.Hour)
	if err != nil {
		b.t.Fatal(err)
	}
	c, err := client.New(b.api, client.Options{RetryMax: -1})
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(c.CloseIdleConnections)
	er, err := c.Enroll(context.Background(), wire.EnrollRequest{Code: code, DeviceName: name, Kind: "kiosk"})
	if err != nil {
		b.t.Fatal(err)
	}
	c.SetToken(er.Token)
	return c
}

// send posts interactions and fails unless each gets the wanted outcome.
func send(t *testing.T, c *client.Client, want wire.Outcome, items ...wire.Interaction) []wire.InteractionResult {
	t.Helper()
	resp, err := c.Interact(context.Background(), items)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resp.Results {
		if r.Outcome != want {
			t.Fatalf("result %+v, want %s", r, want)
		}
	}
	return resp.Results
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func ticket(hall, day, kiosk string, seq int) wire.Interaction {
	return wire.Interaction{ID: newID(), Kind: wire.KindTicket, Hall: hall, CreatedAt: time.Now(),
		Ticket: &wire.Ticket{Kiosk: kiosk, Category: "B", Day: day, Seq: seq, Number: fmt.Sprintf("B%s-%03d", kiosk, seq)}}
}

func rating(score int, comment string) wire.Interaction {
	return wire.Interaction{ID: newID(), Kind: wire.KindRating, Hall: "gulou", CreatedAt: time.Now(),
		Rating: &wire.Rating{Score: score, Comment: comment}}
}

func feedback(category, text, contact string) wire.Interaction {
	return wire.Interaction{ID: newID(), Kind: wire.KindFeedback, Hall: "gulou", CreatedAt: time.Now(),
		Feedback: &wire.Feedback{Category: category, Text: text, Contact: contact}}
}

// rows maps the first field of each table line that has one to the line.
func rows(out string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		for _, f := range strings.Fields(l) {
			if len(f) == 36 { // an interaction id
				m[f] = l
			}
		}
	}
	return m
}

func TestFeedbackListAndReply(t *testing.T) {
	b := newBackOffice(t)
	kiosk := b.sender("kiosk-a")
	other := b.sender("kiosk-b")
	const contact = "13852261234"
	long := strings.Repeat("排队叫号屏幕坏了，大家只能挤在窗口前面等。", 4) // 80 characters
	low := rating(1, "waited\ttwo hours\nat counter 3")
	complaint := feedback(wire.FeedbackComplaint, long, contact)
	idea := feedback(wire.FeedbackSuggestion, "more chairs", "")
	tk := ticket("gulou", time.Now().Format("20060102"), "1", 7)
	res := send(t, kiosk, wire.Accepted, low, complaint, idea, tk)
	send(t, other, wire.Accepted, rating(5, ""))
	api := []string{"--api", b.api}

	t.Run("table", func(t *testing.T) {
		rc, out, errOut := b.hallctl("", append(api, "feedback", "--staff-token", b.staff)...)
		if rc != exitOK || !strings.Contains(out, "5 interactions: 2 to follow up, 2 of them without a reply") {
			t.Fatalf("exit %d\n%s%s", rc, out, errOut)
		}
		if strings.Contains(out, contact) {
			t.Fatal("the table shows a contact number")
		}
		r := rows(out)
		for id, want := range map[string][]string{
			low.ID:       {"rating", res[0].Reference, "1/5", "yes", "waited two hours at counter 3"},
			complaint.ID: {"feedback", res[1].Reference, "complaint", "yes", string([]rune(long)[:textWidth]) + "…"},
			idea.ID:      {"feedback", "suggestion", "more chairs"},
			tk.ID:        {"ticket", "B1-007"},
		} {
			for _, w := range want {
				if !strings.Contains(r[id], w) {
					t.Errorf("row of %s lacks %q: %q", id, w, r[id])
				}
			}
		}
		if strings.Contains(r[complaint.ID], string([]rune(long)[:textWidth+1])) {
			t.Errorf("text not cut at %d characters: %q", textWidth, r[complaint.ID])
		}
	})
	t.Run("filters", func(t *testing.T) {
		t.Setenv(envStaffToken, b.staff)
		for _, tc := range []struct {
			args []string
			want []string
		}{
			{[]string{"--follow-up"}, []string{low.ID, complaint.ID}},
			{[]string{"--kind", "ticket"}, []string{tk.ID}},
			{[]string{"--kind", "feedback", "--hall", "gulou", "--day", time.Now().Format("20060102")}, []string{complaint.ID, idea.ID}},
			{[]string{"--hall", "tongshan"}, nil},
		} {
			rc, out, errOut := b.hallctl("", append(append(api, "feedback"), tc.args...)...)
			if got := rows(out); rc != exitOK || len(got) != len(tc.want) {
				t.Fatalf("%v: exit %d, %d rows, want %d\n%s%s", tc.args, rc, len(got), len(tc.want), out, errOut)
			}
			for _, id := range tc.want {
				if !strings.Contains(out, id) {
					t.Errorf("%v: %s missing", tc.args, id)
				}
			}
		}
	})
	t.Run("json has everything", func(t *testing.T) {
		rc, out, _ := b.hallctl("", append(api, "feedback", "--staff-token", b.staff, "--kind", "feedback", "--json")...)
		var list []wire.BackofficeInteraction
		if err := json.Unmarshal([]byte(out), &list); err != nil || rc != exitOK || len(list) != 2 {
			t.Fatalf("exit %d, %v\n%s", rc, err, out)
		}
		if list[1].Feedback.Contact != contact || list[1].Feedback.Text != long || list[1].Device == "" {
			t.Fatalf("json row %+v", list[1])
		}
	})

	before, err := kiosk.Changes(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("reply", func(t *testing.T) {
		rc, out, errOut := b.hallctl("", append(api, "reply", complaint.ID, "--staff-token", b.staff, "--zh", "已报修，明天修好。", "--en", "Reported; fixed tomorrow.")...)
		if rc != exitOK || !strings.Contains(out, "replied to feedback "+res[1].Reference+" (1 replies)") {
			t.Fatalf("exit %d\n%s%s", rc, out, errOut)
		}
		cr, err := kiosk.Changes(context.Background(), before.Cursor, 0)
		if err != nil || len(cr.Changes) != 1 {
			t.Fatalf("feed %+v, %v", cr, err)
		}
		if c := cr.Changes[0]; c.Kind != wire.ChangeReply || c.ID != complaint.ID || c.Tracking != res[1].Reference ||
			c.Note[catalog.LangZh] != "已报修，明天修好。" || c.Note[catalog.LangEn] != "Reported; fixed tomorrow." {
			t.Fatalf("change %+v", c)
		}
		if cr, _ := other.Changes(context.Background(), "", 0); len(cr.Changes) != 0 {
			t.Fatalf("another device got the reply: %+v", cr.Changes)
		}
		rc, out, _ = b.hallctl("", append(api, "feedback", "--staff-token", b.staff, "--follow-up")...)
		if rc != exitOK || !strings.Contains(out, "2 to follow up, 1 of them without a reply") || !strings.Contains(rows(out)[complaint.ID], " 1 ") {
			t.Fatalf("after the reply: exit %d\n%s", rc, out)
		}
	})
	t.Run("reply with flags first and --json", func(t *testing.T) {
		rc, out, errOut := b.hallctl("", append(api, "reply", "--staff-token", b.staff, "--en", "Noted.", "--json", idea.ID)...)
		var in wire.BackofficeInteraction
		if err := json.Unmarshal([]byte(out), &in); err != nil || rc != exitOK || in.ID != idea.ID || len(in.Replies) != 1 {
			t.Fatalf("exit %d, %v\n%s%s", rc, err, out, errOut)
		}
	})
	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name string
			args []string
			rc   int
			want string
		}{
			{"reply to a ticket", []string{"reply", tk.ID, "--zh", "好"}, exitError, "cannot be replied to"},
			{"reply to an unknown id", []string{"reply", newID(), "--zh", "好"}, exitError, "no rating or feedback has this id"},
			{"reply without text", []string{"reply", low.ID, "--zh", "  "}, exitUsage, "--zh TEXT"},
			{"reply without id", []string{"reply", "--zh", "好"}, exitUsage, "give the id"},
			{"reply too long", []string{"reply", low.ID, "--en", strings.Repeat("x", wire.MaxReplyText+1)}, exitUsage, "longer than"},
			{"two ids", []string{"reply", low.ID, "--zh", "好", idea.ID}, exitUsage, "one interaction id"},
			{"bad kind", []string{"feedback", "--kind", "complaint"}, exitUsage, "--kind"},
			{"bad day", []string{"feedback", "--day", "2026-03-02"}, exitUsage, "YYYYMMDD"},
			{"argument", []string{"feedback", "extra"}, exitUsage, "no arguments"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				args := append(append(api, tc.args...), "--staff-token", b.staff)
				if tc.name == "two ids" {
					args = append(api, append(tc.args[:3:3], "--staff-token", b.staff, tc.args[3])...)
				}
				rc, out, errOut := b.hallctl("", args...)
				if rc != tc.rc || !strings.Contains(errOut, tc.want) {
					t.Fatalf("exit %d, want %d with %q\n%s%s", rc, tc.rc, tc.want, out, errOut)
				}
			})
		}
		for _, cmd := range [][]string{{"feedback"}, {"reply", low.ID, "--zh", "好"}, {"tickets"}} {
			if rc, _, errOut := b.hallctl("", append(api, cmd...)...); rc != exitUsage || !strings.Contains(errOut, envStaffToken) {
				t.Errorf("%s without a token: exit %d %s", cmd[0], rc, errOut)
			}
			rc, _, errOut := b.hallctl("", append(append(api, cmd...), "--staff-token", "cds_nope")...)
			if rc != exitError || !strings.Contains(errOut, "refused the staff token") {
				t.Errorf("%s with a wrong token: exit %d %s", cmd[0], rc, errOut)
			}
		}
	})
	if n := len(mustList(t, b)); n != 5 {
		t.Fatalf("server holds %d interactions, want 5", n)
	}
}

func mustList(t *testing.T, b *backOffice) []wire.BackofficeInteraction {
	t.Helper()
	list, err := b.srv.Interactions(central.InteractionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestTickets(t *testing.T) {
	b := newBackOffice(t)
	a := b.sender("kiosk-a")
	c := b.sender("kiosk-c") // set up with kiosk A's prefix by mistake
	const day = "20260302"
	send(t, a, wire.Accepted, ticket("gulou", day, "1", 2), ticket("gulou", day, "1", 1), ticket("tongshan", day, "1", 1))
	send(t, c, wire.Conflict, ticket("gulou", day, "1", 1))
	api := []string{"--api", b.api, "tickets", "--staff-token", b.staff}

	rc, out, errOut := b.hallctl("", append(api, "--hall", "gulou", "--day", day)...)
	if rc != exitUnhealthy || !strings.Contains(out, "2 tickets; 1 clashes") || !strings.Contains(errOut, "check the kiosk prefixes") {
		t.Fatalf("exit %d, want %d\n%s%s", rc, exitUnhealthy, out, errOut)
	}
	first, second := strings.Index(out, "B1-001"), strings.Index(out, "B1-002")
	if first < 0 || second < first {
		t.Fatalf("tickets not listed in number order:\n%s", out)
	}

	rc, out, errOut = b.hallctl("", append(api, "--hall", "tongshan")...)
	if rc != exitOK || !strings.Contains(out, "1 tickets; no clashes") || !strings.Contains(out, "tongshan") {
		t.Fatalf("tongshan: exit %d\n%s%s", rc, out, errOut)
	}
	rc, out, _ = b.hallctl("", append(api, "--json")...)
	var got ticketsOut
	if err := json.Unmarshal([]byte(out), &got); err != nil || rc != exitUnhealthy || len(got.Tickets) != 3 || got.Clashes != 1 {
		t.Fatalf("json: exit %d, %v\n%s", rc, err, out)
	}
	if rc, out, _ := b.hallctl("", append(api, "--day", "20260301")...); rc != exitOK || !strings.Contains(out, "0 tickets; no clashes") {
		t.Fatalf("another day: exit %d\n%s", rc, out)
	}
	if rc, _, errOut := b.hallctl("", append(api, "--day", "yesterday")...); rc != exitUsage || !strings.Contains(errOut, "YYYYMMDD") {
		t.Fatalf("bad day: exit %d %s", rc, errOut)
	}
}

func TestNoticePublishAndWithdraw(t *testing.T) {
	b := newBackOffice(t)
	dev := b.sender("kiosk-a")
	api := []string{"--api", b.api, "notice"}
	shown := func() string {
		t.Helper()
		body, _, _, err := dev.Notices(context.Background(), "gulou", "")
		if err != nil {
			t.Fatal(err)
		}
		var nr wire.NoticesResponse
		if err := json.Unmarshal(body, &nr); err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, n := range nr.Notices {
			titles = append(titles, n.Title[catalog.LangEn])
		}
		return strings.Join(titles, ",")
	}

	rc, out, errOut := b.hallctl("", append(api, "publish", "--staff-token", b.staff, "--json", "--hall", "gulou", "--kind", "closure",
		"--title-zh", "停电通知", "--title-en", "Power cut", "--body-zh", "周三下午闭厅。", "--body-en", "Closed Wednesday afternoon.",
		"--from", "2026-01-01T00:00:00+08:00", "--until", "2099-01-01T00:00:00+08:00")...)
	var n wire.Notice
	if err := json.Unmarshal([]byte(out), &n); err != nil || rc != exitOK || n.ID == "" || n.Kind != wire.NoticeClosure ||
		n.Body[catalog.LangEn] != "Closed Wednesday afternoon." || n.Until.Year() != 2099 {
		t.Fatalf("publish: exit %d, %v\n%s%s", rc, err, out, errOut)
	}
	rc, out, errOut = b.hallctl("", append(api, "publish", "--staff-token", b.staff, "--kind", "info", "--title-zh", "新政策", "--title-en", "New policy")...)
	if rc != exitOK || !strings.Contains(out, "every hall") {
		t.Fatalf("publish for every hall: exit %d\n%s%s", rc, out, errOut)
	}
	if got := shown(); got != "New policy,Power cut" {
		t.Fatalf("device sees %q", got)
	}

	if rc, out, errOut := b.hallctl("", append(api, "withdraw", n.ID, "--staff-token", b.staff)...); rc != exitOK || !strings.Contains(out, "withdrew notice "+n.ID) {
		t.Fatalf("withdraw: exit %d\n%s%s", rc, out, errOut)
	}
	if got := shown(); got != "New policy" {
		t.Fatalf("after withdrawal the device sees %q", got)
	}

	tests := []struct {
		name string
		args []string
		rc   int
		want string
	}{
		{"withdraw again", []string{"withdraw", n.ID}, exitError, "no notice has this id"},
		{"withdraw without id", []string{"withdraw"}, exitUsage, "give the id"},
		{"no subcommand", nil, exitUsage, "publish or withdraw"},
		{"unknown subcommand", []string{"list"}, exitUsage, "publish or withdraw"},
		{"bad kind", []string{"publish", "--kind", "news", "--title-zh", "a", "--title-en", "a"}, exitUsage, "--kind"},
		{"one title", []string{"publish", "--kind", "info", "--title-zh", "通知"}, exitUsage, "--title-en"},
		{"bad from", []string{"publish", "--kind", "info", "--title-zh", "a", "--title-en", "a", "--from", "tomorrow"}, exitUsage, "RFC 3339"},
		{"until before from", []string{"publish", "--kind", "info", "--title-zh", "a", "--title-en", "a", "--from", "2026-03-02T00:00:00Z", "--until", "2026-03-01T00:00:00Z"}, exitUsage, "--until"},
		{"refused by the server", []string{"publish", "--kind", "info", "--title-zh", "a", "--title-en", strings.Repeat("t", 101)}, exitError, "longer than 100"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{}, api...), tc.args...)
			if len(tc.args) > 0 {
				args = append(args, "--staff-token", b.staff)
			}
			rc, out, errOut := b.hallctl("", args...)
			if rc != tc.rc || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, want %d with %q\n%s%s", rc, tc.rc, tc.want, out, errOut)
			}
		})
	}
}

func TestHelpListsBackOfficeCommands(t *testing.T) {
	b := newBackOffice(t)
	rc, out, _ := b.hallctl("", "help")
	for _, w := range []string{"feedback [--follow-up]", "reply   ID --zh TEXT", "tickets [--day YYYYMMDD]", "notice publish", "notice withdraw ID", "tickets found a clash"} {
		if rc != exitOK || !strings.Contains(out, w) {
			t.Errorf("help lacks %q", w)
		}
	}
}
