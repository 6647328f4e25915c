package engine

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/sync/client"
	"civicdesk/sync/engine/enginetest"
	"civicdesk/sync/wire"
)

// fakeInteractions is the fake central's interactions endpoint:
// idempotent by id, a ticket's number held once per hall and day, knobs to
// make it misbehave, and what it saw.
type fakeInteractions struct {
	outcome  map[string]wire.Outcome // per id: Invalid or Retry; default Accepted
	badBatch map[string]bool         // a batch holding this id gets HTTP 400
	omit     map[string]bool         // the answer leaves this id out
	fail     []int                   // statuses for the next requests, consumed in order (0: answer normally)
	cut      int                     // the next N requests: the connection is closed without an answer
	// records
	accepted map[string]wire.InteractionResult
	payload  map[string]string // id -> the accepted item's JSON
	numbers  map[string]string // hall|day|number -> the ticket's id
	hits     map[string]int    // how often each id arrived
	batches  [][]string        // ids of every request that was decoded
	requests int
	seq      int
}

func (f *fakeCentral) serveInteractions(w http.ResponseWriter, r *http.Request) {
	fi := &f.inter
	f.mu.Lock()
	fi.requests++
	f.trace = append(f.trace, "interact")
	cut := fi.cut > 0
	if cut {
		fi.cut--
	}
	f.mu.Unlock()
	if cut {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, wire.Error{Code: "bad_request", Message: "bad gzip"})
			return
		}
		body = zr
	}
	var req wire.InteractionsRequest
	if r.Method != http.MethodPost || json.NewDecoder(body).Decode(&req) != nil {
		writeJSON(w, http.StatusBadRequest, wire.Error{Code: "bad_request"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if fi.hits == nil {
		fi.accepted, fi.payload, fi.numbers, fi.hits = map[string]wire.InteractionResult{}, map[string]string{}, map[string]string{}, map[string]int{}
	}
	ids := make([]string, len(req.Items))
	for i, it := range req.Items {
		ids[i] = it.ID
		fi.hits[it.ID]++
	}
	fi.batches = append(fi.batches, ids)
	if len(fi.fail) > 0 {
		st := fi.fail[0]
		fi.fail = fi.fail[1:]
		if st != 0 {
			writeJSON(w, st, wire.Error{Code: "unavailable", Message: "try later"})
			return
		}
	}
	for _, it := range req.Items {
		if fi.badBatch[it.ID] {
			writeJSON(w, http.StatusBadRequest, wire.Error{Code: "bad_request", Message: "an item cannot be decoded",
				Errors: []catalog.FieldError{{Field: "kind", Code: "malformed"}}})
			return
		}
	}
	resp := wire.InteractionsResponse{ServerTime: f.now}
	for _, it := range req.Items {
		if !fi.omit[it.ID] {
			resp.Results = append(resp.Results, f.interactionResult(it))
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// interactionResult is the idempotent per-item answer; f.mu is held.
func (f *fakeCentral) interactionResult(it wire.Interaction) wire.InteractionResult {
	fi := &f.inter
	it.CreatedAt = it.CreatedAt.UTC()
	b, _ := json.Marshal(it)
	if prev, ok := fi.accepted[it.ID]; ok {
		if fi.payload[it.ID] != string(b) {
			return wire.InteractionResult{ID: it.ID, Outcome: wire.Conflict, Message: "another interaction holds this id"}
		}
		prev.Duplicate = true
		return prev
	}
	switch o := fi.outcome[it.ID]; o {
	case wire.Invalid:
		return wire.InteractionResult{ID: it.ID, Outcome: o, Message: "fix the fields",
			Errors: []catalog.FieldError{{Field: "rating.comment", Code: wire.CodeCommentRequired, Message: "a low rating needs a comment"}}}
	case wire.Retry:
		return wire.InteractionResult{ID: it.ID, Outcome: o, Message: "busy"}
	}
	if fes := it.Check(); len(fes) > 0 {
		return wire.InteractionResult{ID: it.ID, Outcome: wire.Invalid, Errors: fes}
	}
	if t := it.Ticket; t != nil {
		key := it.Hall + "|" + t.Day + "|" + t.Number
		if holder, ok := fi.numbers[key]; ok && holder != it.ID {
			return wire.InteractionResult{ID: it.ID, Outcome: wire.Conflict, Message: "another ticket holds this number"}
		}
		fi.numbers[key] = it.ID
	}
	fi.seq++
	r := wire.InteractionResult{ID: it.ID, Outcome: wire.Accepted, FollowUp: it.FollowUp(), AcceptedAt: f.now}
	if it.Kind != wire.KindTicket {
		r.Reference = fmt.Sprintf("FK-%04d", fi.seq)
	}
	fi.accepted[it.ID] = r
	fi.payload[it.ID] = string(b)
	return r
}

// newInteractionID is a time-ordered UUID, as devices make them.
func newInteractionID(t *testing.T) string {
	t.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	return id.String()
}

func ratingOf(id string, score int, comment string) wire.Interaction {
	return wire.Interaction{ID: id, Kind: wire.KindRating, CreatedAt: serverNow.Add(-time.Hour),
		Rating: &wire.Rating{Score: score, Comment: comment, Service: "svc"}}
}

func feedbackOf(id, category string) wire.Interaction {
	return wire.Interaction{ID: id, Kind: wire.KindFeedback, CreatedAt: serverNow.Add(-time.Hour),
		Feedback: &wire.Feedback{Category: category, Text: "the queue display was dark all morning"}}
}

func ticketOf(id, kiosk string, seq int) wire.Interaction {
	return wire.Interaction{ID: id, Kind: wire.KindTicket, Hall: "H1", CreatedAt: serverNow.Add(-time.Hour),
		Ticket: &wire.Ticket{Kiosk: kiosk, Category: "A", Day: "20300301", Seq: seq, Number: fmt.Sprintf("A%s-%03d", kiosk, seq)}}
}

// queue queues interactions through QueueInteraction and returns their ids.
func (r *rig) queue(t *testing.T, ins ...wire.Interaction) []string {
	t.Helper()
	ids := make([]string, len(ins))
	for i, in := range ins {
		if _, err := QueueInteraction(r.q, in); err != nil {
			t.Fatalf("QueueInteraction %d: %v", i, err)
		}
		ids[i] = in.ID
	}
	return ids
}

func mustInteraction(t *testing.T, q *enginetest.MemQueue, id string) store.Interaction {
	t.Helper()
	it, err := q.GetInteraction(id)
	if err != nil {
		t.Fatalf("interaction %s: %v", id, err)
	}
	return it
}

// drainEvents returns the events buffered so far.
func drainEvents(ch <-chan Event) []Event {
	var out []Event
	for {
		select {
		case ev := <-ch:
			out = append(out, ev)
		default:
			return out
		}
	}
}

func eventsOf(evs []Event, kind EventKind) []Event {
	var out []Event
	for _, ev := range evs {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

func newInteractionRig(t *testing.T, mod func(*Config)) *rig {
	t.Helper()
	r := newRig(t, serverNow, func(c *Config) {
		c.NoCatalog = true
		if mod != nil {
			mod(c)
		}
	})
	r.q.Now = r.clock.Now
	return r
}

func TestQueueInteraction(t *testing.T) {
	q := enginetest.NewMemQueue()
	t.Run("invalid is not queued", func(t *testing.T) {
		_, err := QueueInteraction(q, ratingOf(newInteractionID(t), wire.RatingVeryDissatisfied, " "))
		if !errors.Is(err, ErrInvalidInteraction) {
			t.Fatalf("err = %v, want ErrInvalidInteraction", err)
		}
		var ie *InvalidInteractionError
		if !errors.As(err, &ie) || len(ie.Errors) != 1 || ie.Errors[0].Field != "rating.comment" || ie.Errors[0].Code != wire.CodeCommentRequired {
			t.Fatalf("field errors = %+v", ie)
		}
		if n := len(q.QueuedInteractions()); n != 0 {
			t.Errorf("%d queued, want 0", n)
		}
	})
	t.Run("valid round-trips", func(t *testing.T) {
		in := feedbackOf(newInteractionID(t), wire.FeedbackComplaint)
		in.Feedback.Contact = "13812345678"
		it, err := QueueInteraction(q, in)
		if err != nil {
			t.Fatal(err)
		}
		if it.State != store.InteractionQueued || it.Kind != wire.KindFeedback || it.ID != in.ID {
			t.Errorf("stored = %+v", it)
		}
		back, err := DecodeInteraction(it)
		if err != nil {
			t.Fatal(err)
		}
		if !back.CreatedAt.Equal(in.CreatedAt) || *back.Feedback != *in.Feedback || back.ID != in.ID {
			t.Errorf("decoded %+v, want %+v", back, in)
		}
		// Queuing it again is a no-op; another body under the id is refused.
		if _, err := QueueInteraction(q, in); err != nil {
			t.Errorf("queuing again: %v", err)
		}
		in.Feedback.Text = "something else"
		if _, err := QueueInteraction(q, in); !errors.Is(err, store.ErrState) {
			t.Errorf("another body under the id: %v, want store.ErrState", err)
		}
		if n := len(q.QueuedInteractions()); n != 1 {
			t.Errorf("%d queued, want 1", n)
		}
	})
	t.Run("purged decodes to id and kind", func(t *testing.T) {
		w, err := DecodeInteraction(store.Interaction{ID: "x", Kind: wire.KindRating, Purged: true})
		if err != nil || w.ID != "x" || w.Kind != wire.KindRating || w.Rating != nil {
			t.Errorf("= %+v, %v", w, err)
		}
	})
	t.Run("damaged body", func(t *testing.T) {
		_, err := DecodeInteraction(store.Interaction{ID: "x", Kind: wire.KindRating, Body: []byte(`{"rating":{"comment":"SECRET`)})
		if !errors.Is(err, ErrInteractionUnreadable) {
			t.Fatalf("err = %v, want ErrInteractionUnreadable", err)
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("the error quotes the body: %v", err)
		}
	})
}

func TestInteractionsAccepted(t *testing.T) {
	for _, kiosk := range []bool{false, true} {
		t.Run(fmt.Sprintf("kiosk=%v", kiosk), func(t *testing.T) {
			r := newInteractionRig(t, nil)
			r.q.Kiosk = kiosk
			events, cancel := r.eng.Subscribe(100)
			defer cancel()
			ids := r.queue(t,
				ratingOf(newInteractionID(t), wire.RatingVeryDissatisfied, "waited two hours"),
				ratingOf(newInteractionID(t), wire.RatingVerySatisfied, ""),
				feedbackOf(newInteractionID(t), wire.FeedbackComplaint),
				ticketOf(newInteractionID(t), "1", 1))
			if st := r.eng.Status(); st.PendingInteractions != 0 {
				t.Fatalf("status before any round counts %d interactions", st.PendingInteractions)
			}
			rep, err := r.sync(t)
			if err != nil {
				t.Fatalf("SyncOnce: %v", err)
			}
			want := Report{InteractionBatches: 1, Interactions: 4, InteractionsAccepted: 4}
			if rep != want {
				t.Errorf("report = %+v, want %+v", rep, want)
			}
			followUp := []bool{true, false, true, false}
			evs := eventsOf(drainEvents(events), InteractionAccepted)
			if len(evs) != 4 {
				t.Fatalf("%d InteractionAccepted events, want 4", len(evs))
			}
			for i, id := range ids {
				it := mustInteraction(t, r.q, id)
				wantRef := fmt.Sprintf("FK-%04d", i+1)
				if i == 3 {
					wantRef = "" // tickets have no reference
				}
				if it.State != store.InteractionSent || it.Reference != wantRef || it.FollowUp != followUp[i] || !it.AcceptedAt.Equal(serverNow) {
					t.Errorf("interaction %d = state %s ref %q follow-up %v at %v", i, it.State, it.Reference, it.FollowUp, it.AcceptedAt)
				}
				if it.Purged != kiosk || (it.Body == nil) != kiosk {
					t.Errorf("interaction %d: purged %v, body %d bytes; kiosk policy %v", i, it.Purged, len(it.Body), kiosk)
				}
				ev := evs[i]
				wantMsg := ""
				if followUp[i] {
					wantMsg = "follow_up"
				}
				if ev.ID != id || ev.Tracking != wantRef || ev.Message != wantMsg || !ev.At.Equal(serverNow) {
					t.Errorf("event %d = %+v", i, ev)
				}
			}
			if st := r.eng.Status(); st.PendingInteractions != 0 || !st.OldestInteraction.IsZero() || !st.NextAttempt.Equal(serverNow.Add(DefaultInterval)) {
				t.Errorf("status = %+v", st)
			}
			// The next round sends nothing.
			rep, err = r.sync(t)
			if err != nil || rep.InteractionBatches != 0 || rep.Interactions != 0 {
				t.Errorf("second round: %+v, %v", rep, err)
			}
		})
	}
}

func TestInteractionDuplicate(t *testing.T) {
	r := newInteractionRig(t, nil)
	in := ratingOf(newInteractionID(t), wire.RatingDissatisfied, "slow")
	r.queue(t, in)
	if _, err := r.sync(t); err != nil {
		t.Fatal(err)
	}
	// A second device state that never heard the answer (restored from a
	// backup) sends the same interaction again: the original result.
	r2 := newInteractionRig(t, nil)
	r2.eng = New(r2.q, r.api, Config{Clock: r2.clock, Rand: func() float64 { return 0.5 }, NoCatalog: true})
	r2.queue(t, in)
	rep, err := r2.sync(t)
	if err != nil {
		t.Fatal(err)
	}
	if rep.InteractionsAccepted != 1 || rep.InteractionsDuplicates != 1 {
		t.Errorf("report = %+v, want 1 accepted duplicate", rep)
	}
	if it := mustInteraction(t, r2.q, in.ID); it.Reference != "FK-0001" || !it.FollowUp {
		t.Errorf("duplicate = ref %q follow-up %v, want the original FK-0001 with a follow-up", it.Reference, it.FollowUp)
	}
	r.srv.do(func() {
		if n := len(r.srv.inter.accepted); n != 1 {
			t.Errorf("server holds %d interactions, want 1", n)
		}
	})
}

func TestInteractionRefusals(t *testing.T) {
	r := newInteractionRig(t, nil)
	events, cancel := r.eng.Subscribe(100)
	defer cancel()
	first := ticketOf(newInteractionID(t), "1", 7)
	r.queue(t, first)
	if _, err := r.sync(t); err != nil {
		t.Fatal(err)
	}
	clash := ticketOf(newInteractionID(t), "1", 7) // a second kiosk set up with prefix 1
	invalid := ratingOf(newInteractionID(t), wire.RatingBasicallySatisfied, "")
	ok := feedbackOf(newInteractionID(t), wire.FeedbackSuggestion)
	r.srv.do(func() { r.srv.inter.outcome = map[string]wire.Outcome{invalid.ID: wire.Invalid} })
	r.queue(t, clash, invalid, ok)
	drainEvents(events)
	rep, err := r.sync(t)
	if err != nil {
		t.Fatalf("refusals are answers, not failures: %v", err)
	}
	if rep.Interactions != 3 || rep.InteractionsAccepted != 1 || rep.InteractionsConflicts != 1 || rep.InteractionsRefused != 1 || rep.InteractionsTransient != 0 {
		t.Errorf("report = %+v", rep)
	}
	c := mustInteraction(t, r.q, clash.ID)
	if c.State != store.InteractionConflict || !strings.Contains(c.LastError, "number") {
		t.Errorf("clashing ticket = state %s, last error %q", c.State, c.LastError)
	}
	in := mustInteraction(t, r.q, invalid.ID)
	if in.State != store.InteractionRefused || !strings.Contains(in.LastError, "rating.comment") {
		t.Errorf("invalid rating = state %s, last error %q", in.State, in.LastError)
	}
	if it := mustInteraction(t, r.q, ok.ID); it.State != store.InteractionSent {
		t.Errorf("the good one = %s, want sent", it.State)
	}
	if n := len(r.q.QueuedInteractions()); n != 0 {
		t.Errorf("%d still queued: refusals leave the queue", n)
	}
	refused := eventsOf(drainEvents(events), InteractionRefused)
	if len(refused) != 2 || refused[0].ID != clash.ID || refused[1].ID != invalid.ID ||
		len(refused[1].FieldErrors) != 1 || refused[1].FieldErrors[0].Field != "rating.comment" || refused[0].Message == "" {
		t.Errorf("refused events = %+v", refused)
	}
	// Refused ones are never sent again.
	r.srv.do(func() { r.srv.inter.batches = nil })
	if _, err := r.sync(t); err != nil {
		t.Fatal(err)
	}
	r.srv.do(func() {
		if len(r.srv.inter.batches) != 0 {
			t.Errorf("refused interactions sent again: %v", r.srv.inter.batches)
		}
	})
}

func TestInteractionRetryStaysQueued(t *testing.T) {
	r := newInteractionRig(t, func(c *Config) { c.BatchItems = 2 })
	ids := r.queue(t,
		ratingOf(newInteractionID(t), wire.RatingSatisfied, ""),
		ratingOf(newInteractionID(t), wire.RatingSatisfied, ""),
		ratingOf(newInteractionID(t), wire.RatingSatisfied, ""),
		ratingOf(newInteractionID(t), wire.RatingSatisfied, ""),
		ratingOf(newInteractionID(t), wire.RatingSatisfied, ""))
	r.srv.do(func() { r.srv.inter.outcome = map[string]wire.Outcome{ids[0]: wire.Retry, ids[2]: wire.Retry} })
	rep, err := r.sync(t)
	if err != nil {
		t.Fatalf("a deferred item is not a failed round: %v", err)
	}
	if rep.Interactions != 5 || rep.InteractionsAccepted != 3 || rep.InteractionsTransient != 2 || rep.InteractionBatches != 3 {
		t.Errorf("report = %+v", rep)
	}
	r.srv.do(func() {
		for _, id := range ids {
			if n := r.srv.inter.hits[id]; n != 1 {
				t.Errorf("%s sent %d times in one round, want once", id, n)
			}
		}
	})
	if q := r.q.QueuedInteractions(); !slices.Equal(q, []string{ids[0], ids[2]}) {
		t.Errorf("queued = %v, want the two retried", q)
	}
	for _, id := range []string{ids[0], ids[2]} {
		it := mustInteraction(t, r.q, id)
		if it.Attempts != 1 || it.LastError == "" || it.State != store.InteractionQueued {
			t.Errorf("%s = attempts %d, last error %q, state %s", id, it.Attempts, it.LastError, it.State)
		}
	}
	st := r.eng.Status()
	if st.PendingInteractions != 2 || !st.OldestInteraction.Equal(serverNow) {
		t.Errorf("status pending interactions = %d, oldest %v", st.PendingInteractions, st.OldestInteraction)
	}
	// Deferred items back the engine off, as deferred applications do.
	if st.NextAttempt.Equal(serverNow.Add(DefaultInterval)) || st.ConsecutiveFailures != 1 {
		t.Errorf("next attempt %v, failures %d: want a backoff", st.NextAttempt, st.ConsecutiveFailures)
	}
	// The next round sends them again and they go through.
	r.srv.do(func() { r.srv.inter.outcome = nil })
	rep, err = r.sync(t)
	if err != nil || rep.InteractionsAccepted != 2 || len(r.q.QueuedInteractions()) != 0 {
		t.Errorf("second round: %+v, %v, queued %v", rep, err, r.q.QueuedInteractions())
	}
}

func TestInteractionAnswerMissingAnItem(t *testing.T) {
	r := newInteractionRig(t, nil)
	ids := r.queue(t, ratingOf(newInteractionID(t), wire.RatingSatisfied, ""), ratingOf(newInteractionID(t), wire.RatingSatisfied, ""))
	r.srv.do(func() { r.srv.inter.omit = map[string]bool{ids[1]: true} })
	rep, err := r.sync(t)
	if !errors.Is(err, client.ErrBadResponse) {
		t.Fatalf("err = %v, want ErrBadResponse", err)
	}
	if rep.Interactions != 2 || rep.InteractionsAccepted != 1 || rep.InteractionsTransient != 1 {
		t.Errorf("report = %+v; the answers that did come must be kept", rep)
	}
	if it := mustInteraction(t, r.q, ids[1]); it.State != store.InteractionQueued || it.Attempts != 1 {
		t.Errorf("unanswered = %s, %d attempts", it.State, it.Attempts)
	}
	r.srv.do(func() { r.srv.inter.omit = nil })
	if rep, err := r.sync(t); err != nil || rep.InteractionsAccepted != 1 {
		t.Errorf("next round = %+v, %v", rep, err)
	}
}

func TestInteractionOutage(t *testing.T) {
	t.Run("server error", func(t *testing.T) {
		r := newInteractionRig(t, nil)
		ids := r.queue(t, ratingOf(newInteractionID(t), wire.RatingSatisfied, ""), feedbackOf(newInteractionID(t), wire.FeedbackQuestion))
		r.srv.do(func() { r.srv.inter.fail = []int{http.StatusServiceUnavailable} })
		rep, err := r.sync(t)
		if err == nil || !strings.Contains(err.Error(), "interactions") {
			t.Fatalf("err = %v, want the round to fail in the interactions step", err)
		}
		if rep.InteractionsTransient != 2 || rep.InteractionsAccepted != 0 {
			t.Errorf("report = %+v", rep)
		}
		for _, id := range ids {
			it := mustInteraction(t, r.q, id)
			if it.State != store.InteractionQueued || it.Attempts != 0 || it.LastError != "" {
				t.Errorf("%s after an outage = state %s, attempts %d, last error %q; want queued and unmarked", id, it.State, it.Attempts, it.LastError)
			}
		}
		st := r.eng.Status()
		if st.LastError == "" || st.ConsecutiveFailures != 1 || st.PendingInteractions != 2 {
			t.Errorf("status = %+v", st)
		}
		// The server answered: the changes feed is still read.
		r.srv.do(func() {
			if len(r.srv.cursorsAsked) != 1 {
				t.Errorf("changes asked %d times, want 1: an interactions error holds back only the interactions", len(r.srv.cursorsAsked))
			}
		})
		if _, err := r.sync(t); err != nil {
			t.Fatal(err)
		}
		if n := len(r.q.QueuedInteractions()); n != 0 {
			t.Errorf("%d still queued after the server came back", n)
		}
	})
	t.Run("connection cut", func(t *testing.T) {
		r := newInteractionRig(t, nil)
		id := r.queue(t, ratingOf(newInteractionID(t), wire.RatingSatisfied, ""))[0]
		r.srv.do(func() { r.srv.inter.cut = 1 })
		_, err := r.sync(t)
		if err == nil || !errors.Is(err, client.ErrOffline) {
			t.Fatalf("err = %v, want ErrOffline", err)
		}
		if it := mustInteraction(t, r.q, id); it.State != store.InteractionQueued || it.Attempts != 0 || it.LastError != "" {
			t.Errorf("after a cut = %+v; want queued and unmarked", it)
		}
		r.srv.do(func() {
			if len(r.srv.cursorsAsked) != 0 {
				t.Errorf("the network is gone, yet the changes feed was asked %d times", len(r.srv.cursorsAsked))
			}
		})
	})
}

func TestInteractionBatchSplit(t *testing.T) {
	r := newInteractionRig(t, nil)
	events, cancel := r.eng.Subscribe(100)
	defer cancel()
	var ins []wire.Interaction
	for range 5 {
		ins = append(ins, ratingOf(newInteractionID(t), wire.RatingSatisfied, ""))
	}
	ids := r.queue(t, ins...)
	r.srv.do(func() { r.srv.inter.badBatch = map[string]bool{ids[3]: true} })
	rep, err := r.sync(t)
	if err != nil {
		t.Fatalf("SyncOnce: %v", err)
	}
	if rep.InteractionsAccepted != 4 || rep.InteractionsRefused != 1 || rep.Interactions != 5 {
		t.Errorf("report = %+v", rep)
	}
	bad := mustInteraction(t, r.q, ids[3])
	if bad.State != store.InteractionRefused || !strings.Contains(bad.LastError, "400") {
		t.Errorf("poison item = state %s, last error %q", bad.State, bad.LastError)
	}
	ev := eventsOf(drainEvents(events), InteractionRefused)
	if len(ev) != 1 || ev[0].ID != ids[3] || len(ev[0].FieldErrors) != 1 {
		t.Errorf("refused events = %+v", ev)
	}
}

// noInteractions is an API without the Interactor part (an Open311 backend).
type noInteractions struct{ API }

func TestInteractionsWithoutInteractor(t *testing.T) {
	r := newInteractionRig(t, nil)
	r.eng = New(r.q, noInteractions{r.api}, Config{Clock: r.clock, Rand: func() float64 { return 0.5 }, NoCatalog: true})
	ids := r.queue(t, ratingOf(newInteractionID(t), wire.RatingSatisfied, ""))
	r.add("a", 1)
	rep, err := r.sync(t)
	if err != nil {
		t.Fatalf("SyncOnce: %v", err)
	}
	if rep.Accepted != 1 || rep.Interactions != 0 || rep.InteractionBatches != 0 {
		t.Errorf("report = %+v", rep)
	}
	if q := r.q.QueuedInteractions(); !slices.Equal(q, ids) {
		t.Errorf("queued = %v, want %v", q, ids)
	}
	if it := mustInteraction(t, r.q, ids[0]); it.Attempts != 0 || it.LastError != "" {
		t.Errorf("interaction marked: %+v", it)
	}
	r.srv.do(func() {
		if r.srv.inter.requests != 0 {
			t.Errorf("%d interactions requests", r.srv.inter.requests)
		}
	})
	if st := r.eng.Status(); st.PendingInteractions != 1 || st.LastError != "" {
		t.Errorf("status = %+v", st)
	}
}

func TestInteractionOrdering(t *testing.T) {
	r := newInteractionRig(t, func(c *Config) { c.BatchItems = 2 })
	r.queue(t, ratingOf(newInteractionID(t), wire.RatingSatisfied, ""), feedbackOf(newInteractionID(t), wire.FeedbackSuggestion),
		ratingOf(newInteractionID(t), wire.RatingSatisfied, ""))
	r.add("a", 3)
	if _, err := r.sync(t); err != nil {
		t.Fatal(err)
	}
	r.srv.do(func() {
		want := []string{"submit", "submit", "interact", "interact", "changes"}
		if !slices.Equal(r.srv.trace, want) {
			t.Errorf("requests = %v, want %v (form data first, then interactions, then the pull)", r.srv.trace, want)
		}
	})
	t.Run("a failed push holds interactions back", func(t *testing.T) {
		r := newInteractionRig(t, nil)
		r.queue(t, ratingOf(newInteractionID(t), wire.RatingSatisfied, ""))
		r.add("a", 1)
		r.srv.do(func() { r.srv.submitFail = []int{http.StatusServiceUnavailable} })
		if _, err := r.sync(t); err == nil {
			t.Fatal("round succeeded")
		}
		r.srv.do(func() {
			if !slices.Equal(r.srv.trace, []string{"submit"}) {
				t.Errorf("requests = %v, want only the failed submit", r.srv.trace)
			}
		})
	})
}

func TestRepliesPulled(t *testing.T) {
	r := newInteractionRig(t, nil)
	events, cancel := r.eng.Subscribe(100)
	defer cancel()
	id := r.queue(t, feedbackOf(newInteractionID(t), wire.FeedbackComplaint))[0]
	appID := r.add("a", 1)[0]
	if _, err := r.sync(t); err != nil {
		t.Fatal(err)
	}
	replyAt := serverNow.Add(2 * time.Hour)
	note := catalog.Text{catalog.LangZh: "已处理", catalog.LangEn: "The display is fixed."}
	reply := wire.Change{Kind: wire.ChangeReply, ID: id, Tracking: "FK-0001", At: replyAt, Note: note}
	r.srv.do(func() {
		r.srv.changes = []wire.Change{
			{ID: appID, Tracking: "T-" + appID, Status: lifecycle.InReview, At: replyAt},
			reply,
			reply, // the feed repeats itself (a cursor the server rewound)
		}
	})
	drainEvents(events)
	rep, err := r.sync(t)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Changes != 3 || rep.Replies != 2 {
		t.Errorf("report changes %d replies %d, want 3 and 2", rep.Changes, rep.Replies)
	}
	it := mustInteraction(t, r.q, id)
	if len(it.Replies) != 1 || !maps.Equal(it.Replies[0].Text, note) || !it.Replies[0].At.Equal(replyAt) {
		t.Errorf("replies = %+v, want the one reply once", it.Replies)
	}
	if a := mustApp(t, r.q, appID); a.State != lifecycle.InReview {
		t.Errorf("application = %s, want in_review", a.State)
	}
	evs := drainEvents(events)
	got := eventsOf(evs, ReplyReceived)
	if len(got) != 2 || got[0].ID != id || got[0].Tracking != "FK-0001" || !maps.Equal(got[0].Note, note) || !got[0].At.Equal(replyAt) {
		t.Errorf("ReplyReceived events = %+v", got)
	}
	if up := eventsOf(evs, ApplicationUpdated); len(up) != 1 || up[0].ID != appID {
		t.Errorf("ApplicationUpdated events = %+v, want only the application's", up)
	}
}

func TestHeartbeatCountsInteractions(t *testing.T) {
	now := serverNow
	st := Status{Pending: 2, OldestPending: now.Add(-time.Minute), PendingInteractions: 3, OldestInteraction: now.Add(-time.Hour)}
	hb := HeartbeatFrom(st, "v", "kiosk", 0, "", now)
	if hb.QueueDepth != 5 || !hb.OldestQueued.Equal(now.Add(-time.Hour)) {
		t.Errorf("depth %d oldest %v, want 5 and an hour ago", hb.QueueDepth, hb.OldestQueued)
	}
	hb = HeartbeatFrom(Status{PendingInteractions: 1, OldestInteraction: now}, "v", "kiosk", 0, "", now)
	if hb.QueueDepth != 1 || !hb.OldestQueued.Equal(now) {
		t.Errorf("depth %d oldest %v, want 1 and now", hb.QueueDepth, hb.OldestQueued)
	}
}
