package mobile

import (
	"errors"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/app/ui"
)

// maxDraftsShown is how many drafts the Services tab lists above the
// catalog; the others are under My applications.
const maxDraftsShown = 3

// servicesState is the Services tab: catalog -> detail -> wizard -> review
// -> receipt, with the hall's notices, the way to rate or give feedback,
// and the drafts to continue on top.
type servicesState struct {
	catalogVM *ui.CatalogVM
	apply     *ui.ApplyVM // the application being filled in, nil when none
	wizard    *ui.Wizard
	receipt   *ui.Receipt
	notice    *widget.Label // a photo shrunk, a draft that cannot be reopened
	drafts    []*widget.Button
	draftIDs  []string
}

// draftSummaries lists the drafts on the phone, the last edited first.
func (s *Shell) draftSummaries() []store.Summary {
	var out []store.Summary
	_ = s.d.Store.ForEach(func(sm store.Summary) error {
		if sm.State == lifecycle.Draft {
			out = append(out, sm)
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b store.Summary) int { return b.UpdatedAt.Compare(a.UpdatedAt) })
	return out
}

// serviceName is a service's name in the current language (its code when
// the catalog no longer has it).
func (s *Shell) serviceName(code string) string {
	if svc, ok := s.d.Catalog().Service(code); ok {
		return s.d.Loc.Text(svc.Name)
	}
	return code
}

func (s *Shell) servicesHome() ui.Screen {
	return ui.Screen{Name: ScreenServices, Build: func() fyne.CanvasObject {
		cat := ui.CatalogScreen(s.d, s.svc.catalogVM, s.PickService)
		drafts := s.draftSummaries()
		s.svc.drafts, s.svc.draftIDs = nil, nil
		notices := s.noticesBox()
		box := container.NewVBox()
		if notices != nil {
			box.Add(notices)
		}
		if e := s.feedbackEntry(); e != nil {
			box.Add(e) // near the notices: rate the hall, complain, suggest, ask
		}
		if len(drafts) > 0 {
			box.Add(ui.Subheading(s.t("mobile.services.drafts")))
		}
		for _, sm := range drafts[:min(len(drafts), maxDraftsShown)] {
			id := sm.ID
			obj, b := tile(s.t("mobile.services.continue", "Service", s.serviceName(sm.Service)),
				s.t("mobile.services.saved_at", "Time", s.d.LocalTime(sm.UpdatedAt)), func() {
					s.d.Touched()
					s.ContinueDraft(id)
				})
			box.Add(obj)
			s.svc.drafts = append(s.svc.drafts, b)
			s.svc.draftIDs = append(s.svc.draftIDs, id)
		}
		if more := len(drafts) - maxDraftsShown; more > 0 {
			box.Add(ui.Caption(s.t("mobile.services.more_drafts", "N", more)))
		}
		return container.NewBorder(container.NewPadded(box), nil, nil, nil, cat)
	}}
}

// Drafts lists the ids of the drafts the Services tab offers to continue,
// as shown.
func (s *Shell) Drafts() []string { return slices.Clone(s.svc.draftIDs) }

// servicesNavigated: a notice belongs to the screen it was shown on, and
// a receipt stops following the engine once it is left.
func (s *Shell) servicesNavigated(current string) {
	if current != ScreenWizard {
		setText(s.svc.notice, "")
	}
	if current != ScreenReceipt && s.svc.receipt != nil {
		s.svc.receipt.Close()
		s.svc.receipt = nil
	}
}

// PickService shows a service's guide.
func (s *Shell) PickService(svc *catalog.Service) {
	nav := s.navs[TabServices]
	nav.Push(ui.Screen{Name: ScreenDetail, Build: func() fyne.CanvasObject {
		return ui.DetailScreen(s.d, svc, func() { s.BeginForm(svc) }, nav.Back)
	}})
}

// BeginForm starts a new application (a draft, saved at every change).
func (s *Shell) BeginForm(svc *catalog.Service) {
	vm, err := ui.NewApplyVM(s.d, svc, "")
	if err != nil {
		s.showNotice(s.t("mobile.services.start_failed"), widget.WarningImportance)
		return
	}
	s.pushWizard(vm)
}

// ContinueDraft reopens a saved draft in the Services tab, with its answers.
func (s *Shell) ContinueDraft(id string) {
	s.ShowTab(TabServices)
	nav := s.navs[TabServices]
	if s.svc.apply != nil && s.svc.apply.ID == id && nav.Current() == ScreenWizard {
		return // already open
	}
	vm, err := ui.OpenApplyVM(s.d, id)
	if err != nil {
		nav.Home()
		msg := s.t("mobile.services.reopen_failed")
		if errors.Is(err, ui.ErrUnknownService) {
			msg = s.t("mobile.services.reopen_withdrawn")
		}
		s.showNotice(msg, widget.WarningImportance)
		return
	}
	nav.Home()
	s.pushWizard(vm)
}

// Wizard is the form on screen (nil when none), for tests.
func (s *Shell) Wizard() *ui.Wizard { return s.svc.wizard }

// Apply is the application being filled in (nil when none).
func (s *Shell) Apply() *ui.ApplyVM { return s.svc.apply }

func (s *Shell) pushWizard(vm *ui.ApplyVM) {
	s.svc.apply = vm
	nav := s.navs[TabServices]
	nav.Push(ui.Screen{Name: ScreenWizard, Build: func() fyne.CanvasObject {
		w := ui.NewWizard(s.d, vm, ui.WizardOptions{
			OnCancel: func() { s.cancelForm(vm) },
			OnReview: func() { s.review(vm) },
		})
		s.svc.wizard = w
		later := button(s.t("mobile.services.later"), theme.NavigateBackIcon(), widget.LowImportance, func() {
			s.d.Touched()
			s.SaveForLater()
		})
		bar := container.NewBorder(nil, nil, later, nil)
		return container.NewBorder(bar, nil, nil, nil, w.Object())
	}})
}

// SaveForLater leaves the form; the draft stays and is listed on the
// Services tab.
func (s *Shell) SaveForLater() {
	if vm := s.svc.apply; vm != nil {
		_ = vm.Save()
	}
	s.svc.apply, s.svc.wizard = nil, nil
	s.navs[TabServices].Home()
}

// cancelForm deletes the draft (the resident confirmed) and goes back.
func (s *Shell) cancelForm(vm *ui.ApplyVM) {
	_ = vm.Discard()
	if s.svc.apply == vm {
		s.svc.apply, s.svc.wizard = nil, nil
	}
	s.navs[TabServices].Back()
}

func (s *Shell) review(vm *ui.ApplyVM) {
	nav := s.navs[TabServices]
	nav.Push(ui.Screen{Name: ScreenReview, Build: func() fyne.CanvasObject {
		return ui.ReviewScreen(s.d, vm, s.submitted, nav.Back)
	}})
}

// submitted: the application is queued; the receipt replaces the journey.
func (s *Shell) submitted(app store.Application) {
	s.svc.apply, s.svc.wizard = nil, nil
	nav := s.navs[TabServices]
	nav.Home()
	id := app.ID
	nav.Push(ui.Screen{Name: ScreenReceipt, Build: func() fyne.CanvasObject {
		if s.svc.receipt != nil {
			s.svc.receipt.Close()
		}
		s.svc.receipt = ui.NewReceipt(s.d, id, nav.Home)
		// Without a network the resident can hand it over at the hall.
		hall := button(s.t("mobile.services.handoff"), theme.ViewFullScreenIcon(), widget.MediumImportance, func() {
			s.d.Touched()
			s.OpenApplication(id)
			s.ShowHandoff(id)
		})
		if s.svc.receipt.State() != lifecycle.Queued {
			hall.Hide()
		}
		return container.NewBorder(container.NewPadded(hall), nil, nil, nil, s.svc.receipt.Object())
	}})
}

// showNotice shows a message on top of the Services tab until the next
// screen.
func (s *Shell) showNotice(text string, importance widget.Importance) {
	s.svc.notice.Importance = importance
	setText(s.svc.notice, text)
}

// Receipt is the receipt on the Services tab (nil when none), for tests.
func (s *Shell) Receipt() *ui.Receipt { return s.svc.receipt }

func (s *Shell) closeReceipts() {
	if s.svc.receipt != nil {
		s.svc.receipt.Close()
		s.svc.receipt = nil
	}
	if s.apps.receipt != nil {
		s.apps.receipt.Close()
		s.apps.receipt = nil
	}
}
