package escpos

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"testing"

	"github.com/skip2/go-qrcode"
)

type job struct {
	name  string
	doc   func() *Doc
	paper Paper
	qr    string
}

func jobs() []job {
	r, t := sampleReceipt(), sampleTicket("zh")
	var out []job
	for _, p := range []Paper{Width58, Width80} {
		out = append(out,
			job{"receipt-" + p.String(), func() *Doc { return ReceiptDoc(r, "zh") }, p, r.QRPayload},
			job{"ticket-" + p.String(), func() *Doc { return TicketDoc(t, "en") }, p, t.QRPayload},
		)
	}
	return out
}

// TestStreamRoundTrip decodes what Encode made of each template and checks
// it against the rendered bitmap.
func TestStreamRoundTrip(t *testing.T) {
	for _, j := range jobs() {
		t.Run(j.name, func(t *testing.T) {
			img := render(t, j.doc(), j.paper)
			stream := Encode(img)
			d, err := Decode(stream)
			if err != nil {
				t.Fatal(err)
			}
			if d.Inits != 1 || d.Commands[0].Name != "ESC @ init" || d.Commands[0].Offset != 0 {
				t.Errorf("init: %d seen, first command %+v; want one, first", d.Inits, d.Commands[0])
			}
			if d.Image == nil || d.Image.Bounds().Dx() != j.paper.Dots() {
				t.Fatalf("decoded image %v, want %d dots wide", d.Image.Bounds(), j.paper.Dots())
			}
			if !samePixels(d.Image, img) {
				t.Fatal("decoded image differs from the rendered one")
			}
			wantBands := (img.Bounds().Dy() + BandRows - 1) / BandRows
			if len(d.Bands) != wantBands {
				t.Errorf("%d bands, want %d", len(d.Bands), wantBands)
			}
			for _, b := range d.Bands {
				if b.Rows > BandRows || b.Width != j.paper.Dots() {
					t.Errorf("band %+v: want at most %d rows, %d dots", b, BandRows, j.paper.Dots())
				}
			}
			if len(d.Cuts) != 1 || !d.Cuts[0].Partial {
				t.Fatalf("cuts %+v, want exactly one partial cut", d.Cuts)
			}
			last := d.Commands[len(d.Commands)-1]
			if last.Offset != d.Cuts[0].Offset || last.End != len(stream) {
				t.Errorf("last command %+v, want the cut ending the stream (%d bytes)", last, len(stream))
			}
			if feed := d.Commands[len(d.Commands)-2]; feed.Name != "ESC d feed lines" || d.Feeds != FeedLines {
				t.Errorf("before the cut: %+v and %d lines fed, want ESC d %d", feed, d.Feeds, FeedLines)
			}
			if len(d.Unknown) != 0 || len(d.Text) != 0 {
				t.Errorf("unknown commands %+v, text %q: want none", d.Unknown, d.Text)
			}
			if !containsQR(d.Image, j.qr) {
				t.Error("the QR code's module pattern is not in the printed image")
			}
		})
	}
}

// containsQR looks for go-qrcode's own bitmap of payload, scaled by some
// whole module size and centred, in img.
func containsQR(img *image.Paletted, payload string) bool {
	q, err := qrcode.New(payload, qrcode.Medium)
	if err != nil {
		return false
	}
	bm := q.Bitmap()
	w := img.Bounds().Dx()
	for m := 2; m <= 10; m++ {
		size := len(bm) * m
		x0 := (w - size) / 2
		for y0 := 0; y0+size <= img.Bounds().Dy(); y0++ {
			if qrAt(img, bm, m, x0, y0) {
				return true
			}
		}
	}
	return false
}

func qrAt(img *image.Paletted, bm [][]bool, m, x0, y0 int) bool {
	for r, row := range bm {
		for c, black := range row {
			want := uint8(0)
			if black {
				want = 1
			}
			for dy := range m {
				for dx := range m {
					if img.Pix[img.PixOffset(x0+c*m+dx, y0+r*m+dy)] != want {
						return false
					}
				}
			}
		}
	}
	return true
}

func TestEncodeAnyImage(t *testing.T) {
	// 10 dots wide: padded to 16 with white; grey levels thresholded at the middle.
	g := image.NewGray(image.Rect(0, 0, 10, 3))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	g.SetGray(0, 0, color.Gray{0})
	g.SetGray(9, 1, color.Gray{100})
	g.SetGray(5, 2, color.Gray{200}) // light grey: white
	stream := Encode(g)
	want := []byte{0x1B, '@', 0x1D, 'v', '0', 0, 2, 0, 3, 0,
		0x80, 0x00,
		0x00, 0x40,
		0x00, 0x00,
		0x1B, 'd', FeedLines, 0x1D, 'V', 1}
	if !bytes.Equal(stream, want) {
		t.Fatalf("stream\n% X\nwant\n% X", stream, want)
	}
	d, err := Decode(stream)
	if err != nil {
		t.Fatal(err)
	}
	if d.Image.Bounds().Dx() != 16 || d.Image.Pix[d.Image.PixOffset(9, 1)] != 1 || d.Image.Pix[d.Image.PixOffset(5, 2)] != 0 {
		t.Errorf("decoded %v wrongly", d.Image.Bounds())
	}
}

func TestDecodeOtherCommands(t *testing.T) {
	stream := []byte{
		0x1B, '@', // 0 init
		0x1B, 'a', 1, // 2 centre
		0x1C, '&', // 5 Chinese mode
		'H', 'i', 0x0A, // 7 text, LF at 9
		0x1B, 'z', // 10 unknown ESC z
		0x07,             // 12 unknown byte (bell)
		0x1D, 'V', 66, 3, // 13 feed and partial cut
	}
	d, err := Decode(stream)
	if err != nil {
		t.Fatal(err)
	}
	if string(d.Text) != "Hi" || d.Feeds != 1 || d.Inits != 1 || d.Image != nil {
		t.Errorf("text %q, feeds %d, inits %d, image %v", d.Text, d.Feeds, d.Inits, d.Image)
	}
	want := []Command{{"ESC 0x7A", 10, 12}, {"byte 0x07", 12, 13}}
	if fmt.Sprint(d.Unknown) != fmt.Sprint(want) {
		t.Errorf("unknown %+v, want %+v", d.Unknown, want)
	}
	if len(d.Cuts) != 1 || d.Cuts[0] != (Cut{Offset: 13, Partial: true}) {
		t.Errorf("cuts %+v", d.Cuts)
	}
}

func TestDecodeBroken(t *testing.T) {
	good := Encode(image.NewGray(image.Rect(0, 0, 16, 30)))
	tests := []struct {
		name   string
		stream []byte
		want   error
	}{
		{"cut inside band data", good[:20], ErrTruncated},
		{"cut inside band header", good[:6], ErrTruncated},
		{"lone ESC", []byte{0x1B}, ErrTruncated},
		{"cut without mode", []byte{0x1D, 'V'}, ErrTruncated},
		{"bad cut mode", []byte{0x1D, 'V', 9}, ErrMalformed},
		{"scaled raster", []byte{0x1D, 'v', '0', 3, 1, 0, 1, 0, 0xFF}, ErrMalformed},
		{"bands of two widths", append([]byte{0x1D, 'v', '0', 0, 1, 0, 1, 0, 0xFF}, 0x1D, 'v', '0', 0, 2, 0, 1, 0, 0xFF, 0xFF), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Decode(tt.stream); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func BenchmarkReceipt80(b *testing.B) {
	fs := fonts(b)
	r := sampleReceipt()
	var n int
	for b.Loop() {
		img, err := ReceiptDoc(r, "zh").WithFonts(fs).Render(Width80)
		if err != nil {
			b.Fatal(err)
		}
		n = len(Encode(img))
	}
	b.ReportMetric(float64(n), "stream-bytes")
}
