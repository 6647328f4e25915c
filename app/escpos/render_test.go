package escpos

import (
	"errors"
	"image"
	"strings"
	"sync"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
)

func TestRenderWidthAndColours(t *testing.T) {
	for _, p := range []Paper{Width58, Width80} {
		t.Run(p.String(), func(t *testing.T) {
			img := render(t, ReceiptDoc(sampleReceipt(), "zh"), p)
			if img.Bounds().Dx() != p.Dots() {
				t.Fatalf("width %d, want %d", img.Bounds().Dx(), p.Dots())
			}
			for _, v := range img.Pix {
				if v > 1 {
					t.Fatalf("palette index %d, want only 0 (white) and 1 (black)", v)
				}
			}
			ink := inkBox(img)
			m := p.style().margin
			if ink.Min.X < m || ink.Max.X > p.Dots()-m {
				t.Errorf("ink %v outside the margins of %d dots", ink, m)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	long := strings.Repeat("x", 2300) // QR version 40: 185 modules with the quiet zone
	tests := []struct {
		name  string
		doc   *Doc
		paper Paper
		want  error
	}{
		{"unknown paper", NewDoc().Text("a").WithFonts(fonts(t)), Paper(100), ErrBadPaper},
		{"no font", NewDoc().Text("a").WithFonts(Fonts{}), Width58, ErrNoFont},
		{"QR too big for 58mm", NewDoc().QR(long).WithFonts(fonts(t)), Width58, ErrTooWide},
		{"QR beyond any version", NewDoc().QR(long + long).WithFonts(fonts(t)), Width80, ErrTooWide},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.doc.Render(tt.paper); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	// The same long payload fits on 80 mm with smaller modules.
	if _, err := NewDoc().QR(long).WithFonts(fonts(t)).Render(Width80); err != nil {
		t.Errorf("2300-byte QR on 80mm: %v", err)
	}
}

// TestChineseIsDrawn checks that Chinese characters come out as their own
// glyphs, not as the empty box a font draws for characters it lacks.
func TestChineseIsDrawn(t *testing.T) {
	missing := render(t, NewDoc().Text("\ue000"), Width58) // private use: .notdef
	zhong := render(t, NewDoc().Text("中"), Width58)
	guo := render(t, NewDoc().Text("国"), Width58)
	if inkBox(zhong).Empty() {
		t.Fatal("中 printed nothing")
	}
	if samePixels(zhong, missing) || samePixels(zhong, guo) {
		t.Fatal("中 looks like the missing-glyph box or like 国")
	}
}

func TestBigIsBig(t *testing.T) {
	for _, p := range []Paper{Width58, Width80} {
		t.Run(p.String(), func(t *testing.T) {
			text := inkBox(render(t, NewDoc().Text("A023"), p))
			big := inkBox(render(t, NewDoc().Big("A023"), p))
			if big.Dy() < 4*text.Dy() || big.Dx() < p.Dots()/2 {
				t.Errorf("Big ink %v vs text ink %v: want at least 4x as tall and half the paper wide", big.Size(), text.Size())
			}
			if big.Dx() > p.Dots()-2*p.style().margin {
				t.Errorf("Big ink %d wide does not fit %d", big.Dx(), p.Dots())
			}
		})
	}
}

func TestRule(t *testing.T) {
	img := render(t, NewDoc().Rule(), Width80)
	m := Width80.style().margin
	full := 0
	for y := range img.Bounds().Dy() {
		black := 0
		for x := m; x < Width80.Dots()-m; x++ {
			black += int(img.Pix[img.PixOffset(x, y)])
		}
		if black == Width80.Dots()-2*m {
			full++
		}
	}
	if full != Width80.style().ruleThick {
		t.Errorf("%d full-width black rows, want %d", full, Width80.style().ruleThick)
	}
}

func TestFeedAddsHeight(t *testing.T) {
	a := render(t, NewDoc().Text("a"), Width58)
	b := render(t, NewDoc().Text("a").Feed(3), Width58)
	l := layout{st: Width58.style()}
	if got, want := b.Bounds().Dy()-a.Bounds().Dy(), 3*l.lineHeight(Width58.style().text); got != want {
		t.Errorf("Feed(3) added %d rows, want %d", got, want)
	}
}

func TestWrap(t *testing.T) {
	face, err := opentype.NewFace(fonts(t).Regular.f, &opentype.FaceOptions{Size: 24, DPI: 72})
	if err != nil {
		t.Fatal(err)
	}
	defer face.Close()
	const max = 200
	tests := []struct {
		name, text string
		join       string // how the lines go back together
		minLines   int
	}{
		{"chinese by character", "请携带居民身份证原件及复印件，近期一寸免冠彩色照片两张。", "", 3},
		{"english by word", "Please bring your identity card and a recent photograph to the counter", " ", 3},
		{"long word broken", "https://gov.example.cn/track/320320250314000123", "", 2},
		{"mixed", "材料：Tenancy contract 租房合同", " ", 2},
		{"short", "A023", "", 1},
		{"empty", "", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := wrap(face, tt.text, max)
			if len(lines) < tt.minLines {
				t.Errorf("%d lines %q, want at least %d", len(lines), lines, tt.minLines)
			}
			for _, l := range lines {
				if w := font.MeasureString(face, l).Ceil(); w > max {
					t.Errorf("line %q is %d dots, over %d", l, w, max)
				}
				if r := []rune(l); len(r) > 0 && isClosing(r[0]) {
					t.Errorf("line %q starts with closing punctuation", l)
				}
			}
			if tt.join == " " {
				if got := strings.Join(lines, " "); strings.ReplaceAll(got, " ", "") != strings.ReplaceAll(tt.text, " ", "") {
					t.Errorf("lines %q lost text", lines)
				}
				for _, l := range lines[:len(lines)-1] { // English words stay whole
					for _, w := range strings.Fields(l) {
						if !strings.Contains(" "+tt.text+" ", " "+w+" ") && isASCII(w) {
							t.Errorf("word %q was split", w)
						}
					}
				}
			} else if got := strings.Join(lines, ""); got != tt.text {
				t.Errorf("lines %q join to %q, want %q", lines, got, tt.text)
			}
		})
	}
}

func isASCII(s string) bool {
	for _, r := range s {
		if r > 127 {
			return false
		}
	}
	return true
}

func TestRenderConcurrently(t *testing.T) {
	want := render(t, TicketDoc(sampleTicket("zh"), "zh"), Width58)
	var wg sync.WaitGroup
	imgs := make([]*image.Paletted, 4)
	errs := make([]error, 4)
	for i := range imgs {
		wg.Go(func() { imgs[i], errs[i] = TicketDoc(sampleTicket("zh"), "zh").Render(Width58) })
	}
	wg.Wait()
	for i := range imgs {
		if errs[i] != nil || !samePixels(imgs[i], want) {
			t.Fatalf("render %d: err %v or different pixels", i, errs[i])
		}
	}
}
