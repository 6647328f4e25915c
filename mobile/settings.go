package mobile

import (
	"fmt"
	"sync"

	"civicdesk/app/i18n"
	"civicdesk/app/store"
)

// Settings are the resident's choices on the Settings tab.
type Settings struct {
	// Lang is i18n.Zh or i18n.En; "" until the resident chooses (the
	// language the program started in stays).
	Lang string
	// LargeText shows larger text and touch targets.
	LargeText bool
	// DataSaver: form data is sent whenever possible, attachments only
	// after an explicit "send attachments now".
	DataSaver bool
}

// SettingsStore keeps Settings between runs of the app.
type SettingsStore interface {
	Load() (Settings, error)
	Save(Settings) error
}

// Meta keys of the settings in the store (plain settings, no personal data).
const (
	metaLang      = "mobile-settings/lang"
	metaLargeText = "mobile-settings/large_text"
	metaDataSaver = "mobile-settings/data_saver"
)

// metaSettings keeps the settings in the store's plain settings.
type metaSettings struct{ st *store.Store }

// MetaSettings keeps the settings in st's plain (unencrypted) settings.
func MetaSettings(st *store.Store) SettingsStore { return metaSettings{st} }

func (m metaSettings) Load() (Settings, error) {
	var s Settings
	lang, err := m.st.Meta(metaLang)
	if err != nil {
		return s, fmt.Errorf("mobile: read the settings: %w", err)
	}
	if lang == i18n.Zh || lang == i18n.En {
		s.Lang = lang
	}
	large, err := m.st.Meta(metaLargeText)
	if err != nil {
		return s, fmt.Errorf("mobile: read the settings: %w", err)
	}
	saver, err := m.st.Meta(metaDataSaver)
	if err != nil {
		return s, fmt.Errorf("mobile: read the settings: %w", err)
	}
	s.LargeText, s.DataSaver = large == "on", saver == "on"
	return s, nil
}

func (m metaSettings) Save(s Settings) error {
	onOff := func(b bool) string {
		if b {
			return "on"
		}
		return "off"
	}
	for k, v := range map[string]string{metaLang: s.Lang, metaLargeText: onOff(s.LargeText), metaDataSaver: onOff(s.DataSaver)} {
		if err := m.st.SetMeta(k, v); err != nil {
			return fmt.Errorf("mobile: save the settings: %w", err)
		}
	}
	return nil
}

// MemSettings is a SettingsStore in memory, for tests.
type MemSettings struct {
	mu    sync.Mutex
	s     Settings
	Saves int // how many times Save was called
}

// Load returns the settings last saved.
func (m *MemSettings) Load() (Settings, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.s, nil
}

// Save keeps s.
func (m *MemSettings) Save(s Settings) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s = s
	m.Saves++
	return nil
}
