package mobile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/app/handoff"
	"civicdesk/app/i18n"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/app/ui"
	"civicdesk/app/ui/uitest"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

// scanAttachment is a small PNG "photo" of the household register.
func scanAttachment() store.Attachment {
	scan := bytes.Repeat([]byte("\x89PNG\r\n\x1a\n"), 64)
	sum := sha256.Sum256(scan)
	return store.Attachment{Field: "household_register_scan", Data: scan,
		Ref: catalog.AttachmentRef{Name: "hukou.png", Type: "image/png", Size: int64(len(scan)), SHA256: hex.EncodeToString(sum[:])}}
}

// handOff records that the phone showed the application's code, as the
// hand-off screen does.
func handOff(t *testing.T, d *ui.Deps, id string) {
	t.Helper()
	if err := d.Store.SetMeta(handoff.MetaKey(id), uitest.Epoch.UTC().Format(time.RFC3339)); err != nil {
		t.Fatal(err)
	}
}

// conflict records the central API's conflict for a queued application.
func conflict(t *testing.T, d *ui.Deps, id string) {
	t.Helper()
	if err := d.Store.MarkRefused(id, store.Refusal{State: lifecycle.Conflict, Message: "an application with this id and different content exists"}); err != nil {
		t.Fatal(err)
	}
}

// note waits for the shell's next notification.
func (r *rig) note(t *testing.T) string {
	t.Helper()
	select {
	case n := <-r.notes.ch:
		return n
	case <-time.After(5 * time.Second):
		t.Fatal("no notification")
		return ""
	}
}

// settle stops the shell: every event sent before has been handled.
func (r *rig) settle() { r.s.Close() }

func (r *rig) noted() []string {
	r.notes.mu.Lock()
	defer r.notes.mu.Unlock()
	return append([]string(nil), r.notes.got...)
}

// A conflict over an application the phone handed off, with a photo the
// code left out, is the hall's copy: the phone queues its copy again as
// the kiosk sent it, asks for a sync and tells the resident, once. Any
// other conflict stays a conflict.
func TestHandoffConflict(t *testing.T) {
	cases := []struct {
		name          string
		attach        bool
		handedOff     bool
		adoptedBefore bool
		lang          string
		adopt         bool
	}{
		{name: "handed off with a photo", attach: true, handedOff: true, adopt: true},
		{name: "in English", attach: true, handedOff: true, lang: i18n.En, adopt: true},
		{name: "never handed off", attach: true},
		{name: "handed off without attachments", handedOff: true},
		{name: "second conflict after adoption", attach: true, handedOff: true, adoptedBefore: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			if tc.lang != "" {
				r.s.SetLang(tc.lang)
			}
			var atts []store.Attachment
			if tc.attach {
				atts = append(atts, scanAttachment())
			}
			a := queue(t, r.d, atts...)
			svc := service(t, r.d, medical)
			code, err := handoff.Encode(a, svc)
			if err != nil {
				t.Fatal(err)
			}
			if tc.handedOff {
				handOff(t, r.d, a.ID)
			}
			if tc.adoptedBefore {
				if err := r.d.Store.SetMeta(adoptedKey(a.ID), uitest.Epoch.UTC().Format(time.RFC3339)); err != nil {
					t.Fatal(err)
				}
			}
			conflict(t, r.d, a.ID)
			r.fs.Send(engine.Event{Kind: engine.Conflict, ID: a.ID, AppStatus: lifecycle.Conflict})

			if !tc.adopt {
				r.settle()
				got, err := r.d.Store.Get(a.ID)
				if err != nil || got.State != lifecycle.Conflict || len(got.Attachments) != len(atts) || got.Fingerprint != a.Fingerprint {
					t.Fatalf("after the conflict: %s with %d attachments (%v); want it left in conflict as it was", got.State, len(got.Attachments), err)
				}
				if n := r.noted(); len(n) != 0 {
					t.Fatalf("notified %q", n)
				}
				if r.fs.Triggers != 0 {
					t.Fatalf("%d syncs asked for", r.fs.Triggers)
				}
				if tc.adoptedBefore != r.s.HandoffAdopted(a.ID) {
					t.Fatalf("adopted %v", r.s.HandoffAdopted(a.ID))
				}
				return
			}

			n := r.note(t) // sent after the requeue and the trigger
			got, err := r.d.Store.Get(a.ID)
			if err != nil || got.State != lifecycle.Queued || len(got.Attachments) != 0 {
				t.Fatalf("after the conflict: %s with %d attachments (%v); want queued without", got.State, len(got.Attachments), err)
			}
			if _, ok := got.Values["household_register_scan"]; ok {
				t.Fatal("the photo's answer is still in the values")
			}
			p, err := handoff.Decode(code)
			if err != nil {
				t.Fatal(err)
			}
			kiosk := wire.SubmitItem{ID: p.ID, Service: p.Service, ServiceVersion: p.ServiceVersion, Values: p.Values}
			if got.Fingerprint != kiosk.Fingerprint() {
				t.Fatal("the requeued copy is not what the kiosk sent")
			}
			if r.fs.Triggers != 1 {
				t.Fatalf("%d syncs asked for, want 1", r.fs.Triggers)
			}
			title, body := "已在服务大厅提交", "服务大厅已为您提交申请"
			if tc.lang == i18n.En {
				title, body = "Handed in at the service hall", "the service hall has sent your application"
			}
			if !strings.HasPrefix(n, title+"|"+r.d.Loc.Text(svc.Name)) || !strings.Contains(n, body) {
				t.Fatalf("notified %q", n)
			}
			for _, pii := range []string{"王秀兰", sampleID, samplePhone} {
				if strings.Contains(n, pii) {
					t.Fatalf("the notification holds personal data: %q", n)
				}
			}
			if !r.s.HandoffAdopted(a.ID) || r.s.handoffAdoptedNote(a.ID) == "" {
				t.Fatal("the adoption is not recorded")
			}

			// The hall's copy was really different: the next conflict stays.
			conflict(t, r.d, a.ID)
			r.fs.Send(engine.Event{Kind: engine.Conflict, ID: a.ID, AppStatus: lifecycle.Conflict})
			r.settle()
			if got, _ := r.d.Store.Get(a.ID); got.State != lifecycle.Conflict {
				t.Fatalf("after a second conflict: %s, want conflict", got.State)
			}
			if n := r.noted(); len(n) != 1 || r.fs.Triggers != 1 {
				t.Fatalf("notified %q, %d syncs asked for; want once each", n, r.fs.Triggers)
			}
			// The details say what happened (the shell is closed: no event
			// goroutine redraws while the test reads the screen).
			r.s.OpenApplication(a.ID)
			squeeze := func(s string) string { return strings.Join(strings.Fields(s), "") }
			if note := r.s.handoffAdoptedNote(a.ID); !strings.Contains(squeeze(strings.Join(r.texts(), " ")), squeeze(note)) {
				t.Fatalf("the details lack %q: %q", note, r.texts())
			}
		})
	}
}

// A conflict recorded while the app was not running (or whose event was
// lost) is adopted when the shell starts following the engine.
func TestHandoffConflictAtStart(t *testing.T) {
	var a, other store.Application
	r := newRig(t, func(d *ui.Deps, _ *uitest.FakeSync) {
		a = queue(t, d, scanAttachment())
		handOff(t, d, a.ID)
		conflict(t, d, a.ID)
		other = queue(t, d, scanAttachment())
		conflict(t, d, other.ID) // never handed off
	})
	if n := r.note(t); !strings.HasPrefix(n, "已在服务大厅提交|") {
		t.Fatalf("notified %q", n)
	}
	r.settle()
	if got, _ := r.d.Store.Get(a.ID); got.State != lifecycle.Queued || len(got.Attachments) != 0 {
		t.Fatalf("handed off: %s with %d attachments, want queued without", got.State, len(got.Attachments))
	}
	if got, _ := r.d.Store.Get(other.ID); got.State != lifecycle.Conflict || len(got.Attachments) != 1 {
		t.Fatalf("not handed off: %s with %d attachments, want left in conflict", got.State, len(got.Attachments))
	}
	if n := r.noted(); len(n) != 1 || r.fs.Triggers != 1 {
		t.Fatalf("notified %q, %d syncs asked for", n, r.fs.Triggers)
	}
	if err := r.d.Store.Check(); err != nil {
		t.Fatal(err)
	}
}
