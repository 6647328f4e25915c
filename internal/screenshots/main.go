// Command screenshots renders every kiosk screen in a real, fullscreen Fyne
// window, in Chinese and in English, into docs/screenshots/. Run it under an
// Xvfb screen of the size wanted (`make screenshots` does 1080x1920 and
// 1920x1080); each screen is grabbed from the X server with ImageMagick's
// import. It drives the kiosk through its exported journey methods over a
// store seeded with sample applications.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"civicdesk/app/catalog"
	"civicdesk/app/i18n"
	"civicdesk/app/lifecycle"
	"civicdesk/app/staff"
	"civicdesk/app/store"
	"civicdesk/app/ui"
	"civicdesk/app/ui/uitest"
	"civicdesk/kiosk"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

// settle is how long a screen gets to lay out and paint before capture.
const settle = 700 * time.Millisecond

func main() {
	out := flag.String("out", "docs/screenshots", "where to write the PNG files")
	sizeFlag := flag.String("size", "1080x1920", "the Xvfb screen size, WIDTHxHEIGHT")
	shell := flag.String("shell", "kiosk", "kiosk or mobile")
	flag.Parse()
	var size fyne.Size
	if _, err := fmt.Sscanf(*sizeFlag, "%gx%g", &size.Width, &size.Height); err != nil {
		log.Fatalf("--size %q: want WIDTHxHEIGHT", *sizeFlag)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "civicdesk-shots-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	t := &tour{out: *out}
	if err := t.seed(dir); err != nil {
		log.Fatal(err)
	}
	a := app.NewWithID("cn.gov.xuzhou.civicdesk.screenshots")
	t.w = a.NewWindow("civicdesk")
	t.w.SetPadded(false)
	t.w.SetFullScreen(true)
	go func() {
		defer fyne.Do(a.Quit)
		for _, lang := range i18n.Langs {
			run := t.run
			if *shell == "mobile" {
				run = t.runMobile
			}
			if err := run(size, lang); err != nil {
				log.Fatal(err)
			}
		}
	}()
	t.w.ShowAndRun()
	t.st.Close()
	fmt.Printf("wrote %d screenshots to %s\n", t.count, *out)
}

type tour struct {
	out      string
	w        fyne.Window
	st       *store.Store
	fs       *uitest.FakeSync
	accepted store.Application
	count    int
}

// seed fills a store with applications in the states the staff screens show.
func (t *tour) seed(dir string) error {
	// The sample applications were made three hours ago, before the
	// server's answers below.
	st, err := store.Open(store.Options{Dir: dir, Policy: store.PolicyKiosk,
		Clock: func() time.Time { return time.Now().Add(-3 * time.Hour) }})
	if err != nil {
		return err
	}
	t.st = st
	if err := staff.NewGuard(st, time.Now).SetPIN("2468"); err != nil {
		return err
	}
	svc, _ := catalog.Default().Service("medical_insurance_enrolment")
	now := time.Now()
	for i, state := range []lifecycle.Status{lifecycle.Queued, lifecycle.NeedsAttention, lifecycle.Sent, lifecycle.InReview} {
		app, err := st.Submit(store.NewApplication{Service: svc.Code, ServiceVersion: svc.Version, Values: sampleValues()})
		if err != nil {
			return err
		}
		switch state {
		case lifecycle.NeedsAttention:
			err = st.MarkRefused(app.ID, store.Refusal{State: lifecycle.NeedsAttention,
				FieldErrors: []catalog.FieldError{{Field: "id_number", Code: "id_number.checksum"}}, Message: "1 field is invalid"})
		case lifecycle.Sent, lifecycle.InReview:
			err = st.MarkAccepted(app.ID, store.Acceptance{Tracking: fmt.Sprintf("32032026112700001%d", i),
				VerificationCode: "057401", Status: lifecycle.Received, At: now.Add(-2 * time.Hour)})
			if err == nil && state == lifecycle.InReview {
				err = st.ApplyChanges([]store.StatusChange{{ID: app.ID, Status: lifecycle.InReview, At: now.Add(-time.Hour)}}, "1")
				t.accepted, _ = st.Get(app.ID)
			}
		}
		if err != nil {
			return err
		}
	}
	// A notice as the engine caches it from the central API.
	notices, _ := json.Marshal(wire.NoticesResponse{Notices: []wire.Notice{{ID: "n1", Kind: wire.NoticeHours,
		Title: catalog.Text{catalog.LangZh: "元旦假期办公时间", catalog.LangEn: "New Year opening hours"},
		Body: catalog.Text{catalog.LangZh: "1月1日至3日大厅休息，自助终端照常开放；1月4日起恢复正常办公。",
			catalog.LangEn: "The hall is closed on 1-3 January; the kiosks stay open. Normal hours again from 4 January."},
		Published: now.Add(-24 * time.Hour)}}})
	if err := st.SetMeta(engine.NoticesBodyKey, string(notices)); err != nil {
		return err
	}
	t.fs = &uitest.FakeSync{}
	t.fs.SetStatus(engine.Status{State: engine.Online, Pending: 1, LastSuccess: now.Add(-3 * time.Minute),
		LastAttempt: now.Add(-3 * time.Minute), NextAttempt: now.Add(time.Minute)})
	return nil
}

// What the tour's resident types on the rating and feedback screens.
var (
	sampleComment = map[string]string{
		i18n.Zh: "排队等了一个多小时，叫号屏也不亮，听不到叫号。",
		i18n.En: "I waited over an hour and the number display was off, so I could not hear my number being called.",
	}
	sampleComplaint = map[string]string{
		i18n.Zh: "三号窗口中午十二点到一点没有人，也没有贴暂停服务的告示。",
		i18n.En: "Counter 3 was empty from noon to 1 pm, with no sign saying it was closed.",
	}
)

func sampleValues() catalog.Values {
	return catalog.Values{"insured_name": "王秀英", "id_number": "320302199003070026", "phone": "13852012345",
		"insured_category": "adult", "district": "320302", "address": "江苏省徐州市鼓楼区中山北路 18 号 3 单元 502 室",
		"contribution_year": 2027, "payment_method": "online", "declaration": true}
}

func (t *tour) deps(lang string) *ui.Deps {
	loc := i18n.New()
	loc.SetLang(lang)
	acc := t.accepted
	return &ui.Deps{
		Store: t.st, Sync: t.fs, Loc: loc, TrackURL: ui.TrackLink, Now: time.Now,
		Catalog: func() *catalog.Catalog { return catalog.Default() },
		Track: func(ctx context.Context, tracking, code string) (wire.TrackResponse, error) {
			return wire.TrackResponse{Tracking: acc.Tracking, Service: acc.Service, Status: lifecycle.InReview,
				AcceptedAt: acc.AcceptedAt, History: []wire.StatusEntry{
					{Status: lifecycle.Received, At: acc.AcceptedAt},
					{Status: lifecycle.InReview, At: acc.AcceptedAt.Add(time.Hour),
						Note: catalog.Text{catalog.LangZh: "工作人员正在审核您的申请。", catalog.LangEn: "A case officer is reviewing your application."}},
				}}, nil
		},
	}
}

// run walks every screen at one size in one language.
func (t *tour) run(size fyne.Size, lang string) error {
	var k *kiosk.Kiosk
	d := t.deps(lang)
	fyne.DoAndWait(func() {
		k = kiosk.New(d, kiosk.Config{IdleAfter: time.Hour, KioskPrefix: "1"})
		t.w.SetContent(k.Object())
	})
	defer fyne.DoAndWait(k.Close)
	orient := "portrait"
	if size.Width > size.Height {
		orient = "landscape"
	}
	shoot := func(name string, do func()) error {
		if do != nil {
			fyne.DoAndWait(do)
		}
		time.Sleep(settle)
		return t.capture(fmt.Sprintf("%s-%s-%s.png", name, orient, lang))
	}
	svc, _ := d.Catalog().Service("medical_insurance_enrolment")
	steps := []struct {
		name string
		do   func()
	}{
		{"01-home", nil},
		{"02-catalog", k.StartApply},
		{"03-detail", func() { k.PickService(svc) }},
		{"04-form", func() {
			k.BeginForm(svc)
			vm := k.Application()
			vm.Set("insured_name", "王秀英")
			vm.Set("id_number", "32030219900307002")
			k.Nav().Refresh()
		}},
		{"05-form-error", func() {
			k.Application().Next() // the ID number is one character short
			k.Nav().Refresh()
		}},
		{"06-review", func() {
			vm := k.Application()
			for f, v := range sampleValues() {
				vm.Set(f, v)
			}
			k.Review()
		}},
		{"07-receipt-offline", func() {
			app, err := k.Application().Submit()
			if err != nil {
				log.Fatalf("submit: %v", err)
			}
			k.ShowReceipt(app)
		}},
		{"08-status", func() {
			k.GoHome()
			k.OpenStatus()
			k.Scan(ui.TrackLink(t.accepted.Tracking, t.accepted.VerificationCode))
		}},
		{"09-staff-login", func() {
			k.GoHome()
			k.OpenStaff()
		}},
		{"10-staff-queue", func() {
			if err := k.SignIn("S-0117", "2468"); err != nil {
				log.Fatalf("staff sign-in: %v", err)
			}
			k.ShowStaffQueue()
		}},
		{"11-staff-sync", k.ShowSyncDiagnostics},
		{"12-ticket", func() {
			k.LeaveStaff()
			k.GoHome()
			k.OpenTickets()
			if _, err := k.TakeNumber(kiosk.DefaultCounters[1]); err != nil {
				log.Fatalf("queue number: %v", err)
			}
		}},
		{"13-home-large-contrast", func() {
			k.LeaveStaff()
			k.GoHome()
			k.SetLargeText(true)
			k.SetHighContrast(true)
		}},
		{"14-rating", func() {
			k.SetLargeText(false)
			k.SetHighContrast(false)
			k.GoHome()
			k.OpenRate()
			k.RateService(ui.RateTarget{})
			r := k.Rating()
			r.Choose(wire.RatingDissatisfied)
			r.SetComment(sampleComment[lang])
		}},
		{"15-rating-thanks", func() {
			if err := k.Rating().Submit(); err != nil {
				log.Fatalf("rating: %v", err)
			}
		}},
		{"16-feedback", func() {
			k.GoHome()
			k.OpenRate()
			k.OpenFeedback()
			f := k.Feedback()
			f.Choose(wire.FeedbackComplaint)
			f.SetText(sampleComplaint[lang])
		}},
	}
	for _, s := range steps {
		if err := shoot(s.name, s.do); err != nil {
			return err
		}
	}
	fyne.DoAndWait(func() {
		k.SetLargeText(false)
		k.SetHighContrast(false)
	})
	return nil
}

// capture grabs the X screen, which the fullscreen window fills. (The GL
// canvas's own Capture reads back a blank frame under Xvfb's software GL.)
func (t *tour) capture(name string) error {
	out, err := exec.Command("import", "-window", "root", filepath.Join(t.out, name)).CombinedOutput()
	if err != nil {
		return fmt.Errorf("import (ImageMagick) %s: %v: %s", name, err, out)
	}
	t.count++
	return nil
}
