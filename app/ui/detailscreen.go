package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/catalog"
)

// DetailScreen is a service's guide: what it is, the department, the
// materials to bring, the processing time, the fee and whether a visit is
// needed, with Back and Apply.
func DetailScreen(d *Deps, svc *catalog.Service, onApply, onBack func()) fyne.CanvasObject {
	l := d.Loc
	section := func(title string, body fyne.CanvasObject) fyne.CanvasObject {
		return container.NewVBox(Subheading(title), body)
	}
	var materials []string
	for _, m := range svc.Materials {
		materials = append(materials, l.Text(m))
	}
	var matBody fyne.CanvasObject = bullets(materials)
	if len(materials) == 0 {
		matBody = Paragraph(l.T("ui.detail.no_materials"))
	}
	visit := l.T("ui.detail.visit_no")
	if svc.InPerson {
		visit = l.T("ui.detail.visit_yes")
		if note := l.Text(svc.InPersonNote); note != "" {
			visit += "\n" + note
		}
	}
	orNone := func(t catalog.Text) string {
		if s := l.Text(t); s != "" {
			return s
		}
		return l.T("ui.detail.ask_staff")
	}
	body := container.NewVBox(
		Paragraph(l.Text(svc.Description)),
		widget.NewSeparator(),
		section(l.T("ui.detail.department"), Paragraph(l.Text(svc.Department))),
		section(l.T("ui.detail.materials"), matBody),
		section(l.T("ui.detail.time"), Paragraph(orNone(svc.ProcessingTime))),
		section(l.T("ui.detail.fee"), Paragraph(orNone(svc.Fee))),
		section(l.T("ui.detail.visit"), Paragraph(visit)),
	)
	back := widget.NewButton(l.T("ui.back"), func() { d.Touched(); onBack() })
	apply := widget.NewButton(l.T("ui.detail.apply"), func() { d.Touched(); onApply() })
	apply.Importance = widget.HighImportance
	top := container.NewVBox(Caption(l.T("ui.detail.guide")), Heading(l.Text(svc.Name)))
	return screen(container.NewPadded(top), body, buttonBar(back, apply))
}
