// Package mobile is the phone shell: civicdesk on a resident's own phone,
// with four tabs (services, my applications, sync, settings) sized for one
// thumb, drafts that survive the app being killed, a data saver for
// attachments, notifications of status changes, and a hand-off QR code
// that carries an application to the service hall's kiosk without a network.
package mobile

import (
	"sync"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"civicdesk/app/i18n"
	"civicdesk/app/ui"
)

// Tab names, for ShowTab and tests.
const (
	TabServices     = "services"
	TabApplications = "applications"
	TabSync         = "sync"
	TabSettings     = "settings"
)

// Screen names (ui.Screen.Name) of the tabs' navigators.
const (
	ScreenServices     = "services.home"
	ScreenDetail       = "services.detail"
	ScreenWizard       = "services.wizard"
	ScreenReview       = "services.review"
	ScreenReceipt      = "services.receipt"
	ScreenApplications = "applications.list"
	ScreenApplication  = "applications.detail"
	ScreenAppReceipt   = "applications.receipt"
	ScreenHandoff      = "applications.handoff"
	ScreenSync         = "sync"
	ScreenSettings     = "settings"
)

var tabNames = []string{TabServices, TabApplications, TabSync, TabSettings}

// Shell is the phone shell. Its methods run on the Fyne UI goroutine
// unless they say otherwise; engine events are handed over with fyne.Do.
type Shell struct {
	d   *ui.Deps
	cfg Config
	th  *ui.Theme

	// The data saver, read by the sync engine's goroutine.
	saver, sendNow atomic.Bool
	settings       Settings

	tabs    *container.AppTabs
	items   []*container.TabItem
	navs    map[string]*ui.Navigator
	root    fyne.CanvasObject
	syncInd *ui.SyncIndicator
	win     fyne.Window

	svc  servicesState
	apps appsState
	fb   feedbackState
	// quiet are the deps of the widgets the shell feeds itself from
	// follow (their own engine subscriptions never deliver).
	quiet *ui.Deps
	sync  *syncVM
	set   *settingsView

	unsub   func()
	unlang  func()
	bg      sync.WaitGroup // the event follower
	fetches sync.WaitGroup // history lookups on the central API
	once    sync.Once
}

// New builds the phone shell over d: it loads the resident's settings
// (language, text size, data saver), applies the theme, and follows the
// sync engine. It sets d's phone hooks: no keypad (the system keyboard),
// files may be attached, photos are shrunk before they are queued.
func New(d *ui.Deps, cfg Config) *Shell {
	s := &Shell{d: d, cfg: cfg.withDefaults(d), navs: map[string]*ui.Navigator{}}
	s.th = s.cfg.Theme
	d.Keypad = nil
	d.AttachAllowed = nil
	if d.PrepareAttachment == nil {
		d.PrepareAttachment = s.prepareAttachment
	}
	d.Rate = nil
	if !s.cfg.NoInteractions {
		d.Rate = s.Rate // the receipt's "Rate this service"
	}
	if st, err := s.cfg.Settings.Load(); err == nil {
		s.settings = st
	}
	if s.settings.Lang != "" {
		d.Loc.SetLang(s.settings.Lang)
	}
	s.th.LargeText = s.settings.LargeText
	s.saver.Store(s.settings.DataSaver)

	s.sync = newSyncVM(s)
	quiet := *d
	quiet.Sync = quietSync{d.Sync}
	s.quiet = &quiet
	s.syncInd = ui.NewSyncIndicator(s.quiet) // fed by follow

	s.svc.catalogVM = ui.NewCatalogVM()
	s.svc.notice = notice(0)

	s.navs[TabServices] = ui.NewNavigator(s.servicesHome())
	s.navs[TabApplications] = ui.NewNavigator(s.applicationsHome())
	s.navs[TabSync] = ui.NewNavigator(ui.Screen{Name: ScreenSync, Build: s.syncScreen})
	s.navs[TabSettings] = ui.NewNavigator(ui.Screen{Name: ScreenSettings, Build: s.settingsScreen})
	s.navs[TabServices].OnChange(s.servicesNavigated)
	s.navs[TabApplications].OnChange(s.applicationsNavigated)
	s.navs[TabApplications].OnChange(s.feedbackNavigated)

	services := container.NewBorder(container.NewPadded(s.svc.notice), nil, nil, nil, s.navs[TabServices].Content())
	icons := []fyne.Resource{theme.GridIcon(), theme.DocumentIcon(), theme.ViewRefreshIcon(), theme.SettingsIcon()}
	contents := []fyne.CanvasObject{services, s.navs[TabApplications].Content(), s.navs[TabSync].Content(), s.navs[TabSettings].Content()}
	for i := range tabNames {
		s.items = append(s.items, container.NewTabItemWithIcon("", icons[i], contents[i]))
	}
	s.tabs = container.NewAppTabs(s.items...)
	s.tabs.SetTabLocation(container.TabLocationBottom)
	s.tabs.OnSelected = s.tabSelected
	s.relabelTabs()
	s.root = container.NewBorder(container.NewPadded(s.syncInd.Object()), nil, nil, nil, s.tabs)

	s.unlang = d.Loc.OnChange(func(string) { s.relabel() })
	events, cancel := d.Sync.Subscribe(64)
	s.unsub = cancel
	s.bg.Add(1)
	go s.follow(events)
	s.applyTheme()
	return s
}

// Object is the whole phone UI: the sync line over the tabs.
func (s *Shell) Object() fyne.CanvasObject { return s.root }

// Theme is the shell's theme (its LargeText follows the setting).
func (s *Shell) Theme() *ui.Theme { return s.th }

// Nav is the navigator of a tab (nil for an unknown tab).
func (s *Shell) Nav(tab string) *ui.Navigator { return s.navs[tab] }

// Attach hooks the shell to the app's lifecycle: a sync when the app comes
// to the foreground, everything written through when it leaves it.
func (s *Shell) Attach(w fyne.Window) {
	s.win = w
	if a := fyne.CurrentApp(); a != nil {
		lc := a.Lifecycle()
		lc.SetOnEnteredForeground(s.EnteredForeground)
		lc.SetOnExitedForeground(s.ExitedForeground)
	}
}

// EnteredForeground asks the engine to sync now (the resident is back,
// perhaps with a network).
func (s *Shell) EnteredForeground() { s.d.Sync.Trigger() }

// ExitedForeground writes everything through before the app may be
// killed: the field being typed in is left (so its answer is recorded),
// the draft and the settings are saved.
func (s *Shell) ExitedForeground() {
	if s.win != nil {
		s.win.Canvas().Unfocus()
	}
	if vm := s.svc.apply; vm != nil {
		_ = vm.Save() // a failure shows on the wizard (save_failed)
	}
	_ = s.cfg.Settings.Save(s.settings)
}

// Close stops following the engine and the language, and releases the
// receipts on screen. Call it once the window is gone.
func (s *Shell) Close() {
	s.once.Do(func() {
		s.unsub()
		s.bg.Wait()
		s.fetches.Wait()
		s.syncInd.Close()
		s.unlang()
		s.closeReceipts()
		if s.fb.list != nil {
			s.fb.list.Close()
			s.fb.list = nil
		}
		if a := fyne.CurrentApp(); a != nil && s.win != nil {
			lc := a.Lifecycle()
			lc.SetOnEnteredForeground(nil)
			lc.SetOnExitedForeground(nil)
		}
	})
}

// ShowTab selects a tab by name (TabServices, ...); unknown names are ignored.
func (s *Shell) ShowTab(name string) {
	for i, n := range tabNames {
		if n == name {
			s.tabs.SelectIndex(i)
			return
		}
	}
}

// CurrentTab is the name of the tab shown.
func (s *Shell) CurrentTab() string { return tabNames[s.tabs.SelectedIndex()] }

// tabSelected refreshes what may have changed while the tab was hidden.
func (s *Shell) tabSelected(*container.TabItem) {
	s.d.Touched()
	switch s.CurrentTab() {
	case TabServices:
		if n := s.navs[TabServices]; n.Current() == ScreenServices {
			n.Refresh() // the drafts
		}
	case TabApplications:
		switch n := s.navs[TabApplications]; n.Current() {
		case ScreenApplications, ScreenApplication:
			n.Refresh()
		case ScreenMyFeedback:
			s.interactionsChanged()
		}
	case TabSync:
		s.sync.update(s.d.Sync.Status())
	}
}

func (s *Shell) t(id string, data ...any) string { return s.d.Loc.T(id, data...) }

func (s *Shell) relabelTabs() {
	ids := []string{"mobile.tab.services", "mobile.tab.applications", "mobile.tab.sync", "mobile.tab.settings"}
	for i, it := range s.items {
		it.Text = s.t(ids[i])
	}
	s.tabs.Refresh()
}

// relabel follows a language switch: every tab is rebuilt in the new language.
func (s *Shell) relabel() {
	s.relabelTabs()
	s.syncInd.Update(s.d.Sync.Status())
	s.sync.update(s.d.Sync.Status())
	for _, n := range tabNames {
		s.navs[n].Refresh()
	}
}

// SetLang switches the language of every screen at once and remembers it.
func (s *Shell) SetLang(lang string) {
	if lang != i18n.En {
		lang = i18n.Zh
	}
	s.settings.Lang = lang
	_ = s.cfg.Settings.Save(s.settings)
	s.d.Loc.SetLang(lang) // the OnChange listener rebuilds
}

// SetLargeText turns large text on or off and remembers it.
func (s *Shell) SetLargeText(on bool) {
	s.settings.LargeText = on
	_ = s.cfg.Settings.Save(s.settings)
	s.th.LargeText = on
	s.applyTheme()
}

func (s *Shell) applyTheme() {
	if a := fyne.CurrentApp(); a != nil {
		a.Settings().SetTheme(s.th)
	}
	for _, n := range tabNames {
		if nav := s.navs[n]; nav != nil {
			nav.Refresh()
		}
	}
}
