package mobile

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/app/ui"
	"civicdesk/app/ui/uitest"
)

// With a backend that takes no ratings or feedback (Open311) the phone
// offers neither anywhere, and nothing of the kind is queued.
func TestNoInteractions(t *testing.T) {
	test.NewTempApp(t)
	d, fs := uitest.Deps(t, store.PolicyPersonal)
	a := queue(t, d)
	if err := d.Store.MarkAccepted(a.ID, store.Acceptance{Tracking: "XZ20261127000042", VerificationCode: "4821", Status: lifecycle.Received, At: uitest.Epoch}); err != nil {
		t.Fatal(err)
	}
	r := startRigWith(t, d, fs, &MemSettings{}, Config{NoInteractions: true})
	if r.d.Rate != nil {
		t.Fatal("Deps.Rate is set: the receipt would offer a rating")
	}

	// The Services tab: no way to rate or give feedback.
	r.at(t, TabServices, ScreenServices)
	if r.s.fb.entry != nil {
		t.Fatal("the Services tab built its feedback entry")
	}
	r.lacks(t, "评价服务 · 投诉建议")

	// My applications: no "My ratings and messages"; the application's
	// details and receipt offer no rating.
	r.s.ShowTab(TabApplications)
	r.at(t, TabApplications, ScreenApplications)
	if r.s.fb.mine != nil {
		t.Fatal("My applications built its \"My ratings and messages\" button")
	}
	r.lacks(t, "我的评价与留言")
	r.s.OpenApplication(a.ID)
	r.at(t, TabApplications, ScreenApplication)
	r.button(t, "回执和二维码") // the details are on show
	r.lacks(t, "评价本次服务")
	test.Tap(r.button(t, "回执和二维码"))
	r.at(t, TabApplications, ScreenAppReceipt)
	r.lacks(t, "评价本次服务")

	// The receipt after a submission on the Services tab neither.
	r.s.ShowTab(TabServices)
	r.s.submitted(a)
	r.at(t, TabServices, ScreenReceipt)
	r.lacks(t, "评价本次服务")

	// The entry points do nothing if called anyway.
	for _, tc := range []struct {
		name string
		open func()
	}{
		{"OpenFeedback", r.s.OpenFeedback},
		{"RateHall", r.s.RateHall},
		{"GiveFeedback", r.s.GiveFeedback},
		{"Rate the hall", func() { r.s.Rate(ui.RateTarget{}) }},
		{"Rate the application", func() { r.s.Rate(ui.RateTarget{Application: a.ID, Service: a.Service}) }},
		{"ShowMyFeedback", r.s.ShowMyFeedback},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.s.ShowTab(TabServices)
			r.s.Nav(TabServices).Home()
			r.s.Nav(TabApplications).Home()
			tc.open()
			r.at(t, TabServices, ScreenServices)
			if cur := r.s.Nav(TabApplications).Current(); cur != ScreenApplications {
				t.Fatalf("My applications moved to %q", cur)
			}
		})
	}
	if its, err := r.d.Store.PendingInteractions(10); err != nil || len(its) != 0 {
		t.Fatalf("%d interactions queued (%v), want none", len(its), err)
	}
}

// Without the flag, the default, the entries are there (the other tests
// cover what they do).
func TestInteractionsOfferedByDefault(t *testing.T) {
	r := newRig(t)
	if r.s.fb.entry == nil || r.d.Rate == nil {
		t.Fatal("no feedback entry or no Deps.Rate by default")
	}
	r.shows(t, "评价服务 · 投诉建议")
	r.s.ShowTab(TabApplications)
	if r.s.fb.mine == nil {
		t.Fatal("no \"My ratings and messages\" by default")
	}
	r.shows(t, "我的评价与留言")
}
