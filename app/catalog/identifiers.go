package catalog

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

var (
	idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	idChecks  = "10X98765432"
)

// IDCheckChar returns the GB 11643 (ISO 7064 MOD 11-2) check character for
// the first 17 digits of a resident identity number, and false if first17 is
// not 17 ASCII digits.
func IDCheckChar(first17 string) (byte, bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := range 17 {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		sum += int(c-'0') * idWeights[i]
	}
	return idChecks[sum%11], true
}

// CheckIDNumber checks an 18-character resident identity number (GB 11643-1999)
// and returns "" if it is valid or one of the codes CodeIDNumberLength,
// CodeIDNumberFormat, CodeIDNumberChecksum, CodeIDNumberBirthDate. The check
// character may be a lowercase x. The birth date must exist and must not be
// later than now's date in now's location. The checksum is checked before the
// birth date, as a typing error is the likelier cause of both.
func CheckIDNumber(s string, now time.Time) string {
	if utf8.RuneCountInString(s) != 18 {
		return CodeIDNumberLength
	}
	if len(s) != 18 {
		return CodeIDNumberFormat // multi-byte characters
	}
	want, ok := IDCheckChar(s[:17])
	if !ok {
		return CodeIDNumberFormat
	}
	last := s[17]
	if last == 'x' {
		last = 'X'
	}
	if last != 'X' && (last < '0' || last > '9') {
		return CodeIDNumberFormat
	}
	if last != want {
		return CodeIDNumberChecksum
	}
	if !pastDate(s[6:14], now) {
		return CodeIDNumberBirthDate
	}
	return ""
}

// pastDate reports whether yyyymmdd is a real calendar date from 1850 on and
// not after now's date.
func pastDate(yyyymmdd string, now time.Time) bool {
	d, err := time.Parse("20060102", yyyymmdd)
	if err != nil || d.Year() < 1850 {
		return false
	}
	y, m, day := now.Date()
	return !d.After(time.Date(y, m, day, 0, 0, 0, 0, time.UTC))
}

// CheckPhone checks a mainland mobile number: 11 ASCII digits, a 1, then 3-9,
// then nine digits. It returns "" or CodePhoneInvalid.
func CheckPhone(s string) string {
	if len(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9' || !allDigits(s) {
		return CodePhoneInvalid
	}
	return ""
}

// CheckEmail checks a bare email address (no display name, no angle
// brackets) with a dotted domain. It returns "" or CodeEmailInvalid.
func CheckEmail(s string) string {
	if len(s) > 254 {
		return CodeEmailInvalid
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return CodeEmailInvalid
	}
	at := strings.LastIndexByte(s, '@')
	if domain := s[at+1:]; !strings.Contains(domain, ".") || strings.HasSuffix(domain, ".") || strings.HasPrefix(domain, "[") {
		return CodeEmailInvalid
	}
	return ""
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
