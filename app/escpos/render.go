package escpos

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strings"
	"unicode"

	"github.com/skip2/go-qrcode"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Palette of rendered images: index 0 is white paper, index 1 is a black dot
// (the same meaning as a 1 bit in an ESC/POS raster image).
var Palette = color.Palette{color.White, color.Black}

// Layout constants in dots.
const (
	topMargin    = 8
	bottomMargin = 8
	qrQuietZone  = 4 // modules; go-qrcode's bitmap includes them
)

// block is one laid-out piece: its height and how to draw it at y.
type block struct {
	h    int
	draw func(dst *image.Gray, y int)
}

// Render lays the document out for paper p as one two-colour bitmap exactly
// p.Dots() wide (palette: Palette).
func (d *Doc) Render(p Paper) (*image.Paletted, error) {
	if err := p.valid(); err != nil {
		return nil, err
	}
	fs := Fonts{}
	if d.fonts != nil {
		fs = *d.fonts
	} else {
		var err error
		if fs, err = DefaultFonts(); err != nil {
			return nil, err
		}
	}
	if fs.Regular == nil {
		return nil, fmt.Errorf("render: %w: Fonts.Regular is nil; load one with LoadFont", ErrNoFont)
	}
	if fs.Bold == nil {
		fs.Bold = fs.Regular
	}
	st := p.style()
	l := layout{width: p.Dots(), inner: p.Dots() - 2*st.margin, st: st, faces: map[faceKey]font.Face{}, fonts: fs}
	defer l.close()

	var blocks []block
	for _, ln := range d.lines {
		bs, err := l.blocks(ln)
		if err != nil {
			return nil, err
		}
		blocks = append(blocks, bs...)
	}
	h := topMargin + bottomMargin
	for _, b := range blocks {
		h += b.h
	}
	gray := image.NewGray(image.Rect(0, 0, l.width, h))
	draw.Draw(gray, gray.Bounds(), image.White, image.Point{}, draw.Src)
	y := topMargin
	for _, b := range blocks {
		b.draw(gray, y)
		y += b.h
	}
	return threshold(gray), nil
}

// threshold turns anti-aliased grey into black and white dots.
func threshold(g *image.Gray) *image.Paletted {
	out := image.NewPaletted(g.Bounds(), Palette)
	for i, v := range g.Pix {
		if v < 128 {
			out.Pix[i] = 1
		}
	}
	return out
}

type faceKey struct {
	bold bool
	size float64
}

type layout struct {
	width, inner int
	st           style
	fonts        Fonts
	faces        map[faceKey]font.Face
}

func (l *layout) close() {
	for _, f := range l.faces {
		f.Close()
	}
}

func (l *layout) face(bold bool, size float64) (font.Face, error) {
	k := faceKey{bold, size}
	if f, ok := l.faces[k]; ok {
		return f, nil
	}
	src := l.fonts.Regular
	if bold {
		src = l.fonts.Bold
	}
	f, err := opentype.NewFace(src.f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("font %s at %.0f dots: %w: %v", src.Path, size, ErrBadFont, err)
	}
	l.faces[k] = f
	return f, nil
}

func (l *layout) blocks(ln line) ([]block, error) {
	switch ln.kind {
	case kindTitle:
		return l.textBlocks(ln.text, true, l.st.title, true)
	case kindText:
		return l.textBlocks(ln.text, false, l.st.text, false)
	case kindBig:
		return l.bigBlocks(ln.text)
	case kindRule:
		return []block{l.rule()}, nil
	case kindQR:
		return l.qr(ln.text)
	case kindFeed:
		if ln.n <= 0 {
			return nil, nil
		}
		return []block{{h: ln.n * l.lineHeight(l.st.text), draw: func(*image.Gray, int) {}}}, nil
	}
	return nil, nil
}

// lineHeight fits CJK ideographs (-0.12..0.88 em) and Latin accents and
// descenders (about -0.25..1.0 em) with a little space between lines.
func (l *layout) lineHeight(size float64) int {
	return int(math.Ceil(size*1.25)) + l.st.gap
}

func (l *layout) textBlocks(text string, bold bool, size float64, centre bool) ([]block, error) {
	face, err := l.face(bold, size)
	if err != nil {
		return nil, err
	}
	var out []block
	lh := l.lineHeight(size)
	base := int(math.Ceil(size * 1.0))
	for _, s := range wrap(face, text, l.inner) {
		out = append(out, block{h: lh, draw: l.drawString(face, s, base, centre)})
	}
	return out, nil
}

func (l *layout) drawString(face font.Face, s string, base int, centre bool) func(*image.Gray, int) {
	return func(dst *image.Gray, y int) {
		x := l.st.margin
		if centre {
			x += (l.inner - font.MeasureString(face, s).Ceil()) / 2
		}
		dr := font.Drawer{Dst: dst, Src: image.Black, Face: face, Dot: fixed.P(x, y+base)}
		dr.DrawString(s)
	}
}

// bigBlocks draws text at the largest size (up to style.big) that fits the
// width, with its ink box as the block so no space is wasted.
func (l *layout) bigBlocks(text string) ([]block, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, nil
	}
	size := l.st.big
	var face font.Face
	for {
		var err error
		if face, err = l.face(true, size); err != nil {
			return nil, err
		}
		adv := font.MeasureString(face, text).Ceil()
		if adv <= l.inner || size <= l.st.title {
			break
		}
		size = math.Max(l.st.title, math.Floor(size*float64(l.inner)/float64(adv)*0.98))
	}
	if font.MeasureString(face, text).Ceil() > l.inner { // a long text: wrap it as a title
		return l.textBlocks(text, true, size, true)
	}
	ink, _ := font.BoundString(face, text)
	top, bottom := ink.Min.Y.Floor(), ink.Max.Y.Ceil() // relative to the baseline
	pad := l.st.ruleSpace
	return []block{{h: bottom - top + 2*pad, draw: func(dst *image.Gray, y int) {
		l.drawString(face, text, pad-top, true)(dst, y)
	}}}, nil
}

func (l *layout) rule() block {
	return block{h: 2*l.st.ruleSpace + l.st.ruleThick, draw: func(dst *image.Gray, y int) {
		r := image.Rect(l.st.margin, y+l.st.ruleSpace, l.width-l.st.margin, y+l.st.ruleSpace+l.st.ruleThick)
		draw.Draw(dst, r, image.Black, image.Point{}, draw.Src)
	}}
}

// qr draws payload's code with the style's module size, smaller when the
// code would not fit, and refuses codes whose modules would be under 2 dots.
func (l *layout) qr(payload string) ([]block, error) {
	if payload == "" {
		return nil, nil
	}
	q, err := qrcode.New(payload, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("QR code: %w: the payload is too long (%d bytes); shorten it", ErrTooWide, len(payload))
	}
	bm := q.Bitmap() // includes the 4-module quiet zone
	n := len(bm)
	m := min(l.st.qrModule, l.inner/n)
	if m < 2 {
		return nil, fmt.Errorf("QR code of %d modules on %d dots: %w: shorten the payload or use 80mm paper", n, l.width, ErrTooWide)
	}
	size := n * m
	x0 := (l.width - size) / 2
	return []block{{h: size, draw: func(dst *image.Gray, y int) {
		for r, row := range bm {
			for c, black := range row {
				if black {
					draw.Draw(dst, image.Rect(x0+c*m, y+r*m, x0+(c+1)*m, y+(r+1)*m), image.Black, image.Point{}, draw.Src)
				}
			}
		}
	}}}, nil
}

// wrap breaks text into lines no wider than max dots: Chinese (and other
// CJK) between any two characters, other scripts at spaces; a word longer
// than a line is broken by character. Closing punctuation stays with the
// character before it, opening punctuation with the one after.
func wrap(face font.Face, text string, max int) []string {
	var out []string
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		out = append(out, wrapPara(face, para, max)...)
	}
	return out
}

func wrapPara(face font.Face, para string, max int) []string {
	fits := func(s string) bool { return font.MeasureString(face, s).Ceil() <= max }
	var lines []string
	cur, space := "", false
	for _, tok := range tokens(para) {
		if tok == " " {
			space = cur != ""
			continue
		}
		cand := tok
		if cur != "" {
			if space {
				cand = cur + " " + tok
			} else {
				cand = cur + tok
			}
		}
		space = false
		if fits(cand) {
			cur = cand
			continue
		}
		if cur != "" {
			lines = append(lines, cur)
			cur = ""
		}
		// tok alone: break it by character if it is wider than a line.
		for _, r := range tok {
			if c := cur + string(r); fits(c) || cur == "" {
				cur = c
				continue
			}
			lines = append(lines, cur)
			cur = string(r)
		}
	}
	return append(lines, cur)
}

// tokens splits a paragraph into unbreakable pieces and single spaces.
func tokens(s string) []string {
	var toks []string
	var word strings.Builder
	flush := func() {
		if word.Len() > 0 {
			toks = append(toks, word.String())
			word.Reset()
		}
	}
	glueNext := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			flush()
			if len(toks) > 0 && toks[len(toks)-1] != " " {
				toks = append(toks, " ")
			}
			glueNext = false
		case unicode.IsControl(r):
		case isClosing(r):
			if word.Len() == 0 && len(toks) > 0 && toks[len(toks)-1] != " " {
				toks[len(toks)-1] += string(r)
			} else {
				word.WriteRune(r)
			}
		case isOpening(r):
			if !glueNext {
				flush()
			}
			word.WriteRune(r)
			glueNext = true
		case isCJK(r):
			if !glueNext {
				flush()
			}
			word.WriteRune(r)
			flush()
			glueNext = false
		default:
			word.WriteRune(r)
			glueNext = false
		}
	}
	flush()
	return toks
}

func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) ||
		(r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF)
}

func isClosing(r rune) bool {
	return strings.ContainsRune("，。、；：？！）」』】》〉”’,.;:?!)]}%", r)
}

func isOpening(r rune) bool { return strings.ContainsRune("（「『【《〈“‘", r) }
