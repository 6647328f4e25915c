package catalog

import (
	"fmt"
	"testing"
	"time"
)

// testNow is the pinned clock of the tests: 15 November 2026, 10:00 in Xuzhou.
var testNow = time.Date(2026, 11, 15, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// makeID completes 17 digits with their check character, computed here
// independently of IDCheckChar.
func makeID(t testing.TB, first17 string) string {
	t.Helper()
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	if len(first17) != 17 {
		t.Fatalf("makeID: need 17 digits, got %d", len(first17))
	}
	sum := 0
	for i, c := range first17 {
		sum += int(c-'0') * w[i]
	}
	return first17 + string("10X98765432"[sum%11])
}

// wrongCheck returns id with a check character that does not match.
func wrongCheck(id string) string {
	last := byte('0')
	if id[17] == '0' {
		last = '1'
	}
	return id[:17] + string(last)
}

func TestIDCheckChar(t *testing.T) {
	// 11010519491231002X is the example of GB 11643 itself.
	if c, ok := IDCheckChar("11010519491231002"); !ok || c != 'X' {
		t.Fatalf("IDCheckChar(standard example) = %q, %v; want 'X', true", c, ok)
	}
	for _, bad := range []string{"", "1101051949123100", "1101051949123100a", "110105194912310021"} {
		if _, ok := IDCheckChar(bad); ok {
			t.Errorf("IDCheckChar(%q) ok; want false", bad)
		}
	}
}

func TestCheckIDNumber(t *testing.T) {
	valid := makeID(t, "32030219850612003")
	tests := []struct {
		name, id, want string
	}{
		{"standard example", "11010519491231002X", ""},
		{"lowercase x", "11010519491231002x", ""},
		{"computed", valid, ""},
		{"born today", makeID(t, "32030220261115001"), ""},
		{"leap day", makeID(t, "32031220000229002"), ""},
		{"bad checksum", wrongCheck(valid), CodeIDNumberChecksum},
		{"bad checksum of X", "110105194912310021", CodeIDNumberChecksum},
		{"too short", valid[:17], CodeIDNumberLength},
		{"too long", valid + "1", CodeIDNumberLength},
		{"empty", "", CodeIDNumberLength},
		{"15-digit old format", "320302850612003", CodeIDNumberLength},
		{"letter inside", "3203021985061200A3", CodeIDNumberFormat},
		{"wrong last letter", "11010519491231002Y", CodeIDNumberFormat},
		{"space", " 1010519491231002X", CodeIDNumberFormat},
		{"full-width digits", "１１０１０５１９４９１２３１００２Ｘ", CodeIDNumberFormat},
		{"multibyte, 18 runes", "11010519491231002é", CodeIDNumberFormat},
		{"Feb 30", makeID(t, "32030219850230003"), CodeIDNumberBirthDate},
		{"Feb 29 not leap", makeID(t, "32030219010229003"), CodeIDNumberBirthDate},
		{"month 13", makeID(t, "32030219851301003"), CodeIDNumberBirthDate},
		{"tomorrow", makeID(t, "32030220261116001"), CodeIDNumberBirthDate},
		{"far future", makeID(t, "32030220990101001"), CodeIDNumberBirthDate},
		{"year 0000", makeID(t, "32030200000101001"), CodeIDNumberBirthDate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckIDNumber(tt.id, testNow); got != tt.want {
				t.Errorf("CheckIDNumber = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestCheckIDNumberUsesLocalDate(t *testing.T) {
	// At 01:00 on 16 November in Xuzhou it is still the 15th in UTC: a
	// child born on the 16th is born "today" for the hall.
	id := makeID(t, "32030220261116001")
	now := time.Date(2026, 11, 16, 1, 0, 0, 0, time.FixedZone("CST", 8*3600))
	if got := CheckIDNumber(id, now); got != "" {
		t.Errorf("CheckIDNumber at local midnight+1h = %q; want valid", got)
	}
}

func TestCheckPhone(t *testing.T) {
	tests := []struct {
		phone string
		ok    bool
	}{
		{"13812345678", true},
		{"19912345678", true},
		{"16612345678", true},
		{"12812345678", false}, // second digit 2
		{"10812345678", false},
		{"23812345678", false},
		{"1381234567", false},
		{"138123456789", false},
		{"138-1234-567", false},
		{"+8613812345678", false},
		{"1381234567a", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.phone, func(t *testing.T) {
			want := CodePhoneInvalid
			if tt.ok {
				want = ""
			}
			if got := CheckPhone(tt.phone); got != want {
				t.Errorf("CheckPhone = %q; want %q", got, want)
			}
		})
	}
}

func TestCheckEmail(t *testing.T) {
	tests := []struct {
		email string
		ok    bool
	}{
		{"li.na@example.com", true},
		{"wang+hall@mail.xz.gov.cn", true},
		{"li.na@localhost", false},
		{"Li Na <li.na@example.com>", false},
		{"<li.na@example.com>", false},
		{"li.na@", false},
		{"@example.com", false},
		{"li na@example.com", false},
		{"li.na@example.com.", false},
		{"li@[127.0.0.1]", false},
		{"plain", false},
	}
	for _, tt := range tests {
		t.Run(tt.email, func(t *testing.T) {
			want := CodeEmailInvalid
			if tt.ok {
				want = ""
			}
			if got := CheckEmail(tt.email); got != want {
				t.Errorf("CheckEmail = %q; want %q", got, want)
			}
		})
	}
}

// TestCheckIDNumberEveryCheckChar covers all eleven check characters: the
// right one passes and each of the ten others is a checksum error.
func TestCheckIDNumberEveryCheckChar(t *testing.T) {
	seen := map[byte]bool{}
	for seq := 100; len(seen) < 11 && seq < 1000; seq++ {
		id := makeID(t, fmt.Sprintf("32030219900101%03d", seq))
		if seen[id[17]] {
			continue
		}
		seen[id[17]] = true
		t.Run(id[17:], func(t *testing.T) {
			if got := CheckIDNumber(id, testNow); got != "" {
				t.Fatalf("valid number refused: %q", got)
			}
			for _, c := range []byte("0123456789X") {
				if c != id[17] {
					if got := CheckIDNumber(id[:17]+string(c), testNow); got != CodeIDNumberChecksum {
						t.Errorf("check %c accepted as %q; want checksum", c, got)
					}
				}
			}
		})
	}
	if len(seen) != 11 {
		t.Fatalf("covered %d check characters; want 11", len(seen))
	}
}
