package ui

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/catalog"
)

// formEntry is an Entry that tells the wizard when it gains and loses
// focus (leaving a field makes its errors show; a numeric field shows the
// keypad while it is being filled in).
type formEntry struct {
	widget.Entry
	onFocus func(focused bool)
}

func newFormEntry() *formEntry {
	e := &formEntry{}
	e.ExtendBaseWidget(e)
	return e
}

func (e *formEntry) FocusGained() {
	e.Entry.FocusGained()
	if e.onFocus != nil {
		e.onFocus(true)
	}
}

func (e *formEntry) FocusLost() {
	e.Entry.FocusLost()
	if e.onFocus != nil {
		e.onFocus(false)
	}
}

// dateField is a DateEntry that tells the wizard when it is left.
type dateField struct {
	widget.DateEntry
	onLeave func()
}

func newDateField() *dateField {
	e := &dateField{}
	e.ExtendBaseWidget(e)
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	return e
}

func (e *dateField) FocusLost() {
	e.DateEntry.FocusLost()
	if e.onLeave != nil {
		e.onLeave()
	}
}

// numericLike reports whether a field is typed on a keypad.
func numericLike(t catalog.FieldType) bool {
	return t == catalog.TypePhone || t == catalog.TypeIDNumber || t == catalog.TypeNumber
}

// valueText is how an answer shows in an entry.
func valueText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		return ""
	}
	return ""
}

// optionLabels returns the labels of a field's options in the current
// language, and the label -> value map.
func (w *Wizard) optionLabels(f *catalog.Field) ([]string, map[string]string, map[string]string) {
	labels := make([]string, len(f.Options))
	toValue := make(map[string]string, len(f.Options))
	toLabel := make(map[string]string, len(f.Options))
	for i, o := range f.Options {
		labels[i] = w.d.Loc.Text(o.Label)
		toValue[labels[i]] = o.Value
		toLabel[o.Value] = labels[i]
	}
	return labels, toValue, toLabel
}

// radioLimit: selects with at most this many options show every choice as a
// large radio button; longer lists use a drop-down.
const radioLimit = 4

// input builds the input widget of one field from the view-model's answer.
// It returns the object placed in the form and the widget Field returns.
func (w *Wizard) input(f catalog.Field) (obj, field fyne.CanvasObject) {
	d, vm, l := w.d, w.vm, w.d.Loc
	name := f.Name
	changed := func(v any) {
		d.Touched()
		vm.Set(name, v)
		w.afterChange()
	}
	chosen := func(v any) {
		d.Touched()
		vm.Set(name, v)
		vm.Leave(name)
		w.afterChange()
	}
	switch f.Type {
	case catalog.TypeSelect:
		labels, toValue, toLabel := w.optionLabels(&f)
		cur, _ := vm.Value(name).(string)
		if len(f.Options) <= radioLimit {
			rg := widget.NewRadioGroup(labels, nil)
			rg.Selected = toLabel[cur]
			rg.OnChanged = func(s string) { chosen(toValue[s]) }
			return rg, rg
		}
		sel := widget.NewSelect(labels, nil)
		sel.PlaceHolder = l.T("ui.form.choose")
		if lb, ok := toLabel[cur]; ok {
			sel.Selected = lb
		}
		sel.OnChanged = func(s string) { chosen(toValue[s]) }
		return sel, sel
	case catalog.TypeMultiselect:
		labels, toValue, toLabel := w.optionLabels(&f)
		cg := widget.NewCheckGroup(labels, nil)
		if cur, ok := vm.Value(name).([]string); ok {
			for _, v := range cur {
				cg.Selected = append(cg.Selected, toLabel[v])
			}
		}
		cg.OnChanged = func(sel []string) {
			vals := make([]string, 0, len(sel))
			for _, o := range f.Options { // keep the schema's order
				for _, s := range sel {
					if toValue[s] == o.Value {
						vals = append(vals, o.Value)
					}
				}
			}
			chosen(vals)
		}
		return cg, cg
	case catalog.TypeCheckbox:
		cur, _ := vm.Value(name).(bool)
		ch := widget.NewCheck("", nil)
		ch.Checked = cur
		ch.OnChanged = func(b bool) { chosen(b) }
		text := Paragraph(l.Text(f.Label))
		return container.NewBorder(nil, nil, container.NewVBox(ch), nil, text), ch
	case catalog.TypeDate:
		de := newDateField()
		if s, ok := vm.Value(name).(string); ok {
			if t, err := time.Parse(time.DateOnly, s); err == nil {
				de.SetDate(&t)
			}
		}
		if ph := l.Text(f.Placeholder); ph != "" {
			de.SetPlaceHolder(ph)
		}
		de.OnChanged = func(t *time.Time) {
			if t == nil {
				changed("")
				return
			}
			changed(t.Format(time.DateOnly))
		}
		de.onLeave = func() {
			if de.Text != "" && de.Date == nil {
				vm.Set(name, strings.TrimSpace(de.Text)) // not a date: let the validator say so
			}
			vm.Leave(name)
			w.afterChange()
		}
		return de, &de.DateEntry
	case catalog.TypeAttachment:
		return w.attachment(f)
	}

	e := newFormEntry()
	if f.Type == catalog.TypeMultiline {
		e.MultiLine = true
		e.Wrapping = fyne.TextWrapWord
		e.SetMinRowsVisible(3)
	}
	if ph := l.Text(f.Placeholder); ph != "" {
		e.SetPlaceHolder(ph)
	}
	e.SetText(valueText(vm.Value(name)))
	e.OnChanged = func(s string) {
		if f.Type != catalog.TypeMultiline {
			s = strings.TrimSpace(s)
		}
		changed(s)
		if numericLike(f.Type) {
			w.showKeypad(name)
		}
	}
	e.onFocus = func(focused bool) {
		if focused {
			if numericLike(f.Type) {
				w.showKeypad(name)
			}
			return
		}
		vm.Leave(name)
		w.afterChange()
	}
	obj = e
	if w.d.Keypad != nil && numericLike(f.Type) {
		holder := container.NewVBox(w.d.Keypad(&e.Entry, f.Type == catalog.TypeIDNumber))
		holder.Hide()
		w.keypads[name] = holder
		obj = container.NewVBox(e, holder)
	}
	return obj, &e.Entry
}

// maxAttachmentRead bounds how much of a file is read when the field sets
// no maximum size.
const maxAttachmentRead = 32 << 20

// attachment is a "Choose file" button (Fyne's file dialog), the chosen
// file's name and size, and a Remove button.
func (w *Wizard) attachment(f catalog.Field) (obj, field fyne.CanvasObject) {
	d, vm, l := w.d, w.vm, w.d.Loc
	name := f.Name
	info := Caption(l.T("ui.attach.none"))
	remove := widget.NewButtonWithIcon(l.T("ui.attach.remove"), theme.DeleteIcon(), func() {
		d.Touched()
		vm.Set(name, nil)
		vm.Leave(name)
		w.afterChange()
		w.showStep()
	})
	remove.Importance = widget.LowImportance
	remove.Hide()
	if ref, ok := vm.Value(name).(catalog.AttachmentRef); ok {
		info.SetText(l.T("ui.attach.chosen", "Name", ref.Name, "Size", fileSize(l, ref.Size)))
		info.Importance = widget.MediumImportance
		remove.Show()
	}
	limit := f.MaxSize
	if limit <= 0 {
		limit = maxAttachmentRead
	}
	if d.AttachAllowed != nil && !d.AttachAllowed() {
		// A resident on a kiosk: the document is scanned by staff.
		note := Paragraph(l.T("ui.attach.at_counter"))
		note.Importance = widget.WarningImportance
		return container.NewVBox(note, info), note
	}
	var choose *widget.Button
	choose = widget.NewButtonWithIcon(l.T("ui.attach.choose"), theme.FolderOpenIcon(), func() {
		d.Touched()
		win := windowFor(choose)
		if win == nil {
			return
		}
		fd := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			d.Touched()
			if err != nil || r == nil {
				return
			}
			defer r.Close()
			// One byte more than allowed is enough to know the file is too
			// big. A file that will be prepared (a photo shrunk) may start
			// larger than the field allows.
			readLimit := limit
			if d.PrepareAttachment != nil {
				readLimit = max(limit, maxAttachmentRead)
			}
			data, err := io.ReadAll(io.LimitReader(r, readLimit+1))
			if err != nil {
				w.attachErr[name] = l.T("ui.attach.read_error")
				w.showStep()
				return
			}
			if (f.MaxSize <= 0 || readLimit > limit) && int64(len(data)) > readLimit {
				w.attachErr[name] = l.T("ui.attach.too_big", "Size", fileSize(l, readLimit))
				w.showStep()
				return
			}
			delete(w.attachErr, name)
			if err := vm.Attach(name, r.URI().Name(), data); errors.Is(err, ErrPrepare) {
				w.attachErr[name] = l.T("ui.attach.read_error")
			}
			w.afterChange()
			w.showStep()
		}, win)
		if d.AttachDir != "" {
			if dir, err := storage.ListerForURI(storage.NewFileURI(d.AttachDir)); err == nil {
				fd.SetLocation(dir)
			}
		}
		fd.Show()
	})
	obj = container.NewVBox(container.NewHBox(choose, remove), info)
	return obj, choose
}
