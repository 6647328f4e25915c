package mobile

import (
	"time"

	"fyne.io/fyne/v2"

	"civicdesk/app/imaging"
	"civicdesk/app/ui"
)

// Config tunes the phone shell; the zero value gives the defaults.
type Config struct {
	// Settings keeps the resident's choices (default: the store's plain
	// settings, MetaSettings(d.Store)).
	Settings SettingsStore
	// Notify shows a system notification (default: the Fyne app's).
	Notify func(title, body string)
	// Clock is the time (default time.Now).
	Clock func() time.Time
	// DataSaverChanged is told when the resident turns the data saver on
	// or off (nil: nobody listens).
	DataSaverChanged func(on bool)
	// Theme is the one theme; the shell applies it and flips its
	// large-text toggle (default ui.NewTheme(1)).
	Theme *ui.Theme
	// MaxPhotoSide is the longest side photos are shrunk to before they
	// are queued (default imaging.DefaultMaxSide, 1600 px).
	MaxPhotoSide int
	// NoInteractions: the backend takes no ratings or feedback (an Open311
	// endpoint), so nothing of the kind is queued: it would wait on the
	// phone for ever. The Services tab's way to rate or give feedback,
	// an application's "Rate this service" and My applications' "My ratings
	// and messages" are not shown, and the receipt offers no rating
	// (ui.Deps.Rate stays nil).
	NoInteractions bool
}

func (c Config) withDefaults(d *ui.Deps) Config {
	if c.Settings == nil {
		c.Settings = MetaSettings(d.Store)
	}
	if c.Notify == nil {
		c.Notify = func(title, body string) {
			if a := fyne.CurrentApp(); a != nil {
				a.SendNotification(fyne.NewNotification(title, body))
			}
		}
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Theme == nil {
		c.Theme = ui.NewTheme(1)
	}
	if c.MaxPhotoSide <= 0 {
		c.MaxPhotoSide = imaging.DefaultMaxSide
	}
	return c
}
