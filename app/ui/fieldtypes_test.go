package ui_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/catalog"
	"civicdesk/app/ui"
)

// TestEveryFieldType renders every step of every service in the catalog
// and checks that each field type gets its widget and that answering
// through the widget stores the value the validator expects.
func TestEveryFieldType(t *testing.T) {
	d, _ := setup(t)
	seen := map[catalog.FieldType]bool{}
	for i := range d.Catalog().Services {
		svc := &d.Catalog().Services[i]
		t.Run(svc.Code, func(t *testing.T) {
			vm, err := ui.NewApplyVM(d, svc, "")
			if err != nil {
				t.Fatal(err)
			}
			defer vm.Discard()
			for step := range vm.Steps() {
				vm.Step = step
				wz := ui.NewWizard(d, vm, ui.WizardOptions{})
				window(t, wz.Object())
				for _, name := range wz.Shown() {
					f, _ := svc.Field(name)
					seen[f.Type] = true
					if err := answer(wz, f); err != nil {
						t.Errorf("%s (%s): %v", name, f.Type, err)
						continue
					}
					if f.Type == catalog.TypeAttachment {
						continue // no file dialog here: see TestAttachment
					}
					if f.Type == catalog.TypeDate && vm.Value(name) != "2024-03-05" {
						t.Errorf("%s: date stored as %#v, want 2024-03-05", name, vm.Value(name))
					}
					if vm.Value(name) == nil {
						t.Errorf("%s (%s): no value after answering", name, f.Type)
					}
					if e, ok := vm.Errors()[name]; ok {
						t.Errorf("%s (%s): answered %#v, error %s", name, f.Type, vm.Value(name), e.Code)
					}
				}
			}
		})
	}
	all := []catalog.FieldType{catalog.TypeText, catalog.TypeMultiline, catalog.TypeNumber, catalog.TypeDate,
		catalog.TypeSelect, catalog.TypeMultiselect, catalog.TypeCheckbox, catalog.TypePhone, catalog.TypeIDNumber,
		catalog.TypeEmail, catalog.TypeAttachment}
	for _, ft := range all {
		if !seen[ft] {
			t.Errorf("no field of type %s in the catalog was shown", ft)
		}
	}
}

// answer gives a valid answer to f through its widget and marks it left.
func answer(wz *ui.Wizard, f *catalog.Field) error {
	obj := wz.Field(f.Name)
	wantType := func(ok bool) error {
		if !ok {
			return fmt.Errorf("widget %T", obj)
		}
		return nil
	}
	switch f.Type {
	case catalog.TypeSelect:
		switch s := obj.(type) {
		case *widget.Select:
			s.SetSelected(s.Options[0])
		case *widget.RadioGroup:
			s.SetSelected(s.Options[0])
		default:
			return wantType(false)
		}
	case catalog.TypeMultiselect:
		cg, ok := obj.(*widget.CheckGroup)
		if ok {
			cg.SetSelected(slices.Clone(cg.Options[:1]))
		}
		return wantType(ok)
	case catalog.TypeCheckbox:
		ch, ok := obj.(*widget.Check)
		if ok {
			ch.SetChecked(true)
		}
		return wantType(ok)
	case catalog.TypeDate:
		de, ok := obj.(*widget.DateEntry)
		if ok {
			day := time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
			de.SetDate(&day)
		}
		return wantType(ok)
	case catalog.TypeAttachment:
		_, ok := obj.(*widget.Button)
		return wantType(ok)
	default:
		e, ok := obj.(*widget.Entry)
		if !ok {
			return wantType(false)
		}
		text := map[catalog.FieldType]string{catalog.TypePhone: samplePhone, catalog.TypeIDNumber: sampleID,
			catalog.TypeEmail: "resident@example.com", catalog.TypeText: "徐州测试文本", catalog.TypeMultiline: "鼓楼区中山北路1号院"}[f.Type]
		if f.Pattern != "" {
			text = "622202020011223344"
		}
		if f.Type == catalog.TypeNumber {
			n := 1.0
			if f.Min != nil {
				n = *f.Min
			}
			text = fmt.Sprint(n)
		}
		test.Type(e, text)
	}
	return nil
}
