package kiosk

import (
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/i18n"
)

func TestLanguageSwitch(t *testing.T) {
	t.Run("home", func(t *testing.T) {
		r := newRig(t)
		r.shows(t, "申请办理")
		if r.k.bar.lang.Text != "English" {
			t.Fatalf("language button %q, want English", r.k.bar.lang.Text)
		}
		test.Tap(r.k.bar.lang)
		if got := r.d.Loc.Lang(); got != i18n.En {
			t.Fatalf("language %q after the tap, want en", got)
		}
		r.shows(t, "Apply for a service")
		r.lacks(t, "申请办理")
		if r.k.bar.lang.Text != "简体中文" || r.k.bar.home.Text != "Home" || r.k.bar.large.Text != "Large text" {
			t.Fatalf("bar not relabelled: %q %q %q", r.k.bar.lang.Text, r.k.bar.home.Text, r.k.bar.large.Text)
		}
		if got := r.k.syncInd.Text(); got != "Online" {
			t.Errorf("sync indicator says %q, want Online", got)
		}
		test.Tap(r.k.bar.lang)
		r.shows(t, "申请办理")
		if got := r.k.syncInd.Text(); got != "在线" {
			t.Errorf("sync indicator says %q, want 在线", got)
		}
	})
	t.Run("catalog", func(t *testing.T) {
		r := newRig(t)
		test.Tap(r.k.sess.home.apply)
		r.at(t, ScreenCatalog)
		r.shows(t, "城乡居民医保参保登记")
		test.Tap(r.k.bar.lang)
		r.at(t, ScreenCatalog)
		r.shows(t, "Residents' medical insurance")
		r.lacks(t, "城乡居民医保参保登记")
		if r.k.Nav().Depth() != 2 {
			t.Fatalf("depth %d after the switch, want 2", r.k.Nav().Depth())
		}
		// Back to home: in English too.
		r.k.back()
		r.shows(t, "Check my application")
	})
	t.Run("mid-form", func(t *testing.T) {
		r := newRig(t)
		w := r.startForm(t, "medical_insurance_enrolment")
		name := w.Field("insured_name").(*widget.Entry)
		test.Type(name, "王秀兰")
		id := w.Field("id_number").(*widget.Entry)
		test.Type(id, "32030219900307002")
		draft := r.k.sess.apply.ID
		test.Tap(r.k.bar.lang)
		r.at(t, ScreenWizard)
		w2 := r.k.sess.wizard
		if w2 == w {
			t.Fatal("the wizard was not rebuilt")
		}
		if got := w2.Field("insured_name").(*widget.Entry).Text; got != "王秀兰" {
			t.Errorf("name after the switch: %q", got)
		}
		if got := w2.Field("id_number").(*widget.Entry).Text; got != "32030219900307002" {
			t.Errorf("ID number after the switch: %q", got)
		}
		if r.k.sess.apply == nil || r.k.sess.apply.ID != draft {
			t.Fatal("the switch lost the application")
		}
		r.shows(t, "Residents' medical insurance")
		// The draft is still in the store.
		if _, err := r.d.Store.Get(draft); err != nil {
			t.Fatal(err)
		}
	})
}
