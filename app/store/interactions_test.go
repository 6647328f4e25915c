package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
)

// sentinelComment is a resident's words: it must never be on disk in clear,
// nor in an error or the journal.
const sentinelComment = "SENTINEL-comment-电梯坏了-call-13912345678"

// iid is the n-th interaction id, a valid UUID; ids sort as n does.
func iid(n int) string { return fmt.Sprintf("0190aaaa-bbbb-7ccc-8ddd-%012d", n) }

// ratingBody is a rating's JSON body holding the sentinel comment.
func ratingBody(id string, score int) []byte {
	b, err := json.Marshal(map[string]any{"id": id, "kind": "rating",
		"rating": map[string]any{"score": score, "comment": sentinelComment}})
	if err != nil {
		panic(err)
	}
	return b
}

func ticketBody(id string, seq int) []byte {
	return fmt.Appendf(nil, `{"id":%q,"kind":"ticket","ticket":{"kiosk":"2","category":"A","day":"20250314","seq":%d,"number":"A2-%03d"}}`, id, seq, seq)
}

func feedbackBody(id string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"kind":"feedback","feedback":{"category":"complaint","text":%q}}`, id, sentinelComment)
}

func ids(its []Interaction) []string {
	var out []string
	for _, it := range its {
		out = append(out, it.ID)
	}
	return out
}

// noBodyInJournal fails when any journal event holds the sentinel.
func noBodyInJournal(t *testing.T, s *Store) []Event {
	t.Helper()
	evs := journal(t, s)
	for _, e := range evs {
		if strings.Contains(e.Detail, "SENTINEL") || strings.Contains(e.Detail, "13912345678") {
			t.Errorf("journal event %+v holds the body", e)
		}
	}
	return evs
}

// rawGet reads one key of a bucket from the closed store's file.
func rawGet(t *testing.T, path string, bucket []byte, key string) []byte {
	t.Helper()
	var v []byte
	raw(t, path, func(tx *bolt.Tx) error {
		v = bytes.Clone(tx.Bucket(bucket).Get([]byte(key)))
		return nil
	})
	return v
}

func TestQueueAndPendingInteractions(t *testing.T) {
	s, clock := newTestStore(t)
	bodies := map[string][]byte{}
	for i, kind := range []string{"rating", "ticket", "feedback", "rating"} {
		id := iid(10 - i) // ids sort opposite to the queue order
		switch kind {
		case "rating":
			bodies[id] = ratingBody(id, 5)
		case "ticket":
			bodies[id] = ticketBody(id, i)
		default:
			bodies[id] = feedbackBody(id)
		}
		it := must[Interaction](t)(s.QueueInteraction(id, kind, bodies[id]))
		if it.ID != id || it.Kind != kind || it.State != InteractionQueued || !bytes.Equal(it.Body, bodies[id]) ||
			!it.QueuedAt.Equal(clock.Now()) || !it.CreatedAt.Equal(clock.Now()) || it.Purged || it.Attempts != 0 {
			t.Fatalf("queued %+v", it)
		}
		clock.Advance(time.Minute)
	}
	order := []string{iid(10), iid(9), iid(8), iid(7)}
	tests := []struct {
		max  int
		want []string
	}{
		{0, order},
		{-1, order},
		{1, order[:1]},
		{3, order[:3]},
		{10, order},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("max %d", tc.max), func(t *testing.T) {
			got := must[[]Interaction](t)(s.PendingInteractions(tc.max))
			if !reflect.DeepEqual(ids(got), tc.want) {
				t.Fatalf("pending %v, want %v", ids(got), tc.want)
			}
			for _, it := range got {
				if !bytes.Equal(it.Body, bodies[it.ID]) {
					t.Fatalf("%s: body not decrypted as queued", it.ID)
				}
			}
		})
	}
	st := must[QueueStats](t)(s.InteractionStats())
	var wantBytes int64
	for id, b := range bodies {
		wantBytes += int64(len(b) + len(id))
	}
	if st.Count != 4 || !st.Oldest.Equal(t0) || st.Bytes < wantBytes {
		t.Fatalf("stats %+v (bodies and ids: %d bytes)", st, wantBytes)
	}
	// Applications and interactions have separate queues.
	if ast := must[QueueStats](t)(s.Stats()); ast.Count != 0 {
		t.Fatalf("application queue %+v", ast)
	}
	evs := noBodyInJournal(t, s)
	for _, id := range order {
		if k := kinds(evs, id); !reflect.DeepEqual(k, []string{EventInteractionQueued}) {
			t.Fatalf("%s: journal %v", id, k)
		}
	}
	noErr(t, s.Check())
}

func TestQueueInteractionAgain(t *testing.T) {
	tests := []struct {
		name    string
		policy  Policy
		accept  bool // accepted (and, at a kiosk, purged) before the second queuing
		kind    string
		body    func(id string) []byte
		wantErr error
	}{
		{"same body", PolicyKiosk, false, "rating", func(id string) []byte { return ratingBody(id, 2) }, nil},
		{"same body, other whitespace", PolicyKiosk, false, "rating", func(id string) []byte {
			var b bytes.Buffer
			noErr(t, json.Indent(&b, ratingBody(id, 2), "", "  "))
			return b.Bytes()
		}, nil},
		{"other body", PolicyKiosk, false, "rating", func(id string) []byte { return ratingBody(id, 1) }, ErrState},
		{"other kind", PolicyKiosk, false, "feedback", func(id string) []byte { return ratingBody(id, 2) }, ErrState},
		{"same body after purge", PolicyKiosk, true, "rating", func(id string) []byte { return ratingBody(id, 2) }, nil},
		{"other body after purge", PolicyKiosk, true, "rating", func(id string) []byte { return ratingBody(id, 3) }, ErrState},
		{"same body after acceptance, kept", PolicyPersonal, true, "rating", func(id string) []byte { return ratingBody(id, 2) }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, clock := newTestStore(t, func(o *Options) { o.Policy = tc.policy })
			id := iid(1)
			first := must[Interaction](t)(s.QueueInteraction(id, "rating", ratingBody(id, 2)))
			if tc.accept {
				noErr(t, s.MarkInteractionAccepted(id, InteractionAcceptance{Reference: "FK1", At: t0.Add(time.Hour)}))
			}
			want := must[Interaction](t)(s.GetInteraction(id))
			clock.Advance(time.Hour)

			got, err := s.QueueInteraction(id, tc.kind, tc.body(id))
			if tc.wantErr != nil {
				mustIs(t, err, tc.wantErr)
				if strings.Contains(err.Error(), "SENTINEL") || !strings.Contains(err.Error(), "new id") {
					t.Fatalf("error %q quotes the body or does not say what to do", err)
				}
			} else {
				noErr(t, err)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("queued again: %+v, want the stored %+v", got, want)
				}
			}
			if after := must[Interaction](t)(s.GetInteraction(id)); !reflect.DeepEqual(after, want) {
				t.Fatalf("stored interaction changed: %+v", after)
			}
			if !bytes.Equal(first.Body, ratingBody(id, 2)) {
				t.Fatal("first body")
			}
			wantCount := 1
			if tc.accept {
				wantCount = 0
			}
			if st := must[QueueStats](t)(s.InteractionStats()); st.Count != wantCount {
				t.Fatalf("queue holds %d, want %d", st.Count, wantCount)
			}
			if k := kinds(journal(t, s), id); k[0] != EventInteractionQueued || strings.Count(strings.Join(k, " "), EventInteractionQueued) != 1 {
				t.Fatalf("journal %v: queued once only", k)
			}
			noErr(t, s.Check())
		})
	}
}

func TestQueueInteractionInvalid(t *testing.T) {
	s, _ := newTestStore(t)
	good := iid(1)
	big := append(append([]byte(`{"t":"`), bytes.Repeat([]byte("x"), MaxInteractionBody)...), `"}`...)
	tests := []struct {
		name, id, kind string
		body           []byte
		want           string // the message names the problem
	}{
		{"empty id", "", "rating", ratingBody(good, 4), "UUID"},
		{"id not a UUID", "app-1", "rating", ratingBody(good, 4), "UUID"},
		{"id with braces", "{" + good + "}", "rating", ratingBody(good, 4), "UUID"},
		{"id with a bad digit", "0190aaaa-bbbb-7ccc-8ddd-00000000000g", "rating", ratingBody(good, 4), "UUID"},
		{"no kind", good, "", ratingBody(good, 4), "kind"},
		{"unknown kind", good, "complaint", ratingBody(good, 4), "kind"},
		{"kind in capitals", good, "Rating", ratingBody(good, 4), "kind"},
		{"nil body", good, "rating", nil, "empty"},
		{"blank body", good, "rating", []byte(" \n"), "empty"},
		{"body not JSON", good, "rating", []byte(`{"comment":"` + sentinelComment), "not valid JSON"},
		{"body too large", good, "feedback", big, "larger than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.QueueInteraction(tc.id, tc.kind, tc.body)
			mustIs(t, err, ErrInvalid)
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "SENTINEL") || strings.Contains(err.Error(), "xxxx") {
				t.Fatalf("error %q: want it to mention %q and not quote the body", err, tc.want)
			}
		})
	}
	if all := must[[]Interaction](t)(s.Interactions("")); len(all) != 0 {
		t.Fatalf("invalid interactions were stored: %v", ids(all))
	}
	if len(journal(t, s)) != 0 {
		t.Fatal("invalid interactions were journaled")
	}
	// Upper-case hex is a UUID too.
	must[Interaction](t)(s.QueueInteraction(strings.ToUpper(good), "rating", ratingBody(good, 4)))
}

func TestMarkInteractionAccepted(t *testing.T) {
	srv := t0.Add(72 * time.Hour) // server time; the device clock is behind
	tests := []struct {
		policy     Policy
		wantPurged bool
	}{
		{PolicyKiosk, true},
		{PolicyPersonal, false},
	}
	for _, tc := range tests {
		t.Run(string(tc.policy), func(t *testing.T) {
			s, clock := newTestStore(t, func(o *Options) { o.Policy = tc.policy })
			a, b, c := iid(1), iid(2), iid(3)
			must[Interaction](t)(s.QueueInteraction(a, "rating", ratingBody(a, 1)))
			must[Interaction](t)(s.QueueInteraction(b, "ticket", ticketBody(b, 7)))
			must[Interaction](t)(s.QueueInteraction(c, "feedback", feedbackBody(c)))
			clock.Advance(time.Minute)

			noErr(t, s.MarkInteractionAccepted(a, InteractionAcceptance{Reference: "FK20250317-0001", FollowUp: true, At: srv}))
			noErr(t, s.MarkInteractionAccepted(b, InteractionAcceptance{})) // a ticket: no reference; no time given
			mustIs(t, s.MarkInteractionAccepted(iid(99), InteractionAcceptance{At: srv}), ErrNotFound)

			if p := ids(must[[]Interaction](t)(s.PendingInteractions(0))); !reflect.DeepEqual(p, []string{c}) {
				t.Fatalf("pending %v", p)
			}
			got := must[Interaction](t)(s.GetInteraction(a))
			if got.State != InteractionSent || got.Reference != "FK20250317-0001" || !got.FollowUp || !got.AcceptedAt.Equal(srv) ||
				got.Purged != tc.wantPurged || (got.Body == nil) != tc.wantPurged || got.LastError != "" {
				t.Fatalf("accepted %+v", got)
			}
			if tk := must[Interaction](t)(s.GetInteraction(b)); tk.State != InteractionSent || !tk.AcceptedAt.Equal(clock.Now()) || tk.Reference != "" {
				t.Fatalf("ticket %+v", tk)
			}

			// Accepting again changes nothing, but fills a reference that was missing.
			noErr(t, s.MarkInteractionAccepted(a, InteractionAcceptance{Reference: "OTHER", FollowUp: false, At: srv.Add(time.Hour)}))
			if again := must[Interaction](t)(s.GetInteraction(a)); !reflect.DeepEqual(again, got) {
				t.Fatalf("accepted twice: %+v", again)
			}
			noErr(t, s.MarkInteractionAccepted(b, InteractionAcceptance{Reference: "late"}))
			if tk := must[Interaction](t)(s.GetInteraction(b)); tk.Reference != "late" || tk.State != InteractionSent {
				t.Fatalf("ticket after a second acceptance: %+v", tk)
			}
			// A late acceptance of a refused interaction changes nothing.
			noErr(t, s.MarkInteractionRefused(c, InteractionRefused, "invalid"))
			refused := must[Interaction](t)(s.GetInteraction(c))
			noErr(t, s.MarkInteractionAccepted(c, InteractionAcceptance{Reference: "X", At: srv}))
			if again := must[Interaction](t)(s.GetInteraction(c)); !reflect.DeepEqual(again, refused) {
				t.Fatalf("a refused interaction changed on acceptance: %+v", again)
			}

			evs := noBodyInJournal(t, s)
			want := []string{EventInteractionQueued, EventInteractionSent}
			if tc.wantPurged {
				want = append(want, EventInteractionPurged)
			}
			if k := kinds(evs, a); !reflect.DeepEqual(k, want) {
				t.Fatalf("journal %v, want %v", k, want)
			}
			noErr(t, s.Check())
			noErr(t, s.Close())

			// On disk: the sealed body is gone at a kiosk, kept on a phone.
			for _, id := range []string{a, b} {
				if v := rawGet(t, s.Path(), bucketInteractionBodies, id); (v == nil) != tc.wantPurged {
					t.Fatalf("%s: sealed body on disk: %v, want purged %v", id, v != nil, tc.wantPurged)
				}
			}
			if rawGet(t, s.Path(), bucketInteractionBodies, c) == nil {
				t.Fatal("a refused interaction's body was purged")
			}
		})
	}
}

func TestMarkInteractionRefused(t *testing.T) {
	tests := []struct {
		state   InteractionState
		wantErr error
	}{
		{InteractionRefused, nil},
		{InteractionConflict, nil},
		{InteractionQueued, ErrInvalid},
		{InteractionSent, ErrInvalid},
		{"bogus", ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(string(tc.state), func(t *testing.T) {
			s, _ := newTestStore(t)
			a, b := iid(1), iid(2)
			must[Interaction](t)(s.QueueInteraction(a, "ticket", ticketBody(a, 1)))
			must[Interaction](t)(s.QueueInteraction(b, "ticket", ticketBody(b, 2)))
			err := s.MarkInteractionRefused(a, tc.state, "the number A2-001 is held by another ticket")
			if tc.wantErr != nil {
				mustIs(t, err, tc.wantErr)
				if it := must[Interaction](t)(s.GetInteraction(a)); it.State != InteractionQueued {
					t.Fatalf("state %s", it.State)
				}
				return
			}
			noErr(t, err)
			got := must[Interaction](t)(s.GetInteraction(a))
			if got.State != tc.state || got.LastError == "" || got.Body == nil || got.Purged {
				t.Fatalf("refused %+v", got)
			}
			if p := ids(must[[]Interaction](t)(s.PendingInteractions(0))); !reflect.DeepEqual(p, []string{b}) {
				t.Fatalf("pending %v", p)
			}
			if st := must[QueueStats](t)(s.InteractionStats()); st.Count != 1 {
				t.Fatalf("stats %+v", st)
			}
			// Repeated or late answers change nothing.
			other := InteractionConflict
			if tc.state == InteractionConflict {
				other = InteractionRefused
			}
			noErr(t, s.MarkInteractionRefused(a, tc.state, "again"))
			noErr(t, s.MarkInteractionRefused(a, other, "other"))
			noErr(t, s.MarkInteractionFailed(a, "late"))
			if again := must[Interaction](t)(s.GetInteraction(a)); !reflect.DeepEqual(again, got) {
				t.Fatalf("refused interaction changed: %+v, was %+v", again, got)
			}
			mustIs(t, s.MarkInteractionRefused(iid(99), tc.state, "x"), ErrNotFound)
			noErr(t, s.MarkInteractionAccepted(b, InteractionAcceptance{At: t0}))
			sent := must[Interaction](t)(s.GetInteraction(b))
			noErr(t, s.MarkInteractionRefused(b, tc.state, "x"))
			if again := must[Interaction](t)(s.GetInteraction(b)); !reflect.DeepEqual(again, sent) {
				t.Fatalf("a late refusal changed an accepted interaction: %+v", again)
			}
			if k := kinds(noBodyInJournal(t, s), a); !reflect.DeepEqual(k, []string{EventInteractionQueued, EventInteractionRefused}) {
				t.Fatalf("journal %v", k)
			}
			noErr(t, s.Check())
		})
	}
}

func TestMarkInteractionFailed(t *testing.T) {
	s, clock := newTestStore(t)
	a, b := iid(1), iid(2)
	must[Interaction](t)(s.QueueInteraction(a, "rating", ratingBody(a, 5)))
	clock.Advance(time.Second)
	must[Interaction](t)(s.QueueInteraction(b, "rating", ratingBody(b, 4)))
	noErr(t, s.MarkInteractionFailed(a, "HTTP 503"))
	noErr(t, s.MarkInteractionFailed(a, strings.Repeat("timeout ", 100)))
	got := must[Interaction](t)(s.GetInteraction(a))
	if got.State != InteractionQueued || got.Attempts != 2 || !strings.HasPrefix(got.LastError, "timeout") || len(got.LastError) > maxCause+len("…") {
		t.Fatalf("failed %+v", got)
	}
	// Still first in the queue.
	if p := ids(must[[]Interaction](t)(s.PendingInteractions(1))); !reflect.DeepEqual(p, []string{a}) {
		t.Fatalf("pending %v", p)
	}
	// Acceptance clears the last error.
	noErr(t, s.MarkInteractionAccepted(a, InteractionAcceptance{Reference: "R", At: t0}))
	if got := must[Interaction](t)(s.GetInteraction(a)); got.LastError != "" || got.Attempts != 2 {
		t.Fatalf("accepted %+v", got)
	}
	noErr(t, s.MarkInteractionFailed(a, "late")) // answered meanwhile: nothing changes
	if got := must[Interaction](t)(s.GetInteraction(a)); got.Attempts != 2 || got.LastError != "" || got.State != InteractionSent {
		t.Fatalf("a late failure changed an accepted interaction: %+v", got)
	}
	mustIs(t, s.MarkInteractionFailed(iid(99), "x"), ErrNotFound)
	if k := kinds(journal(t, s), a); !reflect.DeepEqual(k, []string{EventInteractionQueued, EventInteractionSent, EventInteractionPurged}) {
		t.Fatalf("journal %v: failures are not journaled", k)
	}
}

func TestInteractionReplies(t *testing.T) {
	srv := t0.Add(24 * time.Hour)
	zh := catalog.Text{"zh": "您好，电梯已修好。", "en": "The lift is repaired."}
	zh2 := catalog.Text{"zh": "补充：周末照常开放。"}
	type want struct {
		replies map[string][]Reply // interaction key -> replies
		app     lifecycle.Status
		events  int // "reply" events in all
	}
	tests := []struct {
		name  string
		pages [][]StatusChange // R, S: interactions (S purged); A: an accepted application; U: unknown
		want  want
	}{
		{
			name:  "one reply",
			pages: [][]StatusChange{{{Kind: ChangeReply, ID: "R", Note: zh, At: srv}}},
			want:  want{replies: map[string][]Reply{"R": {{zh, srv}}}, app: lifecycle.Received, events: 1},
		},
		{
			name: "replayed page is not recorded twice",
			pages: [][]StatusChange{
				{{Kind: ChangeReply, ID: "R", Note: zh, At: srv}},
				{{Kind: ChangeReply, ID: "R", Note: zh, At: srv}, {Kind: ChangeReply, ID: "R", Note: zh2, At: srv.Add(time.Hour)}},
				{{Kind: ChangeReply, ID: "R", Note: zh2, At: srv.Add(time.Hour)}},
			},
			want: want{replies: map[string][]Reply{"R": {{zh, srv}, {zh2, srv.Add(time.Hour)}}}, app: lifecycle.Received, events: 2},
		},
		{
			name:  "another text at the same time is another reply",
			pages: [][]StatusChange{{{Kind: ChangeReply, ID: "R", Note: zh, At: srv}, {Kind: ChangeReply, ID: "R", Note: zh2, At: srv}}},
			want:  want{replies: map[string][]Reply{"R": {{zh, srv}, {zh2, srv}}}, app: lifecycle.Received, events: 2},
		},
		{
			name: "unknown ids and empty replies skipped, status changes in the same page applied",
			pages: [][]StatusChange{{
				{Kind: ChangeReply, ID: "U", Note: zh, At: srv},
				{ID: "A", Tracking: "XZ-1", Status: lifecycle.InReview, At: srv},
				{Kind: ChangeReply, ID: "R", Note: nil, At: srv},
				{Kind: ChangeReply, ID: "A", Note: zh, At: srv}, // an application's id: not an interaction
				{Kind: ChangeReply, ID: "S", Note: zh2, At: srv.Add(time.Minute)},
				{ID: "A", Tracking: "XZ-1", Status: lifecycle.Approved, At: srv.Add(time.Hour)},
			}},
			want: want{replies: map[string][]Reply{"S": {{zh2, srv.Add(time.Minute)}}}, app: lifecycle.Approved, events: 1},
		},
		{
			name:  "kinds from a newer server are skipped",
			pages: [][]StatusChange{{{Kind: "notice", ID: "A", Status: lifecycle.Rejected, At: srv}, {Kind: "notice", ID: "R", Note: zh, At: srv}}},
			want:  want{app: lifecycle.Received},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestStore(t)
			keys := map[string]string{"R": iid(1), "S": iid(2), "U": iid(3)}
			must[Interaction](t)(s.QueueInteraction(keys["R"], "feedback", feedbackBody(keys["R"])))
			must[Interaction](t)(s.QueueInteraction(keys["S"], "rating", ratingBody(keys["S"], 1)))
			noErr(t, s.MarkInteractionAccepted(keys["R"], InteractionAcceptance{Reference: "FK1", FollowUp: true, At: t0}))
			noErr(t, s.MarkInteractionAccepted(keys["S"], InteractionAcceptance{Reference: "FK2", FollowUp: true, At: t0}))
			n := sampleApp(0)
			n.ID = "app-A"
			keys["A"] = n.ID
			must[Application](t)(s.Submit(n))
			noErr(t, s.MarkAccepted(n.ID, Acceptance{Tracking: "XZ-1", Status: lifecycle.Received, At: t0}))

			for i, page := range tc.pages {
				var cs []StatusChange
				for _, c := range page {
					c.ID = keys[c.ID]
					cs = append(cs, c)
				}
				cursor := fmt.Sprintf("c%d", i+1)
				noErr(t, s.ApplyChanges(cs, cursor))
				if cur := must[string](t)(s.Cursor()); cur != cursor {
					t.Fatalf("cursor %q", cur)
				}
			}
			for _, key := range []string{"R", "S"} {
				got := must[Interaction](t)(s.GetInteraction(keys[key]))
				if !reflect.DeepEqual(got.Replies, tc.want.replies[key]) {
					t.Fatalf("%s replies %+v, want %+v", key, got.Replies, tc.want.replies[key])
				}
				if got.State != InteractionSent {
					t.Fatalf("%s: a reply changed the state to %s", key, got.State)
				}
			}
			if st := must[Application](t)(s.Get(keys["A"])).State; st != tc.want.app {
				t.Fatalf("application %s, want %s", st, tc.want.app)
			}
			replies := 0
			for _, e := range noBodyInJournal(t, s) {
				if e.Kind == EventReply {
					replies++
					if e.ID != keys["R"] && e.ID != keys["S"] {
						t.Fatalf("reply event %+v", e)
					}
				}
			}
			if replies != tc.want.events {
				t.Fatalf("%d reply events, want %d", replies, tc.want.events)
			}
			noErr(t, s.Check())
		})
	}
}

func TestInteractionsList(t *testing.T) {
	s, clock := newTestStore(t, personalPolicy)
	// Two at the same time: the larger id is newer.
	must[Interaction](t)(s.QueueInteraction(iid(1), "rating", ratingBody(iid(1), 5)))
	must[Interaction](t)(s.QueueInteraction(iid(2), "feedback", feedbackBody(iid(2))))
	clock.Advance(time.Minute)
	must[Interaction](t)(s.QueueInteraction(iid(4), "ticket", ticketBody(iid(4), 1)))
	clock.Advance(time.Minute)
	must[Interaction](t)(s.QueueInteraction(iid(3), "rating", ratingBody(iid(3), 4)))
	noErr(t, s.MarkInteractionAccepted(iid(1), InteractionAcceptance{Reference: "FK1", At: t0}))
	noErr(t, s.MarkInteractionRefused(iid(2), InteractionConflict, "conflict"))

	tests := []struct {
		kind string
		want []string
	}{
		{"", []string{iid(3), iid(4), iid(2), iid(1)}},
		{"rating", []string{iid(3), iid(1)}},
		{"ticket", []string{iid(4)}},
		{"feedback", []string{iid(2)}},
	}
	for _, tc := range tests {
		t.Run("kind "+tc.kind, func(t *testing.T) {
			got := must[[]Interaction](t)(s.Interactions(tc.kind))
			if !reflect.DeepEqual(ids(got), tc.want) {
				t.Fatalf("%v, want %v", ids(got), tc.want)
			}
			for _, it := range got {
				if it.Body == nil || (tc.kind != "" && it.Kind != tc.kind) {
					t.Fatalf("%+v", it)
				}
				if one := must[Interaction](t)(s.GetInteraction(it.ID)); !reflect.DeepEqual(one, it) {
					t.Fatalf("GetInteraction %+v, listed %+v", one, it)
				}
			}
		})
	}
	_, err := s.Interactions("complaint")
	mustIs(t, err, ErrInvalid)
	_, err = s.GetInteraction(iid(99))
	mustIs(t, err, ErrNotFound)
}

func TestDeleteInteractions(t *testing.T) {
	s, _ := newTestStore(t, personalPolicy)
	for i := 1; i <= 3; i++ {
		must[Interaction](t)(s.QueueInteraction(iid(i), "rating", ratingBody(iid(i), 3)))
	}
	noErr(t, s.MarkInteractionAccepted(iid(1), InteractionAcceptance{Reference: "FK1", At: t0}))
	noErr(t, s.MarkInteractionRefused(iid(2), InteractionRefused, "invalid"))
	noErr(t, s.ApplyChanges([]StatusChange{{Kind: ChangeReply, ID: iid(1), Note: catalog.Text{"zh": "谢谢"}, At: t0}}, "c1"))
	app := must[Application](t)(s.Submit(sampleApp(0)))

	n, err := s.DeleteInteractions()
	noErr(t, err)
	if n != 3 {
		t.Fatalf("deleted %d", n)
	}
	if all := must[[]Interaction](t)(s.Interactions("")); len(all) != 0 {
		t.Fatalf("left %v", ids(all))
	}
	if p := must[[]Interaction](t)(s.PendingInteractions(0)); len(p) != 0 {
		t.Fatalf("pending %v", ids(p))
	}
	if st := must[QueueStats](t)(s.InteractionStats()); st != (QueueStats{}) {
		t.Fatalf("stats %+v", st)
	}
	for i := 1; i <= 3; i++ {
		_, err := s.GetInteraction(iid(i))
		mustIs(t, err, ErrNotFound)
	}
	// Applications are not touched.
	if got := must[Application](t)(s.Get(app.ID)); got.State != lifecycle.Queued {
		t.Fatalf("application %s", got.State)
	}
	evs := noBodyInJournal(t, s)
	for i, wantDetail := range []string{"rating", "rating", "rating; was queued"} {
		var del []Event
		for _, e := range evs {
			if e.ID == iid(i+1) && e.Kind == EventInteractionDeleted {
				del = append(del, e)
			}
		}
		if len(del) != 1 || del[0].Detail != wantDetail {
			t.Fatalf("%s: deletion events %+v", iid(i+1), del)
		}
	}
	noErr(t, s.Check())
	if n := must[int](t)(s.DeleteInteractions()); n != 0 {
		t.Fatalf("deleted %d from an empty store", n)
	}
	noErr(t, s.Close())
	raw(t, s.Path(), func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketInteractions, bucketInteractionBodies, bucketInteractionOutbox} {
			if k, _ := tx.Bucket(b).Cursor().First(); k != nil {
				t.Errorf("bucket %s still holds %q", b, k)
			}
		}
		return nil
	})
	// A new interaction after the deletion queues normally.
	s = openT(t, opts(dirOf(s), newClock(t0)))
	must[Interaction](t)(s.QueueInteraction(iid(5), "ticket", ticketBody(iid(5), 5)))
	if p := ids(must[[]Interaction](t)(s.PendingInteractions(0))); !reflect.DeepEqual(p, []string{iid(5)}) {
		t.Fatalf("pending %v", p)
	}
}

// TestInteractionsMigrationFromSchema2: a store written before interactions
// existed gets their buckets on its first writable open, and its
// applications are untouched.
func TestInteractionsMigrationFromSchema2(t *testing.T) {
	clock := newClock(t0)
	dir := t.TempDir()
	s := openT(t, opts(dir, clock))
	app := must[Application](t)(s.Submit(sampleApp(0)))
	noErr(t, s.Close())
	raw(t, s.Path(), func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketInteractions, bucketInteractionBodies, bucketInteractionOutbox} {
			noErr(t, tx.DeleteBucket(b))
		}
		return tx.Bucket(bucketMeta).Put(keySchemaVersion, []byte("2"))
	})

	// Read-only cannot migrate: it says so.
	ro := opts(dir, clock)
	ro.ReadOnly = true
	_, err := Open(ro)
	mustIs(t, err, ErrSchema)

	s = openT(t, opts(dir, clock))
	if s.SchemaVersion() != 3 || currentSchema() != 3 {
		t.Fatalf("schema %d", s.SchemaVersion())
	}
	noErr(t, s.Check())
	if got := must[Application](t)(s.Get(app.ID)); got.State != lifecycle.Queued || got.Values["name"] != sampleName {
		t.Fatalf("application after migration: %+v", got)
	}
	if st := must[QueueStats](t)(s.InteractionStats()); st.Count != 0 {
		t.Fatalf("stats %+v", st)
	}
	must[Interaction](t)(s.QueueInteraction(iid(1), "rating", ratingBody(iid(1), 5)))
	noErr(t, s.Close())

	// Reopened: already at 3, the interaction is still there.
	s = openT(t, opts(dir, clock))
	if s.SchemaVersion() != 3 {
		t.Fatalf("schema %d", s.SchemaVersion())
	}
	if p := ids(must[[]Interaction](t)(s.PendingInteractions(0))); !reflect.DeepEqual(p, []string{iid(1)}) {
		t.Fatalf("pending %v", p)
	}
	noErr(t, s.Check())
}

func TestInteractionsSurviveReopen(t *testing.T) {
	for _, policy := range []Policy{PolicyKiosk, PolicyPersonal} {
		t.Run(string(policy), func(t *testing.T) {
			clock := newClock(t0)
			dir := t.TempDir()
			o := opts(dir, clock)
			o.Policy = policy
			s := openT(t, o)
			for i := 1; i <= 4; i++ {
				must[Interaction](t)(s.QueueInteraction(iid(i), "feedback", feedbackBody(iid(i))))
				clock.Advance(time.Minute)
			}
			noErr(t, s.MarkInteractionAccepted(iid(1), InteractionAcceptance{Reference: "FK1", FollowUp: true, At: t0.Add(time.Hour)}))
			noErr(t, s.MarkInteractionRefused(iid(2), InteractionConflict, "held"))
			noErr(t, s.MarkInteractionFailed(iid(3), "HTTP 502"))
			noErr(t, s.ApplyChanges([]StatusChange{{Kind: ChangeReply, ID: iid(1), Note: catalog.Text{"zh": "已处理"}, At: t0.Add(2 * time.Hour)}}, "c1"))
			before := must[[]Interaction](t)(s.Interactions(""))
			stBefore := must[QueueStats](t)(s.InteractionStats())
			noErr(t, s.Close())

			s = openT(t, o)
			after := must[[]Interaction](t)(s.Interactions(""))
			if !reflect.DeepEqual(after, before) {
				t.Fatalf("after reopening:\n%+v\nbefore:\n%+v", after, before)
			}
			if st := must[QueueStats](t)(s.InteractionStats()); st != stBefore || st.Count != 2 {
				t.Fatalf("stats %+v, before %+v", st, stBefore)
			}
			if p := ids(must[[]Interaction](t)(s.PendingInteractions(0))); !reflect.DeepEqual(p, []string{iid(3), iid(4)}) {
				t.Fatalf("pending %v", p)
			}
			noErr(t, s.Check())
		})
	}
}

func TestInteractionBodyNeverInClear(t *testing.T) {
	s, _ := newTestStore(t, personalPolicy)
	a, b := iid(1), iid(2)
	must[Interaction](t)(s.QueueInteraction(a, "rating", ratingBody(a, 1)))
	must[Interaction](t)(s.QueueInteraction(b, "feedback", feedbackBody(b)))
	noErr(t, s.MarkInteractionAccepted(a, InteractionAcceptance{Reference: "FK1", At: t0}))
	noErr(t, s.MarkInteractionFailed(b, "HTTP 503"))
	noBodyInJournal(t, s)
	noErr(t, s.Close())
	content, err := os.ReadFile(s.Path())
	noErr(t, err)
	for _, secret := range []string{"SENTINEL-comment", "电梯坏了", "13912345678", `"comment"`} {
		if bytes.Contains(content, []byte(secret)) {
			t.Errorf("the store file contains %q in clear", secret)
		}
	}
	// The sentinel proves the test looks at the right bytes: bodies round-trip.
	s = openT(t, opts(dirOf(s), newClock(t0)))
	if got := must[Interaction](t)(s.GetInteraction(b)); !bytes.Contains(got.Body, []byte(sentinelComment)) {
		t.Fatal("the body did not round-trip")
	}
}

func TestTamperedInteractionBodies(t *testing.T) {
	clock := newClock(t0)
	dir := t.TempDir()
	s := openT(t, opts(dir, clock))
	a, b, c := iid(1), iid(2), iid(3)
	for _, id := range []string{a, b, c} {
		must[Interaction](t)(s.QueueInteraction(id, "rating", ratingBody(id, 5)))
	}
	noErr(t, s.Close())
	raw(t, s.Path(), func(tx *bolt.Tx) error {
		bb := tx.Bucket(bucketInteractionBodies)
		// a: one ciphertext bit flipped. b: c's (valid) sealed body under b's id.
		v := bytes.Clone(bb.Get([]byte(a)))
		v[len(v)-5] ^= 1
		noErr(t, bb.Put([]byte(a), v))
		return bb.Put([]byte(b), bytes.Clone(bb.Get([]byte(c))))
	})
	s = openT(t, opts(dir, clock))
	for _, id := range []string{a, b} {
		_, err := s.GetInteraction(id)
		mustIs(t, err, ErrKey)
		if !strings.Contains(err.Error(), id) || !strings.Contains(err.Error(), "does not match this store") {
			t.Fatalf("error: %v", err)
		}
	}
	_, err := s.Interactions("")
	mustIs(t, err, ErrKey)
	err = s.Check()
	mustIs(t, err, ErrKey)
	mustIs(t, err, ErrCorrupt)

	// The broken ones do not block the queue: they are refused, with a reason.
	if p := ids(must[[]Interaction](t)(s.PendingInteractions(0))); !reflect.DeepEqual(p, []string{c}) {
		t.Fatalf("pending %v", p)
	}
	for _, id := range []string{a, b} {
		var r interactionRecord
		noErr(t, s.view(func(tx *bolt.Tx) error {
			var err error
			r, err = getInteractionRecord(tx, id)
			return err
		}))
		if r.State != InteractionRefused || !strings.Contains(r.LastError, "cannot be read") || r.OutboxKey != nil {
			t.Fatalf("%s: %+v", id, r)
		}
	}
	if st := must[QueueStats](t)(s.InteractionStats()); st.Count != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestInteractionsReadOnly(t *testing.T) {
	clock := newClock(t0)
	dir := t.TempDir()
	s := openT(t, opts(dir, clock))
	a := iid(1)
	must[Interaction](t)(s.QueueInteraction(a, "rating", ratingBody(a, 5)))
	noErr(t, s.Close())

	o := opts(dir, clock)
	o.ReadOnly = true
	ro := openT(t, o)
	writes := map[string]func() error{
		"QueueInteraction":        func() error { _, err := ro.QueueInteraction(iid(2), "rating", ratingBody(iid(2), 5)); return err },
		"MarkInteractionAccepted": func() error { return ro.MarkInteractionAccepted(a, InteractionAcceptance{}) },
		"MarkInteractionRefused":  func() error { return ro.MarkInteractionRefused(a, InteractionRefused, "x") },
		"MarkInteractionFailed":   func() error { return ro.MarkInteractionFailed(a, "x") },
		"DeleteInteractions":      func() error { _, err := ro.DeleteInteractions(); return err },
	}
	for name, w := range writes {
		if err := w(); !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s: got %v, want ErrReadOnly", name, err)
		}
	}
	if p := ids(must[[]Interaction](t)(ro.PendingInteractions(0))); !reflect.DeepEqual(p, []string{a}) {
		t.Fatalf("pending %v", p)
	}
	noErr(t, ro.Check())
	noErr(t, ro.Close())

	// With the wrong key, read-only: records list, bodies do not decrypt.
	o.Key = bytes.Repeat([]byte{0x13}, 32)
	ro = openT(t, o)
	_, err := ro.GetInteraction(a)
	mustIs(t, err, ErrKey)
	_, err = ro.PendingInteractions(0)
	mustIs(t, err, ErrKey)
	if st := must[QueueStats](t)(ro.InteractionStats()); st.Count != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCheckInteractions(t *testing.T) {
	type ids3 struct{ queued, sent, refused string }
	tests := []struct {
		name   string
		damage func(tx *bolt.Tx, x ids3) error
		want   string
		key    bool // also ErrKey
	}{
		{"orphan outbox entry", func(tx *bolt.Tx, _ ids3) error {
			return tx.Bucket(bucketInteractionOutbox).Put(seqKey(999, iid(99)), []byte(iid(99)))
		}, "does not exist", false},
		{"outbox entry for a sent one", func(tx *bolt.Tx, x ids3) error {
			return tx.Bucket(bucketInteractionOutbox).Put(seqKey(998, x.sent), []byte(x.sent))
		}, "which is sent", false},
		{"queued without outbox entry", func(tx *bolt.Tx, _ ids3) error {
			c := tx.Bucket(bucketInteractionOutbox).Cursor()
			k, _ := c.First()
			return tx.Bucket(bucketInteractionOutbox).Delete(k)
		}, "no outbox entry", false},
		{"body missing", func(tx *bolt.Tx, x ids3) error {
			return tx.Bucket(bucketInteractionBodies).Delete([]byte(x.refused))
		}, "body missing", false},
		{"purged but body stored", func(tx *bolt.Tx, x ids3) error {
			return tx.Bucket(bucketInteractionBodies).Put([]byte(x.sent), bytes.Clone(tx.Bucket(bucketInteractionBodies).Get([]byte(x.queued))))
		}, "purged but its body is still stored", false},
		{"body of no interaction", func(tx *bolt.Tx, x ids3) error {
			return tx.Bucket(bucketInteractionBodies).Put([]byte(iid(98)), []byte("x"))
		}, "has no interaction", false},
		{"body does not decrypt", func(tx *bolt.Tx, x ids3) error {
			return tx.Bucket(bucketInteractionBodies).Put([]byte(x.queued), bytes.Clone(tx.Bucket(bucketInteractionBodies).Get([]byte(x.refused))))
		}, "does not decrypt", true},
		{"record does not decode", func(tx *bolt.Tx, x ids3) error {
			return tx.Bucket(bucketInteractions).Put([]byte(x.refused), []byte("{"))
		}, "record does not decode", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock(t0)
			dir := t.TempDir()
			s := openT(t, opts(dir, clock))
			x := ids3{iid(1), iid(2), iid(3)}
			for _, id := range []string{x.queued, x.sent, x.refused} {
				must[Interaction](t)(s.QueueInteraction(id, "rating", ratingBody(id, 5)))
			}
			noErr(t, s.MarkInteractionAccepted(x.sent, InteractionAcceptance{At: t0}))
			noErr(t, s.MarkInteractionRefused(x.refused, InteractionRefused, "invalid"))
			noErr(t, s.Check())
			noErr(t, s.Close())
			raw(t, s.Path(), func(tx *bolt.Tx) error { return tc.damage(tx, x) })
			s = openT(t, opts(dir, clock))
			err := s.Check()
			mustIs(t, err, ErrCorrupt)
			if tc.key {
				mustIs(t, err, ErrKey)
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "SENTINEL") {
				t.Fatalf("Check: %v, want it to mention %q", err, tc.want)
			}
		})
	}
}
