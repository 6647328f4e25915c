package kiosk

import (
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/catalog"
	"civicdesk/app/i18n"
)

func TestHomeRenders(t *testing.T) {
	r := newRig(t)
	test.AssertRendersToMarkup(t, "home_zh.xml", r.w.Canvas())
	r.k.SetLang(i18n.En)
	test.AssertRendersToMarkup(t, "home_en.xml", r.w.Canvas())
}

func TestHomeTiles(t *testing.T) {
	r := newRig(t)
	h := r.k.sess.home
	for _, tc := range []struct {
		name     string
		btn      *widget.Button
		disabled bool
	}{
		{"apply", h.apply, false},
		{"status", h.status, false},
		{"queue number", h.queue, true},
		{"rate", h.rate, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.btn.Disabled() != tc.disabled {
				t.Fatalf("disabled %v, want %v", tc.btn.Disabled(), tc.disabled)
			}
		})
	}
	r.shows(t, "本机即将开通")
	r.shows(t, "徐州市鼓楼区政务服务中心")

	test.Tap(h.status)
	r.at(t, ScreenStatus)
	test.Tap(r.k.bar.home)
	r.at(t, ScreenHome)
	test.Tap(r.k.sess.home.apply)
	r.at(t, ScreenCatalog)
	// A disabled tile does nothing.
	r.k.Nav().Home()
	test.Tap(r.k.sess.home.queue)
	r.at(t, ScreenHome)
}

func TestNotices(t *testing.T) {
	r := newRig(t)
	r.lacks(t, "停电")
	r.k.cfg.Notices = []catalog.Text{{"zh-Hans": "本周六下午停电检修", "en": "Closed on Saturday afternoon for maintenance"}}
	r.k.Nav().Refresh()
	r.shows(t, "本周六下午停电检修")
	r.k.SetLang(i18n.En)
	r.shows(t, "Closed on Saturday afternoon")
}
