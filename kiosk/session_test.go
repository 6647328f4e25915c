package kiosk

import (
	"errors"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/i18n"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
)

func TestIdleCountdown(t *testing.T) {
	t.Run("untouched home arms nothing", func(t *testing.T) {
		r := newRig(t)
		r.clk.Advance(10 * testIdle)
		if r.k.CountdownShowing() || r.clk.Pending() != 0 {
			t.Fatalf("countdown %v, %d timers on an untouched home screen", r.k.CountdownShowing(), r.clk.Pending())
		}
	})
	t.Run("countdown after IdleAfter, continue cancels it", func(t *testing.T) {
		r := newRig(t)
		test.Tap(r.k.sess.home.status)
		r.clk.Advance(testIdle - time.Second)
		if r.k.CountdownShowing() {
			t.Fatal("countdown before IdleAfter")
		}
		r.clk.Advance(time.Second)
		if !r.k.CountdownShowing() {
			t.Fatal("no countdown at IdleAfter")
		}
		if got, want := r.k.CountdownText(), "15 秒后将清除本次填写的内容并返回首页。"; got != want {
			t.Fatalf("countdown says %q, want %q", got, want)
		}
		r.shows(t, "您还在吗？")
		r.clk.Advance(5 * time.Second)
		if got, want := r.k.CountdownText(), "10 秒后将清除本次填写的内容并返回首页。"; got != want {
			t.Fatalf("after 5 s the countdown says %q, want %q", got, want)
		}
		test.Tap(r.k.ContinueButton())
		if r.k.CountdownShowing() || r.k.ContinueButton() != nil {
			t.Fatal("continue did not dismiss the countdown")
		}
		r.lacks(t, "您还在吗？")
		r.at(t, ScreenStatus)
		// A full idle period again before the next countdown.
		r.clk.Advance(testIdle - time.Second)
		if r.k.CountdownShowing() {
			t.Fatal("countdown came back early")
		}
		r.clk.Advance(time.Second)
		if !r.k.CountdownShowing() {
			t.Fatal("no second countdown")
		}
	})
	t.Run("activity postpones it", func(t *testing.T) {
		r := newRig(t)
		test.Tap(r.k.sess.home.status)
		for range 5 {
			r.clk.Advance(testIdle / 2)
			r.d.Touched() // what the screens do on every tap and keystroke
		}
		if r.k.CountdownShowing() {
			t.Fatal("countdown despite activity")
		}
		// Keys at the window canvas count too.
		r.clk.Advance(testIdle / 2)
		test.TypeOnCanvas(r.w.Canvas(), "1")
		r.clk.Advance(testIdle - time.Second)
		if r.k.CountdownShowing() {
			t.Fatal("a key at the canvas did not count as activity")
		}
		r.clk.Advance(time.Second)
		if !r.k.CountdownShowing() {
			t.Fatal("no countdown after the activity stopped")
		}
	})
}

func TestIdleWipe(t *testing.T) {
	r := newRig(t)
	// Someone submitted an application earlier: it must survive the wipe.
	kept, err := r.d.Store.Submit(store.NewApplication{Service: "medical_insurance_enrolment", ServiceVersion: 1, Values: sample})
	if err != nil {
		t.Fatal(err)
	}

	// The next resident starts a form, switches language and theme, and leaves.
	test.Tap(r.k.bar.large)
	test.Tap(r.k.bar.contrast)
	w := r.startForm(t, "medical_insurance_enrolment")
	test.Type(w.Field("insured_name").(*widget.Entry), "王秀兰")
	test.Type(w.Field("phone").(*widget.Entry), "13852012345")
	test.Tap(r.k.bar.lang)
	draft := r.k.sess.apply.ID
	if a, err := r.d.Store.Get(draft); err != nil || a.Values["insured_name"] != "王秀兰" {
		t.Fatalf("the draft is not saved as typed: %v %v", a.Values, err)
	}
	oldVM, oldStatus := r.k.sess.apply, r.k.sess.statusVM

	r.clk.Advance(testIdle)
	if !r.k.CountdownShowing() {
		t.Fatal("no countdown")
	}
	r.shows(t, "Are you still there?")
	r.clk.Advance(testCountdown - time.Second)
	if !r.k.CountdownShowing() || r.k.Nav().Current() != ScreenWizard {
		t.Fatal("wiped before the countdown ran out")
	}
	r.clk.Advance(time.Second)

	if r.k.CountdownShowing() {
		t.Error("the countdown is still showing after the wipe")
	}
	if top := r.w.Canvas().Overlays().Top(); top != nil {
		t.Error("an overlay is still open after the wipe")
	}
	if _, err := r.d.Store.Get(draft); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the draft survived the wipe: %v", err)
	}
	if ds := r.drafts(t); len(ds) != 0 {
		t.Fatalf("drafts left in the store: %v", ds)
	}
	if a, err := r.d.Store.Get(kept.ID); err != nil || a.State != lifecycle.Queued {
		t.Fatalf("the submitted application did not survive the wipe: %v %v", a.State, err)
	}
	if v := oldVM.Values(); len(v) != 0 {
		t.Errorf("the old view-model still holds answers: %v", v)
	}
	r.at(t, ScreenHome)
	if r.k.Nav().Depth() != 1 {
		t.Errorf("navigation depth %d after the wipe", r.k.Nav().Depth())
	}
	if r.d.Loc.Lang() != i18n.Zh {
		t.Errorf("language %q after the wipe, want Chinese", r.d.Loc.Lang())
	}
	r.shows(t, "申请办理")
	if r.k.Theme().LargeText || r.k.Theme().HighContrast {
		t.Error("theme toggles survived the wipe")
	}
	if r.k.sess.apply != nil || r.k.sess.wizard != nil || r.k.sess.statusVM == oldStatus {
		t.Errorf("view-models survived the wipe: apply %v wizard %v status same %v", r.k.sess.apply != nil, r.k.sess.wizard != nil, r.k.sess.statusVM == oldStatus)
	}
	r.lacks(t, "王秀兰")
	// Nothing left to wipe: no timer runs until someone touches the screen.
	r.clk.Advance(10 * testIdle)
	if r.k.CountdownShowing() || r.clk.Pending() != 0 {
		t.Error("a countdown or timer after the wipe on an untouched kiosk")
	}
}

func TestWipeClearsStatusAndStaff(t *testing.T) {
	r := newRig(t)
	if err := r.k.cfg.Staff.SetPIN("2468"); err != nil {
		t.Fatal(err)
	}
	test.Tap(r.k.sess.home.status)
	r.k.sess.statusVM.Tracking.Set("GL2026000123")
	r.k.sess.statusVM.Code.Set("4821")
	r.k.Nav().Refresh()
	r.shows(t, "GL2026000123")
	r.signIn(t, "GL-0231", "2468")
	if r.k.StaffID() != "GL-0231" {
		t.Fatal("not in staff mode")
	}
	fyne.CurrentApp().Clipboard().SetContent("320302199003070026") // copied from a field
	r.k.Wipe()
	if got := fyne.CurrentApp().Clipboard().Content(); got != "" {
		t.Errorf("the clipboard survived the wipe: %q", got)
	}
	if r.k.StaffID() != "" {
		t.Error("staff mode survived the wipe")
	}
	if r.k.bar.staff.Text != "工作人员" {
		t.Errorf("staff button says %q after the wipe", r.k.bar.staff.Text)
	}
	test.Tap(r.k.sess.home.status)
	r.at(t, ScreenStatus)
	if s, _ := r.k.sess.statusVM.Tracking.Get(); s != "" {
		t.Errorf("the status screen remembers %q", s)
	}
	r.lacks(t, "GL2026000123")
}

func TestHomeButtonDiscardsForm(t *testing.T) {
	r := newRig(t)
	w := r.startForm(t, "medical_insurance_enrolment")
	test.Type(w.Field("insured_name").(*widget.Entry), "王秀兰")
	draft := r.k.sess.apply.ID
	test.Tap(r.k.bar.home)
	// A confirmation first: nothing is lost by a stray tap.
	r.at(t, ScreenWizard)
	r.shows(t, "返回首页？")
	if _, err := r.d.Store.Get(draft); err != nil {
		t.Fatal(err)
	}
	test.Tap(r.button(t, "继续填写"))
	r.at(t, ScreenWizard)
	if _, err := r.d.Store.Get(draft); err != nil {
		t.Fatal(err)
	}
	test.Tap(r.k.bar.home)
	test.Tap(r.button(t, "删除并返回首页"))
	r.at(t, ScreenHome)
	r.lacks(t, "返回首页？")
	if _, err := r.d.Store.Get(draft); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the draft survived going home: %v", err)
	}
}

func TestWizardCancelDiscards(t *testing.T) {
	r := newRig(t)
	w := r.startForm(t, "medical_insurance_enrolment")
	draft := r.k.sess.apply.ID
	test.Tap(w.CancelButton())
	test.Tap(w.ConfirmCancelButton())
	r.at(t, ScreenDetail)
	if _, err := r.d.Store.Get(draft); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the draft survived the cancel: %v", err)
	}
	if r.k.sess.apply != nil {
		t.Error("the view-model survived the cancel")
	}
}
