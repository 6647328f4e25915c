package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	qrcode "github.com/skip2/go-qrcode"
)

// qrPixels is the side of the PNG a QR code is drawn into; the image is
// then scaled to the theme's size.
const qrPixels = 512

// qrCells is the QR code's side on screen, in text heights: large enough
// for a phone camera at arm's length on a kiosk.
const qrCells = 12

// QRImage draws content as a QR code (error correction level M, which
// survives a worn print-out) and returns it as an image, or nil if the
// content is too long to encode.
func QRImage(name, content string) *canvas.Image {
	png, err := qrcode.Encode(content, qrcode.Medium, qrPixels)
	if err != nil {
		return nil
	}
	img := canvas.NewImageFromResource(fyne.NewStaticResource(name, png))
	img.FillMode = canvas.ImageFillContain
	img.ScaleMode = canvas.ImageScalePixels
	side := qrCells * theme.Size(theme.SizeNameText)
	img.SetMinSize(fyne.NewSize(side, side))
	return img
}
