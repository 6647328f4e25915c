package escpos

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the preview PNGs in docs/printing")

const previewDir = "../../docs/printing"

// TestPreviews keeps docs/printing's PNGs equal to what is printed: they are
// written when missing or with -update, and otherwise must match.
func TestPreviews(t *testing.T) {
	previews := []struct {
		file  string
		doc   *Doc
		paper Paper
	}{
		{"receipt-58mm-zh.png", ReceiptDoc(sampleReceipt(), "zh"), Width58},
		{"receipt-80mm-zh.png", ReceiptDoc(sampleReceipt(), "zh"), Width80},
		{"ticket-58mm-zh.png", TicketDoc(sampleTicket("zh"), "zh"), Width58},
		{"ticket-80mm-en.png", TicketDoc(sampleTicket("en"), "en"), Width80},
	}
	for _, pv := range previews {
		t.Run(pv.file, func(t *testing.T) {
			img := render(t, pv.doc, pv.paper)
			path := filepath.Join(previewDir, pv.file)
			if _, err := os.Stat(path); *update || os.IsNotExist(err) {
				var buf bytes.Buffer
				if err := png.Encode(&buf, img); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := png.Decode(f)
			if err != nil {
				t.Fatalf("%s does not decode: %v", path, err)
			}
			if got.Bounds().Dx() != pv.paper.Dots() {
				t.Fatalf("%s is %d dots wide, want %d", path, got.Bounds().Dx(), pv.paper.Dots())
			}
			if !sameImage(got, img) {
				t.Fatalf("%s is out of date: run go test ./app/escpos -run TestPreviews -update", path)
			}
		})
	}
}

func sameImage(a image.Image, b *image.Paletted) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := b.Rect.Min.Y; y < b.Rect.Max.Y; y++ {
		for x := b.Rect.Min.X; x < b.Rect.Max.X; x++ {
			r, _, _, _ := a.At(x, y).RGBA()
			if (r < 0x8000) != (b.Pix[b.PixOffset(x, y)] == 1) {
				return false
			}
		}
	}
	return true
}
