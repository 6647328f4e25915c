package ui

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/catalog"
)

// WizardOptions adapt the form wizard to a shell.
type WizardOptions struct {
	// OnCancel: the resident gives up, after confirming (the caller discards).
	OnCancel func()
	// OnReview: the last step passed; go to the review screen.
	OnReview func()
}

// Wizard is the form of an application, one short step at a time: the
// current step's visible fields, errors inline in the current language,
// show_if rules applied as answers change, and Cancel / Back / Next. Its
// widgets are reachable for tests; its state is all in the ApplyVM, so a
// new Wizard over the same view-model (a language switch) shows the same.
type Wizard struct {
	d  *Deps
	vm *ApplyVM
	o  WizardOptions

	obj       fyne.CanvasObject
	title     *widget.Label
	progress  *widget.Label
	stepTitle *widget.Label
	body      *fyne.Container
	scroll    *container.Scroll
	notice    *widget.Label
	bar       *fyne.Container

	next, back, cancel    *widget.Button
	confirmCancel, keepOn *widget.Button
	buttons               *fyne.Container // Cancel, [Back,] Next
	confirmButtons        fyne.CanvasObject

	shown     []string // the fields on screen, in order
	fields    map[string]fyne.CanvasObject
	blocks    map[string]fyne.CanvasObject
	errLabels map[string]*widget.Label
	keypads   map[string]*fyne.Container
	attachErr map[string]string // a file that could not be read, by field
}

// NewWizard shows the view-model's current step.
func NewWizard(d *Deps, vm *ApplyVM, o WizardOptions) *Wizard {
	l := d.Loc
	w := &Wizard{d: d, vm: vm, o: o, attachErr: map[string]string{}}
	w.title = Heading(l.Text(vm.Service.Name))
	w.progress = Caption("")
	w.stepTitle = Subheading("")
	w.body = container.NewVBox()
	w.scroll = container.NewVScroll(container.NewPadded(w.body))
	w.notice = errorLabel()

	w.cancel = widget.NewButtonWithIcon(l.T("ui.wizard.cancel"), theme.CancelIcon(), func() {
		d.Touched()
		w.askCancel(true)
	})
	w.cancel.Importance = widget.LowImportance
	w.back = widget.NewButtonWithIcon(l.T("ui.wizard.back"), theme.NavigateBackIcon(), func() {
		d.Touched()
		vm.Back()
		w.showStep()
	})
	w.next = widget.NewButtonWithIcon(l.T("ui.wizard.next"), theme.NavigateNextIcon(), w.tapNext)
	w.next.Importance = widget.HighImportance
	w.next.IconPlacement = widget.ButtonIconTrailingText

	w.keepOn = widget.NewButton(l.T("ui.wizard.keep_on"), func() {
		d.Touched()
		w.askCancel(false)
	})
	w.keepOn.Importance = widget.HighImportance
	w.confirmCancel = widget.NewButton(l.T("ui.wizard.confirm_cancel"), func() {
		d.Touched()
		if o.OnCancel != nil {
			o.OnCancel()
		}
	})
	w.confirmCancel.Importance = widget.DangerImportance
	w.confirmButtons = container.NewVBox(Strong(l.T("ui.wizard.cancel_question")),
		container.NewGridWithColumns(2, w.confirmCancel, w.keepOn))
	w.confirmButtons.Hide()
	w.buttons = container.NewGridWithColumns(3, w.cancel, w.back, w.next)
	w.bar = container.NewPadded(container.NewVBox(w.notice, w.buttons, w.confirmButtons))

	top := container.NewPadded(container.NewVBox(w.title, w.progress, w.stepTitle))
	w.obj = container.NewBorder(top, w.bar, nil, nil, w.scroll)
	w.showStep()
	return w
}

// Object is the wizard's screen.
func (w *Wizard) Object() fyne.CanvasObject { return w.obj }

// Field returns the input widget of a visible field of the current step:
// *widget.Entry (text, multiline, number, phone, id_number, email),
// *widget.DateEntry, *widget.Select, *widget.RadioGroup (selects with few
// options), *widget.CheckGroup, *widget.Check, or the attachment's
// "Choose file" *widget.Button. Nil when the field is not shown.
func (w *Wizard) Field(name string) fyne.CanvasObject { return w.fields[name] }

// ErrorText is the error shown under a field ("" when none).
func (w *Wizard) ErrorText(name string) string {
	if l, ok := w.errLabels[name]; ok && l.Visible() {
		return l.Text
	}
	return ""
}

// Shown lists the fields on screen, in order.
func (w *Wizard) Shown() []string { return slices.Clone(w.shown) }

// NextButton goes to the next step (on the last step, to the review).
func (w *Wizard) NextButton() *widget.Button { return w.next }

// BackButton returns to the previous step (not shown on the first).
func (w *Wizard) BackButton() *widget.Button { return w.back }

// CancelButton asks whether to give up; ConfirmCancelButton (shown then)
// gives up and calls OnCancel.
func (w *Wizard) CancelButton() *widget.Button { return w.cancel }

// ConfirmCancelButton gives up the application (visible after CancelButton).
func (w *Wizard) ConfirmCancelButton() *widget.Button { return w.confirmCancel }

// ProgressText is "Step 2 of 4" and the step's title, as shown.
func (w *Wizard) ProgressText() string { return w.progress.Text }

func (w *Wizard) askCancel(ask bool) {
	if ask {
		w.buttons.Hide()
		w.confirmButtons.Show()
	} else {
		w.confirmButtons.Hide()
		w.buttons.Show()
	}
	w.bar.Refresh()
}

func (w *Wizard) tapNext() {
	w.d.Touched()
	last := w.vm.Last()
	if !w.vm.Next() {
		setError(w.notice, w.d.Loc.T("ui.wizard.fix_marked"))
		w.refreshErrors()
		w.scrollToFirstError()
		return
	}
	setError(w.notice, "")
	if last {
		if w.o.OnReview != nil {
			w.o.OnReview()
		}
		return
	}
	w.showStep()
	w.scroll.ScrollToTop()
}

// showStep (re)builds the current step from the view-model.
func (w *Wizard) showStep() {
	l := w.d.Loc
	st, fields := w.vm.Current()
	steps := w.vm.Steps()
	w.progress.SetText(l.T("ui.wizard.progress", "N", w.vm.Step+1, "Total", len(steps)))
	w.stepTitle.SetText(l.Text(st.Title))
	if w.vm.Step > 0 {
		w.buttons.Objects = []fyne.CanvasObject{w.cancel, w.back, w.next}
	} else {
		w.buttons.Objects = []fyne.CanvasObject{w.cancel, w.next}
	}
	w.buttons.Layout = layout.NewGridLayoutWithColumns(len(w.buttons.Objects))
	w.buttons.Refresh()
	if w.vm.Last() {
		w.next.SetText(l.T("ui.wizard.review"))
	} else {
		w.next.SetText(l.T("ui.wizard.next"))
	}
	if !slices.Equal(w.names(fields), w.shown) {
		setError(w.notice, "") // a new step (or new fields): no stale summary
	}

	w.fields = map[string]fyne.CanvasObject{}
	w.blocks = map[string]fyne.CanvasObject{}
	w.errLabels = map[string]*widget.Label{}
	w.keypads = map[string]*fyne.Container{}
	w.shown = w.names(fields)
	objs := make([]fyne.CanvasObject, 0, len(fields))
	for _, f := range fields {
		objs = append(objs, w.block(f))
	}
	w.body.Objects = objs
	w.body.Refresh()
	w.refreshErrors()
	// Until another numeric field is used, the keypad shows under the first.
	for _, name := range w.shown {
		if _, ok := w.keypads[name]; ok {
			w.showKeypad(name)
			break
		}
	}
}

func (w *Wizard) names(fields []catalog.Field) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.Name
	}
	return out
}

// block is one field: label (required ones marked), help, input, keypad, error.
func (w *Wizard) block(f catalog.Field) fyne.CanvasObject {
	l := w.d.Loc
	box := container.NewVBox()
	if f.Type != catalog.TypeCheckbox {
		label := l.Text(f.Label)
		if f.Required {
			label = l.T("ui.form.required", "Label", label)
		} else {
			label = l.T("ui.form.optional", "Label", label)
		}
		box.Add(Strong(label))
	}
	if help := l.Text(f.Help); help != "" {
		box.Add(Caption(help))
	}
	obj, field := w.input(f)
	box.Add(obj)
	e := errorLabel()
	box.Add(e)
	w.fields[f.Name] = field
	w.errLabels[f.Name] = e
	w.blocks[f.Name] = box
	return box
}

// afterChange follows an answer: fields appear or disappear as show_if
// conditions change, and the errors follow.
func (w *Wizard) afterChange() {
	_, fields := w.vm.Current()
	if !slices.Equal(w.names(fields), w.shown) {
		offset := w.scroll.Offset
		w.showStep()
		w.scroll.Offset = offset
		w.scroll.Refresh()
		return
	}
	w.refreshErrors()
}

// refreshErrors shows each field's current error in the current language.
func (w *Wizard) refreshErrors() {
	errs := w.vm.Errors()
	for name, lbl := range w.errLabels {
		text := w.attachErr[name]
		if e, ok := errs[name]; ok {
			text = w.d.Loc.FieldError(e)
		}
		setError(lbl, text)
	}
	if len(errs) == 0 && w.notice.Visible() {
		setError(w.notice, "")
	}
	if err := w.vm.SaveErr(); err != nil {
		setError(w.notice, w.d.Loc.T("ui.wizard.save_failed"))
	}
}

func (w *Wizard) scrollToFirstError() {
	for _, name := range w.shown {
		if w.errLabels[name].Visible() {
			w.scroll.Offset = fyne.NewPos(0, w.blocks[name].Position().Y)
			w.scroll.Refresh()
			return
		}
	}
}

// showKeypad shows the keypad under the numeric field being filled in (the
// one last focused or typed into) and hides the others.
func (w *Wizard) showKeypad(name string) {
	for n, k := range w.keypads {
		if n == name {
			k.Show()
		} else {
			k.Hide()
		}
	}
}
