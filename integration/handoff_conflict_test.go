package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"civicdesk/app/catalog"
	"civicdesk/app/handoff"
	"civicdesk/app/i18n"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/app/ui"
	"civicdesk/app/ui/uitest"
	"civicdesk/mobile"
)

// phoneShell is the phone app over a real device: its store and its
// engine, which syncs with the real central API; notifications go to notes.
func phoneShell(t *testing.T, phone *device) (*mobile.Shell, fyne.Window, chan string) {
	t.Helper()
	test.NewTempApp(t)
	applied := make(chan struct{}, 1) // under -tags mobile the theme is applied on a goroutine
	fyne.CurrentApp().Settings().AddListener(func(fyne.Settings) {
		select {
		case applied <- struct{}{}:
		default:
		}
	})
	cat := catalog.Default()
	d := &ui.Deps{Store: phone.st, Sync: phone.eng, Loc: i18n.New(),
		Catalog: func() *catalog.Catalog { return cat }, Now: time.Now, TrackURL: ui.TrackLink}
	notes := make(chan string, 8)
	s := mobile.New(d, mobile.Config{Settings: &mobile.MemSettings{}, Clock: time.Now,
		Notify: func(title, body string) { notes <- title + "|" + body }})
	w := test.NewTempWindow(t, s.Object())
	w.Resize(fyne.NewSize(400, 800))
	t.Cleanup(s.Close)
	select {
	case <-applied:
	case <-time.After(5 * time.Second):
		t.Fatal("the shell's theme was not applied")
	}
	return s, w, notes
}

// photoApplication is a valid application on the phone with a photo of
// the household register attached, queued.
func photoApplication(t *testing.T, st *store.Store, i int) store.Application {
	t.Helper()
	svc, values := sampleApplication(i)
	photo := bytes.Repeat([]byte{0xff, 0xd8, 0xff, 0xe0, byte(i)}, 400)
	sum := sha256.Sum256(photo)
	ref := catalog.AttachmentRef{Name: "hukou.jpg", Type: "image/jpeg", Size: int64(len(photo)), SHA256: hex.EncodeToString(sum[:])}
	values["household_register_scan"] = ref
	a, err := st.Submit(store.NewApplication{Service: svc.Code, ServiceVersion: svc.Version, Values: values,
		Attachments: []store.Attachment{{Field: "household_register_scan", Ref: ref, Data: photo}}})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// kioskScan queues a hand-off code on the kiosk as the kiosk's scan does:
// the phone's id, service, version and values, no staff id, no attachments.
func kioskScan(t *testing.T, kiosk *device, code string) store.Application {
	t.Helper()
	p, err := handoff.Decode(code)
	if err != nil {
		t.Fatal(err)
	}
	a, err := kiosk.st.Submit(store.NewApplication{ID: p.ID, Service: p.Service, ServiceVersion: p.ServiceVersion, Values: p.Values})
	if err != nil {
		t.Fatal(err)
	}
	if err := kiosk.st.SetMeta(handoff.MetaKey(a.ID), "kiosk"); err != nil {
		t.Fatal(err)
	}
	return a
}

// The hand-off with a photo: the phone shows the code of an
// application with a photo attached, the kiosk queues and sends it without
// the photo; when the phone syncs its own copy the central API answers
// "conflict", the phone queues it again as the kiosk sent it, and the next
// answer is the kiosk's receipt (a duplicate): the server holds one
// application and the phone shows the receipt. An application the phone
// never handed off stays in conflict.
func TestHandoffConflictAdoptedOverRealCentral(t *testing.T) {
	ctx := context.Background()
	env := startCentral(t)
	phone := env.newDevice(t, env.URL(), deviceOpt{policy: store.PolicyPersonal})
	kiosk := env.newDevice(t, env.URL(), deviceOpt{})
	s, w, notes := phoneShell(t, phone)

	// On the phone, offline: one application shown at the hall, one not.
	shown := photoApplication(t, phone.st, 1)
	s.ShowHandoff(shown.ID)
	code := s.HandoffText()
	if code == "" {
		t.Fatal("no hand-off code on screen")
	}
	if v, _ := phone.st.Meta(handoff.MetaKey(shown.ID)); v == "" {
		t.Fatal("the phone did not record the hand-off")
	}
	other := photoApplication(t, phone.st, 2)
	otherCode, err := handoff.Encode(other, sampleSvc()) // its code reached the hall some other way
	if err != nil {
		t.Fatal(err)
	}

	// At the hall: the kiosk queues both codes and sends them.
	kioskScan(t, kiosk, code)
	kioskScan(t, kiosk, otherCode)
	if rep, err := kiosk.eng.SyncOnce(ctx); err != nil || rep.Accepted != 2 {
		t.Fatalf("kiosk sync: %+v, %v", rep, err)
	}
	onKiosk, err := kiosk.st.Get(shown.ID)
	if err != nil || !onKiosk.State.Accepted() || onKiosk.Tracking == "" {
		t.Fatalf("kiosk: %s, tracking %q (%v)", onKiosk.State, onKiosk.Tracking, err)
	}

	// The phone gets a connection: conflict for both, the shown one is
	// requeued (the notification says so), the next round brings the receipt.
	first, err := phone.eng.SyncOnce(ctx)
	if err != nil {
		t.Fatalf("phone sync: %v", err)
	}
	if first.Conflicts != 2 {
		t.Fatalf("first phone round: %+v, want two conflicts", first)
	}
	select {
	case n := <-notes:
		if !strings.HasPrefix(n, "已在服务大厅提交|") {
			t.Fatalf("notified %q", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the phone did not requeue the handed-off application")
	}
	second, err := phone.eng.SyncOnce(ctx)
	if err != nil {
		t.Fatalf("phone sync: %v", err)
	}
	// The requeued copy may already go in the first round's push.
	if dup := first.Duplicates + second.Duplicates; dup != 1 || first.Conflicts+second.Conflicts != 2 {
		t.Fatalf("phone rounds %+v then %+v; want one duplicate and no more conflicts", first, second)
	}
	s.Close() // every event handled: the screens are the test's alone now

	onPhone, err := phone.st.Get(shown.ID)
	if err != nil || !onPhone.State.Accepted() || onPhone.Tracking != onKiosk.Tracking || onPhone.VerificationCode != onKiosk.VerificationCode {
		t.Fatalf("phone: %s, tracking %q code %q (%v); want the kiosk's %q %q", onPhone.State, onPhone.Tracking,
			onPhone.VerificationCode, err, onKiosk.Tracking, onKiosk.VerificationCode)
	}
	if n, err := env.srv.Count(); err != nil || n != 2 || env.srv.CountByID(shown.ID) != 1 {
		t.Fatalf("the central API holds %d applications (%v), want 2 (the hand-off once)", n, err)
	}
	if o, _ := phone.st.Get(other.ID); o.State != lifecycle.Conflict || len(o.Attachments) != 1 {
		t.Fatalf("the application never handed off: %s with %d attachments, want left in conflict", o.State, len(o.Attachments))
	}
	select {
	case n := <-notes:
		t.Fatalf("notified again: %q", n)
	default:
	}
	if st, err := phone.st.Stats(); err != nil || st.Count != 0 {
		t.Fatalf("phone: %d still queued (%v)", st.Count, err)
	}
	if err := phone.st.Check(); err != nil {
		t.Fatal(err)
	}

	// The phone shows the receipt's tracking number and the timeline.
	s.OpenApplication(shown.ID)
	texts := strings.Join(uitest.Texts(w), "\n")
	for _, want := range []string{"受理编号：" + onKiosk.Tracking, ui.StatusText(i18n.New(), lifecycle.Received)} {
		if !strings.Contains(texts, want) {
			t.Fatalf("%q is not on the phone's screen: %q", want, texts)
		}
	}
}
