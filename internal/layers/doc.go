// Package layers holds the test that keeps the layer rules of ARCHITECTURE.md:
// nothing below the screens imports Fyne.
package layers
