package store

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/sync/wire"
)

// conflicted submits n and records the central API's conflict for it.
func conflicted(t *testing.T, s *Store, n NewApplication) Application {
	t.Helper()
	a := must[Application](t)(s.Submit(n))
	noErr(t, s.MarkRefused(a.ID, Refusal{State: lifecycle.Conflict, Message: "an application with this id and different content exists"}))
	return a
}

// kioskValues are an application's values as a hand-off code carries them
// to the kiosk: without the attachment fields, through JSON.
func kioskValues(t *testing.T, v catalog.Values, attachmentFields ...string) catalog.Values {
	t.Helper()
	c := catalog.Values{}
	for k, x := range v {
		c[k] = x
	}
	for _, f := range attachmentFields {
		delete(c, f)
	}
	b, err := json.Marshal(c)
	noErr(t, err)
	var out catalog.Values
	noErr(t, json.Unmarshal(b, &out))
	return out
}

// blobState reports whether blob sha is stored, its reference count, and
// whether application id references it.
func blobState(t *testing.T, s *Store, sha, id string) (stored bool, refs int, byID bool) {
	t.Helper()
	noErr(t, s.view(func(tx *bolt.Tx) error {
		m, err := getBlobMeta(tx, sha)
		if err != nil {
			return err
		}
		if m != nil {
			stored, refs = true, m.Refs
		}
		byID = tx.Bucket(bucketBlobs).Get(refKey(sha, id)) != nil
		c := tx.Bucket(bucketBlobChunks).Cursor()
		if k, _ := c.Seek([]byte(sha)); !stored && k != nil && bytes.HasPrefix(k, []byte(sha)) {
			t.Errorf("blob %s has chunks left without its metadata", sha)
		}
		return nil
	}))
	return stored, refs, byID
}

// Only an application in conflict can be requeued without its attachments.
func TestRequeueWithoutAttachmentsState(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, s *Store) string
		want  error
	}{
		{"draft", func(t *testing.T, s *Store) string {
			return must[Application](t)(s.CreateDraft(sampleApp(0))).ID
		}, ErrState},
		{"queued", func(t *testing.T, s *Store) string {
			return must[Application](t)(s.Submit(sampleApp(0))).ID
		}, ErrState},
		{"needs attention", func(t *testing.T, s *Store) string {
			a := must[Application](t)(s.Submit(sampleApp(0)))
			noErr(t, s.MarkRefused(a.ID, Refusal{State: lifecycle.NeedsAttention}))
			return a.ID
		}, ErrState},
		{"accepted", func(t *testing.T, s *Store) string {
			a := must[Application](t)(s.Submit(sampleApp(0)))
			noErr(t, s.MarkAccepted(a.ID, Acceptance{Tracking: "T1", Status: lifecycle.Received, At: t0}))
			return a.ID
		}, ErrState},
		{"unknown", func(t *testing.T, s *Store) string { return "no-such-id" }, ErrNotFound},
		{"conflict", func(t *testing.T, s *Store) string { return conflicted(t, s, sampleApp(0)).ID }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestStore(t, personalPolicy)
			id := tc.setup(t, s)
			before, _ := s.Get(id)
			_, err := s.RequeueWithoutAttachments(id)
			if tc.want == nil {
				noErr(t, err)
				return
			}
			mustIs(t, err, tc.want)
			if tc.want == ErrState {
				if !strings.Contains(err.Error(), "only an application in conflict") {
					t.Errorf("the error does not say what is allowed: %v", err)
				}
				after := must[Application](t)(s.Get(id))
				if after.State != before.State || !reflect.DeepEqual(after.Values, before.Values) || len(after.Attachments) != len(before.Attachments) {
					t.Errorf("a refused requeue changed the application: %+v -> %+v", before, after)
				}
			}
		})
	}
}

// A requeued application carries what the kiosk sent: its values without
// the attachment field, no attachments, no blob references, a new outbox
// entry and the fingerprint of the kiosk's copy; a blob another application
// still references stays, one nobody references goes; all of it survives
// a reopen.
func TestRequeueWithoutAttachments(t *testing.T) {
	clock := newClock(t0)
	dir := t.TempDir()
	o := opts(dir, clock)
	o.Policy = PolicyPersonal
	s := openT(t, o)

	a := conflicted(t, s, sampleApp(0))
	b := conflicted(t, s, sampleApp(1)) // the same attached file
	sha := a.Attachments[0].Ref.SHA256
	if stored, refs, _ := blobState(t, s, sha, a.ID); !stored || refs != 2 {
		t.Fatalf("before: blob stored %v with %d refs, want 2", stored, refs)
	}
	if items := must[[]OutboxItem](t)(s.Pending(0, 0)); len(items) != 0 {
		t.Fatalf("conflicts pending: %d", len(items))
	}

	clock.Advance(3600e9)
	got := must[Application](t)(s.RequeueWithoutAttachments(a.ID))
	want := kioskValues(t, a.Values, "id_card_scan")
	if got.State != lifecycle.Queued || len(got.Attachments) != 0 || got.LastError != "" || got.Attempts != 0 {
		t.Fatalf("after requeue: state %s, %d attachments, last error %q, attempts %d", got.State, len(got.Attachments), got.LastError, got.Attempts)
	}
	if _, ok := got.Values["id_card_scan"]; ok || !reflect.DeepEqual(got.Values, want) {
		t.Fatalf("values after requeue: %v, want %v", got.Values, want)
	}
	if !reflect.DeepEqual(states(got), []lifecycle.Status{lifecycle.Draft, lifecycle.Queued, lifecycle.Conflict, lifecycle.Queued}) {
		t.Fatalf("history %v", states(got))
	}

	// The fingerprint is the kiosk's: the same id, service, version and
	// values, no staff id, no attachments, as the wire item and as a
	// kiosk store queueing the hand-off compute it.
	item := wire.SubmitItem{ID: a.ID, Service: a.Service, ServiceVersion: a.ServiceVersion, Values: want}
	if got.Fingerprint != item.Fingerprint() || got.Fingerprint == a.Fingerprint {
		t.Fatalf("fingerprint %s, want the kiosk's %s (was %s)", got.Fingerprint, item.Fingerprint(), a.Fingerprint)
	}
	kiosk, _ := newTestStore(t)
	k := must[Application](t)(kiosk.Submit(NewApplication{ID: a.ID, Service: a.Service, ServiceVersion: a.ServiceVersion, Values: want}))
	if k.Fingerprint != got.Fingerprint {
		t.Fatalf("the kiosk's fingerprint %s differs from the requeued %s", k.Fingerprint, got.Fingerprint)
	}

	// Outbox: the requeued one, alone and with nothing to upload.
	items := must[[]OutboxItem](t)(s.Pending(0, 0))
	if len(items) != 1 || items[0].ID != a.ID || len(items[0].Attachments) != 0 || len(items[0].WaitingBlobs) != 0 {
		t.Fatalf("pending: %+v", items)
	}
	if pb := must[[]BlobInfo](t)(s.PendingBlobs()); len(pb) != 0 {
		t.Fatalf("blobs to upload: %+v", pb)
	}

	// The blob stays for b, without a's reference.
	if stored, refs, byA := blobState(t, s, sha, a.ID); !stored || refs != 1 || byA {
		t.Fatalf("after a: blob stored %v, %d refs, referenced by a %v; want stored, 1, false", stored, refs, byA)
	}
	// Requeueing b too leaves the blob to nobody: it goes, chunks and all.
	if gb := must[Application](t)(s.RequeueWithoutAttachments(b.ID)); len(gb.Attachments) != 0 {
		t.Fatalf("b kept %d attachments", len(gb.Attachments))
	}
	if stored, _, byB := blobState(t, s, sha, b.ID); stored || byB {
		t.Fatalf("after b: blob stored %v, referenced by b %v; want neither", stored, byB)
	}
	_, err := s.ReadBlob(sha, 0, make([]byte, 8))
	mustIs(t, err, ErrNotFound)

	// Journal: a "retried" event naming the hand-off, no personal data.
	evs := journal(t, s)
	if k := kinds(evs, a.ID); !reflect.DeepEqual(k, []string{EventCreated, EventQueued, EventRefused, EventRetried}) {
		t.Fatalf("journal %v", k)
	}
	last := evs[len(evs)-1]
	if last.Kind != EventRetried || !strings.HasPrefix(last.Detail, handoffDetail) {
		t.Fatalf("last event %+v", last)
	}
	for _, e := range evs {
		for _, pii := range []string{sampleName, sampleIDNumber, samplePhone, sampleAddress} {
			if strings.Contains(e.Detail, pii) {
				t.Fatalf("journal detail holds personal data: %+v", e)
			}
		}
	}
	// Once queued, it cannot be requeued again this way.
	_, err = s.RequeueWithoutAttachments(a.ID)
	mustIs(t, err, ErrState)
	noErr(t, s.Check())

	// Reopened, everything is as it was left.
	noErr(t, s.Close())
	s = openT(t, o)
	again := must[Application](t)(s.Get(a.ID))
	if again.State != lifecycle.Queued || again.Fingerprint != got.Fingerprint || len(again.Attachments) != 0 || !reflect.DeepEqual(again.Values, want) {
		t.Fatalf("after reopen: %+v", again)
	}
	if items := must[[]OutboxItem](t)(s.Pending(0, 0)); len(items) != 2 || items[0].ID != a.ID || items[1].ID != b.ID {
		t.Fatalf("pending after reopen: %d items", len(items))
	}
	noErr(t, s.Check())
}
