package kiosk

import (
	"strings"
	"time"
	"unicode"

	"fyne.io/fyne/v2"

	"civicdesk/app/handoff"
)

// Scanner limits.
const (
	// ScanGap: a pause longer than this between two characters starts a new
	// code, so stray key presses do not prefix the next scan.
	ScanGap = time.Second
	// MaxScanLen bounds a code; a longer run of characters is dropped. It
	// admits the longest hand-off code from a phone (handoff.MaxText).
	MaxScanLen = handoff.MaxText
)

// Scanner turns keystrokes into scans. Hall barcode scanners behave as a
// keyboard: they type the code, then Enter. The kiosk feeds it the keys
// that reach the window canvas (when no entry has the focus).
type Scanner struct {
	now      func() time.Time
	onScan   func(code string)
	buf      []rune
	last     time.Time
	overflow bool
}

// NewScanner calls onScan with each complete code; now is the clock.
func NewScanner(now func() time.Time, onScan func(code string)) *Scanner {
	return &Scanner{now: now, onScan: onScan}
}

// TypedRune adds a character to the code being read.
func (s *Scanner) TypedRune(r rune) {
	now := s.now()
	if len(s.buf) > 0 && now.Sub(s.last) > ScanGap {
		s.Reset()
	}
	s.last = now
	if !unicode.IsPrint(r) {
		return
	}
	if len(s.buf) >= MaxScanLen {
		s.overflow = true
		return
	}
	s.buf = append(s.buf, r)
}

// TypedKey handles Enter and Return (the end of a code), Escape (drop
// it) and Backspace.
func (s *Scanner) TypedKey(k fyne.KeyName) {
	switch k {
	case fyne.KeyReturn, fyne.KeyEnter:
		code := strings.TrimSpace(string(s.buf))
		bad := s.overflow
		s.Reset()
		if code != "" && !bad && s.onScan != nil {
			s.onScan(code)
		}
	case fyne.KeyEscape:
		s.Reset()
	case fyne.KeyBackspace:
		if len(s.buf) > 0 {
			s.buf = s.buf[:len(s.buf)-1]
		}
	}
}

// Reset forgets the partial code (the session wipe calls it: it may hold
// what a resident typed).
func (s *Scanner) Reset() {
	clear(s.buf)
	s.buf = s.buf[:0]
	s.overflow = false
}
