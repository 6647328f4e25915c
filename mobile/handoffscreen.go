package mobile

import (
	"errors"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	qrcode "github.com/skip2/go-qrcode"

	"civicdesk/app/catalog"
	"civicdesk/app/handoff"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/app/ui"
)

// handoffModule is the side of one QR module in the PNG, in pixels; the
// image is then scaled to handoffCells text heights on screen, which keeps
// a version-35 code (about 157 modules) at 5-6 device pixels a module on a
// phone: a kiosk's scanner reads it off the screen.
const (
	handoffModule = 4
	handoffCells  = 22
)

// handoffView keeps what the hand-off screen shows, for tests.
type handoffView struct {
	id      string
	text    string   // the code in the QR image ("" when none could be made)
	err     error    // why not
	missing []string // labels of the attachments to bring
	qr      *canvas.Image
}

// ShowHandoff shows the hand-off code of an application not sent yet:
// the hall's kiosk scans it and queues the application for the resident,
// with no network needed on the phone.
func (s *Shell) ShowHandoff(id string) {
	nav := s.navs[TabApplications]
	nav.Push(ui.Screen{Name: ScreenHandoff, Build: func() fyne.CanvasObject { return s.buildHandoff(id) }})
}

// HandoffText is the hand-off code on screen ("" when none), for tests and
// the screenshot tour.
func (s *Shell) HandoffText() string {
	if s.apps.handoff == nil {
		return ""
	}
	return s.apps.handoff.text
}

// handoffCode encodes an application for the hall, and lists the labels
// of its attachment fields that the code leaves out.
func (s *Shell) handoffCode(id string) (string, []string, error) {
	a, err := s.d.Store.Get(id)
	if err != nil {
		return "", nil, fmt.Errorf("mobile: hand-off of %s: %w", id, err)
	}
	if a.State != lifecycle.Queued {
		return "", nil, fmt.Errorf("%w (%s is %s)", ErrNotHandoffable, id, a.State)
	}
	svc, ok := s.d.Catalog().Service(a.Service)
	var sp *catalog.Service
	if ok {
		sp = svc
	}
	text, err := handoff.Encode(a, sp)
	if err != nil {
		return "", nil, err
	}
	return text, s.attachmentLabels(a, sp), nil
}

// attachmentLabels names the attachment fields a has answered, in form order.
func (s *Shell) attachmentLabels(a store.Application, svc *catalog.Service) []string {
	has := map[string]bool{}
	for _, at := range a.Attachments {
		has[at.Field] = true
	}
	var out []string
	if svc == nil {
		for f := range has {
			out = append(out, f)
		}
		return out
	}
	for _, f := range svc.Form.Fields {
		if f.Type == catalog.TypeAttachment && (has[f.Name] || !catalog.Absent(a.Values[f.Name])) {
			out = append(out, s.d.Loc.Text(f.Label))
		}
	}
	return out
}

func (s *Shell) buildHandoff(id string) fyne.CanvasObject {
	nav := s.navs[TabApplications]
	back := button(s.t("mobile.back"), theme.NavigateBackIcon(), widget.MediumImportance, func() { s.d.Touched(); nav.Back() })
	v := &handoffView{id: id}
	s.apps.handoff = v
	top := ui.Heading(s.t("mobile.handoff.title"))
	text, missing, err := s.handoffCode(id)
	v.err, v.missing = err, missing
	body := container.NewVBox()
	var png []byte
	if err == nil {
		png, err = qrcode.Encode(text, qrcode.Low, -handoffModule)
		v.err = err
	}
	switch {
	case errors.Is(err, handoff.ErrTooLarge):
		body.Add(ui.Strong(s.t("mobile.handoff.too_large")))
		body.Add(ui.Paragraph(s.t("mobile.handoff.too_large_help")))
		return page(top, body, back)
	case errors.Is(err, ErrNotHandoffable):
		body.Add(ui.Paragraph(s.t("mobile.handoff.not_queued")))
		return page(top, body, back)
	case err != nil:
		body.Add(ui.Paragraph(s.t("mobile.handoff.failed")))
		return page(top, body, back)
	}
	v.text = text
	body.Add(ui.Paragraph(s.t("mobile.handoff.help")))
	img := canvas.NewImageFromResource(fyne.NewStaticResource("handoff-qr.png", png))
	img.FillMode = canvas.ImageFillContain
	img.ScaleMode = canvas.ImageScalePixels
	side := handoffCells * theme.Size(theme.SizeNameText)
	img.SetMinSize(fyne.NewSize(side, side))
	v.qr = img
	body.Add(container.NewCenter(img))
	body.Add(ui.Caption(s.t("mobile.handoff.ref", "Ref", ui.LocalRef(id))))
	if len(missing) > 0 {
		body.Add(widget.NewSeparator())
		body.Add(ui.Strong(s.t("mobile.handoff.attachments")))
		body.Add(bullets(missing))
		body.Add(ui.Paragraph(s.t("mobile.handoff.attachments_help")))
	}
	body.Add(ui.Caption(s.t("mobile.handoff.after")))
	// Remember it: the details say it was shown, and whoever syncs later
	// knows the hall may have queued it already.
	_ = s.d.Store.SetMeta(handoff.MetaKey(id), s.cfg.Clock().UTC().Format(time.RFC3339))
	return page(top, body, back)
}
