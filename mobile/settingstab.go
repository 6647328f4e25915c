package mobile

import (
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/handoff"
	"civicdesk/app/i18n"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/app/ui"
)

// settingsView keeps the Settings tab's widgets reachable for tests.
type settingsView struct {
	lang, size         *widget.RadioGroup
	saver              *widget.Check
	sendNow            *widget.Button
	del, confirm, keep *widget.Button
	confirmBox         *fyne.Container
	question, result   *widget.Label
}

func (s *Shell) settingsScreen() fyne.CanvasObject {
	v := &settingsView{}
	s.set = v
	zh, en := s.t("mobile.settings.lang_zh"), s.t("mobile.settings.lang_en")
	v.lang = widget.NewRadioGroup([]string{zh, en}, nil)
	v.lang.Horizontal = true
	v.lang.Required = true
	v.lang.Selected = zh
	if s.d.Loc.Lang() == i18n.En {
		v.lang.Selected = en
	}
	v.lang.OnChanged = func(choice string) {
		s.d.Touched()
		switch choice {
		case en:
			s.SetLang(i18n.En)
		case zh:
			s.SetLang(i18n.Zh)
		}
	}

	normal, large := s.t("mobile.settings.size_normal"), s.t("mobile.settings.size_large")
	v.size = widget.NewRadioGroup([]string{normal, large}, nil)
	v.size.Horizontal = true
	v.size.Required = true
	v.size.Selected = normal
	if s.th.LargeText {
		v.size.Selected = large
	}
	v.size.OnChanged = func(choice string) {
		s.d.Touched()
		s.SetLargeText(choice == large)
	}

	v.saver = widget.NewCheck(s.t("mobile.settings.saver"), nil)
	v.saver.Checked = s.saver.Load()
	v.saver.OnChanged = func(on bool) {
		s.d.Touched()
		s.SetDataSaver(on)
	}
	v.sendNow = button(s.t("mobile.settings.send_now"), theme.UploadIcon(), widget.MediumImportance, func() {
		s.d.Touched()
		s.SendAttachmentsNow()
	})
	if !s.saver.Load() {
		v.sendNow.Disable()
	}
	v.result = notice(widget.SuccessImportance)
	if s.saver.Load() && s.sendNow.Load() {
		setText(v.result, s.t("mobile.settings.sending_now"))
	}

	v.question = ui.Strong("")
	v.keep = button(s.t("mobile.settings.delete_keep"), nil, widget.MediumImportance, func() {
		s.d.Touched()
		v.confirmBox.Hide()
		v.del.Show()
	})
	v.confirm = button(s.t("mobile.settings.delete_confirm"), theme.DeleteIcon(), widget.DangerImportance, func() {
		s.d.Touched()
		n, err := s.DeleteMyData()
		// The screen was rebuilt by the navigation: report on the new one.
		if err != nil {
			setText(s.set.result, s.t("mobile.settings.delete_failed"))
			s.set.result.Importance = widget.DangerImportance
			return
		}
		msg := s.t("mobile.settings.deleted", "N", n.Applications)
		if n.Feedback > 0 {
			msg = s.t("mobile.settings.deleted_with_feedback", "N", n.Applications, "M", n.Feedback)
		}
		setText(s.set.result, msg)
	})
	v.confirmBox = container.NewVBox(v.question, container.NewGridWithColumns(2, v.keep, v.confirm))
	v.confirmBox.Hide()
	v.del = button(s.t("mobile.settings.delete"), theme.DeleteIcon(), widget.DangerImportance, func() {
		s.d.Touched()
		v.question.SetText(s.deleteQuestion())
		v.del.Hide()
		v.confirmBox.Show()
	})

	section := func(title string, objs ...fyne.CanvasObject) fyne.CanvasObject {
		return container.NewVBox(append([]fyne.CanvasObject{ui.Subheading(title)}, objs...)...)
	}
	body := container.NewVBox(
		section(s.t("mobile.settings.lang"), v.lang),
		widget.NewSeparator(),
		section(s.t("mobile.settings.size"), v.size),
		widget.NewSeparator(),
		section(s.t("mobile.settings.saver_title"), v.saver, ui.Caption(s.t("mobile.settings.saver_help")), v.sendNow),
		widget.NewSeparator(),
		section(s.t("mobile.settings.data"), ui.Caption(s.t("mobile.settings.delete_help")), v.del, v.confirmBox),
		v.result,
	)
	return page(ui.Heading(s.t("mobile.settings.title")), body, nil)
}

// deleteQuestion asks for confirmation, warning about what was not sent.
func (s *Shell) deleteQuestion() string {
	total, queued := 0, 0
	_ = s.d.Store.ForEach(func(sm store.Summary) error {
		total++
		if sm.State == lifecycle.Queued {
			queued++
		}
		return nil
	})
	q := s.t("mobile.settings.delete_question", "N", total)
	if queued > 0 {
		q = s.t("mobile.settings.delete_question_unsent", "N", total, "Unsent", queued)
	}
	if items, _ := s.feedbackCounts(); items > 0 {
		q += "\n" + s.t("mobile.settings.delete_question_feedback", "M", items)
	}
	return q
}

// SetDataSaver turns the data saver on or off and remembers it. Turning it
// off lets waiting attachments go at once.
func (s *Shell) SetDataSaver(on bool) {
	s.settings.DataSaver = on
	_ = s.cfg.Settings.Save(s.settings)
	s.saver.Store(on)
	s.sendNow.Store(false)
	if s.cfg.DataSaverChanged != nil {
		s.cfg.DataSaverChanged(on)
	}
	if !on {
		s.d.Sync.Trigger()
	}
	s.sync.update(s.d.Sync.Status())
	if s.navs[TabSettings] != nil {
		s.navs[TabSettings].Refresh()
	}
}

// SendAttachmentsNow lets the attachments waiting under the data saver go
// in the next sync, which it starts. The permission lasts until a sync
// round leaves nothing waiting.
func (s *Shell) SendAttachmentsNow() {
	s.sendNow.Store(true)
	s.d.Sync.Trigger()
	s.sync.update(s.d.Sync.Status())
	if v := s.set; v != nil {
		setText(v.result, s.t("mobile.settings.sending_now"))
	}
}

// AttachmentsAllowed tells the sync engine whether attachments may be
// uploaded now (engine.Config.Attachments): always without the data
// saver; with it, only after "send attachments now". Safe from any goroutine.
func (s *Shell) AttachmentsAllowed() bool { return !s.saver.Load() || s.sendNow.Load() }

// DataSaver reports whether the data saver is on. Any goroutine.
func (s *Shell) DataSaver() bool { return s.saver.Load() }

// Deleted counts what "delete my data" deleted.
type Deleted struct {
	Applications int // applications and drafts
	Feedback     int // ratings and feedback (the hall's replies with them)
}

// DeleteMyData deletes every application on the phone, drafts and those
// waiting to be sent included, with their personal data and attachments,
// and every rating and feedback with the hall's replies, and says how many
// went. A queued application or feedback is first taken out of the queue:
// if the engine is sending it at this very moment, the central API may
// still receive it. The settings stay.
func (s *Shell) DeleteMyData() (Deleted, error) {
	var sums []store.Summary
	if err := s.d.Store.ForEach(func(sm store.Summary) error {
		sums = append(sums, sm)
		return nil
	}); err != nil {
		return Deleted{}, fmt.Errorf("mobile: list the applications to delete: %w", err)
	}
	// Nothing on screen may keep a deleted application open.
	s.svc.apply, s.svc.wizard = nil, nil
	s.closeReceipts()
	var errs []error
	var out Deleted
	fb, ferr := s.d.Store.DeleteInteractions()
	if ferr != nil {
		errs = append(errs, fmt.Errorf("mobile: delete the ratings and feedback: %w", ferr))
	}
	out.Feedback = fb
	_ = s.d.Store.SetMeta(metaRepliesSeen, "")
	n := 0
	for _, sm := range sums {
		if err := s.d.Store.Withdraw(sm.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			errs = append(errs, err)
			continue
		}
		_ = s.d.Store.SetMeta(handoff.MetaKey(sm.ID), "")
		n++
	}
	s.apps.mu.Lock()
	clear(s.apps.server)
	s.apps.mu.Unlock()
	s.navs[TabServices].Home()
	s.navs[TabApplications].Home()
	s.navs[TabSettings].Refresh()
	out.Applications = n
	if err := errors.Join(errs...); err != nil {
		return out, fmt.Errorf("mobile: delete my data: %d of %d applications deleted: %w", n, len(sums), err)
	}
	return out, nil
}
