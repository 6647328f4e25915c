package mobile

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/handoff"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/app/ui"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

// trackTimeout bounds the central API lookup of an application's history.
const trackTimeout = 15 * time.Second

// appsState is the My applications tab: every application on the phone,
// and one application's details.
type appsState struct {
	rows    []store.Summary // as listed, newest first
	list    *widget.List
	receipt *ui.Receipt
	detail  *detailView
	handoff *handoffView

	mu     sync.Mutex
	server map[string][]wire.StatusEntry // the central API's history, by application id
	// historyShown counts the histories fetched and put on screen (tests
	// wait for it).
	historyShown atomic.Int64
}

// detailView keeps the widgets of the details screen reachable for tests.
type detailView struct {
	id                       string
	state                    lifecycle.Status
	timeline                 []string
	cont, handoff, receipt   *widget.Button
	rate                     *widget.Button
	del, confirmDel, keepDel *widget.Button
	problem                  *widget.Label
}

// summaries lists every application on the phone, the newest first.
func (s *Shell) summaries() []store.Summary {
	var out []store.Summary
	_ = s.d.Store.ForEach(func(sm store.Summary) error {
		out = append(out, sm)
		return nil
	})
	slices.Reverse(out) // ids are time-ordered: creation order
	return out
}

func (s *Shell) applicationsHome() ui.Screen {
	return ui.Screen{Name: ScreenApplications, Build: s.buildApplications}
}

// Applications lists the ids of the applications as the list shows them.
func (s *Shell) Applications() []string {
	ids := make([]string, len(s.apps.rows))
	for i, r := range s.apps.rows {
		ids[i] = r.ID
	}
	return ids
}

func (s *Shell) buildApplications() fyne.CanvasObject {
	s.apps.rows = s.summaries()
	top := container.NewVBox(ui.Heading(s.t("mobile.apps.title")))
	if mine := s.mineButton(); mine != nil {
		top.Add(mine)
	}
	if len(s.apps.rows) == 0 {
		s.apps.list = nil
		return page(top, ui.Paragraph(s.t("mobile.apps.none")), nil)
	}
	top.Add(ui.Caption(s.t("mobile.apps.hint", "N", len(s.apps.rows))))
	list := widget.NewList(
		func() int { return len(s.apps.rows) },
		func() fyne.CanvasObject {
			name := widget.NewLabel("")
			name.TextStyle = fyne.TextStyle{Bold: true}
			name.Truncation = fyne.TextTruncateEllipsis
			line := widget.NewLabel("")
			line.Truncation = fyne.TextTruncateEllipsis
			line.Importance = widget.LowImportance
			return container.NewVBox(name, line)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(s.apps.rows) {
				return
			}
			r := s.apps.rows[i]
			box := o.(*fyne.Container)
			box.Objects[0].(*widget.Label).SetText(s.serviceName(r.Service))
			box.Objects[1].(*widget.Label).SetText(s.t("mobile.apps.row",
				"Status", ui.StatusText(s.d.Loc, r.State), "Time", s.d.LocalTime(r.CreatedAt)))
		})
	list.OnSelected = func(i widget.ListItemID) {
		s.d.Touched()
		list.UnselectAll()
		if i < len(s.apps.rows) {
			s.OpenApplication(s.apps.rows[i].ID)
		}
	}
	s.apps.list = list
	return container.NewBorder(container.NewPadded(top), nil, nil, nil, list)
}

// applicationsNavigated releases a receipt once it is left.
func (s *Shell) applicationsNavigated(current string) {
	if current != ScreenAppReceipt && s.apps.receipt != nil {
		s.apps.receipt.Close()
		s.apps.receipt = nil
	}
	if current != ScreenApplication {
		s.apps.detail = nil
	}
}

// OpenApplication shows one application in My applications: its status
// and history, what to bring, its receipt, and the hand-off code.
func (s *Shell) OpenApplication(id string) {
	s.ShowTab(TabApplications)
	nav := s.navs[TabApplications]
	nav.Home()
	nav.Push(ui.Screen{Name: ScreenApplication, Build: func() fyne.CanvasObject { return s.buildDetail(id) }})
	s.fetchHistory(id)
}

// fetchHistory asks the central API for the application's history when
// the phone is online, and shows it when it comes.
func (s *Shell) fetchHistory(id string) {
	if s.d.Track == nil || s.d.Sync.Status().State == engine.Offline {
		return
	}
	a, err := s.d.Store.Get(id)
	if err != nil || a.Tracking == "" || a.VerificationCode == "" {
		return
	}
	s.fetches.Add(1)
	go func() {
		defer s.fetches.Done()
		ctx, cancel := context.WithTimeout(context.Background(), trackTimeout)
		resp, err := s.d.Track(ctx, a.Tracking, a.VerificationCode)
		cancel()
		if err != nil {
			return // the phone's own record stays on screen
		}
		s.apps.mu.Lock()
		if s.apps.server == nil {
			s.apps.server = map[string][]wire.StatusEntry{}
		}
		s.apps.server[id] = resp.History
		s.apps.mu.Unlock()
		fyne.Do(func() {
			if v := s.apps.detail; v != nil && v.id == id && s.navs[TabApplications].Current() == ScreenApplication {
				s.navs[TabApplications].Refresh()
			}
			s.apps.historyShown.Add(1)
		})
	}()
}

func (s *Shell) serverHistory(id string) []wire.StatusEntry {
	s.apps.mu.Lock()
	defer s.apps.mu.Unlock()
	return s.apps.server[id]
}

func (s *Shell) buildDetail(id string) fyne.CanvasObject {
	nav := s.navs[TabApplications]
	back := button(s.t("mobile.back"), theme.NavigateBackIcon(), widget.MediumImportance, func() { s.d.Touched(); nav.Back() })
	a, err := s.d.Store.Get(id)
	if err != nil {
		s.apps.detail = nil
		return page(ui.Heading(s.t("mobile.apps.gone")), ui.Paragraph(s.t("mobile.apps.gone_help")), back)
	}
	v := &detailView{id: id, state: a.State, problem: notice(widget.DangerImportance)}
	s.apps.detail = v
	svc, known := s.d.Catalog().Service(a.Service)

	top := container.NewVBox(ui.Heading(s.serviceName(a.Service)),
		ui.Subheading(s.t("mobile.apps.status", "Status", ui.StatusText(s.d.Loc, a.State))))
	body := container.NewVBox()
	if a.Tracking != "" {
		body.Add(ui.Paragraph(s.t("mobile.apps.tracking", "Tracking", a.Tracking)))
	} else {
		body.Add(ui.Paragraph(s.t("mobile.apps.ref", "Ref", ui.LocalRef(a.ID))))
	}
	body.Add(ui.Caption(s.t("mobile.apps.created", "Time", s.d.LocalTime(a.CreatedAt))))
	switch a.State {
	case lifecycle.Draft:
		body.Add(ui.Paragraph(s.t("mobile.apps.draft_help")))
	case lifecycle.Queued:
		body.Add(ui.Paragraph(s.t("mobile.apps.queued_help")))
	case lifecycle.NeedsAttention, lifecycle.Conflict:
		body.Add(ui.Paragraph(s.t("mobile.apps.attention_help")))
	}
	if at, _ := s.d.Store.Meta(handoff.MetaKey(id)); at != "" {
		if t, err := time.Parse(time.RFC3339, at); err == nil {
			body.Add(ui.Caption(s.t("mobile.apps.handed_off", "Time", s.d.LocalTime(t))))
		}
	}
	if l := s.handoffAdoptedNote(id); l != "" {
		body.Add(ui.Caption(l))
	}

	// The timeline, newest first.
	entries := timeline(a, s.serverHistory(id))
	if len(entries) > 0 {
		body.Add(widget.NewSeparator())
		body.Add(ui.Subheading(s.t("mobile.apps.history")))
		for i := len(entries) - 1; i >= 0; i-- {
			e := entries[i]
			line := s.d.LocalTime(e.At) + "  " + ui.StatusText(s.d.Loc, e.Status)
			if note := s.d.Loc.Text(e.Note); note != "" {
				line += "\n" + note
			}
			v.timeline = append(v.timeline, line)
			body.Add(ui.Paragraph(line))
		}
	}

	// What to bring to the hall.
	if known && a.State != lifecycle.Rejected && a.State != lifecycle.Completed {
		body.Add(widget.NewSeparator())
		body.Add(ui.Subheading(s.t("mobile.apps.bring")))
		var items []string
		for _, m := range svc.Materials {
			items = append(items, s.d.Loc.Text(m))
		}
		if len(items) == 0 {
			body.Add(ui.Paragraph(s.t("mobile.apps.bring_nothing")))
		} else {
			body.Add(bullets(items))
		}
		if svc.InPerson {
			visit := s.t("mobile.apps.visit")
			if note := s.d.Loc.Text(svc.InPersonNote); note != "" {
				visit += " " + note
			}
			body.Add(ui.Paragraph(visit))
		}
	}

	// The actions, the main one first.
	actions := container.NewVBox(v.problem)
	switch a.State {
	case lifecycle.Draft:
		v.cont = button(s.t("mobile.apps.continue"), theme.DocumentCreateIcon(), widget.HighImportance, func() {
			s.d.Touched()
			s.ContinueDraft(id)
		})
		actions.Add(v.cont)
	case lifecycle.Queued:
		v.handoff = button(s.t("mobile.apps.handoff"), theme.ViewFullScreenIcon(), widget.HighImportance, func() {
			s.d.Touched()
			s.ShowHandoff(id)
		})
		actions.Add(v.handoff)
	}
	if a.State != lifecycle.Draft {
		imp := widget.HighImportance
		if a.State == lifecycle.Queued {
			imp = widget.MediumImportance
		}
		v.receipt = button(s.t("mobile.apps.receipt"), theme.InfoIcon(), imp, func() {
			s.d.Touched()
			s.showReceipt(id)
		})
		actions.Add(v.receipt)
		if !s.cfg.NoInteractions {
			target := ui.RateTarget{Application: id, Service: a.Service}
			v.rate = button(s.t("mobile.apps.rate"), theme.ConfirmIcon(), widget.MediumImportance, func() {
				s.d.Touched()
				s.Rate(target)
			})
			actions.Add(v.rate)
		}
	}
	if a.State != lifecycle.Queued {
		confirmBox := container.NewVBox()
		v.del = button(s.t("mobile.apps.delete"), theme.DeleteIcon(), widget.LowImportance, nil)
		v.confirmDel = button(s.t("mobile.apps.delete_confirm"), theme.DeleteIcon(), widget.DangerImportance, func() {
			s.d.Touched()
			if err := s.DeleteApplication(id); err != nil {
				setText(v.problem, s.t("mobile.apps.delete_failed"))
			}
		})
		v.keepDel = button(s.t("mobile.apps.delete_keep"), nil, widget.MediumImportance, func() {
			s.d.Touched()
			confirmBox.Hide()
			v.del.Show()
		})
		question := s.t("mobile.apps.delete_question")
		if a.State == lifecycle.Draft {
			question = s.t("mobile.apps.delete_draft_question")
		}
		confirmBox.Objects = []fyne.CanvasObject{ui.Strong(question), container.NewGridWithColumns(2, v.keepDel, v.confirmDel)}
		confirmBox.Hide()
		v.del.OnTapped = func() {
			s.d.Touched()
			v.del.Hide()
			confirmBox.Show()
		}
		actions.Add(v.del)
		actions.Add(confirmBox)
	}
	actions.Add(back)
	body.Add(widget.NewSeparator())
	body.Add(actions)
	return page(top, body, nil)
}

// showReceipt shows the shared receipt screen: the tracking number, the
// verification code and the QR code to show at the counter.
func (s *Shell) showReceipt(id string) {
	nav := s.navs[TabApplications]
	nav.Push(ui.Screen{Name: ScreenAppReceipt, Build: func() fyne.CanvasObject {
		if s.apps.receipt != nil {
			s.apps.receipt.Close()
		}
		s.apps.receipt = ui.NewReceipt(s.d, id, nav.Back)
		return s.apps.receipt.Object()
	}})
}

// DeleteApplication deletes a draft or an application the central API has
// answered, with its personal data. A queued one is ErrNotDeletable.
func (s *Shell) DeleteApplication(id string) error {
	a, err := s.d.Store.Get(id)
	if err != nil {
		return fmt.Errorf("mobile: delete application %s: %w", id, err)
	}
	if a.State == lifecycle.Queued {
		return fmt.Errorf("%w (%s)", ErrNotDeletable, id)
	}
	if err := s.d.Store.Delete(id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("mobile: delete application %s: %w", id, err)
	}
	_ = s.d.Store.SetMeta(handoff.MetaKey(id), "")
	_ = s.d.Store.SetMeta(adoptedKey(id), "")
	s.forget(id)
	s.navs[TabApplications].Home()
	return nil
}

// forget drops an application from the screens: the form open on it, its
// fetched history.
func (s *Shell) forget(id string) {
	if vm := s.svc.apply; vm != nil && vm.ID == id {
		s.svc.apply, s.svc.wizard = nil, nil
		s.navs[TabServices].Home()
	} else if s.navs[TabServices].Current() == ScreenServices {
		s.navs[TabServices].Refresh()
	}
	s.apps.mu.Lock()
	delete(s.apps.server, id)
	s.apps.mu.Unlock()
}

// reloadApplications shows the latest state of the applications (after an
// engine event), on the UI goroutine.
func (s *Shell) reloadApplications(id string) {
	nav := s.navs[TabApplications]
	switch nav.Current() {
	case ScreenApplications:
		nav.Refresh()
	case ScreenApplication:
		if v := s.apps.detail; v != nil && (id == "" || v.id == id) {
			nav.Refresh()
		}
	}
}
