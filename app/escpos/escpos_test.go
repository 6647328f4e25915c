package escpos

import (
	"image"
	"testing"
	"time"
)

// shanghai is a fixed zone so that test output does not depend on the machine.
var shanghai = time.FixedZone("CST", 8*3600)

func sampleReceipt() ReceiptData {
	return ReceiptData{
		Hall:       "鼓楼区政务服务中心",
		Service:    "居住证办理（首次申领）",
		TrackingNo: "320320250314000123",
		VerifyCode: "057401",
		Time:       time.Date(2025, 3, 14, 9, 41, 0, 0, shanghai),
		Materials: []string{
			"居民身份证原件及复印件",
			"近期一寸免冠彩色照片 2 张",
			"房屋租赁合同或房产证明（Tenancy contract or proof of ownership）",
		},
		QRPayload: "civicdesk://track?no=320320250314000123&code=057401",
	}
}

func sampleTicket(lang string) TicketData {
	t := TicketData{
		Hall:      "鼓楼区政务服务中心",
		Counter:   "社保医保综合窗口",
		Number:    "A023",
		Waiting:   7,
		Time:      time.Date(2025, 3, 14, 9, 38, 0, 0, shanghai),
		QRPayload: "https://gov.example.cn/q/CY-K03-20250314-A023",
	}
	if lang == "en" {
		t.Hall = "Gulou District Government Service Centre"
		t.Counter = "Social security and health insurance"
	}
	return t
}

// fonts loads the system fonts once per test binary; the Makefile installs them.
func fonts(tb testing.TB) Fonts {
	tb.Helper()
	fs, err := DefaultFonts()
	if err != nil {
		tb.Fatal(err)
	}
	return fs
}

func render(tb testing.TB, d *Doc, p Paper) *image.Paletted {
	tb.Helper()
	img, err := d.WithFonts(fonts(tb)).Render(p)
	if err != nil {
		tb.Fatal(err)
	}
	return img
}

// inkBox is the bounding box of the black dots of img (empty when none).
func inkBox(img *image.Paletted) image.Rectangle {
	var box image.Rectangle
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.Pix[img.PixOffset(x, y)] == 1 {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return box
}

func samePixels(a, b *image.Paletted) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			if a.Pix[a.PixOffset(x, y)] != b.Pix[b.PixOffset(x, y)] {
				return false
			}
		}
	}
	return true
}
