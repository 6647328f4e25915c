package store

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
)

func TestPendingOrderAndLimits(t *testing.T) {
	s, clock := newTestStore(t)
	// Drafts made in id order, queued in another order: Pending follows the queue.
	var ids []string
	for i := 0; i < 4; i++ {
		n := sampleApp(i)
		n.Values["reason_text"] = strings.Repeat("很", 100*(i+1)) // different sizes
		ids = append(ids, must[Application](t)(s.CreateDraft(n)).ID)
	}
	order := []string{ids[2], ids[0], ids[3], ids[1]}
	for _, id := range order {
		clock.Advance(time.Second)
		must[Application](t)(s.Enqueue(id))
	}
	all := must[[]OutboxItem](t)(s.Pending(0, 0))
	if len(all) != 4 {
		t.Fatalf("%d pending", len(all))
	}
	// The limits count items ready to go: the (one, shared) attachment file
	// has reached the central API. TestPendingWaitingBlobs covers the rest.
	noErr(t, s.MarkBlobUploaded(all[0].Attachments[0].Ref.SHA256))
	size := func(i int) int { return all[i].Size }
	for i, it := range all {
		if it.ID != order[i] {
			t.Fatalf("position %d: %s, want %s", i, it.ID, order[i])
		}
	}
	tests := []struct {
		name               string
		maxItems, maxBytes int
		want               []string
	}{
		{"no limits", 0, 0, order},
		{"two items", 2, 0, order[:2]},
		{"bytes for exactly two", 0, size(0) + size(1), order[:2]},
		{"bytes one short of two", 0, size(0) + size(1) - 1, order[:1]},
		{"one item even if larger than the limit", 0, 1, order[:1]},
		{"both limits, items bind", 1, 1 << 30, order[:1]},
		{"both limits, bytes bind", 4, size(0) + size(1) + size(2), order[:3]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items := must[[]OutboxItem](t)(s.Pending(tc.maxItems, tc.maxBytes))
			var got []string
			for _, it := range items {
				got = append(got, it.ID)
				if it.Values["name"] != sampleName || len(it.Attachments) != 1 {
					t.Fatalf("item %s lacks its personal data", it.ID)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	st := must[QueueStats](t)(s.Stats())
	total := 0
	for i := range all {
		total += size(i)
	}
	if st.Count != 4 || st.Bytes != int64(total) || !st.Oldest.Equal(t0.Add(time.Second)) {
		t.Fatalf("stats %+v (bytes want %d)", st, total)
	}
	if st := must[QueueStats](t)(newEmpty(t).Stats()); st != (QueueStats{}) {
		t.Fatalf("empty stats %+v", st)
	}
}

func newEmpty(t *testing.T) *Store { s, _ := newTestStore(t); return s }

func TestMarkAccepted(t *testing.T) {
	server := t0.Add(-3 * time.Hour) // the server's clock disagrees with the device's
	for _, policy := range []Policy{PolicyKiosk, PolicyPersonal} {
		t.Run(string(policy), func(t *testing.T) {
			s, clock := newTestStore(t, func(o *Options) { o.Policy = policy })
			a := must[Application](t)(s.Submit(sampleApp(0)))
			other := must[Application](t)(s.Submit(sampleApp(1)))
			clock.Advance(time.Minute)
			acc := Acceptance{Tracking: "XZ-0001", VerificationCode: "5521", Status: lifecycle.Received, At: server}
			noErr(t, s.MarkAccepted(a.ID, acc))

			got := must[Application](t)(s.Get(a.ID))
			if got.State != lifecycle.Received || got.Tracking != "XZ-0001" || got.VerificationCode != "5521" || !got.AcceptedAt.Equal(server) ||
				!reflect.DeepEqual(states(got), []lifecycle.Status{lifecycle.Draft, lifecycle.Queued, lifecycle.Sent, lifecycle.Received}) {
				t.Fatalf("accepted: %+v", got)
			}
			for _, h := range got.History[2:] {
				if !h.At.Equal(server) || h.Source != sourceServer {
					t.Fatalf("server transition %+v", h)
				}
			}
			kiosk := policy == PolicyKiosk
			if got.Purged != kiosk || (got.Values == nil) != kiosk || (got.Attachments == nil) != kiosk {
				t.Fatalf("purged=%v values=%v under %s", got.Purged, got.Values != nil, policy)
			}
			wantKinds := []string{EventCreated, EventQueued, EventSent}
			if kiosk {
				wantKinds = append(wantKinds, EventPurged)
			}
			if k := kinds(journal(t, s), a.ID); !reflect.DeepEqual(k, wantKinds) {
				t.Fatalf("journal %v, want %v", k, wantKinds)
			}
			items := must[[]OutboxItem](t)(s.Pending(0, 0))
			if len(items) != 1 || items[0].ID != other.ID {
				t.Fatalf("pending %+v", items)
			}
			// Recording the same receipt again (a duplicate answer) changes nothing.
			noErr(t, s.MarkAccepted(a.ID, acc))
			if again := must[Application](t)(s.Get(a.ID)); !reflect.DeepEqual(again, got) {
				t.Fatal("a repeated MarkAccepted changed the record")
			}
			noErr(t, s.Check())
			noErr(t, s.Close())
			raw(t, s.Path(), func(tx *bolt.Tx) error {
				if has := tx.Bucket(bucketPersonal).Get([]byte(a.ID)) != nil; has == kiosk {
					t.Errorf("personal record present=%v under %s", has, policy)
				}
				return nil
			})
		})
	}
}

func TestMarkAcceptedWrongState(t *testing.T) {
	s, _ := newTestStore(t)
	d := must[Application](t)(s.CreateDraft(sampleApp(0)))
	mustIs(t, s.MarkAccepted(d.ID, Acceptance{Tracking: "T", At: t0}), ErrState)
	mustIs(t, s.MarkAccepted("nope", Acceptance{Tracking: "T", At: t0}), ErrNotFound)
	mustIs(t, s.MarkFailed(d.ID, "x"), ErrState)
	mustIs(t, s.MarkRefused(d.ID, Refusal{State: lifecycle.Conflict}), ErrState)
}

func TestMarkRefused(t *testing.T) {
	fe := []catalog.FieldError{{Field: "id_number", Code: "id_number.checksum"}, {Field: "phone", Code: "required"}}
	tests := []struct {
		name string
		rf   Refusal
		want error
	}{
		{"needs attention", Refusal{State: lifecycle.NeedsAttention, FieldErrors: fe, Message: "2 fields are invalid"}, nil},
		{"conflict", Refusal{State: lifecycle.Conflict, Message: "same id, other payload"}, nil},
		{"not a refusal state", Refusal{State: lifecycle.Rejected}, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestStore(t)
			a := must[Application](t)(s.Submit(sampleApp(0)))
			err := s.MarkRefused(a.ID, tc.rf)
			if tc.want != nil {
				mustIs(t, err, tc.want)
				return
			}
			noErr(t, err)
			got := must[Application](t)(s.Get(a.ID))
			if got.State != tc.rf.State || !reflect.DeepEqual(got.FieldErrors, tc.rf.FieldErrors) || got.LastError != tc.rf.Message ||
				got.Values["name"] != sampleName {
				t.Fatalf("%+v", got)
			}
			if st := must[QueueStats](t)(s.Stats()); st.Count != 0 {
				t.Fatal("still queued")
			}
			evs := journal(t, s)
			last := evs[len(evs)-1]
			if last.Kind != EventRefused || last.State != tc.rf.State {
				t.Fatalf("journal %+v", last)
			}
			noErr(t, s.MarkRefused(a.ID, tc.rf)) // the same answer again
			noErr(t, s.Check())
		})
	}
}

func TestMarkFailed(t *testing.T) {
	s, _ := newTestStore(t)
	a := must[Application](t)(s.Submit(sampleApp(0)))
	for i, cause := range []string{"connection reset by peer", "HTTP 503", strings.Repeat("e", 1000)} {
		noErr(t, s.MarkFailed(a.ID, cause))
		got := must[Application](t)(s.Get(a.ID))
		if got.State != lifecycle.Queued || got.Attempts != i+1 || !strings.HasPrefix(cause, strings.TrimSuffix(got.LastError, "…")) || len(got.LastError) > maxCause+3 {
			t.Fatalf("after %d failures: state %s attempts %d error %q", i+1, got.State, got.Attempts, got.LastError)
		}
	}
	if items := must[[]OutboxItem](t)(s.Pending(0, 0)); len(items) != 1 || items[0].Attempts != 3 {
		t.Fatalf("pending %+v", items)
	}
	if k := kinds(journal(t, s), a.ID); len(k) != 2 {
		t.Fatalf("failures journaled: %v", k)
	}
}

func TestApplyChanges(t *testing.T) {
	srv := t0.Add(48 * time.Hour) // server time; the device clock is two days behind
	at := func(h int) time.Time { return srv.Add(time.Duration(h) * time.Hour) }
	type step struct {
		changes []StatusChange // ID "A" is the accepted application, "D" a draft, "N" needs attention, "C" conflict, "Q" still queued
		cursor  string
	}
	tests := []struct {
		name      string
		deviceOff time.Duration
		steps     []step
		want      []lifecycle.Status // A's history after "sent"
		wantState map[string]lifecycle.Status
	}{
		{
			name:  "progression",
			steps: []step{{[]StatusChange{{ID: "A", Status: lifecycle.InReview, At: at(1)}, {ID: "A", Status: lifecycle.Approved, At: at(2)}}, "c1"}, {[]StatusChange{{ID: "A", Status: lifecycle.ReadyForPickup, At: at(3)}}, "c2"}},
			want:  []lifecycle.Status{lifecycle.Received, lifecycle.InReview, lifecycle.Approved, lifecycle.ReadyForPickup},
		},
		{
			name:  "out of order feed: an older change is ignored",
			steps: []step{{[]StatusChange{{ID: "A", Status: lifecycle.Approved, At: at(2)}, {ID: "A", Status: lifecycle.InReview, At: at(1)}}, "c1"}},
			want:  []lifecycle.Status{lifecycle.Received, lifecycle.Approved},
		},
		{
			name:  "a change from before the acceptance is ignored",
			steps: []step{{[]StatusChange{{ID: "A", Status: lifecycle.InReview, At: at(-1)}}, "c1"}},
			want:  []lifecycle.Status{lifecycle.Received},
		},
		{
			name:  "repeated status is not a transition",
			steps: []step{{[]StatusChange{{ID: "A", Status: lifecycle.Received, At: at(0)}, {ID: "A", Status: lifecycle.InReview, At: at(1)}, {ID: "A", Status: lifecycle.InReview, At: at(1)}}, "c1"}},
			want:  []lifecycle.Status{lifecycle.Received, lifecycle.InReview},
		},
		{
			name: "a new note on the same status is recorded, the same note again is not",
			steps: []step{{[]StatusChange{
				{ID: "A", Status: lifecycle.InReview, At: at(1)},
				{ID: "A", Status: lifecycle.InReview, At: at(2), Note: catalog.Text{"en": "waiting for the housing office"}},
				{ID: "A", Status: lifecycle.InReview, At: at(3), Note: catalog.Text{"en": "waiting for the housing office"}},
				{ID: "A", Status: lifecycle.InReview, At: at(4), Note: catalog.Text{"en": "the housing office answered"}},
			}, "c1"}},
			want: []lifecycle.Status{lifecycle.Received, lifecycle.InReview, lifecycle.InReview, lifecycle.InReview},
		},
		{
			name:  "unknown ids and local statuses are skipped",
			steps: []step{{[]StatusChange{{ID: "nobody", Status: lifecycle.Approved, At: at(1)}, {ID: "A", Status: lifecycle.Queued, At: at(1)}, {ID: "A", Status: "bogus", At: at(1)}, {ID: "A", Status: lifecycle.Completed, At: at(2)}}, "c1"}},
			want:  []lifecycle.Status{lifecycle.Received, lifecycle.Completed},
		},
		{
			name:      "drafts, needs attention and conflict never move",
			steps:     []step{{[]StatusChange{{ID: "D", Status: lifecycle.Approved, At: at(1)}, {ID: "N", Status: lifecycle.Approved, At: at(1)}, {ID: "C", Status: lifecycle.Approved, At: at(1)}}, "c1"}},
			want:      []lifecycle.Status{lifecycle.Received},
			wantState: map[string]lifecycle.Status{"D": lifecycle.Draft, "N": lifecycle.NeedsAttention, "C": lifecycle.Conflict},
		},
		{
			name:      "device clock ten days ahead",
			deviceOff: 10 * 24 * time.Hour,
			steps:     []step{{[]StatusChange{{ID: "A", Status: lifecycle.InReview, At: at(1)}}, "c1"}, {[]StatusChange{{ID: "A", Status: lifecycle.Approved, At: at(2)}}, "c2"}},
			want:      []lifecycle.Status{lifecycle.Received, lifecycle.InReview, lifecycle.Approved},
		},
		{
			name:      "device clock ten days behind",
			deviceOff: -10 * 24 * time.Hour,
			steps:     []step{{[]StatusChange{{ID: "A", Status: lifecycle.InReview, At: at(1)}}, "c1"}, {[]StatusChange{{ID: "A", Status: lifecycle.Approved, At: at(2)}}, "c2"}},
			want:      []lifecycle.Status{lifecycle.Received, lifecycle.InReview, lifecycle.Approved},
		},
		{
			name:      "a queued application keeps the newest change until its receipt arrives",
			steps:     []step{{[]StatusChange{{ID: "Q", Status: lifecycle.InReview, At: at(1)}, {ID: "Q", Status: lifecycle.Approved, At: at(2)}, {ID: "Q", Status: lifecycle.InReview, At: at(1)}}, "c1"}},
			want:      []lifecycle.Status{lifecycle.Received},
			wantState: map[string]lifecycle.Status{"Q": lifecycle.Queued},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, clock := newTestStore(t)
			ids := map[string]string{}
			mk := func(key string) string {
				n := sampleApp(0)
				n.ID = "app-" + key
				ids[key] = n.ID
				return n.ID
			}
			a := must[Application](t)(s.Submit(NewApplication{ID: mk("A"), Service: "residence_permit", Values: sampleApp(0).Values}))
			noErr(t, s.MarkAccepted(a.ID, Acceptance{Tracking: "XZ-1", VerificationCode: "1", Status: lifecycle.Received, At: at(0)}))
			must[Application](t)(s.CreateDraft(NewApplication{ID: mk("D"), Service: "x"}))
			must[Application](t)(s.Submit(NewApplication{ID: mk("N"), Service: "x"}))
			noErr(t, s.MarkRefused(ids["N"], Refusal{State: lifecycle.NeedsAttention}))
			must[Application](t)(s.Submit(NewApplication{ID: mk("C"), Service: "x"}))
			noErr(t, s.MarkRefused(ids["C"], Refusal{State: lifecycle.Conflict}))
			must[Application](t)(s.Submit(NewApplication{ID: mk("Q"), Service: "x"}))
			clock.Advance(tc.deviceOff)

			for _, st := range tc.steps {
				var cs []StatusChange
				for _, c := range st.changes {
					if id, ok := ids[c.ID]; ok {
						c.ID = id
					}
					c.Tracking = "XZ-1"
					cs = append(cs, c)
				}
				noErr(t, s.ApplyChanges(cs, st.cursor))
				if cur := must[string](t)(s.Cursor()); cur != st.cursor {
					t.Fatalf("cursor %q, want %q", cur, st.cursor)
				}
			}
			got := must[Application](t)(s.Get(a.ID))
			if h := states(got)[3:]; !reflect.DeepEqual(h, tc.want) {
				t.Fatalf("history after sent: %v, want %v", h, tc.want)
			}
			if got.State != tc.want[len(tc.want)-1] {
				t.Fatalf("state %s", got.State)
			}
			for _, h := range got.History[2:] {
				if h.Source != sourceServer || h.At.Before(at(0)) {
					t.Fatalf("transition %+v does not carry the server's time", h)
				}
			}
			for key, want := range tc.wantState {
				if st := must[Application](t)(s.Get(ids[key])).State; st != want {
					t.Errorf("%s moved to %s", key, st)
				}
			}
			noErr(t, s.Check())
		})
	}
}

// TestChangeBeforeReceipt: the server committed a batch but its answer was
// lost; the changes feed reports the application before the retry brings
// the receipt. The status must not be lost.
func TestChangeBeforeReceipt(t *testing.T) {
	s, _ := newTestStore(t)
	a := must[Application](t)(s.Submit(sampleApp(0)))
	noErr(t, s.ApplyChanges([]StatusChange{{ID: a.ID, Tracking: "XZ-9", Status: lifecycle.InReview, At: t0.Add(time.Hour)}}, "c1"))
	if got := must[Application](t)(s.Get(a.ID)); got.State != lifecycle.Queued {
		t.Fatalf("moved while queued: %s", got.State)
	}
	// The retry returns the original receipt (accepted earlier).
	noErr(t, s.MarkAccepted(a.ID, Acceptance{Tracking: "XZ-9", VerificationCode: "7", Status: lifecycle.Received, At: t0}))
	got := must[Application](t)(s.Get(a.ID))
	want := []lifecycle.Status{lifecycle.Draft, lifecycle.Queued, lifecycle.Sent, lifecycle.Received, lifecycle.InReview}
	if !reflect.DeepEqual(states(got), want) || got.State != lifecycle.InReview {
		t.Fatalf("history %v", states(got))
	}
	// And the next page, older than that, changes nothing.
	noErr(t, s.ApplyChanges([]StatusChange{{ID: a.ID, Status: lifecycle.Received, At: t0}}, "c2"))
	if got := must[Application](t)(s.Get(a.ID)); got.State != lifecycle.InReview {
		t.Fatalf("state %s", got.State)
	}
}

func TestCatalogCacheAndCursor(t *testing.T) {
	s, _ := newTestStore(t)
	if e, b, err := s.CachedCatalog(); e != "" || b != nil || err != nil {
		t.Fatalf("empty cache: %q %q %v", e, b, err)
	}
	if c := must[string](t)(s.Cursor()); c != "" {
		t.Fatalf("cursor %q", c)
	}
	noErr(t, s.PutCatalog(`"v1"`, []byte(`{"version":"1"}`)))
	noErr(t, s.PutCatalog(`"v2"`, []byte(`{"version":"2"}`)))
	e, b, err := s.CachedCatalog()
	if e != `"v2"` || string(b) != `{"version":"2"}` || err != nil {
		t.Fatalf("cache: %q %q %v", e, b, err)
	}
	noErr(t, s.ApplyChanges(nil, "cur-7"))
	noErr(t, s.ApplyChanges(nil, "")) // an empty page without a cursor keeps the old one
	if c := must[string](t)(s.Cursor()); c != "cur-7" {
		t.Fatalf("cursor %q", c)
	}
}

func TestMetaAndSecrets(t *testing.T) {
	s, _ := newTestStore(t)
	for _, get := range []func(string) (string, error){s.Meta, s.Secret} {
		if v := must[string](t)(get("unset")); v != "" {
			t.Fatalf("unset: %q", v)
		}
	}
	noErr(t, s.SetMeta("api", "https://a.example"))
	noErr(t, s.SetSecret("token", "tok-1"))
	noErr(t, s.SetMeta("schema_version", "x")) // settings cannot clobber the store's own keys
	if v := must[string](t)(s.Secret("api")); v != "" {
		t.Fatalf("a setting is readable as a secret: %q", v)
	}
	if must[string](t)(s.Meta("api")) != "https://a.example" || must[string](t)(s.Secret("token")) != "tok-1" {
		t.Fatal("round trip")
	}
	noErr(t, s.SetSecret("token", ""))
	if v := must[string](t)(s.Secret("token")); v != "" {
		t.Fatalf("deleted secret: %q", v)
	}
	mustIs(t, s.SetMeta("", "v"), ErrInvalid)
	noErr(t, s.Close())
	s = openT(t, opts(dirOf(s), newClock(t0)))
	if s.SchemaVersion() != currentSchema() {
		t.Fatal("a setting changed the schema version")
	}
}

func dirOf(s *Store) string { return s.Path()[:len(s.Path())-len(FileName)-1] }

func TestTamperedRecords(t *testing.T) {
	clock := newClock(t0)
	dir := t.TempDir()
	s := openT(t, opts(dir, clock))
	a := must[Application](t)(s.Submit(sampleApp(0)))
	b := must[Application](t)(s.Submit(sampleApp(1)))
	c := must[Application](t)(s.Submit(sampleApp(2)))
	noErr(t, s.Close())
	raw(t, s.Path(), func(tx *bolt.Tx) error {
		p := tx.Bucket(bucketPersonal)
		// a: one ciphertext bit flipped. b: c's (valid) ciphertext under b's key.
		v := bytes.Clone(p.Get([]byte(a.ID)))
		v[len(v)-20] ^= 1
		if err := p.Put([]byte(a.ID), v); err != nil {
			return err
		}
		return p.Put([]byte(b.ID), bytes.Clone(p.Get([]byte(c.ID))))
	})
	s = openT(t, opts(dir, clock)) // the key itself is right: the store opens
	for _, id := range []string{a.ID, b.ID} {
		_, err := s.Get(id)
		mustIs(t, err, ErrKey)
		if !strings.Contains(err.Error(), id) || !strings.Contains(err.Error(), "does not match this store") {
			t.Fatalf("error: %v", err)
		}
	}
	err := s.Check()
	mustIs(t, err, ErrKey)
	mustIs(t, err, ErrCorrupt)
	// The two broken items do not block the queue: they move to needs attention.
	items := must[[]OutboxItem](t)(s.Pending(0, 0))
	if len(items) != 1 || items[0].ID != c.ID {
		t.Fatalf("pending %+v", items)
	}
	for _, id := range []string{a.ID, b.ID} {
		sm := findSummary(t, s, id)
		if sm.State != lifecycle.NeedsAttention || sm.LastError == "" {
			t.Fatalf("%s: %+v", id, sm)
		}
	}
}

func summaries(s *Store) ([]Summary, error) {
	var out []Summary
	err := s.ForEach(func(sm Summary) error { out = append(out, sm); return nil })
	return out, err
}

func findSummary(t *testing.T, s *Store, id string) Summary {
	t.Helper()
	for _, sm := range must[[]Summary](t)(summaries(s)) {
		if sm.ID == id {
			return sm
		}
	}
	t.Fatalf("no summary for %s", id)
	return Summary{}
}

func TestCheck(t *testing.T) {
	type damage func(tx *bolt.Tx, draft, queued string) error
	tests := []struct {
		name   string
		damage damage
		want   string
	}{
		{"orphan outbox entry", func(tx *bolt.Tx, _, _ string) error {
			return tx.Bucket(bucketOutbox).Put(seqKey(999, "ghost"), []byte("ghost"))
		}, "does not exist"},
		{"outbox entry for a draft", func(tx *bolt.Tx, draft, _ string) error {
			return tx.Bucket(bucketOutbox).Put(seqKey(998, draft), []byte(draft))
		}, "which is draft"},
		{"queued without outbox entry", func(tx *bolt.Tx, _, queued string) error {
			c := tx.Bucket(bucketOutbox).Cursor()
			k, _ := c.First()
			return tx.Bucket(bucketOutbox).Delete(k)
		}, "no outbox entry"},
		{"personal data missing", func(tx *bolt.Tx, draft, _ string) error {
			return tx.Bucket(bucketPersonal).Delete([]byte(draft))
		}, "personal data missing"},
		{"summary missing", func(tx *bolt.Tx, draft, _ string) error {
			return tx.Bucket(bucketSummaries).Delete([]byte(draft))
		}, "summary missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock(t0)
			dir := t.TempDir()
			s := openT(t, opts(dir, clock))
			d := must[Application](t)(s.CreateDraft(sampleApp(0)))
			q := must[Application](t)(s.Submit(sampleApp(1)))
			noErr(t, s.Check())
			noErr(t, s.Close())
			raw(t, s.Path(), func(tx *bolt.Tx) error { return tc.damage(tx, d.ID, q.ID) })
			s = openT(t, opts(dir, clock))
			err := s.Check()
			mustIs(t, err, ErrCorrupt)
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check: %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// A provisional tracking number (an Open311 token) is replaced by the one
// the changes feed brings.
func TestChangesReplaceProvisionalTracking(t *testing.T) {
	s, _ := newTestStore(t)
	a := must[Application](t)(s.Submit(sampleApp(0)))
	noErr(t, s.MarkAccepted(a.ID, Acceptance{Tracking: "token:5001", Status: lifecycle.Received, At: t0}))
	noErr(t, s.ApplyChanges([]StatusChange{{ID: a.ID, Tracking: "7301", Status: lifecycle.InReview, At: t0.Add(time.Minute)}}, "c1"))
	got := must[Application](t)(s.Get(a.ID))
	if got.Tracking != "7301" || got.State != lifecycle.InReview {
		t.Fatalf("tracking %q state %s, want 7301 in_review", got.Tracking, got.State)
	}
	found := false
	noErr(t, s.ForEach(func(sm Summary) error {
		found = found || sm.Tracking == "7301"
		return nil
	}))
	if !found {
		t.Fatal("the summary kept the provisional tracking number")
	}
}
