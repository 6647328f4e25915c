package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"testing"
)

// photo is a w x h picture with texture (so that a JPEG of it is big) and a
// dark top-left quarter (so that the orientation can be checked).
func photo(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for y := range h {
		for x := range w {
			v := uint8(150 + r.IntN(100))
			if x < w/2 && y < h/2 {
				v = uint8(r.IntN(40))
			}
			img.SetRGBA(x, y, color.RGBA{v, v, v, 255})
		}
	}
	return img
}

func encodeJPEG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withOrientation inserts an EXIF APP1 segment with the orientation tag
// right after a JPEG's start-of-image marker.
func withOrientation(jpg []byte, o uint16) []byte {
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1}
	entry := make([]byte, 12)
	binary.BigEndian.PutUint16(entry[0:], 0x0112)
	binary.BigEndian.PutUint16(entry[2:], 3) // SHORT
	binary.BigEndian.PutUint32(entry[4:], 1)
	binary.BigEndian.PutUint16(entry[8:], o)
	tiff = append(append(tiff, entry...), 0, 0, 0, 0)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(app1[2:], uint16(len(seg)+2))
	out := append([]byte{}, jpg[:2]...)
	out = append(append(out, app1...), seg...)
	return append(out, jpg[2:]...)
}

// hugePNG is a valid PNG header claiming w x h pixels (no pixel data).
func hugePNG(t *testing.T, w, h uint32) []byte {
	t.Helper()
	small := encodePNG(t, image.NewGray(image.Rect(0, 0, 1, 1)))
	ihdr := small[8 : 8+25] // length, "IHDR", 13 bytes, CRC
	binary.BigEndian.PutUint32(ihdr[8:], w)
	binary.BigEndian.PutUint32(ihdr[12:], h)
	binary.BigEndian.PutUint32(ihdr[21:], crc32.ChecksumIEEE(ihdr[4:21]))
	return small
}

func TestDownscale(t *testing.T) {
	big := encodeJPEG(t, photo(3000, 2000))
	tall := encodeJPEG(t, photo(1200, 2400))
	alpha := image.NewNRGBA(image.Rect(0, 0, 2000, 1000))
	draw.Draw(alpha, alpha.Bounds(), photo(2000, 1000), image.Point{}, draw.Src)
	for y := range 500 {
		for x := 1000; x < 2000; x++ {
			alpha.SetNRGBA(x, y, color.NRGBA{}) // top-right quarter transparent
		}
	}
	smallPNG := encodePNG(t, photo(800, 600))
	pdf := []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\n")
	for _, tc := range []struct {
		name     string
		in       []byte
		wantType string
		w, h     int // 0: unchanged bytes
	}{
		{"large JPEG shrinks to 1600 on the long side", big, "image/jpeg", 1600, 1067},
		{"portrait JPEG", tall, "image/jpeg", 800, 1600},
		{"large PNG becomes a JPEG", encodePNG(t, alpha), "image/jpeg", 1600, 800},
		{"turned JPEG is made upright", withOrientation(big, 6), "image/jpeg", 1067, 1600},
		{"small PNG unchanged", smallPNG, "image/png", 0, 0},
		{"PDF unchanged", pdf, "application/pdf", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, typ, err := Downscale(tc.in, DefaultMaxSide)
			if err != nil {
				t.Fatal(err)
			}
			if typ != tc.wantType {
				t.Fatalf("type %q, want %q", typ, tc.wantType)
			}
			if tc.w == 0 {
				if !bytes.Equal(out, tc.in) {
					t.Fatal("bytes changed, want them unchanged")
				}
				return
			}
			if len(out) >= len(tc.in) {
				t.Fatalf("%d bytes -> %d: not smaller", len(tc.in), len(out))
			}
			img, err := jpeg.Decode(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("the result is not a JPEG: %v", err)
			}
			if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
				t.Fatalf("size %dx%d, want %dx%d", b.Dx(), b.Dy(), tc.w, tc.h)
			}
			if tc.name == "large PNG becomes a JPEG" {
				if r, g, b, _ := img.At(1200, 100).RGBA(); r>>8 < 240 || g>>8 < 240 || b>>8 < 240 {
					t.Fatalf("a transparent area came out (%d,%d,%d), want white", r>>8, g>>8, b>>8)
				}
			}
			if exifOrientation(out) != 1 {
				t.Fatal("the result still carries an orientation")
			}
		})
	}
}

func TestOrientationApplied(t *testing.T) {
	// Orientation 6: the camera held turned; the dark quarter, top-left as
	// stored, must end up top-right once upright.
	out, _, err := Downscale(withOrientation(encodeJPEG(t, photo(3200, 1600)), 6), 1600)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	lum := func(x, y int) uint32 { r, _, _, _ := img.At(x, y).RGBA(); return r >> 8 }
	b := img.Bounds() // 800 x 1600
	if tr, tl := lum(b.Dx()*3/4, b.Dy()/4), lum(b.Dx()/4, b.Dy()/4); tr > 80 || tl < 120 {
		t.Fatalf("top-right %d, top-left %d: the dark quarter is not top-right", tr, tl)
	}
}

func TestDownscaleErrors(t *testing.T) {
	big := encodeJPEG(t, photo(2000, 2000))
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"truncated JPEG", big[:len(big)/3], ErrUnreadable},
		{"JPEG header only", big[:20], ErrUnreadable},
		{"decompression bomb", hugePNG(t, 20000, 20000), ErrTooManyPixels},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Downscale(tc.in, DefaultMaxSide)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

func TestFit(t *testing.T) {
	for _, tc := range []struct{ w, h, side, ww, wh int }{
		{4000, 3000, 1600, 1600, 1200},
		{3000, 4000, 1600, 1200, 1600},
		{10000, 2, 1600, 1600, 1},
	} {
		if w, h := fit(tc.w, tc.h, tc.side); w != tc.ww || h != tc.wh {
			t.Errorf("fit(%d,%d,%d) = %d,%d want %d,%d", tc.w, tc.h, tc.side, w, h, tc.ww, tc.wh)
		}
	}
}
