package kiosk

import (
	"time"

	"civicdesk/app/catalog"
	"civicdesk/app/staff"
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
	return c
}
