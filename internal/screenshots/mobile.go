package main

import (
	"fmt"
	"log"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"github.com/google/uuid"

	"civicdesk/app/catalog"
	"civicdesk/app/i18n"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/mobile"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

// runMobile walks the phone shell's tabs and journeys in one language,
// over a phone's own store (the personal policy: what the resident wrote
// stays after it is sent).
func (t *tour) runMobile(size fyne.Size, lang string) error {
	st, accepted, done, err := t.phoneStore(lang)
	if err != nil {
		return err
	}
	defer done()
	// The engine counts the rating waiting in the phone's store.
	st0 := t.fs.Status()
	st0.PendingInteractions = 1
	t.fs.SetStatus(st0)
	var sh *mobile.Shell
	d := t.deps(lang)
	d.Store = st
	fyne.DoAndWait(func() {
		sh = mobile.New(d, mobile.Config{Settings: &mobile.MemSettings{}, Notify: func(string, string) {}})
		sh.SetLang(lang)
		t.w.SetContent(sh.Object())
	})
	defer fyne.DoAndWait(sh.Close)
	shoot := func(name string, do func()) error {
		if do != nil {
			fyne.DoAndWait(do)
		}
		time.Sleep(settle)
		return t.capture(fmt.Sprintf("phone-%s-%s.png", name, lang))
	}
	svc, _ := d.Catalog().Service("medical_insurance_enrolment")
	comment := "取号后等了一个多小时，窗口只开了两个。"
	if lang == i18n.En {
		comment = "I waited over an hour after taking a number; only two counters were open."
	}
	steps := []struct {
		name string
		do   func()
	}{
		{"01-services", func() { sh.ShowTab(mobile.TabServices) }},
		{"02-form", func() {
			sh.BeginForm(svc)
			vm := sh.Apply()
			vm.Set("insured_name", "王秀英")
			vm.Set("id_number", "320302199003070026")
			sh.Nav(mobile.TabServices).Refresh()
		}},
		{"03-handoff", func() {
			vm := sh.Apply()
			for f, v := range sampleValues() {
				vm.Set(f, v)
			}
			app, err := vm.Submit()
			if err != nil {
				log.Fatalf("submit: %v", err)
			}
			sh.OpenApplication(app.ID)
			sh.ShowHandoff(app.ID)
		}},
		{"04-applications", func() { sh.ShowTab(mobile.TabApplications); sh.Nav(mobile.TabApplications).Home() }},
		{"05-timeline", func() { sh.OpenApplication(accepted.ID) }},
		{"06-sync", func() { sh.ShowTab(mobile.TabSync) }},
		{"07-settings", func() { sh.ShowTab(mobile.TabSettings) }},
		{"08-rate", func() {
			sh.RateHall()
			if r := sh.Rating(); r != nil {
				r.Choose(wire.RatingDissatisfied) // a low rating asks for a comment
				r.SetComment(comment)
			}
		}},
		{"09-feedback", sh.ShowMyFeedback},
	}
	for _, s := range steps {
		if err := shoot(s.name, s.do); err != nil {
			return err
		}
	}
	return nil
}

// phoneStore opens a fresh personal store seeded as a resident's phone:
// applications in the states the kiosk tour shows, the hall's notices, a
// question the hall has answered and a rating waiting to be sent. done
// closes and removes it.
func (t *tour) phoneStore(lang string) (*store.Store, store.Application, func(), error) {
	var accepted store.Application
	dir, err := os.MkdirTemp("", "civicdesk-phone-")
	if err != nil {
		return nil, accepted, nil, err
	}
	st, err := store.Open(store.Options{Dir: dir, Policy: store.PolicyPersonal,
		Clock: func() time.Time { return time.Now().Add(-3 * time.Hour) }})
	if err != nil {
		os.RemoveAll(dir)
		return nil, accepted, nil, err
	}
	done := func() { st.Close(); os.RemoveAll(dir) }
	fail := func(err error) (*store.Store, store.Application, func(), error) {
		done()
		return nil, accepted, nil, err
	}
	svc, _ := catalog.Default().Service("medical_insurance_enrolment")
	now := time.Now()
	for i, state := range []lifecycle.Status{lifecycle.Queued, lifecycle.Sent, lifecycle.InReview} {
		app, err := st.Submit(store.NewApplication{Service: svc.Code, ServiceVersion: svc.Version, Values: sampleValues()})
		if err != nil {
			return fail(err)
		}
		if state == lifecycle.Queued {
			continue
		}
		err = st.MarkAccepted(app.ID, store.Acceptance{Tracking: fmt.Sprintf("32032026112700002%d", i),
			VerificationCode: "057401", Status: lifecycle.Received, At: now.Add(-2 * time.Hour)})
		if err == nil && state == lifecycle.InReview {
			err = st.ApplyChanges([]store.StatusChange{{ID: app.ID, Status: lifecycle.InReview, At: now.Add(-time.Hour)}}, "1")
			accepted, _ = st.Get(app.ID)
		}
		if err != nil {
			return fail(err)
		}
	}
	if notices, _ := t.st.Meta(engine.NoticesBodyKey); notices != "" {
		if err := st.SetMeta(engine.NoticesBodyKey, notices); err != nil {
			return fail(err)
		}
	}

	// A question the hall answered through the changes feed.
	question, rating := "社保卡丢了，补办需要带什么材料？可以当天拿到吗？", "工作人员很耐心。"
	if lang == i18n.En {
		question, rating = "I lost my social security card. What do I bring to replace it, and can I get it the same day?", "The staff were very patient."
	}
	fb, err := engine.QueueInteraction(st, wire.Interaction{ID: uuid.Must(uuid.NewV7()).String(), Kind: wire.KindFeedback,
		CreatedAt: now.Add(-150 * time.Minute), Feedback: &wire.Feedback{Category: wire.FeedbackQuestion, Text: question}})
	if err != nil {
		return fail(err)
	}
	if err := st.MarkInteractionAccepted(fb.ID, store.InteractionAcceptance{Reference: "FK" + now.Format("20060102") + "-0007",
		FollowUp: true, At: now.Add(-140 * time.Minute)}); err != nil {
		return fail(err)
	}
	reply := catalog.Text{
		catalog.LangZh: "您好！请带本人身份证原件到 3 号窗口办理，无需照片。即时制卡，一般 20 分钟可以拿到新卡。",
		catalog.LangEn: "Hello! Bring your own ID card to counter 3; no photo needed. Cards are made on the spot: you usually have the new one in 20 minutes.",
	}
	if err := st.ApplyChanges([]store.StatusChange{{Kind: store.ChangeReply, ID: fb.ID, Note: reply, At: now.Add(-40 * time.Minute)}}, "2"); err != nil {
		return fail(err)
	}
	// A rating of the hall, not sent yet.
	if _, err := engine.QueueInteraction(st, wire.Interaction{ID: uuid.Must(uuid.NewV7()).String(), Kind: wire.KindRating,
		CreatedAt: now.Add(-20 * time.Minute), Rating: &wire.Rating{Score: wire.RatingVerySatisfied, Comment: rating}}); err != nil {
		return fail(err)
	}
	return st, accepted, done, nil
}
