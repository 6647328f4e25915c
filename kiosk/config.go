package kiosk

import (
	"fmt"
	"log/slog"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/app/escpos"
	"civicdesk/app/staff"
	"civicdesk/app/tickets"
	"civicdesk/app/ui"
)

// Defaults of Config.
const (
	DefaultIdleAfter = 90 * time.Second
	DefaultCountdown = 15 * time.Second
	// DefaultScale is the kiosk's base text scale: a kiosk is read from
	// further away than a phone.
	DefaultScale = 1.15
)

// DefaultHallName is the hall shown on the home screen when the
// configuration names none.
var DefaultHallName = catalog.Text{
	catalog.LangZh: "徐州市鼓楼区政务服务中心",
	catalog.LangEn: "Gulou District Government Service Centre, Xuzhou",
}

// Config tunes a kiosk; the zero value gives the defaults.
type Config struct {
	// IdleAfter without input, the "Are you still there?" countdown starts.
	IdleAfter time.Duration
	// Countdown is how long it lasts before the session is wiped.
	Countdown time.Duration
	// Clock drives the guest-session timers (default SystemClock).
	Clock Clock
	// Theme is the one theme; the kiosk applies it and flips its
	// large-text and high-contrast toggles (default ui.NewTheme(DefaultScale)).
	Theme *ui.Theme
	// Staff guards staff mode (default: a guard over the deps' store).
	Staff *staff.Guard
	// HallName is shown on the home screen (default DefaultHallName).
	HallName catalog.Text
	// Notices are shown on the home screen, one line each; none: nothing.
	Notices []catalog.Text
	// AttachDir is where staff pick scanned documents from: a document
	// camera's output folder or a removable medium. Residents cannot attach
	// files on a kiosk; staff mode can.
	AttachDir string

	// KioskPrefix is this kiosk's part of its queue numbers (one or two
	// of 0-9 and A-Z without I and O, unique within the hall, e.g. "1").
	// Empty: the "Take a queue number" tile stays disabled.
	KioskPrefix string
	// HallCode names the hall on its queue numbers (e.g. "gulou-main").
	HallCode string
	// Counters are the counter categories residents take numbers for
	// (default DefaultCounters).
	Counters []Counter
	// Printer is the receipt printer's device path (e.g. /dev/usb/lp0) or
	// a file; empty: no printer, nothing is offered for printing.
	Printer string
	// Paper is the printer's roll width (default escpos.Width80).
	Paper escpos.Paper
	// NoInteractions: the backend takes no tickets, ratings or feedback
	// (an Open311 endpoint), so nothing of the kind is queued: it would
	// wait on the kiosk for ever. The home's rating tile is not shown, the
	// receipt offers no rating (ui.Deps.Rate stays nil), and queue numbers
	// are still issued, shown and printed for the hall, but not queued for
	// sending.
	NoInteractions bool
	// Logger takes what the kiosk reports for the hall's IT staff (a
	// ticket that could not be queued for the central API); never
	// personal data (default slog.Default()).
	Logger *slog.Logger
}

// Counter is one counter category of the hall.
type Counter struct {
	Category string // one letter A-Z without I and O: the first character of its numbers
	Name     catalog.Text
}

// DefaultCounters are the counter categories of a typical district hall.
var DefaultCounters = []Counter{
	{Category: "A", Name: catalog.Text{catalog.LangZh: "综合受理", catalog.LangEn: "General services"}},
	{Category: "B", Name: catalog.Text{catalog.LangZh: "社保医保", catalog.LangEn: "Social security & health insurance"}},
	{Category: "C", Name: catalog.Text{catalog.LangZh: "不动产", catalog.LangEn: "Real estate"}},
	{Category: "D", Name: catalog.Text{catalog.LangZh: "企业开办", catalog.LangEn: "Business"}},
}

// Check reports a queue-number or printer setting that cannot work, so a
// kiosk fails at start-up rather than in front of a resident. Errors wrap
// tickets.ErrConfig or escpos.ErrBadPaper. The printer itself is not probed
// (see Kiosk.PrinterState): it may be switched on later.
func (c Config) Check() error {
	if c.KioskPrefix != "" {
		if _, err := tickets.New(nil, c.HallCode, c.KioskPrefix, nil, nil); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, ct := range c.Counters {
		if !validCategory(ct.Category) {
			return fmt.Errorf("%w: counter category %q: use one letter A-Z (no I or O)", tickets.ErrConfig, ct.Category)
		}
		if seen[ct.Category] {
			return fmt.Errorf("%w: counter category %q is listed twice: give each counter its own letter", tickets.ErrConfig, ct.Category)
		}
		seen[ct.Category] = true
	}
	if c.Paper != 0 && c.Paper != escpos.Width58 && c.Paper != escpos.Width80 {
		return fmt.Errorf("paper %v: %w: use 58mm or 80mm", c.Paper, escpos.ErrBadPaper)
	}
	return nil
}

func validCategory(s string) bool {
	return len(s) == 1 && s[0] >= 'A' && s[0] <= 'Z' && s[0] != 'I' && s[0] != 'O'
}

func (c Config) withDefaults(d *ui.Deps) Config {
	if c.IdleAfter <= 0 {
		c.IdleAfter = DefaultIdleAfter
	}
	if c.Countdown <= 0 {
		c.Countdown = DefaultCountdown
	}
	if c.Clock == nil {
		c.Clock = SystemClock
	}
	if c.Theme == nil {
		c.Theme = ui.NewTheme(DefaultScale)
	}
	if c.Staff == nil {
		c.Staff = staff.NewGuard(d.Store, c.Clock.Now)
	}
	if len(c.HallName) == 0 {
		c.HallName = DefaultHallName
	}
	if len(c.Counters) == 0 {
		c.Counters = DefaultCounters
	}
	if c.Paper == 0 {
		c.Paper = escpos.Width80
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
