// Package ui holds the screens both shells (kiosk and phone) share: the
// service catalog, the form wizard, review and consent, the receipt, the
// status lookup and the sync indicator, with the theme and navigation they
// use. Screens never speak HTTP or bbolt: they call the store and the sync
// engine through Deps and listen to the engine's events.
package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/catalog"
	"civicdesk/app/i18n"
	"civicdesk/app/store"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

// Sync is what the screens need from the sync engine (*engine.Engine
// implements it; tests use a fake).
type Sync interface {
	Status() engine.Status
	Subscribe(buf int) (<-chan engine.Event, func())
	Trigger()
}

// Deps are the services a screen may use.
type Deps struct {
	Store *store.Store
	Sync  Sync
	Loc   *i18n.Localizer
	// Catalog returns the catalog in use (cached from the central API, or
	// the embedded one).
	Catalog func() *catalog.Catalog
	// Now is the clock (device time), injected so tests never sleep.
	Now func() time.Time
	// Track asks the central API about an application; nil when the device
	// has no API.
	Track func(ctx context.Context, tracking, code string) (wire.TrackResponse, error)
	// TrackURL is what a receipt's QR code encodes for a tracking number
	// and its verification code.
	TrackURL func(tracking, code string) string
	// Keypad, when set (a kiosk has no physical keyboard, and desktop Fyne
	// no virtual one), builds an on-screen keypad that types into target;
	// allowX adds the X of identity numbers. Screens put it under numeric
	// fields (phone, ID number, number, tracking number, verification code).
	// Phones leave it nil and use the system keyboard.
	Keypad func(target *widget.Entry, allowX bool) fyne.CanvasObject
	// AttachAllowed reports whether files may be attached now (nil: always).
	// A kiosk allows it in staff mode only: documents are scanned at the
	// counter, not handled by residents at a shared terminal.
	AttachAllowed func() bool
	// AttachDir, when set, is where the file dialog opens: a document
	// camera's output folder or a removable medium's mount point.
	AttachDir string
	// PrepareAttachment, when set, transforms a chosen file before it is
	// kept with the application (a phone shrinks photos of documents); an
	// error refuses the file. nil on the kiosk: files are kept as chosen.
	PrepareAttachment func(name string, data []byte) ([]byte, error)
	// Touch is called by screens on every user action (a tap, a keystroke,
	// a choice), so the kiosk's guest-session timer knows someone is there.
	// Never nil: use Deps.Touched.
	Touch func()
	// Rate, when set, puts a "Rate this service" button on the receipt of
	// an application; the shell opens its rating screen for the target.
	Rate func(RateTarget)
}

// Touched reports user activity, if anyone listens.
func (d *Deps) Touched() {
	if d.Touch != nil {
		d.Touch()
	}
}

// TrackLink is the default receipt QR content: a civicdesk tracking link
// that the kiosk's scanner and the status screen understand.
func TrackLink(tracking, code string) string {
	return "civicdesk://track?no=" + tracking + "&code=" + code
}
