package handoff

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// pack wraps any bytes as a code with a correct checksum, deflating them
// first unless raw is set: for building damaged codes that pass the
// checksum.
func pack(t testing.TB, content []byte, raw bool) string {
	t.Helper()
	packed := content
	if !raw {
		var z bytes.Buffer
		fw, _ := flate.NewWriter(&z, flate.BestCompression)
		fw.Write(content)
		fw.Close()
		packed = z.Bytes()
	}
	sum := sha256.Sum256(packed)
	return Prefix + base64.RawURLEncoding.EncodeToString(append(bytes.Clone(packed), sum[:sumLen]...))
}

// sampleCode is a valid code with attachments left out.
func sampleCode(t testing.TB) string {
	t.Helper()
	a, svc := sampleApp(t, "residence_permit")
	text, err := Encode(a, svc)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

const goodID = `"id":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"`

func TestDecodeRefuses(t *testing.T) {
	valid := sampleCode(t)
	deflated := func(s string) []byte { return []byte(s) }
	bomb := append([]byte(`{"v":1,`+goodID+`,"service":"x","service_version":1,"values":{"a":"`), make([]byte, 1<<20)...)
	bomb = append(bomb, `"}}`...)
	for _, c := range []struct {
		name string
		text string
		want error
	}{
		{"empty", "", ErrMalformed},
		{"a receipt link", "civicdesk://track?no=3203202611270000001&code=123456", ErrNotHandoff},
		{"a tracking number", "3203202611270000001", ErrNotHandoff},
		{"lower-case prefix", "cdh1:" + valid[len(Prefix):], ErrNotHandoff},
		{"no colon", "CDH1" + valid[len(Prefix):], ErrNotHandoff},
		{"version zero", "CDH0:" + valid[len(Prefix):], ErrNotHandoff},
		{"version with a leading zero", "CDH01:" + valid[len(Prefix):], ErrNotHandoff},
		{"a newer format", "CDH2:" + valid[len(Prefix):], ErrVersion},
		{"a much newer format", "CDH17:whatever", ErrVersion},
		{"newer version inside", pack(t, deflated(`{"v":2,`+goodID+`,"service":"x","service_version":1,"values":{}}`), false), ErrVersion},
		{"prefix only", Prefix, ErrMalformed},
		{"a space inside", valid[:40] + " " + valid[40:], ErrMalformed},
		{"a newline inside", valid[:40] + "\n" + valid[40:], ErrMalformed},
		{"padding", valid + "=", ErrMalformed},
		{"standard base64 characters", valid[:40] + "+/" + valid[42:], ErrMalformed},
		{"too long", Prefix + strings.Repeat("A", MaxText), ErrMalformed},
		{"not deflate", pack(t, []byte{0xff, 0xfe, 0xfd, 0xfc, 0x00, 0x01}, true), ErrMalformed},
		{"deflate bomb", pack(t, bomb, false), ErrMalformed},
		{"data after the stream", pack(t, append(mustDeflate(t, `{"v":1}`), 0, 0, 0), true), ErrMalformed},
		{"not JSON", pack(t, deflated(`v=1;id=x`), false), ErrMalformed},
		{"a JSON array", pack(t, deflated(`[1,2,3]`), false), ErrMalformed},
		{"no version", pack(t, deflated(`{`+goodID+`,"service":"x","service_version":1,"values":{}}`), false), ErrMalformed},
		{"version zero inside", pack(t, deflated(`{"v":0,`+goodID+`,"service":"x","service_version":1,"values":{}}`), false), ErrMalformed},
		{"an unknown field", pack(t, deflated(`{"v":1,`+goodID+`,"service":"x","service_version":1,"values":{},"staff_id":"s1"}`), false), ErrMalformed},
		{"two documents", pack(t, deflated(`{"v":1,`+goodID+`,"service":"x","service_version":1,"values":{}}{}`), false), ErrMalformed},
		{"no id", pack(t, deflated(`{"v":1,"service":"x","service_version":1,"values":{}}`), false), ErrMalformed},
		{"an upper-case id", pack(t, deflated(`{"v":1,"id":"0193A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B","service":"x","service_version":1,"values":{}}`), false), ErrMalformed},
		{"no service", pack(t, deflated(`{"v":1,`+goodID+`,"service_version":1,"values":{}}`), false), ErrMalformed},
		{"a control character in the service", pack(t, deflated(`{"v":1,`+goodID+`,"service":"a\u0007","service_version":1,"values":{}}`), false), ErrMalformed},
		{"negative service version", pack(t, deflated(`{"v":1,`+goodID+`,"service":"x","service_version":-1,"values":{}}`), false), ErrMalformed},
		{"no values", pack(t, deflated(`{"v":1,`+goodID+`,"service":"x","service_version":1}`), false), ErrMalformed},
		{"an attachment in the values", pack(t, deflated(`{"v":1,`+goodID+`,"service":"x","service_version":1,"values":{"photo":{"name":"a.jpg","type":"image/jpeg","size":1,"sha256":"00"}}}`), false), ErrMalformed},
		{"a left-out field twice", pack(t, deflated(`{"v":1,`+goodID+`,"service":"x","service_version":1,"values":{},"left_out":[{"field":"photo"},{"field":"photo"}]}`), false), ErrMalformed},
		{"a left-out field answered", pack(t, deflated(`{"v":1,`+goodID+`,"service":"x","service_version":1,"values":{"photo":"x"},"left_out":[{"field":"photo"}]}`), false), ErrMalformed},
		{"a checksum that does not match", valid[:len(valid)-4] + flip(valid[len(valid)-4:]), ErrTampered},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := Decode(c.text)
			if !errors.Is(err, c.want) {
				t.Fatalf("Decode = %+v, %v; want %v", p, err, c.want)
			}
			t.Logf("%d characters: %v", len(c.text), err)
		})
	}
}

// flip changes the first character of s to another of the alphabet whose
// low bits are the same, so that the result still decodes.
func flip(s string) string {
	if s[0] == 'A' {
		return "E" + s[1:]
	}
	return "A" + s[1:]
}

func mustDeflate(t testing.TB, s string) []byte {
	var z bytes.Buffer
	fw, _ := flate.NewWriter(&z, flate.BestCompression)
	fw.Write([]byte(s))
	fw.Close()
	return z.Bytes()
}

func TestDecodeToleratesSurroundingSpace(t *testing.T) {
	valid := sampleCode(t)
	if _, err := Decode("  " + valid + "\r\n"); err != nil {
		t.Fatal(err)
	}
}

// A code cut short anywhere is damaged or fails its checksum: never a
// panic, never an application.
func TestDecodeTruncated(t *testing.T) {
	valid := sampleCode(t)
	for n := 0; n < len(valid); n++ {
		_, err := Decode(valid[:n])
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTampered) {
			t.Fatalf("cut to %d of %d characters: %v, want ErrMalformed or ErrTampered", n, len(valid), err)
		}
	}
}

// One character changed anywhere after the prefix, to any other character
// a code may hold, is caught.
func TestDecodeOneCharacterChanged(t *testing.T) {
	valid := sampleCode(t)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	tampered := 0
	for i := len(Prefix); i < len(valid); i++ {
		for _, c := range []byte(alphabet) {
			if c == valid[i] {
				continue
			}
			text := valid[:i] + string(c) + valid[i+1:]
			_, err := Decode(text)
			switch {
			case errors.Is(err, ErrTampered):
				tampered++
			case errors.Is(err, ErrMalformed):
			default:
				t.Fatalf("character %d changed to %q: %v, want ErrTampered or ErrMalformed", i, c, err)
			}
		}
	}
	if tampered == 0 {
		t.Fatal("no change was caught by the checksum: is it checked?")
	}
	// In the prefix, a change makes it another code or none at all.
	for i := range len(Prefix) {
		text := valid[:i] + "Z" + valid[i+1:]
		if _, err := Decode(text); err == nil {
			t.Fatalf("prefix character %d changed: decoded", i)
		}
	}
}

func TestIsCode(t *testing.T) {
	for text, want := range map[string]bool{
		sampleCode(t): true, "CDH1:": true, "CDH2:abc": true, " CDH1:abc ": true,
		"": false, "CDH": false, "CDH1": false, "cdh1:abc": false, "CDH0:abc": false,
		"civicdesk://track?no=1&code=2": false, "3203202611270000001": false,
	} {
		if got := IsCode(text); got != want {
			t.Errorf("IsCode(%.12q) = %v, want %v", text, got, want)
		}
	}
}
