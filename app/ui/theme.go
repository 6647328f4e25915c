package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Theme is civicdesk's one theme: Fyne's default with larger touch targets,
// plus the large-text and high-contrast modes a session can turn on.
// Widgets never hard-code colours or sizes; they ask the theme.
type Theme struct {
	fyne.Theme
	// LargeText scales text and padding up by about a third.
	LargeText bool
	// HighContrast shows white and yellow on black.
	HighContrast bool
	// Scale is the base text scale of the shell (kiosk screens are seen
	// from further away than phones); 0 means 1.
	Scale float32
}

// NewTheme returns the default theme at the given base scale.
func NewTheme(scale float32) *Theme { return &Theme{Theme: theme.DefaultTheme(), Scale: scale} }

// Color overrides the palette in high-contrast mode.
func (t *Theme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if !t.HighContrast {
		switch n {
		case theme.ColorNameDisabled, theme.ColorNamePlaceHolder:
			// Fyne's light greys are too faint for help text read by older
			// residents; this grey keeps a 4.6:1 contrast on white.
			return color.NRGBA{R: 0x75, G: 0x75, B: 0x75, A: 0xff}
		}
		return t.Theme.Color(n, theme.VariantLight)
	}
	switch n {
	case theme.ColorNameBackground, theme.ColorNameInputBackground, theme.ColorNameMenuBackground,
		theme.ColorNameOverlayBackground, theme.ColorNameHeaderBackground:
		return color.Black
	case theme.ColorNameForeground, theme.ColorNameInputBorder, theme.ColorNameSeparator:
		return color.White
	case theme.ColorNamePrimary, theme.ColorNameFocus, theme.ColorNameHyperlink:
		return color.NRGBA{R: 0xff, G: 0xd7, B: 0x00, A: 0xff}
	case theme.ColorNameForegroundOnPrimary:
		return color.Black
	case theme.ColorNameButton:
		return color.NRGBA{R: 0x20, G: 0x20, B: 0x20, A: 0xff}
	case theme.ColorNameDisabled, theme.ColorNamePlaceHolder:
		return color.NRGBA{R: 0xc0, G: 0xc0, B: 0xc0, A: 0xff}
	case theme.ColorNameError:
		return color.NRGBA{R: 0xff, G: 0x6e, B: 0x6e, A: 0xff}
	}
	return t.Theme.Color(n, theme.VariantDark)
}

// Size scales text, padding and icons.
func (t *Theme) Size(n fyne.ThemeSizeName) float32 {
	s := t.Theme.Size(n)
	scale := t.Scale
	if scale == 0 {
		scale = 1
	}
	if t.LargeText {
		scale *= 1.35
	}
	switch n {
	case theme.SizeNameText, theme.SizeNameHeadingText, theme.SizeNameSubHeadingText,
		theme.SizeNameCaptionText, theme.SizeNameInlineIcon, theme.SizeNamePadding,
		theme.SizeNameInnerPadding, theme.SizeNameLineSpacing:
		return s * scale
	}
	return s
}
