package kiosk

import (
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func TestKeypad(t *testing.T) {
	test.NewTempApp(t)
	cases := []struct {
		name   string
		allowX bool
		taps   []string // key labels; "<" backspace, "C" clear
		want   string
	}{
		{"digits", false, []string{"1", "3", "8", "5", "2"}, "13852"},
		{"id number with X", true, []string{"3", "2", "0", "X"}, "320X"},
		{"backspace", true, []string{"3", "2", "X", "<", "7", "X"}, "327X"},
		{"backspace on empty", false, []string{"<", "<", "5"}, "5"},
		{"clear", false, []string{"1", "2", "C", "9"}, "9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := widget.NewEntry()
			changes := 0
			e.OnChanged = func(string) { changes++ }
			p := NewKeypad(e, tc.allowX).(*Keypad)
			test.NewTempWindow(t, p)
			for _, k := range tc.taps {
				switch k {
				case "<":
					test.Tap(p.BackspaceKey())
				case "C":
					test.Tap(p.ClearKey())
				default:
					test.Tap(p.Key(k))
				}
			}
			if e.Text != tc.want {
				t.Fatalf("entry %q, want %q", e.Text, tc.want)
			}
			if changes == 0 {
				t.Error("the entry's OnChanged never ran")
			}
			if e.CursorColumn != len([]rune(tc.want)) {
				t.Errorf("cursor at %d, want the end (%d)", e.CursorColumn, len([]rune(tc.want)))
			}
		})
	}
	t.Run("no X key unless allowed", func(t *testing.T) {
		e := widget.NewEntry()
		p := NewKeypad(e, false).(*Keypad)
		if p.Key("X") != nil {
			t.Fatal("an X key on a phone keypad")
		}
		p.Type('X')
		p.Type('a')
		if e.Text != "" {
			t.Fatalf("typed %q", e.Text)
		}
	})
	t.Run("appends after existing text", func(t *testing.T) {
		e := widget.NewEntry()
		e.SetText("3203")
		p := NewKeypad(e, true).(*Keypad)
		test.Tap(p.Key("0"))
		test.Tap(p.Key("2"))
		if e.Text != "320302" {
			t.Fatalf("entry %q", e.Text)
		}
	})
	t.Run("disabled entry", func(t *testing.T) {
		e := widget.NewEntry()
		e.Disable()
		p := NewKeypad(e, false).(*Keypad)
		test.Tap(p.Key("1"))
		if e.Text != "" {
			t.Fatalf("typed into a disabled entry: %q", e.Text)
		}
	})
}

func TestKioskKeypadInWizard(t *testing.T) {
	r := newRig(t)
	w := r.startForm(t, "medical_insurance_enrolment")
	id := w.Field("id_number").(*widget.Entry)
	// The wizard shows the kiosk's keypad under the ID number field.
	p := findKeypad(t, r, id)
	if p.Key("X") == nil {
		t.Fatal("the ID number keypad has no X key")
	}
	if p.BackspaceKey().Text != "退格" || p.ClearKey().Text != "清空" {
		t.Errorf("keypad labels %q %q", p.BackspaceKey().Text, p.ClearKey().Text)
	}
	for _, k := range "32030219900307002" {
		test.Tap(p.Key(string(k)))
	}
	test.Tap(p.Key("X"))
	test.Tap(p.BackspaceKey())
	test.Tap(p.Key("6"))
	if id.Text != "320302199003070026" {
		t.Fatalf("ID number %q", id.Text)
	}
	if got := r.k.sess.apply.Value("id_number"); got != "320302199003070026" {
		t.Fatalf("the view-model has %v", got)
	}
	// Keypad taps are activity: they hold off the countdown.
	r.clk.Advance(testIdle - 1)
	test.Tap(p.Key("1"))
	r.clk.Advance(testIdle - 1)
	if r.k.CountdownShowing() {
		t.Fatal("keypad taps did not count as activity")
	}
}

// findKeypad finds the keypad typing into target on screen.
func findKeypad(t *testing.T, r *rig, target *widget.Entry) *Keypad {
	t.Helper()
	for _, o := range test.LaidOutObjects(r.w.Canvas().Content()) {
		if p, ok := o.(*Keypad); ok && p.Target() == target {
			return p
		}
	}
	t.Fatal("no keypad for the field")
	return nil
}
