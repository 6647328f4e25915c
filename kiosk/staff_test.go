package kiosk

import (
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/app/staff"
	"civicdesk/app/store"
	"civicdesk/app/ui"
	"civicdesk/app/ui/uitest"
	"civicdesk/sync/engine"
)

const testPIN = "2468"

func staffRig(t *testing.T) *rig {
	t.Helper()
	r := newRig(t)
	if err := r.k.cfg.Staff.SetPIN(testPIN); err != nil {
		t.Fatal(err)
	}
	return r
}

func loginMsg(r *rig) string {
	s, _ := r.k.sess.login.msg.Get()
	return s
}

func TestStaffSignIn(t *testing.T) {
	t.Run("right PIN", func(t *testing.T) {
		r := staffRig(t)
		r.signIn(t, "GL-0231", testPIN)
		r.at(t, ScreenStaffHome)
		if r.k.StaffID() != "GL-0231" {
			t.Fatalf("staff id %q", r.k.StaffID())
		}
		r.shows(t, "当前工号：GL-0231")
		if r.k.bar.staff.Text != "工作人员模式 · GL-0231" {
			t.Errorf("bar says %q", r.k.bar.staff.Text)
		}
		// The PIN is not kept anywhere in the session.
		if pin, _ := r.k.sess.login.pin.Get(); pin != "" {
			t.Error("the PIN is still held")
		}
		test.Tap(r.k.sess.staffHome.leave)
		r.at(t, ScreenHome)
		if r.k.StaffID() != "" {
			t.Fatal("still in staff mode after leaving")
		}
	})
	t.Run("no staff id", func(t *testing.T) {
		r := staffRig(t)
		r.signIn(t, "", testPIN)
		r.at(t, ScreenStaffLogin)
		if got := loginMsg(r); got != "请输入工号。" {
			t.Fatalf("message %q", got)
		}
	})
	t.Run("no PIN set", func(t *testing.T) {
		r := newRig(t)
		r.signIn(t, "GL-0231", "1234")
		r.at(t, ScreenStaffLogin)
		if got := loginMsg(r); got != r.d.Loc.T("kiosk.staff.no_pin") {
			t.Fatalf("message %q", got)
		}
	})
	t.Run("lockout", func(t *testing.T) {
		r := staffRig(t)
		for i := 1; i < staff.MaxTries; i++ {
			r.signIn(t, "GL-0231", "0000")
			r.at(t, ScreenStaffLogin)
			want := r.d.Loc.T("kiosk.staff.wrong_pin", "N", staff.MaxTries-i)
			if got := loginMsg(r); got != want {
				t.Fatalf("try %d: %q, want %q", i, got, want)
			}
			r.k.back()
		}
		r.signIn(t, "GL-0231", "0000")
		until := r.clk.Now().Add(staff.LockFor)
		want := "密码错误次数过多，已锁定，请于 " + until.Format("15:04:05") + " 后再试。"
		if got := loginMsg(r); got != want {
			t.Fatalf("fifth try: %q, want %q", got, want)
		}
		// Locked: the right PIN does not help.
		r.k.back()
		r.signIn(t, "GL-0231", testPIN)
		r.at(t, ScreenStaffLogin)
		if r.k.StaffID() != "" {
			t.Fatal("signed in while locked")
		}
		// A new guard over the same store (a restart) is still locked.
		g := staff.NewGuard(r.d.Store, r.clk.Now)
		if g.LockedUntil().IsZero() {
			t.Fatal("the lock did not persist")
		}
		r.clk.Advance(staff.LockFor)
		r.k.back()
		r.signIn(t, "GL-0231", testPIN)
		r.at(t, ScreenStaffHome)
	})
	t.Run("language switch keeps what was typed", func(t *testing.T) {
		r := staffRig(t)
		test.Tap(r.k.bar.staff)
		test.Type(r.k.sess.loginView.staffID, "GL-0231")
		test.Tap(r.k.bar.lang)
		r.at(t, ScreenStaffLogin)
		if got := r.k.sess.loginView.staffID.Text; got != "GL-0231" {
			t.Fatalf("staff id %q after the switch", got)
		}
		r.shows(t, "Staff sign-in")
	})
}

// seedQueue stores one application in each queue state and returns their ids.
func seedQueue(t *testing.T, st *store.Store) map[lifecycle.Status]string {
	t.Helper()
	ids := map[lifecycle.Status]string{}
	submit := func() string {
		a, err := st.Submit(store.NewApplication{Service: "medical_insurance_enrolment", ServiceVersion: 1, Values: sample})
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	ids[lifecycle.Queued] = submit()
	if err := st.MarkFailed(ids[lifecycle.Queued], "connection refused"); err != nil {
		t.Fatal(err)
	}
	ids[lifecycle.Received] = submit()
	if err := st.MarkAccepted(ids[lifecycle.Received], store.Acceptance{Tracking: "GL2026000123", VerificationCode: "4821", Status: lifecycle.Received, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	ids[lifecycle.NeedsAttention] = submit()
	if err := st.MarkRefused(ids[lifecycle.NeedsAttention], store.Refusal{State: lifecycle.NeedsAttention,
		FieldErrors: []catalog.FieldError{{Field: "phone", Code: "phone"}}, Message: "phone: invalid"}); err != nil {
		t.Fatal(err)
	}
	ids[lifecycle.Conflict] = submit()
	if err := st.MarkRefused(ids[lifecycle.Conflict], store.Refusal{State: lifecycle.Conflict, Message: "different payload"}); err != nil {
		t.Fatal(err)
	}
	// A draft (someone's form in progress) is not in the queue.
	if _, err := st.CreateDraft(store.NewApplication{Service: "birth_registration", ServiceVersion: 1}); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestStaffQueue(t *testing.T) {
	r := staffRig(t)
	ids := seedQueue(t, r.d.Store)
	r.signIn(t, "GL-0231", testPIN)
	test.Tap(r.k.sess.staffHome.queue)
	r.at(t, ScreenStaffQueue)
	v := r.k.sess.queue
	wantCounts := map[string]int{GroupAll: 4, GroupQueued: 1, GroupSent: 1, GroupAttention: 1, GroupConflict: 1}
	for g, n := range wantCounts {
		if v.counts[g] != n {
			t.Errorf("group %q: %d, want %d", g, v.counts[g], n)
		}
	}
	// All: needs attention first, then conflict, queued, sent.
	wantOrder := []lifecycle.Status{lifecycle.NeedsAttention, lifecycle.Conflict, lifecycle.Queued, lifecycle.Received}
	for i, st := range wantOrder {
		if got := v.items[v.shown[i]]; got.ID != ids[st] {
			t.Errorf("row %d is %s, want %s", i, got.State, st)
		}
	}
	r.shows(t, "需处理 · 刚刚 · 已尝试 0 次 · 最近错误：phone: invalid")
	r.shows(t, "城乡居民医保参保登记 · GL2026000123")
	r.shows(t, "已尝试 1 次 · 最近错误：connection refused")

	test.Tap(v.filters[GroupAttention])
	if len(v.shown) != 1 || v.items[v.shown[0]].ID != ids[lifecycle.NeedsAttention] {
		t.Fatalf("needs-attention filter shows %d rows", len(v.shown))
	}
	// Retry moves it back to the queue and asks for a sync.
	row := firstRow(t, r)
	if !row.retry.Visible() {
		t.Fatal("no Retry on a needs-attention row")
	}
	test.Tap(row.retry)
	a, err := r.d.Store.Get(ids[lifecycle.NeedsAttention])
	if err != nil || a.State != lifecycle.Queued {
		t.Fatalf("after Retry: %s %v, want queued", a.State, err)
	}
	if r.fs.Triggers != 1 {
		t.Errorf("%d sync triggers, want 1", r.fs.Triggers)
	}
	if v.counts[GroupQueued] != 2 || v.counts[GroupAttention] != 0 || len(v.shown) != 0 {
		t.Errorf("the list did not follow: %v, %d shown", v.counts, len(v.shown))
	}
	test.Tap(v.filters[GroupQueued])
	if row := firstRow(t, r); row.retry.Visible() {
		t.Error("Retry offered on a queued row")
	}
}

// firstRow is the first row the list built and shows.
func firstRow(t *testing.T, r *rig) *queueRow {
	t.Helper()
	for _, o := range test.LaidOutObjects(r.k.sess.queue.list) {
		if row, ok := o.(*queueRow); ok && row.Visible() && row.id == r.k.sess.queue.items[r.k.sess.queue.shown[0]].ID {
			return row
		}
	}
	t.Fatal("the first row is not on screen")
	return nil
}

func TestSyncDiagnostics(t *testing.T) {
	last := time.Date(2026, 11, 27, 9, 25, 0, 0, time.Local)
	r := newRig(t, func(_ *ui.Deps, fs *uitest.FakeSync) {
		fs.SetStatus(engine.Status{State: engine.Offline, Pending: 3, PendingBytes: 5 << 10,
			PendingInteractions: 12, OldestInteraction: last.Add(-time.Hour),
			LastSuccess: last, LastError: "dial tcp: connection refused", NextAttempt: last.Add(20 * time.Second)})
	})
	if err := r.k.cfg.Staff.SetPIN(testPIN); err != nil {
		t.Fatal(err)
	}
	r.signIn(t, "GL-0231", testPIN)
	test.Tap(r.k.sess.staffHome.diag)
	r.at(t, ScreenStaffSync)
	v := r.k.sess.diag
	for row, want := range map[string]string{
		"state":        "离线",
		"pending":      "3 件（5.0 KB）",
		"last_sync":    "2026-11-27 09:25:00",
		"last_error":   "dial tcp: connection refused",
		"next":         "2026-11-27 09:25:20",
		"oldest":       "无",
		"interactions": "12 条，最早一条 2026-11-27 08:25:00",
	} {
		if got := v.Value(row); got != want {
			t.Errorf("%s: %q, want %q", row, got, want)
		}
	}
	before := r.fs.Triggers
	test.Tap(v.syncNow)
	if r.fs.Triggers != before+1 {
		t.Fatalf("Sync now: %d triggers, want %d", r.fs.Triggers, before+1)
	}
	r.shows(t, "已请求同步")
}

func TestAssistedApplication(t *testing.T) {
	r := staffRig(t)
	r.signIn(t, "GL-0231", testPIN)
	test.Tap(r.k.sess.staffHome.assisted)
	r.at(t, ScreenCatalog)
	svc := r.service(t, "medical_insurance_enrolment")
	r.k.PickService(svc)
	r.k.BeginForm(svc)
	vm := r.k.sess.apply
	if vm.StaffID != "GL-0231" {
		t.Fatalf("view-model staff id %q", vm.StaffID)
	}
	if a, err := r.d.Store.Get(vm.ID); err != nil || a.StaffID != "GL-0231" {
		t.Fatalf("draft staff id %q (%v)", a.StaffID, err)
	}
	for f, v := range sample {
		vm.Set(f, v)
	}
	vm.Consent = true
	vm.Step = len(vm.Steps()) - 1
	r.k.review(vm)
	r.at(t, ScreenReview)
	test.Tap(r.button(t, r.d.Loc.T("ui.review.submit")))
	r.at(t, ScreenReceipt)
	a, err := r.d.Store.Get(vm.ID)
	if err != nil || a.State != lifecycle.Queued || a.StaffID != "GL-0231" {
		t.Fatalf("submitted: %s staff %q (%v)", a.State, a.StaffID, err)
	}
	// A resident's own application carries no staff id.
	r.k.LeaveStaff()
	r.k.StartApply()
	r.k.BeginForm(svc)
	if r.k.sess.apply.StaffID != "" {
		t.Fatalf("resident application has staff id %q", r.k.sess.apply.StaffID)
	}
	// The submitted application survives the idle wipe; the receipt is gone.
	r.clk.Advance(testIdle + testCountdown)
	if a, err := r.d.Store.Get(a.ID); err != nil || a.State != lifecycle.Queued {
		t.Fatalf("after the wipe: %v", err)
	}
	if r.k.sess.receipt != nil {
		t.Error("a receipt survived")
	}
}

func TestSignInErrors(t *testing.T) {
	r := staffRig(t)
	cases := []struct {
		id, pin string
		want    error
	}{
		{"", testPIN, ErrNoStaffID},
		{"   ", testPIN, ErrNoStaffID},
		{"GL 0231", testPIN, ErrBadStaffID},
		{"GL-0231\n", "0000", staff.ErrWrongPIN}, // trimmed, then the PIN is wrong
		{strings.Repeat("9", MaxStaffIDLen+1), testPIN, ErrBadStaffID},
		{"GL-0231", "", staff.ErrWrongPIN},
	}
	for _, tc := range cases {
		t.Run(tc.id+"/"+tc.pin, func(t *testing.T) {
			if err := r.k.SignIn(tc.id, tc.pin); !errors.Is(err, tc.want) {
				t.Fatalf("SignIn: %v, want %v", err, tc.want)
			}
			if r.k.StaffID() != "" {
				t.Fatal("in staff mode after a failed sign-in")
			}
		})
	}
	if err := r.k.SignIn(" GL-0231 ", testPIN); err != nil || r.k.StaffID() != "GL-0231" {
		t.Fatalf("SignIn: %v, staff id %q", err, r.k.StaffID())
	}
	r.at(t, ScreenStaffHome)
}
