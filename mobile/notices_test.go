package mobile

import (
	"encoding/json"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"civicdesk/app/catalog"
	"civicdesk/app/i18n"
	"civicdesk/app/store"
	"civicdesk/app/ui/uitest"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

// cacheNotices puts notices in the store as the engine caches them.
func cacheNotices(t *testing.T, st *store.Store, list ...wire.Notice) {
	t.Helper()
	b, err := json.Marshal(wire.NoticesResponse{Notices: list})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetMeta(engine.NoticesBodyKey, string(b)); err != nil {
		t.Fatal(err)
	}
}

func TestNoticesOnServicesTab(t *testing.T) {
	r := newRig(t)
	r.lacks(t, "医保缴费提醒")
	policy := wire.Notice{ID: "n1", Kind: wire.NoticePolicy,
		Title: catalog.Text{catalog.LangZh: "医保缴费提醒", catalog.LangEn: "Medical insurance reminder"},
		Body:  catalog.Text{catalog.LangZh: "2026年度城乡居民医保缴费截至12月31日。", catalog.LangEn: "Pay the 2026 resident medical insurance by 31 December."}}
	later := policy
	later.ID, later.Title = "n2", catalog.Text{catalog.LangZh: "明年的通知", catalog.LangEn: "Next year's notice"}
	later.From = uitest.Epoch.Add(24 * time.Hour) // not yet: not shown
	cacheNotices(t, r.d.Store, later, policy)
	r.s.noticesUpdated() // what the NoticesUpdated event does, on the UI goroutine
	r.at(t, TabServices, ScreenServices)
	r.shows(t, "医保缴费提醒")
	r.shows(t, "2026年度城乡居民医保缴费截至12月31日。")
	r.lacks(t, "明年的通知")
	r.d.Loc.SetLang(i18n.En)
	r.shows(t, "Medical insurance reminder")
	r.shows(t, "Pay the 2026 resident medical insurance")
	r.lacks(t, "医保缴费提醒")
	if simulatedPhone {
		return // golden markup is compared without -tags mobile (see TestTabsRender)
	}
	test.AssertRendersToMarkup(t, "tab_services_notices_en.xml", r.w.Canvas())
}

func TestDamagedNoticeCacheShowsCatalog(t *testing.T) {
	r := newRig(t)
	if err := r.d.Store.SetMeta(engine.NoticesBodyKey, "not json"); err != nil {
		t.Fatal(err)
	}
	r.s.noticesUpdated()
	r.at(t, TabServices, ScreenServices)
	r.shows(t, "城乡居民医保参保登记")
}
