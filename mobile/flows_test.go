package mobile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"slices"
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
	"civicdesk/sync/client"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

// flush waits until the shell has handled every event sent before it: an
// update of an unknown application raises a notification, and events are
// handled in order.
func (r *rig) flush(t *testing.T) {
	t.Helper()
	r.fs.Send(engine.Event{Kind: engine.ApplicationUpdated, ID: "flush", AppStatus: lifecycle.InReview})
	select {
	case n := <-r.notes.ch:
		if !strings.Contains(n, "flush") && !strings.Contains(n, ui.StatusText(r.d.Loc, lifecycle.InReview)) {
			t.Fatalf("unexpected notification %q", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the shell does not follow the engine's events")
	}
}

func get(t *testing.T, b interface{ Get() (string, error) }) string {
	t.Helper()
	s, err := b.Get()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// depsAt opens the personal store in dir with fresh screen dependencies,
// as the app does at every start.
func depsAt(t *testing.T, dir string) *ui.Deps {
	t.Helper()
	st, err := store.Open(store.Options{Dir: dir, Policy: store.PolicyPersonal, Clock: func() time.Time { return uitest.Epoch }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cat := catalog.Default()
	return &ui.Deps{Store: st, Sync: &uitest.FakeSync{}, Loc: i18n.New(),
		Catalog: func() *catalog.Catalog { return cat }, Now: func() time.Time { return uitest.Epoch }, TrackURL: ui.TrackLink}
}

// A draft typed in before the app was killed is listed on the next start
// and reopens with its answers.
func TestDraftRestore(t *testing.T) {
	test.NewTempApp(t)
	dir := t.TempDir()
	d := depsAt(t, dir)
	r := startRig(t, d, d.Sync.(*uitest.FakeSync), MetaSettings(d.Store))
	r.s.BeginForm(service(t, d, medical))
	wz := r.s.Wizard()
	test.Type(entry(t, wz, "insured_name"), "张三")
	test.Type(entry(t, wz, "phone"), samplePhone)
	choose(t, wz, "district", "鼓楼区")
	id := r.s.Apply().ID
	// Killed: no goodbye, the store simply closed.
	r.s.Close()
	if err := d.Store.Close(); err != nil {
		t.Fatal(err)
	}

	d2 := depsAt(t, dir)
	r2 := startRig(t, d2, d2.Sync.(*uitest.FakeSync), MetaSettings(d2.Store))
	r2.at(t, TabServices, ScreenServices)
	if got := r2.s.Drafts(); len(got) != 1 || got[0] != id {
		t.Fatalf("drafts listed %v, want [%s]", got, id)
	}
	r2.shows(t, "继续填写：城乡居民医保参保登记")
	test.Tap(r2.s.svc.drafts[0])
	r2.at(t, TabServices, ScreenWizard)
	wz2 := r2.s.Wizard()
	if got := entry(t, wz2, "insured_name").Text; got != "张三" {
		t.Fatalf("name %q after restore", got)
	}
	if got := entry(t, wz2, "phone").Text; got != samplePhone {
		t.Fatalf("phone %q after restore", got)
	}
	if v := r2.s.Apply().Value("district"); v != "320302" {
		t.Fatalf("district %v after restore", v)
	}
	// Save for later: back to the catalog, the draft still listed.
	test.Tap(r2.button(t, "先保存，稍后再填"))
	r2.at(t, TabServices, ScreenServices)
	if len(r2.s.Drafts()) != 1 {
		t.Fatal("the draft is no longer listed")
	}
}

// The data saver: attachments wait until "send attachments now", which
// lasts until a sync round leaves nothing waiting.
func TestDataSaver(t *testing.T) {
	r := newRig(t)
	var told []bool
	r.s.cfg.DataSaverChanged = func(on bool) { told = append(told, on) }
	if !r.s.AttachmentsAllowed() {
		t.Fatal("attachments refused with the data saver off")
	}
	r.s.ShowTab(TabSettings)
	v := r.s.set
	if !v.sendNow.Disabled() {
		t.Fatal("\"send attachments now\" offered with the data saver off")
	}
	test.Tap(v.saver)
	steps := []struct {
		name string
		do   func()
		want bool
	}{
		{"saver on", func() {}, false},
		{"a round with attachments still waiting", func() {
			r.fs.Send(engine.Event{Kind: engine.SyncFinished, Report: &engine.Report{Waiting: 1}})
		}, false},
		{"send now", func() { test.Tap(r.s.set.sendNow) }, true},
		{"a round that failed keeps the permission", func() {
			r.fs.Send(engine.Event{Kind: engine.SyncFinished, Err: "push: central API unreachable", Report: &engine.Report{Waiting: 1}})
		}, true},
		{"a clean round ends it", func() {
			r.fs.Send(engine.Event{Kind: engine.SyncFinished, Report: &engine.Report{}})
		}, false},
		{"saver off", func() { test.Tap(r.s.set.saver) }, true},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.do()
			r.flush(t)
			if got := r.s.AttachmentsAllowed(); got != st.want {
				t.Fatalf("AttachmentsAllowed %v, want %v", got, st.want)
			}
		})
	}
	if len(told) != 2 || !told[0] || told[1] {
		t.Fatalf("DataSaverChanged told %v, want [true false]", told)
	}
	if r.fs.Triggers != 2 { // send now, saver off
		t.Fatalf("%d sync triggers, want 2", r.fs.Triggers)
	}
	if st, _ := r.set.Load(); st.DataSaver {
		t.Fatal("the setting was not saved")
	}
}

// The language switches at once, everywhere, and is remembered.
func TestLanguageSwitch(t *testing.T) {
	r := newRig(t)
	r.s.ShowTab(TabSettings)
	r.shows(t, "语言")
	r.s.set.lang.SetSelected("English")
	lang(t, r.d, i18n.En)
	r.shows(t, "Language")
	r.shows(t, "Services")
	r.shows(t, "Mine")
	r.lacks(t, "我的申请")
	r.s.ShowTab(TabSync)
	r.shows(t, "Sync now")
	if got := get(t, r.s.sync.State); got != "Connected" {
		t.Fatalf("sync state %q in English", got)
	}
	if st, _ := r.set.Load(); st.Lang != i18n.En {
		t.Fatalf("language saved as %q", st.Lang)
	}
	// The next start speaks English.
	d2, fs2 := uitest.Deps(t, store.PolicyPersonal)
	startRig(t, d2, fs2, r.set)
	lang(t, d2, i18n.En)
}

func TestLargeText(t *testing.T) {
	r := newRig(t)
	before := fyne.CurrentApp().Settings().Theme().Size("text")
	r.s.ShowTab(TabSettings)
	r.s.set.size.SetSelected("大字")
	if !r.s.Theme().LargeText {
		t.Fatal("large text not on")
	}
	if after := fyne.CurrentApp().Settings().Theme().Size("text"); after <= before {
		t.Fatalf("text size %v -> %v", before, after)
	}
	if st, _ := r.set.Load(); !st.LargeText {
		t.Fatal("large text not saved")
	}
}

// "Delete my data" warns about what was not sent, then deletes everything.
func TestDeleteMyData(t *testing.T) {
	var queued store.Application
	r := newRig(t, func(d *ui.Deps, _ *uitest.FakeSync) {
		queued = queue(t, d)
		a := queue(t, d)
		if err := d.Store.MarkAccepted(a.ID, store.Acceptance{Tracking: "XZ1", VerificationCode: "1", Status: lifecycle.Received, At: uitest.Epoch}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Store.CreateDraft(store.NewApplication{Service: medical, ServiceVersion: 1, Values: catalog.Values{"insured_name": "王秀兰"}}); err != nil {
			t.Fatal(err)
		}
	})
	r.s.ShowHandoff(queued.ID) // marks it handed off
	if v, _ := r.d.Store.Meta(handoff.MetaKey(queued.ID)); v == "" {
		t.Fatal("the hand-off was not recorded")
	}
	r.s.ShowTab(TabSettings)
	test.Tap(r.s.set.del)
	r.shows(t, "其中 1 份还没有发出去")
	test.Tap(r.s.set.keep)
	if n := len(r.s.summaries()); n != 3 {
		t.Fatalf("%d applications after \"keep them\"", n)
	}
	test.Tap(r.s.set.del)
	test.Tap(r.s.set.confirm)
	if n := len(r.s.summaries()); n != 0 {
		t.Fatalf("%d applications left", n)
	}
	if st, _ := r.d.Store.Stats(); st.Count != 0 {
		t.Fatalf("%d still queued", st.Count)
	}
	if v, _ := r.d.Store.Meta(handoff.MetaKey(queued.ID)); v != "" {
		t.Fatal("the hand-off mark stayed")
	}
	r.shows(t, "已删除 3 份申请和草稿")
	r.s.ShowTab(TabApplications)
	r.shows(t, "您还没有申请")
}

// A status change pulled by the engine raises a notification naming the
// service and the new status.
func TestNotification(t *testing.T) {
	var a store.Application
	r := newRig(t, func(d *ui.Deps, _ *uitest.FakeSync) { a = queue(t, d) })
	r.fs.Send(engine.Event{Kind: engine.ApplicationUpdated, ID: a.ID, AppStatus: lifecycle.Approved})
	select {
	case got := <-r.notes.ch:
		if want := "申请进度有更新|城乡居民医保参保登记：审核通过"; got != want {
			t.Fatalf("notification %q, want %q", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notification")
	}
	// Other events raise none.
	r.fs.Send(engine.Event{Kind: engine.Accepted, ID: a.ID, AppStatus: lifecycle.Received})
	r.flush(t)
	r.notes.mu.Lock()
	defer r.notes.mu.Unlock()
	if len(r.notes.got) != 2 {
		t.Fatalf("notifications: %q", r.notes.got)
	}
}

// The Sync tab: Sync now, the status in plain words, upload progress.
func TestSyncTab(t *testing.T) {
	r := newRig(t)
	r.s.ShowTab(TabSync)
	test.Tap(r.button(t, "立即同步"))
	if r.fs.Triggers != 1 {
		t.Fatalf("%d triggers after Sync now", r.fs.Triggers)
	}
	r.fs.SetStatus(engine.Status{State: engine.Syncing, Pending: 2, PendingBytes: 3 << 20,
		LastError: "central API health: HTTP 503 (after 3 attempts); try again later"})
	r.fs.Send(engine.Event{Kind: engine.Progress, ID: "a", Done: 1 << 20, Total: 4 << 20})
	r.flush(t)
	vm := r.s.sync
	for _, tc := range []struct{ name, got, want string }{
		{"state", get(t, vm.State), "正在同步…"},
		{"waiting", get(t, vm.Waiting), "2 份申请等待发送，共 3.0 MB"},
		{"error", get(t, vm.LastError), "上次没同步成功：政务服务平台正忙。会自动再试。"},
		{"progress", get(t, vm.ProgressText), "正在上传附件：1.0 MB / 4.0 MB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("%q, want %q", tc.got, tc.want)
			}
		})
	}
	if p, _ := vm.Progress.Get(); p != 0.25 {
		t.Fatalf("progress %v, want 0.25", p)
	}
	r.fs.Send(engine.Event{Kind: engine.SyncFinished, Status: engine.Status{State: engine.Online, LastSuccess: uitest.Epoch}})
	r.flush(t)
	if p, _ := vm.Progress.Get(); p != 0 || get(t, vm.LastError) != "" || get(t, vm.LastSuccess) != "上次同步成功：2026-11-27 09:30" {
		t.Fatalf("after the round: progress %v, error %q, last %q", p, get(t, vm.LastError), get(t, vm.LastSuccess))
	}
}

func TestPlainError(t *testing.T) {
	r := newRig(t)
	for _, tc := range []struct{ last, want string }{
		{"", ""},
		{"push: central API unreachable: check the network connection (dial tcp: i/o timeout)", "mobile.sync.err_offline"},
		{"health: the network answered with a page that is not the central API (a Wi-Fi login page?): log in to the network and sync again", "mobile.sync.err_portal"},
		{"central API submit: HTTP 401 (central API refused the credentials: enrol the device again or check the token)", "mobile.sync.err_unauthorized"},
		{"central API reports it is not ready (maintenance?): the engine will try again later", "mobile.sync.err_maintenance"},
		{"central API health: HTTP 429 rate_limited", "mobile.sync.err_busy"},
		{"central API answer was incomplete or unreadable: sync again later", "mobile.sync.err_unreliable"},
		{"something new", "mobile.sync.err_other"},
	} {
		want := ""
		if tc.want != "" {
			want = r.d.Loc.T(tc.want)
		}
		if got := r.s.sync.plainError(tc.last); got != want {
			t.Errorf("%q -> %q, want %q", tc.last, got, want)
		}
	}
}

// Coming to the foreground syncs; leaving it writes everything through.
func TestLifecycle(t *testing.T) {
	r := newRig(t)
	lc := fyne.CurrentApp().Lifecycle().(interface {
		OnEnteredForeground() func()
		OnExitedForeground() func()
	})
	lc.OnEnteredForeground()()
	if r.fs.Triggers != 1 {
		t.Fatalf("%d triggers on entering the foreground", r.fs.Triggers)
	}
	r.s.BeginForm(service(t, r.d, medical))
	e := entry(t, r.s.Wizard(), "insured_name")
	r.w.Canvas().Focus(e)
	test.Type(e, "张三")
	saves := r.set.Saves
	lc.OnExitedForeground()()
	if r.w.Canvas().Focused() != nil {
		t.Fatal("the field still has the focus")
	}
	if r.set.Saves != saves+1 {
		t.Fatal("the settings were not written")
	}
	a, err := r.d.Store.Get(r.s.Apply().ID)
	if err != nil || a.Values["insured_name"] != "张三" {
		t.Fatalf("draft %v, %v", a.Values, err)
	}
	r.s.Close()
	if lc.OnEnteredForeground() != nil {
		t.Fatal("Close left the lifecycle hook")
	}
}

// bigPhoto is a 2400x1800 JPEG with texture: a phone's photo of a document.
func bigPhoto(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 2400, 1800))
	rnd := rand.New(rand.NewPCG(3, 4))
	for i := range img.Pix {
		img.Pix[i] = uint8(128 + rnd.IntN(128))
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Photos are shrunk before they are kept, and the new size is shown.
func TestPhotoShrunk(t *testing.T) {
	r := newRig(t)
	r.s.BeginForm(service(t, r.d, medical))
	vm := r.s.Apply()
	photo := bigPhoto(t)
	if err := vm.Attach("household_register_scan", "hukou.jpg", photo); err != nil {
		t.Fatal(err)
	}
	a, err := r.d.Store.Get(vm.ID)
	if err != nil || len(a.Attachments) != 1 {
		t.Fatalf("draft attachments %v, %v", a.Attachments, err)
	}
	ref := a.Attachments[0].Ref
	if ref.Size >= int64(len(photo)) || ref.Type != "image/jpeg" {
		t.Fatalf("kept %d bytes of %s from %d", ref.Size, ref.Type, len(photo))
	}
	buf := make([]byte, ref.Size)
	if _, err := r.d.Store.ReadBlob(ref.SHA256, 0, buf); err != nil {
		t.Fatal(err)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(buf))
	if err != nil || cfg.Width != 1600 || cfg.Height != 1200 {
		t.Fatalf("kept a %dx%d picture (%v)", cfg.Width, cfg.Height, err)
	}
	want := "照片已压缩：" + ui.FileSize(r.d.Loc, int64(len(photo))) + " → " + ui.FileSize(r.d.Loc, ref.Size)
	if !strings.HasPrefix(r.s.Notice(), want) {
		t.Fatalf("notice %q, want it to start with %q", r.s.Notice(), want)
	}
	r.shows(t, "照片已压缩")
	// A damaged photo is refused.
	if err := vm.Attach("household_register_scan", "bad.jpg", photo[:len(photo)/4]); !errors.Is(err, ui.ErrPrepare) {
		t.Fatalf("a damaged photo: %v", err)
	}
}

// The hand-off QR code of a queued application carries it to the kiosk;
// attachments are named, not carried.
func TestHandoff(t *testing.T) {
	scan := bytes.Repeat([]byte("\x89PNG\r\n\x1a\n"), 64)
	sum := sha256.Sum256(scan)
	var plain, withScan, sent, long store.Application
	r := newRig(t, func(d *ui.Deps, _ *uitest.FakeSync) {
		plain = queue(t, d)
		withScan = queue(t, d, store.Attachment{Field: "household_register_scan", Data: scan,
			Ref: catalog.AttachmentRef{Name: "hukou.png", Type: "image/png", Size: int64(len(scan)), SHA256: hex.EncodeToString(sum[:])}})
		sent = queue(t, d)
		if err := d.Store.MarkAccepted(sent.ID, store.Acceptance{Tracking: "XZ2", VerificationCode: "2", Status: lifecycle.Received, At: uitest.Epoch}); err != nil {
			t.Fatal(err)
		}
		values := catalog.Values{}
		rnd := rand.New(rand.NewPCG(5, 6))
		for k, v := range sample {
			values[k] = v
		}
		noise := make([]byte, 4000)
		for i := range noise {
			noise[i] = byte('a' + rnd.IntN(26))
		}
		values["address"] = string(noise)
		var err error
		long, err = d.Store.Submit(store.NewApplication{Service: medical, ServiceVersion: 1, Values: values})
		if err != nil {
			t.Fatal(err)
		}
	})
	r.s.OpenApplication(plain.ID)
	test.Tap(r.s.apps.detail.handoff)
	r.at(t, TabApplications, ScreenHandoff)
	p, err := handoff.Decode(r.s.HandoffText())
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != plain.ID || p.Service != medical || p.Values["insured_name"] != "王秀兰" || len(p.MissingAttachments) != 0 {
		t.Fatalf("decoded %+v", p)
	}
	if r.s.apps.handoff.qr == nil {
		t.Fatal("no QR image")
	}
	r.shows(t, "请在服务大厅把这个二维码对准自助机的扫码口")
	r.lacks(t, "附件不在二维码里")
	if v, _ := r.d.Store.Meta(handoff.MetaKey(plain.ID)); v != uitest.Epoch.UTC().Format(time.RFC3339) {
		t.Fatalf("hand-off recorded as %q", v)
	}
	r.s.Nav(TabApplications).Back()
	r.shows(t, "已于 2026-11-27 09:30 出示给服务大厅")

	r.s.OpenApplication(withScan.ID)
	r.s.ShowHandoff(withScan.ID)
	p, err = handoff.Decode(r.s.HandoffText())
	if err != nil || len(p.MissingAttachments) != 1 || p.MissingAttachments[0] != "household_register_scan" {
		t.Fatalf("decoded %+v, %v", p, err)
	}
	r.shows(t, "附件不在二维码里")
	r.shows(t, "• 户口簿首页及本人页扫描件")

	for _, tc := range []struct {
		name, id, says string
	}{
		{"sent already", sent.ID, "这份申请已经发出"},
		{"too large", long.ID, "一个二维码放不下"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.s.ShowHandoff(tc.id)
			if r.s.HandoffText() != "" || r.s.apps.handoff.qr != nil {
				t.Fatal("a code was shown")
			}
			r.shows(t, tc.says)
		})
	}
}

// Details of an application: timeline, what to bring, delete a draft;
// a queued one cannot be deleted on its own.
func TestApplicationDetails(t *testing.T) {
	var draft, queued store.Application
	r := newRig(t, func(d *ui.Deps, _ *uitest.FakeSync) {
		queued = queue(t, d)
		var err error
		draft, err = d.Store.CreateDraft(store.NewApplication{Service: medical, ServiceVersion: 1, Values: catalog.Values{}})
		if err != nil {
			t.Fatal(err)
		}
	})
	r.s.ShowTab(TabApplications)
	if ids := r.s.Applications(); len(ids) != 2 || ids[0] != draft.ID {
		t.Fatalf("listed %v, want the draft first", ids)
	}
	r.s.OpenApplication(queued.ID)
	r.shows(t, "状态：等待发送")
	r.shows(t, "• 居民身份证")
	if v := r.s.apps.detail; len(v.timeline) != 1 || v.del != nil {
		t.Fatalf("timeline %q, delete offered %v", v.timeline, v.del != nil)
	}
	if err := r.s.DeleteApplication(queued.ID); !errors.Is(err, ErrNotDeletable) {
		t.Fatalf("deleting a queued application: %v", err)
	}

	r.s.OpenApplication(draft.ID)
	v := r.s.apps.detail
	test.Tap(v.del)
	r.shows(t, "删除这份草稿吗？")
	test.Tap(v.confirmDel)
	if _, err := r.d.Store.Get(draft.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the draft is still there: %v", err)
	}
	r.at(t, TabApplications, ScreenApplications)
	if ids := r.s.Applications(); len(ids) != 1 {
		t.Fatalf("listed %v", ids)
	}
}

// Online, the details show the central API's history of the application.
func TestServerHistory(t *testing.T) {
	var a store.Application
	asked := 0
	r := newRig(t, func(d *ui.Deps, _ *uitest.FakeSync) {
		a = queue(t, d)
		if err := d.Store.MarkAccepted(a.ID, store.Acceptance{Tracking: "XZ20261127000042", VerificationCode: "4821", Status: lifecycle.Received, At: uitest.Epoch}); err != nil {
			t.Fatal(err)
		}
		d.Track = func(_ context.Context, tracking, code string) (wire.TrackResponse, error) {
			asked++
			if tracking != "XZ20261127000042" || code != "4821" {
				return wire.TrackResponse{}, client.ErrNotFound
			}
			return wire.TrackResponse{Tracking: tracking, Service: medical, Status: lifecycle.InReview, History: []wire.StatusEntry{
				{Status: lifecycle.Received, At: uitest.Epoch},
				{Status: lifecycle.InReview, At: uitest.Epoch.Add(time.Hour), Note: catalog.Text{"zh-Hans": "材料齐全，正在审核", "en": "Complete, under review"}},
			}}, nil
		}
	})
	r.s.OpenApplication(a.ID)
	r.s.fetches.Wait()
	for start := time.Now(); r.s.apps.historyShown.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatal("the central API's history was not shown")
		}
	}
	if asked != 1 {
		t.Fatalf("the central API was asked %d times", asked)
	}
	want := []string{"2026-11-27 10:30  审核中\n材料齐全，正在审核", "2026-11-27 09:30  已受理", "2026-11-27 09:30  等待发送"}
	if got := r.s.apps.detail.timeline; !slices.Equal(got, want) {
		t.Fatalf("timeline %q, want %q", got, want)
	}
	r.shows(t, "材料齐全，正在审核")
}

func TestTimeline(t *testing.T) {
	at := func(h int) time.Time { return uitest.Epoch.Add(time.Duration(h) * time.Hour) }
	a := store.Application{History: []store.Transition{
		{To: lifecycle.Draft, At: at(0), Source: "device"},
		{From: lifecycle.Draft, To: lifecycle.Queued, At: at(1), Source: "device"},
		{From: lifecycle.Queued, To: lifecycle.Sent, At: at(2), Source: "server"},
		{From: lifecycle.Sent, To: lifecycle.Received, At: at(2), Source: "server"},
	}}
	for _, tc := range []struct {
		name   string
		server []wire.StatusEntry
		want   []lifecycle.Status
	}{
		{"the phone's record", nil, []lifecycle.Status{lifecycle.Queued, lifecycle.Sent, lifecycle.Received}},
		{"the central API's history replaces what the phone heard", []wire.StatusEntry{
			{Status: lifecycle.Received, At: at(2)}, {Status: lifecycle.InReview, At: at(3)}, {Status: lifecycle.InReview, At: at(3)},
		}, []lifecycle.Status{lifecycle.Queued, lifecycle.Received, lifecycle.InReview}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []lifecycle.Status
			for _, s := range timeline(a, tc.server) {
				got = append(got, s.Status)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("%v, want %v", got, tc.want)
			}
		})
	}
}

func TestMetaSettings(t *testing.T) {
	d, _ := uitest.Deps(t, store.PolicyPersonal)
	m := MetaSettings(d.Store)
	if s, err := m.Load(); err != nil || s != (Settings{}) {
		t.Fatalf("fresh: %+v, %v", s, err)
	}
	for _, want := range []Settings{{Lang: i18n.En, LargeText: true, DataSaver: true}, {Lang: i18n.Zh}} {
		if err := m.Save(want); err != nil {
			t.Fatal(err)
		}
		if got, err := m.Load(); err != nil || got != want {
			t.Fatalf("saved %+v, loaded %+v (%v)", want, got, err)
		}
	}
}
