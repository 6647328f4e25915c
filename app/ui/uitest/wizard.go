package uitest

import (
	"testing"

	"fyne.io/fyne/v2/widget"

	"civicdesk/app/ui"
)

// Entry is the text input of a visible wizard field.
func Entry(t testing.TB, wz *ui.Wizard, name string) *widget.Entry {
	t.Helper()
	e, ok := wz.Field(name).(*widget.Entry)
	if !ok {
		t.Fatalf("field %s: %T, want an entry (shown: %v)", name, wz.Field(name), wz.Shown())
	}
	return e
}

// Choose picks an option of a select or radio field by its label.
func Choose(t testing.TB, wz *ui.Wizard, name, label string) {
	t.Helper()
	switch f := wz.Field(name).(type) {
	case *widget.Select:
		f.SetSelected(label)
	case *widget.RadioGroup:
		f.SetSelected(label)
	default:
		t.Fatalf("field %s: %T is not a choice", name, f)
	}
}
