// Package escpos lays out receipts and queue tickets as one bitmap for 58 mm
// and 80 mm thermal printers, encodes it as an ESC/POS raster byte stream,
// decodes such streams for tests, and writes them to a printer device or file.
package escpos

// kind is what one line of a Doc is.
type kind int

const (
	kindTitle kind = iota
	kindText
	kindBig
	kindRule
	kindQR
	kindFeed
)

type line struct {
	kind kind
	text string
	n    int
}

// Doc is a printout described line by line; Render lays it out for a paper
// width. Every text is drawn from an outline font, so Chinese prints on
// printers whose built-in fonts lack it. The zero Doc is empty and usable.
type Doc struct {
	lines []line
	fonts *Fonts
}

// NewDoc returns an empty document.
func NewDoc() *Doc { return &Doc{} }

// Title adds a bold, centred heading.
func (d *Doc) Title(text string) *Doc { return d.add(line{kind: kindTitle, text: text}) }

// Text adds left-aligned body text, wrapped to the paper width (Chinese by
// character, other scripts by word). "\n" starts a new line.
func (d *Doc) Text(text string) *Doc { return d.add(line{kind: kindText, text: text}) }

// Big adds very large centred text: the queue number. It is shrunk to fit
// the width.
func (d *Doc) Big(text string) *Doc { return d.add(line{kind: kindBig, text: text}) }

// Rule adds a horizontal line across the paper.
func (d *Doc) Rule() *Doc { return d.add(line{kind: kindRule}) }

// QR adds a centred QR code of payload (nothing when payload is empty).
func (d *Doc) QR(payload string) *Doc { return d.add(line{kind: kindQR, text: payload}) }

// Feed adds n empty text lines.
func (d *Doc) Feed(n int) *Doc { return d.add(line{kind: kindFeed, n: n}) }

// WithFonts makes Render use fs instead of the system fonts (DefaultFonts).
func (d *Doc) WithFonts(fs Fonts) *Doc {
	d.fonts = &fs
	return d
}

func (d *Doc) add(l line) *Doc {
	d.lines = append(d.lines, l)
	return d
}
