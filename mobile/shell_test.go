package mobile

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/catalog"
	"civicdesk/app/i18n"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/app/ui"
	"civicdesk/app/ui/uitest"
	"civicdesk/sync/engine"
)

// Each tab renders, in Chinese, at phone size (golden markup).
func TestTabsRender(t *testing.T) {
	r := newRig(t, func(d *ui.Deps, fs *uitest.FakeSync) {
		queue(t, d)
		a := queue(t, d)
		if err := d.Store.MarkAccepted(a.ID, store.Acceptance{Tracking: "XZ20261127000042", VerificationCode: "4821", Status: lifecycle.Received, At: uitest.Epoch}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Store.CreateDraft(store.NewApplication{Service: "birth_registration", ServiceVersion: 1, Values: catalog.Values{}}); err != nil {
			t.Fatal(err)
		}
		fs.SetStatus(engine.Status{State: engine.Offline, Pending: 1, PendingBytes: 1843,
			LastSuccess: uitest.Epoch.Add(-2 * time.Hour), LastError: "push: " + "central API unreachable: check the network connection",
			NextAttempt: uitest.Epoch.Add(20 * time.Second)})
	})
	lang(t, r.d, i18n.Zh)
	for _, tab := range tabNames {
		t.Run(tab, func(t *testing.T) {
			r.s.ShowTab(tab)
			if simulatedPhone {
				// The test driver runs fyne.Do asynchronously under -tags
				// mobile (it never registers a main goroutine), so bound
				// labels may not be filled in yet: no stable markup.
				test.RenderToMarkup(r.w.Canvas())
				t.Skip("golden markup is compared without -tags mobile")
			}
			test.AssertRendersToMarkup(t, "tab_"+tab+".xml", r.w.Canvas())
		})
	}
}

// Filling in and submitting an application from the Services tab.
func TestSubmitFromServicesTab(t *testing.T) {
	r := newRig(t)
	r.at(t, TabServices, ScreenServices)
	r.s.PickService(service(t, r.d, medical))
	r.at(t, TabServices, ScreenDetail)
	test.Tap(r.button(t, "开始申请"))
	r.at(t, TabServices, ScreenWizard)
	wz := r.s.Wizard()
	test.Type(entry(t, wz, "insured_name"), "张三")
	test.Type(entry(t, wz, "id_number"), sampleID)
	test.Type(entry(t, wz, "phone"), samplePhone)
	choose(t, wz, "insured_category", "成年居民")
	choose(t, wz, "district", "鼓楼区")
	test.Type(entry(t, wz, "address"), "鼓楼区中山北路1号")
	test.Tap(wz.NextButton())
	test.Type(entry(t, wz, "contribution_year"), "2027")
	choose(t, wz, "payment_method", "线上缴费")
	test.Tap(wz.NextButton())
	test.Tap(wz.Field("declaration").(*widget.Check))
	test.Tap(wz.NextButton())
	r.at(t, TabServices, ScreenReview)
	test.Tap(r.check(t, "我已阅读并同意以上说明"))
	test.Tap(r.button(t, "提交申请"))
	r.at(t, TabServices, ScreenReceipt)
	if r.s.Receipt() == nil || r.s.Receipt().State() != lifecycle.Queued {
		t.Fatal("no receipt of a queued application")
	}
	if r.fs.Triggers == 0 {
		t.Fatal("the engine was not asked to send")
	}
	// No network: the receipt offers the hall's QR code.
	test.Tap(r.button(t, "没有网络？到服务大厅出示二维码"))
	r.at(t, TabApplications, ScreenHandoff)
	if r.s.HandoffText() == "" {
		t.Fatal("no hand-off code")
	}
	// My applications lists it.
	r.s.Nav(TabApplications).Home()
	if ids := r.s.Applications(); len(ids) != 1 {
		t.Fatalf("my applications: %v", ids)
	}
	r.shows(t, "城乡居民医保参保登记")
	r.shows(t, "等待发送")
}
