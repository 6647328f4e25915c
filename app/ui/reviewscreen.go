package ui

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/catalog"
	"civicdesk/app/i18n"
	"civicdesk/app/store"
)

// DisplayValue is how an answer reads on the review screen, in the current
// language: option labels rather than codes, Yes/No for a checkbox, a
// file's name and size, "Not filled in" for nothing.
func DisplayValue(l *i18n.Localizer, f *catalog.Field, v any) string {
	if catalog.Absent(v) {
		return l.T("ui.review.empty")
	}
	label := func(code string) string {
		for _, o := range f.Options {
			if o.Value == code {
				return l.Text(o.Label)
			}
		}
		return code
	}
	switch v := v.(type) {
	case bool:
		if v {
			return l.T("ui.review.yes")
		}
		return l.T("ui.review.no")
	case []string:
		parts := make([]string, len(v))
		for i, c := range v {
			parts[i] = label(c)
		}
		return strings.Join(parts, l.T("ui.review.list_sep"))
	case catalog.AttachmentRef:
		return l.T("ui.attach.chosen", "Name", v.Name, "Size", fileSize(l, v.Size))
	case string:
		if f.Type == catalog.TypeSelect {
			return label(v)
		}
		return v
	}
	return valueText(v)
}

// ReviewScreen shows everything entered (hidden fields left out), a privacy
// notice to accept, and Submit (enabled once accepted) and Edit. Edit on a
// step goes back to that step; onSubmitted receives the queued application.
func ReviewScreen(d *Deps, vm *ApplyVM, onSubmitted func(app store.Application), onBack func()) fyne.CanvasObject {
	l := d.Loc
	values := vm.Values()
	body := container.NewVBox(Caption(l.T("ui.review.hint")))
	for i, st := range vm.steps(values) {
		edit := widget.NewButton(l.T("ui.review.edit"), func() {
			d.Touched()
			vm.Step = i
			onBack()
		})
		edit.Importance = widget.LowImportance
		body.Add(widget.NewSeparator())
		body.Add(container.NewBorder(nil, nil, nil, edit, Subheading(l.Text(st.Title))))
		for _, f := range vm.Service.StepFields(st.Code, values) {
			body.Add(Strong(l.Text(f.Label)))
			body.Add(Paragraph(DisplayValue(l, &f, values[f.Name])))
		}
	}

	notice := l.T("ui.privacy.personal", "Department", l.Text(vm.Service.Department))
	if d.Store.Policy() == store.PolicyKiosk {
		notice = l.T("ui.privacy.kiosk", "Department", l.Text(vm.Service.Department))
	}
	body.Add(widget.NewSeparator())
	body.Add(widget.NewCard(l.T("ui.privacy.title"), "", Paragraph(notice)))

	problem := errorLabel()
	submit := widget.NewButton(l.T("ui.review.submit"), nil)
	submit.Importance = widget.HighImportance
	consent := widget.NewCheck(l.T("ui.privacy.accept"), func(b bool) {
		d.Touched()
		vm.Consent = b
		if b {
			submit.Enable()
		} else {
			submit.Disable()
		}
	})
	consent.Checked = vm.Consent
	if !vm.Consent {
		submit.Disable()
	}
	body.Add(consent)
	submit.OnTapped = func() {
		d.Touched()
		if !vm.Consent {
			return
		}
		app, err := vm.Submit()
		switch {
		case errors.Is(err, ErrInvalidForm):
			setError(problem, l.T("ui.review.invalid", "N", len(vm.Errors())))
		case errors.Is(err, ErrSubmitted):
			setError(problem, l.T("ui.review.already"))
		case err != nil:
			setError(problem, l.T("ui.review.failed"))
		default:
			setError(problem, "")
			onSubmitted(app)
		}
	}
	back := widget.NewButton(l.T("ui.review.back"), func() { d.Touched(); onBack() })
	top := container.NewPadded(container.NewVBox(Heading(l.T("ui.review.title")), Caption(l.Text(vm.Service.Name))))
	bottom := container.NewVBox(problem, buttonBar(back, submit))
	return screen(top, body, bottom)
}
