package ui

import (
	"time"

	"civicdesk/app/i18n"
	"civicdesk/app/lifecycle"
)

// StatusText names an application status in the current language, as the
// shared screens do (for a shell's own lists and notifications).
func StatusText(l *i18n.Localizer, s lifecycle.Status) string { return statusText(l, s) }

// FileSize says how big a file is in the current language ("380 KB").
func FileSize(l *i18n.Localizer, n int64) string { return fileSize(l, n) }

// LocalTime shows a time in the device's zone, to the minute, as the
// shared screens do.
func (d *Deps) LocalTime(t time.Time) string { return d.localTime(t) }
