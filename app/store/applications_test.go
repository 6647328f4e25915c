package store

import (
	"bytes"
	"errors"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
)

func TestCreateDraftAndAutosave(t *testing.T) {
	s, clock := newTestStore(t)
	a := must[Application](t)(s.CreateDraft(sampleApp(0)))
	id, err := uuid.Parse(a.ID)
	if err != nil || id.Version() != 7 {
		t.Fatalf("id %q is not a UUIDv7 (%v)", a.ID, err)
	}
	if a.State != lifecycle.Draft || !reflect.DeepEqual(states(a), []lifecycle.Status{lifecycle.Draft}) ||
		!a.CreatedAt.Equal(t0) || a.History[0].Source != sourceDevice {
		t.Fatalf("new draft: %+v", a)
	}
	if got := must[Application](t)(s.Get(a.ID)); !reflect.DeepEqual(got, a) {
		t.Fatalf("Get differs from CreateDraft:\n%+v\n%+v", got, a)
	}

	// Autosave: each save replaces the values; the last one wins.
	for i, name := range []string{"李", "李四", "李四光"} {
		clock.Advance(time.Second)
		v := sampleApp(0).Values
		v["name"] = name
		noErr(t, s.SaveDraft(a.ID, v, nil))
		got := must[Application](t)(s.Get(a.ID))
		if got.Values["name"] != name || got.Attachments != nil || !got.UpdatedAt.Equal(t0.Add(time.Duration(i+1)*time.Second)) {
			t.Fatalf("save %d: %+v", i, got)
		}
	}

	tests := []struct {
		name string
		do   func() error
		want error
	}{
		{"save unknown", func() error { return s.SaveDraft("no-such-id", nil, nil) }, ErrNotFound},
		{"create existing id", func() error {
			n := sampleApp(1)
			n.ID = a.ID
			_, err := s.CreateDraft(n)
			return err
		}, ErrState},
		{"create without service", func() error { _, err := s.CreateDraft(NewApplication{}); return err }, ErrInvalid},
		{"create with bad id", func() error { _, err := s.CreateDraft(NewApplication{ID: "a/b", Service: "x"}); return err }, ErrInvalid},
		{"attachment bytes do not match their hash", func() error {
			n := sampleApp(1)
			n.Attachments[0].Data = []byte("other bytes")
			_, err := s.CreateDraft(n)
			return err
		}, ErrInvalid},
		{"values that are not JSON", func() error {
			_, err := s.CreateDraft(NewApplication{Service: "x", Values: catalog.Values{"n": math.NaN()}})
			return err
		}, ErrInvalid},
		{"get unknown", func() error { _, err := s.Get("nope"); return err }, ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { mustIs(t, tc.do(), tc.want) })
	}

	// Only drafts can be saved.
	must[Application](t)(s.Enqueue(a.ID))
	mustIs(t, s.SaveDraft(a.ID, catalog.Values{"name": "x"}, nil), ErrState)
}

func TestCallerIDAndAttachmentRefs(t *testing.T) {
	s, _ := newTestStore(t)
	n := sampleApp(0)
	n.ID = "0190c5a4-7f6e-7000-8000-000000000001"
	n.Attachments[0].Ref.SHA256, n.Attachments[0].Ref.Size = "", 0 // filled from the bytes
	a := must[Application](t)(s.CreateDraft(n))
	if a.ID != n.ID {
		t.Fatalf("id %q", a.ID)
	}
	want := sampleApp(0).Attachments[0].Ref
	if a.Attachments[0].Ref != want || a.Attachments[0].Data != nil {
		t.Fatalf("attachment %+v, want ref %+v and no bytes", a.Attachments[0], want)
	}
	// The bytes are kept as a blob named by their SHA-256.
	buf := make([]byte, len(sampleAttachment))
	if n, err := s.ReadBlob(want.SHA256, 0, buf); n != len(buf) || err != nil || !bytes.Equal(buf, sampleAttachment) {
		t.Fatalf("ReadBlob: %d %v %q", n, err, buf[:n])
	}
	if n.Attachments[0].Ref.SHA256 != "" {
		t.Fatal("CreateDraft changed the caller's slice")
	}
}

func TestEnqueue(t *testing.T) {
	s, clock := newTestStore(t)
	d := must[Application](t)(s.CreateDraft(sampleApp(0)))
	clock.Advance(time.Minute)
	a := must[Application](t)(s.Enqueue(d.ID))
	if a.State != lifecycle.Queued || !reflect.DeepEqual(states(a), []lifecycle.Status{lifecycle.Draft, lifecycle.Queued}) ||
		!a.History[1].At.Equal(t0.Add(time.Minute)) || a.History[1].From != lifecycle.Draft {
		t.Fatalf("queued: %+v", a)
	}
	if a.Fingerprint == "" || a.Fingerprint != Fingerprint(a) {
		t.Fatalf("fingerprint %q, want %q", a.Fingerprint, Fingerprint(a))
	}
	if !reflect.DeepEqual(a.Values, d.Values) || !reflect.DeepEqual(a.Attachments, d.Attachments) {
		t.Fatal("values changed on enqueue")
	}
	// The record and its outbox entry are both there.
	items := must[[]OutboxItem](t)(s.Pending(0, 0))
	if len(items) != 1 || items[0].ID != a.ID || !items[0].EnqueuedAt.Equal(t0.Add(time.Minute)) || items[0].Size < 300 {
		t.Fatalf("pending: %+v", items)
	}
	if !reflect.DeepEqual(items[0].Application, a) {
		t.Fatalf("pending item differs from Get:\n%+v\n%+v", items[0].Application, a)
	}
	if got := kinds(journal(t, s), a.ID); !reflect.DeepEqual(got, []string{EventCreated, EventQueued}) {
		t.Fatalf("journal %v", got)
	}
	_, err := s.Enqueue(a.ID)
	mustIs(t, err, ErrState)
	_, err = s.Enqueue("nope")
	mustIs(t, err, ErrNotFound)
	noErr(t, s.Check())
}

func TestSubmit(t *testing.T) {
	s, _ := newTestStore(t)
	a := must[Application](t)(s.Submit(sampleApp(0)))
	if a.State != lifecycle.Queued || a.Fingerprint != Fingerprint(a) {
		t.Fatalf("submit: %+v", a)
	}
	if got := kinds(journal(t, s), a.ID); !reflect.DeepEqual(got, []string{EventCreated, EventQueued}) {
		t.Fatalf("journal %v", got)
	}

	d := must[Application](t)(s.CreateDraft(sampleApp(1)))
	tests := []struct {
		name  string
		n     func() NewApplication
		want  error
		check func(t *testing.T)
	}{
		{"same id, already queued", func() NewApplication { n := sampleApp(0); n.ID = a.ID; return n }, ErrState, nil},
		{"same id, draft of another service", func() NewApplication {
			n := sampleApp(1)
			n.ID, n.Service = d.ID, "birth_registration"
			return n
		}, ErrState, nil},
		{"same id, still a draft of the same service: queued with the new values", func() NewApplication {
			n := sampleApp(1)
			n.ID = d.ID
			n.Values["name"] = "王五"
			return n
		}, nil, func(t *testing.T) {
			got := must[Application](t)(s.Get(d.ID))
			if got.State != lifecycle.Queued || got.Values["name"] != "王五" || !got.CreatedAt.Equal(d.CreatedAt) {
				t.Fatalf("%+v", got)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Submit(tc.n())
			if tc.want != nil {
				mustIs(t, err, tc.want)
				return
			}
			noErr(t, err)
			tc.check(t)
		})
	}
	noErr(t, s.Check())
}

// TestSubmitIsAtomic: when anything in Submit's transaction fails, nothing
// of it is left: no record, no outbox entry, no journal event.
func TestSubmitIsAtomic(t *testing.T) {
	s, _ := newTestStore(t)
	n := sampleApp(0)
	n.ID = "atomic-1"
	n.Values["household_size"] = math.Inf(1) // JSON cannot encode it: fails after the "created" event is written
	_, err := s.Submit(n)
	mustIs(t, err, ErrInvalid)
	_, err = s.Get("atomic-1")
	mustIs(t, err, ErrNotFound)
	if evs := journal(t, s); len(evs) != 0 {
		t.Fatalf("journal: %+v", evs)
	}
	if st := must[QueueStats](t)(s.Stats()); st.Count != 0 {
		t.Fatalf("stats %+v", st)
	}
	noErr(t, s.Check())
}

func TestDelete(t *testing.T) {
	s, _ := newTestStore(t, personalPolicy)
	draft := must[Application](t)(s.CreateDraft(sampleApp(0)))
	queued := must[Application](t)(s.Submit(sampleApp(1)))
	accepted := must[Application](t)(s.Submit(sampleApp(2)))
	noErr(t, s.MarkAccepted(accepted.ID, Acceptance{Tracking: "T1", Status: lifecycle.Received, At: t0}))

	mustIs(t, s.Delete(queued.ID), ErrState)
	mustIs(t, s.Delete("nope"), ErrNotFound)
	for _, id := range []string{draft.ID, accepted.ID} {
		noErr(t, s.Delete(id))
		_, err := s.Get(id)
		mustIs(t, err, ErrNotFound)
		if k := kinds(journal(t, s), id); k[len(k)-1] != EventDeleted {
			t.Fatalf("journal for %s: %v", id, k)
		}
	}
	n := 0
	noErr(t, s.ForEach(func(sm Summary) error { n++; return nil }))
	if n != 1 {
		t.Fatalf("%d left, want 1", n)
	}
	noErr(t, s.Close())
	raw(t, s.Path(), func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketApplications, bucketSummaries, bucketPersonal} {
			if tx.Bucket(b).Get([]byte(draft.ID)) != nil || tx.Bucket(b).Get([]byte(accepted.ID)) != nil {
				t.Errorf("bucket %s still holds a deleted application", b)
			}
		}
		return nil
	})
}

// Withdraw takes a queued application out: record, outbox entry, personal
// data, with a "withdrawn" journal event; the store stays consistent.
func TestWithdraw(t *testing.T) {
	s, _ := newTestStore(t, personalPolicy)
	queued := must[Application](t)(s.Submit(sampleApp(1)))
	other := must[Application](t)(s.Submit(sampleApp(2)))
	noErr(t, s.Withdraw(queued.ID))
	_, err := s.Get(queued.ID)
	mustIs(t, err, ErrNotFound)
	if k := kinds(journal(t, s), queued.ID); k[len(k)-1] != EventWithdrawn {
		t.Fatalf("journal: %v", k)
	}
	items := must[[]OutboxItem](t)(s.Pending(0, 0))
	if len(items) != 1 || items[0].ID != other.ID {
		t.Fatalf("pending after withdraw: %d items", len(items))
	}
	noErr(t, s.Check())
	mustIs(t, s.Withdraw(queued.ID), ErrNotFound)
}

func TestRetry(t *testing.T) {
	for _, st := range []lifecycle.Status{lifecycle.NeedsAttention, lifecycle.Conflict} {
		t.Run(string(st), func(t *testing.T) {
			s, _ := newTestStore(t)
			a := must[Application](t)(s.Submit(sampleApp(0)))
			noErr(t, s.MarkFailed(a.ID, "timeout"))
			noErr(t, s.MarkRefused(a.ID, Refusal{State: st, FieldErrors: []catalog.FieldError{{Field: "phone", Code: "phone.format"}}, Message: "bad"}))
			if items := must[[]OutboxItem](t)(s.Pending(0, 0)); len(items) != 0 {
				t.Fatal("refused item still pending")
			}
			noErr(t, s.Retry(a.ID))
			got := must[Application](t)(s.Get(a.ID))
			if got.State != lifecycle.Queued || got.Attempts != 0 || got.LastError != "" || got.FieldErrors != nil ||
				!reflect.DeepEqual(states(got), []lifecycle.Status{lifecycle.Draft, lifecycle.Queued, st, lifecycle.Queued}) {
				t.Fatalf("after retry: %+v", got)
			}
			items := must[[]OutboxItem](t)(s.Pending(0, 0))
			if len(items) != 1 || items[0].ID != a.ID {
				t.Fatalf("pending after retry: %+v", items)
			}
			if k := kinds(journal(t, s), a.ID); !reflect.DeepEqual(k, []string{EventCreated, EventQueued, EventRefused, EventRetried}) {
				t.Fatalf("journal %v", k)
			}
			mustIs(t, s.Retry(a.ID), ErrState) // queued now
			noErr(t, s.Check())
		})
	}
}

func TestPurgeAccepted(t *testing.T) {
	s, _ := newTestStore(t, personalPolicy)
	var ids []string
	for i := 0; i < 4; i++ {
		ids = append(ids, must[Application](t)(s.Submit(sampleApp(i))).ID)
	}
	noErr(t, s.MarkAccepted(ids[0], Acceptance{Tracking: "T0", Status: lifecycle.Received, At: t0}))
	noErr(t, s.MarkAccepted(ids[1], Acceptance{Tracking: "T1", Status: lifecycle.Received, At: t0}))
	noErr(t, s.ApplyChanges([]StatusChange{{ID: ids[1], Status: lifecycle.Completed, At: t0.Add(time.Hour)}}, "c1"))
	noErr(t, s.MarkRefused(ids[2], Refusal{State: lifecycle.NeedsAttention}))

	if n := must[int](t)(s.PurgeAccepted()); n != 2 {
		t.Fatalf("purged %d, want 2", n)
	}
	for i, id := range ids {
		a := must[Application](t)(s.Get(id))
		purged := i < 2
		if a.Purged != purged || (a.Values == nil) != purged || (a.Attachments == nil) != purged {
			t.Errorf("%d: purged=%v values=%v", i, a.Purged, a.Values != nil)
		}
	}
	if n := must[int](t)(s.PurgeAccepted()); n != 0 {
		t.Fatalf("second purge: %d", n)
	}
	noErr(t, s.Check())
}

func TestForEach(t *testing.T) {
	s, _ := newTestStore(t)
	const n = 2*forEachChunk + 17
	seed(t, s, n, lifecycle.Draft)
	first := must[Application](t)(s.Submit(sampleApp(0)))
	noErr(t, s.MarkFailed(first.ID, "connection reset"))

	var prev string
	count := 0
	err := s.ForEach(func(sm Summary) error {
		if sm.ID <= prev {
			t.Fatalf("out of order: %s after %s", sm.ID, prev)
		}
		prev = sm.ID
		count++
		if sm.ID == first.ID {
			if sm.State != lifecycle.Queued || sm.Attempts != 1 || sm.LastError != "connection reset" || sm.Service != "residence_permit" || !sm.CreatedAt.Equal(t0) {
				t.Fatalf("summary %+v", sm)
			}
			// fn may use the store, even write to it.
			noErr(t, s.MarkFailed(first.ID, "again"))
		}
		return nil
	})
	noErr(t, err)
	if count != n+1 {
		t.Fatalf("saw %d, want %d", count, n+1)
	}
	stop := errors.New("stop")
	count = 0
	err = s.ForEach(func(Summary) error { count++; return stop })
	if err != stop || count != 1 {
		t.Fatalf("error from fn: %v after %d", err, count)
	}
}

func TestSummaryRoundTrip(t *testing.T) {
	tests := []Summary{
		{},
		{ID: "x", Service: "s", State: lifecycle.Received, Tracking: "T", Attempts: 300, LastError: "超时", CreatedAt: t0,
			UpdatedAt: t0.Add(time.Nanosecond), AcceptedAt: t0.Add(-72 * time.Hour), Purged: true, StaffID: "staff-9"},
	}
	for i, sm := range tests {
		got, err := decodeSummary(encodeSummary(sm))
		noErr(t, err)
		if !sameSummary(got, sm) {
			t.Fatalf("%d: %+v != %+v", i, got, sm)
		}
	}
	b := encodeSummary(tests[1])
	for i := 0; i < len(b); i++ {
		if _, err := decodeSummary(b[:i]); err == nil {
			t.Fatalf("a summary cut at %d decodes", i)
		}
	}
}

func TestPersonalDataNeverInClear(t *testing.T) {
	s, _ := newTestStore(t, personalPolicy)
	a := must[Application](t)(s.Submit(sampleApp(0)))
	d := must[Application](t)(s.CreateDraft(sampleApp(1)))
	noErr(t, s.MarkRefused(a.ID, Refusal{State: lifecycle.NeedsAttention, FieldErrors: []catalog.FieldError{{Field: "id_number", Code: "id_number.checksum", Message: "check character is wrong"}}}))
	noErr(t, s.Retry(a.ID))
	noErr(t, s.MarkAccepted(a.ID, Acceptance{Tracking: "XZ-2025-000001", VerificationCode: "8412", Status: lifecycle.Received, At: t0}))
	noErr(t, s.SetSecret("device_token", "tok-SECRET-VALUE-123"))
	noErr(t, s.Delete(d.ID))
	evs := journal(t, s)
	noErr(t, s.Close())

	content, err := os.ReadFile(s.Path())
	noErr(t, err)
	for _, secret := range []string{sampleName, "Zhangsanfeng", sampleIDNumber, samplePhone, sampleAddress, "Jiefang-South-Road",
		string(sampleAttachment), "tok-SECRET-VALUE-123", "id-card.jpg"} {
		if bytes.Contains(content, []byte(secret)) {
			t.Errorf("the store file contains %q in clear", secret)
		}
	}
	for _, e := range evs {
		for _, secret := range []string{sampleName, sampleIDNumber, samplePhone, sampleAddress} {
			if strings.Contains(e.Detail, secret) {
				t.Errorf("journal event %+v holds personal data", e)
			}
		}
	}
}
