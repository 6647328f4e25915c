package kiosk

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

func TestThemeToggles(t *testing.T) {
	r := newRig(t)
	current := func() fyne.Theme { return fyne.CurrentApp().Settings().Theme() }
	if current() != fyne.Theme(r.k.Theme()) {
		t.Fatal("the kiosk's theme is not applied")
	}
	baseText := current().Size(theme.SizeNameText)
	baseBg := current().Color(theme.ColorNameBackground, theme.VariantLight)

	test.Tap(r.k.bar.large)
	if !r.k.Theme().LargeText || current().Size(theme.SizeNameText) <= baseText {
		t.Fatalf("large text: on=%v, text size %v (was %v)", r.k.Theme().LargeText, current().Size(theme.SizeNameText), baseText)
	}
	if r.k.bar.large.Importance != widget.HighImportance {
		t.Error("the large-text toggle does not show that it is on")
	}
	test.Tap(r.k.bar.contrast)
	if !r.k.Theme().HighContrast || current().Color(theme.ColorNameBackground, theme.VariantLight) != color.Black {
		t.Fatal("high contrast did not turn the background black")
	}
	// Off again by a second tap.
	test.Tap(r.k.bar.large)
	if r.k.Theme().LargeText || current().Size(theme.SizeNameText) != baseText {
		t.Fatal("large text did not turn off")
	}
	test.Tap(r.k.bar.large)

	// The wipe resets both.
	r.k.Wipe()
	if r.k.Theme().LargeText || r.k.Theme().HighContrast {
		t.Fatal("the wipe left a toggle on")
	}
	if current().Size(theme.SizeNameText) != baseText || current().Color(theme.ColorNameBackground, theme.VariantLight) != baseBg {
		t.Fatal("the wipe did not restore the theme")
	}
	if r.k.bar.large.Importance == widget.HighImportance || r.k.bar.contrast.Importance == widget.HighImportance {
		t.Error("the toggles still show as on")
	}
}
