package main

import (
	"fmt"
	"log"
	"time"

	"fyne.io/fyne/v2"

	"civicdesk/mobile"
)

// runMobile walks the phone shell's tabs and journeys in one language.
func (t *tour) runMobile(size fyne.Size, lang string) error {
	var sh *mobile.Shell
	d := t.deps(lang)
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
		{"05-timeline", func() { sh.OpenApplication(t.accepted.ID) }},
		{"06-sync", func() { sh.ShowTab(mobile.TabSync) }},
		{"07-settings", func() { sh.ShowTab(mobile.TabSettings) }},
	}
	for _, s := range steps {
		if err := shoot(s.name, s.do); err != nil {
			return err
		}
	}
	return nil
}
