package kiosk

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/store"
	"civicdesk/app/ui"
	"civicdesk/sync/wire"
)

// "Rate our service": the home tile opens a choice between the five-level
// review of the hall and a complaint, suggestion or question (the shared
// screens of app/ui), then the thanks screen, then home. The receipt of an
// application offers a rating of that service (ui.Deps.Rate). Both are
// queued for the central API like applications; what a resident typed
// lives in the session and goes with a wipe. With Config.NoInteractions
// (a backend that takes none) none of it is offered, and the entry points
// do nothing.

// Screen names of the rating and feedback journey.
const (
	ScreenRateChoice = "rate.choice"
	ScreenRating     = "rate.rating"
	ScreenFeedback   = "rate.feedback"
	ScreenThanks     = "rate.thanks"
)

// rateChoiceView holds the choice screen's buttons, for tests.
type rateChoiceView struct {
	rating, feedback *widget.Button
}

// OpenRate shows the choice between rating the service and leaving a
// complaint, suggestion or question (nothing with Config.NoInteractions).
func (k *Kiosk) OpenRate() {
	k.Activity()
	if k.cfg.NoInteractions {
		return
	}
	k.nav.Push(ui.Screen{Name: ScreenRateChoice, Build: k.buildRateChoice})
}

func (k *Kiosk) buildRateChoice() fyne.CanvasObject {
	v := &rateChoiceView{}
	title := ui.Heading(k.t("kiosk.rate.title"))
	hint := ui.Paragraph(k.t("kiosk.rate.hint"))
	v.rating = widget.NewButtonWithIcon(k.t("kiosk.rate.rating"), ui.FaceIcon(wire.RatingVerySatisfied), func() {
		k.RateService(ui.RateTarget{})
	})
	v.rating.Importance = widget.HighImportance
	v.feedback = widget.NewButtonWithIcon(k.t("kiosk.rate.feedback"), theme.MailComposeIcon(), k.OpenFeedback)
	v.feedback.Importance = widget.HighImportance
	k.sess.rateChoice = v
	grid := container.NewGridWithColumns(1,
		tile(v.rating, k.t("kiosk.rate.rating_hint")),
		tile(v.feedback, k.t("kiosk.rate.feedback_hint")),
	)
	back := widget.NewButtonWithIcon(k.t("kiosk.back"), theme.NavigateBackIcon(), k.back)
	return container.NewBorder(container.NewPadded(container.NewVBox(title, hint)), container.NewPadded(back), nil, nil,
		container.NewVScroll(container.NewPadded(grid)))
}

// RateService opens the rating screen for target: an application from its
// receipt, or the hall in general (the zero target). It is the kiosk's
// ui.Deps.Rate. With Config.NoInteractions it does nothing.
func (k *Kiosk) RateService(target ui.RateTarget) {
	k.Activity()
	if k.cfg.NoInteractions {
		return
	}
	s := ui.NewRatingScreen(k.d, k.cfg.HallCode, target, k.interactionDone)
	s.SetOnBack(k.back)
	k.sess.rating = s
	k.nav.Push(ui.Screen{Name: ScreenRating, Build: func() fyne.CanvasObject {
		s.Refresh() // the language or theme may have changed
		return s.Object()
	}})
}

// OpenFeedback opens the complaint, suggestion or question screen
// (nothing with Config.NoInteractions).
func (k *Kiosk) OpenFeedback() {
	k.Activity()
	if k.cfg.NoInteractions {
		return
	}
	s := ui.NewFeedbackScreen(k.d, k.cfg.HallCode, k.interactionDone)
	s.SetOnBack(k.back)
	k.sess.feedback = s
	k.nav.Push(ui.Screen{Name: ScreenFeedback, Build: func() fyne.CanvasObject {
		s.Refresh()
		return s.Object()
	}})
}

// interactionDone: the rating or feedback is queued (kept whatever happens
// to the session). The thanks replace the form, so Back cannot return to it.
// They follow the engine (the reference appears once the central API has
// it) until the screen is left: navigated closes them.
func (k *Kiosk) interactionDone(it store.Interaction) {
	k.Activity()
	k.sess.rating, k.sess.feedback = nil, nil
	k.closeThanks()
	th := ui.NewThanks(k.d, it, k.GoHome)
	k.sess.thanks = th
	k.nav.Replace(ui.Screen{Name: ScreenThanks, Build: func() fyne.CanvasObject {
		th.Refresh() // the language or theme may have changed
		return th.Object()
	}})
}

// closeThanks stops the thanks screen's listening, if one is open.
func (k *Kiosk) closeThanks() {
	if k.sess.thanks != nil {
		k.sess.thanks.Close()
		k.sess.thanks = nil
	}
}

// unsentInteraction is the confirmation's text when going home now would
// drop a rating or feedback the resident started: the body and the
// buttons' labels; ok is false when there is none (an untouched screen).
func (k *Kiosk) unsentInteraction() (body, leave, stay string, ok bool) {
	switch cur := k.nav.Current(); {
	case cur == ScreenRating && k.sess.rating != nil && k.sess.rating.Unsent():
		return k.t("kiosk.leave.rating_body"), k.t("kiosk.leave.discard"), k.t("kiosk.leave.rating_stay"), true
	case cur == ScreenFeedback && k.sess.feedback != nil && k.sess.feedback.Unsent():
		return k.t("kiosk.leave.feedback_body"), k.t("kiosk.leave.discard"), k.t("kiosk.leave.stay"), true
	}
	return "", "", "", false
}
