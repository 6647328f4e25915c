package enginetest

import (
	"errors"
	"testing"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/app/store"
)

func TestMemQueueInteractions(t *testing.T) {
	clock := NewFakeClock(time.Date(2030, 3, 1, 9, 0, 0, 0, time.UTC))
	q := NewMemQueue()
	q.Now, q.Kiosk = clock.Now, true
	const a, b = "0195a1b2-0000-7000-8000-000000000001", "0195a1b2-0000-7000-8000-000000000002"
	body := []byte(`{"id":"x"}`)

	for _, tc := range []struct{ id, kind string }{{"nope", "rating"}, {a, "vote"}} {
		if _, err := q.QueueInteraction(tc.id, tc.kind, body); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("QueueInteraction(%q, %q) = %v, want ErrInvalid", tc.id, tc.kind, err)
		}
	}
	if _, err := q.QueueInteraction(a, "rating", []byte("{")); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("a body that is not JSON: %v, want ErrInvalid", err)
	}
	if _, err := q.QueueInteraction(a, "rating", body); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	if _, err := q.QueueInteraction(b, "feedback", body); err != nil {
		t.Fatal(err)
	}
	p, err := q.PendingInteractions(1)
	if err != nil || len(p) != 1 || p[0].ID != a {
		t.Fatalf("PendingInteractions(1) = %v, %v; want the oldest", p, err)
	}
	st, _ := q.InteractionStats()
	if st.Count != 2 || !st.Oldest.Equal(clock.Now().Add(-time.Minute)) {
		t.Errorf("stats = %+v", st)
	}

	acc := store.InteractionAcceptance{Reference: "FK-1", FollowUp: true, At: clock.Now()}
	if err := q.MarkInteractionAccepted(a, acc); err != nil {
		t.Fatal(err)
	}
	// A second acceptance (a duplicate answer) leaves it as it is.
	if err := q.MarkInteractionAccepted(a, store.InteractionAcceptance{Reference: "FK-2"}); err != nil {
		t.Fatal(err)
	}
	it, _ := q.GetInteraction(a)
	if it.State != store.InteractionSent || it.Reference != "FK-1" || !it.Purged || it.Body != nil {
		t.Errorf("accepted = %+v", it)
	}
	if err := q.MarkInteractionRefused(b, store.InteractionQueued, "x"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("refusing into queued: %v, want ErrInvalid", err)
	}
	if err := q.MarkInteractionAccepted("0195a1b2-0000-7000-8000-00000000000f", acc); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown id: %v, want ErrNotFound", err)
	}
	if ids := q.QueuedInteractions(); len(ids) != 1 || ids[0] != b {
		t.Errorf("queued = %v", ids)
	}

	note := catalog.Text{catalog.LangEn: "done"}
	reply := store.StatusChange{Kind: store.ChangeReply, ID: a, At: clock.Now(), Note: note}
	if err := q.ApplyChanges([]store.StatusChange{reply, reply, {Kind: store.ChangeReply, ID: "unknown"}}, "1"); err != nil {
		t.Fatal(err)
	}
	if it, _ := q.GetInteraction(a); len(it.Replies) != 1 {
		t.Errorf("replies = %+v, want one", it.Replies)
	}
	list, _ := q.Interactions("")
	if len(list) != 2 || list[0].ID != b {
		t.Errorf("Interactions newest first = %v", list)
	}
}
