package kiosk

import (
	"encoding/json"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"civicdesk/app/catalog"
	"civicdesk/app/i18n"
	"civicdesk/app/ui/uitest"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

// cacheNotices puts notices in the store as the engine caches them.
func cacheNotices(t *testing.T, m interface{ SetMeta(string, string) error }, list ...wire.Notice) {
	t.Helper()
	b, err := json.Marshal(wire.NoticesResponse{Notices: list})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetMeta(engine.NoticesBodyKey, string(b)); err != nil {
		t.Fatal(err)
	}
}

func hoursNotice() wire.Notice {
	return wire.Notice{ID: "n1", Kind: wire.NoticeHours,
		Title: catalog.Text{catalog.LangZh: "办公时间调整", catalog.LangEn: "New opening hours"},
		Body:  catalog.Text{catalog.LangZh: "周六上午 9:00–12:00 开放。", catalog.LangEn: "Open on Saturday 9:00–12:00."}}
}

func TestCachedNoticesOnHome(t *testing.T) {
	r := newRig(t)
	r.lacks(t, "办公时间调整")
	ended := hoursNotice()
	ended.ID, ended.Title = "n0", catalog.Text{catalog.LangZh: "春节休息", catalog.LangEn: "Closed for Spring Festival"}
	ended.Until = uitest.Epoch // over: not shown, even offline
	cacheNotices(t, r.d.Store, hoursNotice(), ended)
	r.k.noticesUpdated() // what the NoticesUpdated event does, on the UI goroutine
	r.shows(t, "办公时间调整")
	r.shows(t, "周六上午 9:00–12:00 开放。")
	r.lacks(t, "春节休息")
	r.k.SetLang(i18n.En)
	r.shows(t, "New opening hours")
	r.shows(t, "Open on Saturday 9:00–12:00.")
	r.lacks(t, "办公时间调整")
	test.AssertRendersToMarkup(t, "home_notices_en.xml", r.w.Canvas())
}

func TestStaticAndCachedNotices(t *testing.T) {
	r := newRig(t)
	r.k.cfg.Notices = []catalog.Text{{"zh-Hans": "本周六下午停电检修", "en": "Closed on Saturday afternoon for maintenance"}}
	soon := hoursNotice()
	soon.From = uitest.Epoch.Add(time.Hour) // not yet
	cacheNotices(t, r.d.Store, soon)
	r.k.noticesUpdated()
	r.shows(t, "本周六下午停电检修")
	r.lacks(t, "办公时间调整")
	r.clk.Advance(time.Hour)
	r.k.noticesUpdated()
	r.shows(t, "本周六下午停电检修")
	r.shows(t, "办公时间调整")
}

func TestNoticesUpdatedOnlyRedrawsHome(t *testing.T) {
	r := newRig(t)
	r.k.OpenStatus()
	r.at(t, ScreenStatus)
	cacheNotices(t, r.d.Store, hoursNotice())
	r.k.noticesUpdated()
	r.at(t, ScreenStatus)
	r.k.Nav().Home()
	r.shows(t, "办公时间调整")
}

func TestDamagedNoticeCacheShowsHome(t *testing.T) {
	r := newRig(t)
	if err := r.d.Store.SetMeta(engine.NoticesBodyKey, "{"); err != nil {
		t.Fatal(err)
	}
	r.k.noticesUpdated()
	r.at(t, ScreenHome)
	r.shows(t, "徐州市鼓楼区政务服务中心")
}
