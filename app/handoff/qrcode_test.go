package handoff

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/skip2/go-qrcode"
)

// The longest code Encode may return really fits one QR code at the lowest
// error correction level, as the screens render it (go-qrcode, qrcode.Low).
func TestLargestCodeFitsOneQRCode(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var b strings.Builder
	b.WriteString(Prefix)
	for b.Len() < MaxText {
		b.WriteByte(alphabet[rng.IntN(len(alphabet))])
	}
	synthetic := b.String()

	// The largest real code: free text grown until Encode refuses it.
	a, svc := sampleApp(t, "disability_certificate")
	text := ""
	lo, hi := 0, 1000 // characters of free text: lo fits, hi does not
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		a.Values["condition_description"] = randomHan(rand.New(rand.NewPCG(5, 6)), mid)
		got, err := Encode(a, svc)
		switch {
		case err == nil:
			lo, text = mid, got
		case errors.Is(err, ErrTooLarge):
			hi = mid
		default:
			t.Fatal(err)
		}
	}
	if len(text) < MaxText-8 {
		t.Fatalf("the largest real code has %d characters; expected close to MaxText (%d)", len(text), MaxText)
	}
	for name, s := range map[string]string{"synthetic, MaxText characters": synthetic, "largest real code": text} {
		t.Run(name, func(t *testing.T) {
			q, err := qrcode.New(s, qrcode.Low)
			if err != nil {
				t.Fatalf("%d characters do not fit one QR code: %v", len(s), err)
			}
			png, err := q.PNG(-4) // 4 pixels a module, as a screen shows it
			if err != nil || len(png) == 0 {
				t.Fatalf("rendering: %v", err)
			}
			t.Logf("%d characters: QR version %d (of 40), %d modules a side", len(s), q.VersionNumber, 17+4*q.VersionNumber)
			if q.VersionNumber > 40 {
				t.Fatalf("version %d", q.VersionNumber)
			}
		})
	}
	t.Logf("largest real code: %d characters of free text besides the sample's fields", lo)
}

// The typical application's code is a small QR code.
func TestTypicalCodeIsASmallQRCode(t *testing.T) {
	a, svc := typicalApp(t)
	text, err := Encode(a, svc)
	if err != nil {
		t.Fatal(err)
	}
	q, err := qrcode.New(text, qrcode.Low)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d characters: QR version %d", len(text), q.VersionNumber)
	if q.VersionNumber > 16 {
		t.Fatalf("a typical application needs QR version %d", q.VersionNumber)
	}
}
