package mobile

import (
	"strconv"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/store"
	"civicdesk/app/ui"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

// Screen names of the rating and feedback journeys. The hall's service is
// rated and feedback given from the Services tab; an application is rated
// from its details or its receipt, in the tab that shows it.
const (
	ScreenFeedbackChoice = "services.feedback"      // rate, or complain / suggest / ask
	ScreenRate           = "services.rate"          // the rating screen on the Services tab
	ScreenFeedbackForm   = "services.feedback_form" // complaint, suggestion or question
	ScreenThanks         = "services.thanks"        // after a rating or feedback from the Services tab
	ScreenAppRate        = "applications.rate"      // rating an application from My applications
	ScreenAppThanks      = "applications.thanks"    // after it
	ScreenMyFeedback     = "applications.feedback"  // my ratings and feedback, with the hall's replies
)

// metaRepliesSeen is the store's plain setting counting the hall's replies
// the resident has seen in My feedback (a number: no personal data).
const metaRepliesSeen = "mobile-feedback/replies_seen"

// feedbackState is the rating and feedback part of the shell: the shared
// screens on show, kept reachable for tests.
type feedbackState struct {
	rating    *ui.RatingScreen   // the rating screen built last
	ratingTab string             // the tab it is on
	form      *ui.FeedbackScreen // the feedback screen built last
	list      *ui.InteractionList

	entry, mine    *widget.Button // the Services tab's entry; My applications' "My ratings and feedback"
	rate, feedback *widget.Button // the choice screen's two ways
	thanked        store.Interaction
	// listed counts the times My feedback was refreshed after an engine
	// event (tests wait for it: under -tags mobile fyne.Do runs later).
	listed atomic.Int64
}

// OpenFeedback shows the Services tab's choice: rate the hall's service,
// or send a complaint, suggestion or question (nothing with
// Config.NoInteractions).
func (s *Shell) OpenFeedback() {
	if s.cfg.NoInteractions {
		return
	}
	s.ShowTab(TabServices)
	nav := s.navs[TabServices]
	nav.Home()
	nav.Push(ui.Screen{Name: ScreenFeedbackChoice, Build: s.buildFeedbackChoice})
}

func (s *Shell) buildFeedbackChoice() fyne.CanvasObject {
	nav := s.navs[TabServices]
	rate, rb := tile(s.t("mobile.feedback.rate"), s.t("mobile.feedback.rate_help"), func() {
		s.d.Touched()
		s.RateHall()
	})
	give, fb := tile(s.t("mobile.feedback.give"), s.t("mobile.feedback.give_help"), func() {
		s.d.Touched()
		s.GiveFeedback()
	})
	s.fb.rate, s.fb.feedback = rb, fb
	mine := button(s.t("mobile.feedback.mine"), theme.MailReplyIcon(), widget.LowImportance, func() {
		s.d.Touched()
		s.ShowMyFeedback()
	})
	body := container.NewVBox(rate, give, ui.Caption(s.t("mobile.feedback.app_hint")), widget.NewSeparator(), mine)
	back := button(s.t("mobile.back"), theme.NavigateBackIcon(), widget.MediumImportance, func() { s.d.Touched(); nav.Back() })
	return page(container.NewVBox(ui.Heading(s.t("mobile.feedback.title")), ui.Paragraph(s.t("mobile.feedback.intro"))), body, back)
}

// RateHall opens the rating of the hall's service in general (the Services
// tab); nothing with Config.NoInteractions.
func (s *Shell) RateHall() {
	if s.cfg.NoInteractions {
		return
	}
	s.ShowTab(TabServices)
	nav := s.navs[TabServices]
	if nav.Current() != ScreenFeedbackChoice {
		nav.Home()
	}
	s.pushRating(nav, ScreenRate, ScreenThanks, ui.RateTarget{}, nav.Home)
}

// Rate opens the rating of target, as Deps.Rate (the receipt's "Rate this
// service") and the details' button do: on the tab that shows the
// application, back to it when done. A zero target rates the hall. With
// Config.NoInteractions it does nothing.
func (s *Shell) Rate(target ui.RateTarget) {
	s.d.Touched()
	if s.cfg.NoInteractions {
		return
	}
	if target.Application == "" {
		s.RateHall()
		return
	}
	if svc := s.navs[TabServices]; s.CurrentTab() == TabServices && svc.Current() == ScreenReceipt {
		s.pushRating(svc, ScreenRate, ScreenThanks, target, svc.Back)
		return
	}
	nav := s.navs[TabApplications]
	if cur := nav.Current(); s.CurrentTab() != TabApplications || (cur != ScreenApplication && cur != ScreenAppReceipt) {
		s.OpenApplication(target.Application)
	}
	s.pushRating(nav, ScreenAppRate, ScreenAppThanks, target, nav.Back)
}

// pushRating shows the shared rating screen on nav; once it is queued, the
// thanks screen takes its place and finish ends the journey. The screen is
// kept while the language stays, so a theme switch keeps what was chosen.
func (s *Shell) pushRating(nav *ui.Navigator, name, thanks string, target ui.RateTarget, finish func()) {
	var scr *ui.RatingScreen
	lang := ""
	nav.Push(ui.Screen{Name: name, Build: func() fyne.CanvasObject {
		if scr == nil || lang != s.d.Loc.Lang() {
			lang = s.d.Loc.Lang()
			scr = ui.NewRatingScreen(s.quiet, "", target, func(it store.Interaction) { s.thank(nav, thanks, it, finish) })
		}
		s.fb.rating, s.fb.ratingTab = scr, s.tabOf(nav)
		return s.withBack(nav, scr.Object())
	}})
}

// GiveFeedback opens the complaint, suggestion or question form (the
// Services tab); nothing with Config.NoInteractions.
func (s *Shell) GiveFeedback() {
	if s.cfg.NoInteractions {
		return
	}
	s.ShowTab(TabServices)
	nav := s.navs[TabServices]
	if nav.Current() != ScreenFeedbackChoice {
		nav.Home()
	}
	var scr *ui.FeedbackScreen
	lang := ""
	nav.Push(ui.Screen{Name: ScreenFeedbackForm, Build: func() fyne.CanvasObject {
		if scr == nil || lang != s.d.Loc.Lang() {
			lang = s.d.Loc.Lang()
			scr = ui.NewFeedbackScreen(s.quiet, "", func(it store.Interaction) { s.thank(nav, ScreenThanks, it, nav.Home) })
		}
		s.fb.form = scr
		return s.withBack(nav, scr.Object())
	}})
}

// withBack puts a back button over a shared screen that has none.
func (s *Shell) withBack(nav *ui.Navigator, obj fyne.CanvasObject) fyne.CanvasObject {
	back := button(s.t("mobile.back"), theme.NavigateBackIcon(), widget.LowImportance, func() { s.d.Touched(); nav.Back() })
	return container.NewBorder(container.NewBorder(nil, nil, back, nil), nil, nil, nil, obj)
}

// thank replaces the rating or feedback screen with the thanks screen and
// asks the engine to send what was queued. The thanks screen reads the
// interaction again when it is rebuilt (its reference once the central API
// has it).
func (s *Shell) thank(nav *ui.Navigator, name string, it store.Interaction, finish func()) {
	s.fb.rating, s.fb.form = nil, nil
	s.fb.thanked = it
	s.d.Sync.Trigger() // the round's StatusChanged counts it on the Sync tab
	id := it.ID
	nav.Replace(ui.Screen{Name: name, Build: func() fyne.CanvasObject {
		cur := it
		if got, err := s.d.Store.GetInteraction(id); err == nil {
			cur = got
		}
		return ui.NewThanksScreen(s.quiet, cur, func() { s.d.Touched(); finish() })
	}})
}

// tabOf names the tab of a navigator.
func (s *Shell) tabOf(nav *ui.Navigator) string {
	for name, n := range s.navs {
		if n == nav {
			return name
		}
	}
	return ""
}

// Rating is the rating screen on show (nil when none), for tests.
func (s *Shell) Rating() *ui.RatingScreen {
	if s.fb.rating == nil || s.fb.ratingTab == "" {
		return nil
	}
	if cur := s.navs[s.fb.ratingTab].Current(); cur != ScreenRate && cur != ScreenAppRate {
		return nil
	}
	return s.fb.rating
}

// FeedbackForm is the feedback screen on show (nil when none), for tests.
func (s *Shell) FeedbackForm() *ui.FeedbackScreen {
	if s.navs[TabServices].Current() != ScreenFeedbackForm {
		return nil
	}
	return s.fb.form
}

// Thanked is the interaction the last thanks screen was for.
func (s *Shell) Thanked() store.Interaction { return s.fb.thanked }

// FeedbackList is My feedback's list when it is on show (nil otherwise).
func (s *Shell) FeedbackList() *ui.InteractionList { return s.fb.list }

// ShowMyFeedback shows the resident's ratings and feedback with the hall's
// replies, under My applications (nothing with Config.NoInteractions).
func (s *Shell) ShowMyFeedback() {
	if s.cfg.NoInteractions {
		return
	}
	s.ShowTab(TabApplications)
	nav := s.navs[TabApplications]
	nav.Home()
	nav.Push(ui.Screen{Name: ScreenMyFeedback, Build: s.buildMyFeedback})
}

func (s *Shell) buildMyFeedback() fyne.CanvasObject {
	nav := s.navs[TabApplications]
	if s.fb.list != nil {
		s.fb.list.Close()
	}
	s.fb.list = ui.NewInteractionList(s.quiet)
	s.markRepliesSeen()
	give := button(s.t("mobile.feedback.new"), theme.MailComposeIcon(), widget.MediumImportance, func() {
		s.d.Touched()
		s.OpenFeedback()
	})
	back := button(s.t("mobile.back"), theme.NavigateBackIcon(), widget.MediumImportance, func() { s.d.Touched(); nav.Back() })
	bottom := container.NewPadded(container.NewGridWithColumns(2, back, give))
	return container.NewBorder(nil, bottom, nil, nil, s.fb.list.Object()) // the list has its title
}

// feedbackCounts counts the resident's ratings and feedback and the
// hall's replies to them (tickets are the kiosk's, never the phone's).
func (s *Shell) feedbackCounts() (items, replies int) {
	list, err := s.d.Store.Interactions("")
	if err != nil {
		return 0, 0
	}
	for _, it := range list {
		if it.Kind == wire.KindTicket {
			continue
		}
		items++
		replies += len(it.Replies)
	}
	return items, replies
}

func (s *Shell) repliesSeen() int {
	v, _ := s.d.Store.Meta(metaRepliesSeen)
	n, _ := strconv.Atoi(v)
	return n
}

// markRepliesSeen records that the resident has the replies on screen.
func (s *Shell) markRepliesSeen() {
	if _, replies := s.feedbackCounts(); replies != s.repliesSeen() {
		_ = s.d.Store.SetMeta(metaRepliesSeen, strconv.Itoa(replies))
	}
}

// UnreadReplies counts the hall's replies the resident has not seen in My
// feedback yet.
func (s *Shell) UnreadReplies() int {
	_, replies := s.feedbackCounts()
	return max(replies-s.repliesSeen(), 0)
}

// mineButton is My applications' way to My feedback, with the count and
// the replies not read yet; nil with Config.NoInteractions.
func (s *Shell) mineButton() *widget.Button {
	if s.cfg.NoInteractions {
		s.fb.mine = nil
		return nil
	}
	items, replies := s.feedbackCounts()
	unread := max(replies-s.repliesSeen(), 0)
	text, imp := s.t("mobile.feedback.mine"), widget.MediumImportance
	switch {
	case unread > 0:
		text, imp = s.t("mobile.feedback.mine_new", "N", items, "New", unread), widget.HighImportance
	case items > 0:
		text = s.t("mobile.feedback.mine_count", "N", items)
	}
	b := button(text, theme.MailReplyIcon(), imp, func() {
		s.d.Touched()
		s.ShowMyFeedback()
	})
	s.fb.mine = b
	return b
}

// feedbackEntry is the Services tab's way to rate or give feedback; nil
// with Config.NoInteractions.
func (s *Shell) feedbackEntry() *widget.Button {
	if s.cfg.NoInteractions {
		s.fb.entry = nil
		return nil
	}
	s.fb.entry = button(s.t("mobile.feedback.entry"), theme.MailComposeIcon(), widget.MediumImportance, func() {
		s.d.Touched()
		s.OpenFeedback()
	})
	return s.fb.entry
}

// interactionsChanged follows the engine's interaction events on the UI
// goroutine: My feedback and the count on My applications, and a thanks
// screen waiting for its reference.
func (s *Shell) interactionsChanged() {
	defer s.fb.listed.Add(1)
	apps := s.navs[TabApplications]
	switch apps.Current() {
	case ScreenApplications, ScreenAppThanks:
		apps.Refresh()
	case ScreenMyFeedback:
		if s.fb.list != nil {
			s.fb.list.Refresh()
		}
		if s.CurrentTab() == TabApplications {
			s.markRepliesSeen()
		}
	}
	if svc := s.navs[TabServices]; svc.Current() == ScreenThanks {
		svc.Refresh()
	}
}

// feedbackNavigated stops My feedback's list once it is left.
func (s *Shell) feedbackNavigated(current string) {
	if current != ScreenMyFeedback && s.fb.list != nil {
		s.fb.list.Close()
		s.fb.list = nil
	}
}

// notifyReply tells the resident that the hall replied: a short title and
// the reference of the rating or feedback, never the reply's text.
func (s *Shell) notifyReply(ev engine.Event) {
	ref := ev.Tracking
	if ref == "" {
		if it, err := s.d.Store.GetInteraction(ev.ID); err == nil {
			ref = it.Reference
		}
	}
	body := s.t("mobile.notify.reply_body_unknown")
	if ref != "" {
		body = s.t("mobile.notify.reply_body", "Ref", ref)
	}
	s.cfg.Notify(s.t("mobile.notify.reply_title"), body)
}
