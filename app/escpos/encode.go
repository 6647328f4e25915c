package escpos

import (
	"image"
	"image/color"
)

// Stream layout constants.
const (
	// BandRows is the height of one GS v 0 raster band: small enough for
	// the input buffer of cheap printers.
	BandRows = 24
	// FeedLines moves the last printed row past the cutter before the cut.
	FeedLines = 4
)

// ESC/POS bytes used by Encode and Decode.
const (
	esc = 0x1B
	gs  = 0x1D
	fsb = 0x1C
	lf  = 0x0A
)

// Encode turns a bitmap into a complete print job: ESC @ (initialise),
// the image as GS v 0 raster bands of BandRows rows (bit 1 = black dot, most
// significant bit leftmost; a width not a multiple of 8 is padded with
// white), ESC d FeedLines, and GS V 1 (partial cut). Pixels darker than
// mid-grey print black; Render's images map index 1 to black.
func Encode(img image.Image) []byte {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	rowBytes := (w + 7) / 8
	bands := (h + BandRows - 1) / BandRows
	out := make([]byte, 0, 2+bands*8+rowBytes*h+3+3)
	out = append(out, esc, '@')
	black := blackFunc(img)
	for y0 := 0; y0 < h; y0 += BandRows {
		rows := min(BandRows, h-y0)
		out = append(out, gs, 'v', '0', 0,
			byte(rowBytes), byte(rowBytes>>8), byte(rows), byte(rows>>8))
		for y := y0; y < y0+rows; y++ {
			for xb := 0; xb < rowBytes; xb++ {
				var v byte
				for bit := range 8 {
					x := xb*8 + bit
					if x < w && black(b.Min.X+x, b.Min.Y+y) {
						v |= 0x80 >> bit
					}
				}
				out = append(out, v)
			}
		}
	}
	out = append(out, esc, 'd', FeedLines)
	out = append(out, gs, 'V', 1)
	return out
}

func blackFunc(img image.Image) func(x, y int) bool {
	if p, ok := img.(*image.Paletted); ok && len(p.Palette) == 2 && p.Palette[1] == Palette[1] && p.Palette[0] == Palette[0] {
		return func(x, y int) bool { return p.Pix[p.PixOffset(x, y)] == 1 }
	}
	return func(x, y int) bool {
		return color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y < 128
	}
}
