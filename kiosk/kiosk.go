// Package kiosk is the self-service kiosk shell: a touch-first, fullscreen
// UI for community service halls with a home screen, runtime language and
// accessibility switches, an on-screen keypad, barcode-scanner input, guest
// sessions that wipe themselves when left idle, and a PIN-guarded staff mode.
package kiosk

import (
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/i18n"
	"civicdesk/app/ui"
)

// Screen names (ui.Screen.Name), for tests and logs.
const (
	ScreenHome       = "home"
	ScreenCatalog    = "catalog"
	ScreenDetail     = "detail"
	ScreenWizard     = "wizard"
	ScreenReview     = "review"
	ScreenReceipt    = "receipt"
	ScreenStatus     = "status"
	ScreenStaffLogin = "staff.login"
	ScreenStaffHome  = "staff.home"
	ScreenStaffQueue = "staff.queue"
	ScreenStaffSync  = "staff.sync"
)

// Kiosk is the kiosk shell. Its methods run on the Fyne UI goroutine
// (timers of the Clock are handed over with fyne.Do).
type Kiosk struct {
	d   *ui.Deps
	cfg Config
	th  *ui.Theme

	nav     *ui.Navigator
	root    fyne.CanvasObject
	bar     *topBar
	syncInd *ui.SyncIndicator
	win     fyne.Window
	scanner *Scanner
	unlang  func()

	uploads   uploads // attachment upload progress, for the staff queue
	unUploads func()
	unNotices func()

	idle idleState // guarded by mu
	mu   sync.Mutex
	bg   sync.WaitGroup // background lookups (tests wait for them)

	countdown       *widget.PopUp
	countdownButton *widget.Button
	countdownText   binding.String

	// Session state: everything below is dropped by Wipe.
	sess session
}

// session is one guest's state. Wipe replaces it whole, so nothing a
// resident typed stays reachable.
type session struct {
	catalogVM   *ui.CatalogVM
	statusVM    *ui.StatusVM
	apply       *ui.ApplyVM // the application being filled in (a draft), nil when none
	wizard      *ui.Wizard
	receipt     *ui.Receipt
	rating      *ui.RatingScreen   // the rating being given, nil when none
	feedback    *ui.FeedbackScreen // the complaint, suggestion or question being written
	thanks      *ui.Thanks         // the thanks on show, following the engine; nil when none
	login       *loginVM
	staffID     string // non-empty in staff mode
	queueFilter string
	// The widgets of the screens last built, for tests.
	home       *homeView
	rateChoice *rateChoiceView
	loginView  *loginView
	staffHome  *staffHomeView
	queue      *queueView
	diag       *diagView
}

// New builds the kiosk over d and applies its theme. It takes over
// d.Touch (chaining any hook already there) to watch for activity.
func New(d *ui.Deps, cfg Config) *Kiosk {
	k := &Kiosk{d: d, cfg: cfg.withDefaults(d)}
	k.th = k.cfg.Theme
	prev := d.Touch
	d.Touch = func() {
		if prev != nil {
			prev()
		}
		k.Activity()
	}
	d.Keypad = k.Keypad
	d.AttachAllowed = func() bool { return k.sess.staffID != "" }
	d.AttachDir = k.cfg.AttachDir
	d.Rate = nil // the receipt offers no rating unless the backend takes them
	if !k.cfg.NoInteractions {
		d.Rate = k.RateService
	}
	k.countdownText = binding.NewString()
	k.scanner = NewScanner(k.cfg.Clock.Now, k.onScan)
	k.sess = k.newSession()
	k.syncInd = ui.NewSyncIndicator(d)
	k.unUploads = k.followUploads()
	k.unNotices = k.followNotices()
	k.bar = newTopBar(k)
	k.nav = ui.NewNavigator(k.homeScreen())
	k.nav.OnChange(k.navigated)
	k.root = container.NewBorder(k.bar.obj, nil, nil, nil, k.nav.Content())
	k.unlang = d.Loc.OnChange(func(string) {
		k.bar.relabel()
		k.syncInd.Update(d.Sync.Status())
		k.nav.Refresh()
	})
	k.applyTheme()
	return k
}

func (k *Kiosk) newSession() session {
	return session{
		catalogVM: ui.NewCatalogVM(),
		statusVM:  ui.NewStatusVM(k.d),
		login:     newLoginVM(),
	}
}

// Object is the whole kiosk UI: the top bar over the navigator's content.
func (k *Kiosk) Object() fyne.CanvasObject { return k.root }

// Nav is the kiosk's navigator.
func (k *Kiosk) Nav() *ui.Navigator { return k.nav }

// Theme is the kiosk's theme.
func (k *Kiosk) Theme() *ui.Theme { return k.th }

// StaffID is the signed-in staff member ("" outside staff mode).
func (k *Kiosk) StaffID() string { return k.sess.staffID }

// Attach installs the window-level key handlers: keys that no entry takes
// (a barcode scanner, a keyboard) count as activity and feed the scanner.
func (k *Kiosk) Attach(w fyne.Window) {
	k.win = w
	c := w.Canvas()
	c.SetOnTypedRune(func(r rune) {
		k.Activity()
		k.scanner.TypedRune(r)
	})
	c.SetOnTypedKey(func(e *fyne.KeyEvent) {
		k.Activity()
		k.scanner.TypedKey(e.Name)
	})
}

// Close stops the kiosk's timers and subscriptions.
func (k *Kiosk) Close() {
	k.mu.Lock()
	k.idle.stop()
	k.mu.Unlock()
	if k.sess.receipt != nil {
		k.sess.receipt.Close()
	}
	k.closeThanks()
	k.syncInd.Close()
	k.unUploads()
	k.unNotices()
	k.unlang()
}

// canvas is the window's canvas (nil before the UI is shown).
func (k *Kiosk) canvas() fyne.Canvas {
	if k.win != nil {
		return k.win.Canvas()
	}
	if a := fyne.CurrentApp(); a != nil {
		return a.Driver().CanvasForObject(k.root)
	}
	return nil
}

// t translates for the kiosk's screens.
func (k *Kiosk) t(id string, data ...any) string { return k.d.Loc.T(id, data...) }

// SetLang switches the language of every screen at once.
func (k *Kiosk) SetLang(lang string) {
	k.Activity()
	k.d.Loc.SetLang(lang) // the OnChange listener relabels and rebuilds
}

// toggleLang switches between Chinese and English.
func (k *Kiosk) toggleLang() {
	if k.d.Loc.Lang() == i18n.En {
		k.SetLang(i18n.Zh)
	} else {
		k.SetLang(i18n.En)
	}
}

// SetLargeText turns large text on or off for this session.
func (k *Kiosk) SetLargeText(on bool) {
	k.Activity()
	k.th.LargeText = on
	k.applyTheme()
}

// SetHighContrast turns high contrast on or off for this session.
func (k *Kiosk) SetHighContrast(on bool) {
	k.Activity()
	k.th.HighContrast = on
	k.applyTheme()
}

func (k *Kiosk) applyTheme() {
	if a := fyne.CurrentApp(); a != nil {
		a.Settings().SetTheme(k.th)
	}
	k.bar.relabel()
	if k.nav != nil {
		k.nav.Refresh() // sizes computed from the theme are recomputed
	}
}

// navigated runs after every navigation.
func (k *Kiosk) navigated(current string) {
	if current != ScreenReceipt && k.sess.receipt != nil {
		k.sess.receipt.Close()
		k.sess.receipt = nil
	}
	if current != ScreenThanks {
		k.closeThanks()
	}
	if current == ScreenStatus {
		// Let a scanner's keystrokes reach the window canvas.
		if c := k.canvas(); c != nil {
			c.Unfocus()
		}
	}
	k.bar.relabel()
}

// GoHome ends the current task: an application being filled in is
// discarded, the view-models start afresh, the home screen shows. The
// language, theme and staff mode stay (Wipe resets those).
func (k *Kiosk) GoHome() {
	k.discardApplication()
	k.sess.catalogVM = ui.NewCatalogVM()
	k.sess.statusVM = ui.NewStatusVM(k.d)
	k.sess.login = newLoginVM()
	k.sess.rating, k.sess.feedback = nil, nil
	k.nav.Home()
}

// confirmHome is the top bar's Home: it asks before throwing away what the
// resident has not finished (an application being filled in, a rating or
// feedback started and not sent); with nothing to lose it goes home at
// once. The idle wipe never asks.
func (k *Kiosk) confirmHome() {
	k.Activity()
	body, leave, stay, ask := "", "", "", false
	if k.sess.apply != nil {
		body, leave, stay, ask = k.t("kiosk.leave.body"), k.t("kiosk.leave.confirm"), k.t("kiosk.leave.stay"), true
	} else {
		body, leave, stay, ask = k.unsentInteraction()
	}
	if !ask || k.win == nil {
		k.GoHome()
		return
	}
	d := dialog.NewConfirm(k.t("kiosk.leave.title"), body, func(ok bool) {
		k.Activity()
		if ok {
			k.GoHome()
		}
	}, k.win)
	d.SetConfirmText(leave)
	d.SetDismissText(stay)
	d.Show()
}

// discardApplication deletes the draft being filled in, if any, with its
// personal data.
func (k *Kiosk) discardApplication() {
	if k.sess.apply != nil {
		discard(k.sess.apply)
	}
	k.sess.apply = nil
	k.sess.wizard = nil
}

// Wipe ends the guest session: the draft is discarded (its personal data
// deleted from the store), every view-model recreated, dialogs closed, the
// clipboard and the scanner's buffer emptied, staff mode left, the language back to Chinese, the theme toggles off,
// the navigation rebuilt at home. Applications already submitted stay.
func (k *Kiosk) Wipe() {
	k.mu.Lock()
	k.idle.stop()
	k.idle.counting = false
	k.mu.Unlock()
	if c := k.canvas(); c != nil {
		for top := c.Overlays().Top(); top != nil; top = c.Overlays().Top() {
			c.Overlays().Remove(top)
		}
		c.Unfocus()
	}
	k.countdown = nil
	k.countdownText.Set("")
	k.scanner.Reset()
	if a := fyne.CurrentApp(); a != nil {
		a.Clipboard().SetContent("") // an entry's Copy must not hand data to the next person
	}
	k.discardApplication()
	if k.sess.receipt != nil {
		k.sess.receipt.Close()
	}
	k.closeThanks()
	k.sess = k.newSession()
	k.nav.SetHome(k.homeScreen()) // drops every old screen before anything rebuilds
	if k.th.LargeText || k.th.HighContrast {
		k.th.LargeText, k.th.HighContrast = false, false
		k.applyTheme()
	}
	k.d.Loc.SetLang(i18n.Zh) // relabels the bar and rebuilds home in Chinese
	k.mu.Lock()
	k.idle.stop()
	k.idle.dirty = false
	k.mu.Unlock()
}
