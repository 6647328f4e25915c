// Package i18n translates every string the screens show, and can switch
// language at runtime (Fyne's own lang package cannot). Messages are embedded
// JSON files under assets/i18n, one per area and language:
// <area>.<lang>.json, e.g. ui.zh-Hans.json and kiosk.en.json.
package i18n

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"civicdesk/app/catalog"
	"civicdesk/assets"
)

// The languages civicdesk speaks; Chinese is the default.
const (
	Zh = catalog.LangZh // "zh-Hans"
	En = catalog.LangEn // "en"
)

// Langs lists the languages in the order a language switch shows them.
var Langs = []string{Zh, En}

// Localizer holds the current language and translates message ids. It is
// safe for concurrent use. Listeners registered with OnChange run after
// every SetLang, so that screens can rebuild their text.
type Localizer struct {
	bundle *goi18n.Bundle

	mu        sync.RWMutex
	lang      string
	loc       *goi18n.Localizer
	listeners []func(lang string)
}

var (
	loadOnce sync.Once
	bundle   *goi18n.Bundle
	ids      map[string][]string // message id -> languages that have it
	loadErr  error
)

func load() {
	bundle = goi18n.NewBundle(language.MustParse(Zh))
	bundle.RegisterUnmarshalFunc("json", json.Unmarshal)
	ids = map[string][]string{}
	loadErr = fs.WalkDir(assets.I18n, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".json" {
			return err
		}
		mf, err := bundle.LoadMessageFileFS(assets.I18n, p)
		if err != nil {
			return fmt.Errorf("i18n: %s: %w", p, err)
		}
		lang := strings.TrimSuffix(path.Base(p), ".json")
		lang = lang[strings.Index(lang, ".")+1:]
		for _, m := range mf.Messages {
			ids[m.ID] = append(ids[m.ID], lang)
		}
		return nil
	})
}

// New returns a localizer speaking Chinese. It panics only if the embedded
// message files are broken, which a test rules out.
func New() *Localizer {
	loadOnce.Do(load)
	if loadErr != nil {
		panic(loadErr)
	}
	l := &Localizer{bundle: bundle}
	l.set(Zh)
	return l
}

func (l *Localizer) set(lang string) {
	l.lang = lang
	l.loc = goi18n.NewLocalizer(l.bundle, lang)
}

// Lang is the current language tag.
func (l *Localizer) Lang() string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.lang
}

// SetLang switches language (an unknown tag falls back to Chinese) and
// tells the listeners.
func (l *Localizer) SetLang(lang string) {
	if lang != En {
		lang = Zh
	}
	l.mu.Lock()
	l.set(lang)
	ls := append([]func(string){}, l.listeners...)
	l.mu.Unlock()
	for _, f := range ls {
		f(lang)
	}
}

// OnChange registers f to run after each language switch and returns a
// function that removes it.
func (l *Localizer) OnChange(f func(lang string)) (remove func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.listeners = append(l.listeners, f)
	idx := len(l.listeners) - 1
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if idx < len(l.listeners) {
			l.listeners[idx] = func(string) {}
		}
	}
}

// T translates id, filling {{.Name}} placeholders from data (pairs of
// name, value). A missing id returns the id itself, so it shows up on
// screen and in tests rather than an empty label.
func (l *Localizer) T(id string, data ...any) string {
	var td map[string]any
	if len(data) > 0 {
		td = make(map[string]any, len(data)/2)
		for i := 0; i+1 < len(data); i += 2 {
			td[fmt.Sprint(data[i])] = data[i+1]
		}
	}
	l.mu.RLock()
	loc := l.loc
	l.mu.RUnlock()
	s, err := loc.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: td})
	if err != nil || s == "" {
		return id
	}
	return s
}

// Text picks the current language from a catalog text.
func (l *Localizer) Text(t catalog.Text) string { return t.In(l.Lang()) }

// FieldError translates a validator error: message id "error.<code>" with
// the error's params as template data.
func (l *Localizer) FieldError(e catalog.FieldError) string {
	data := make([]any, 0, 2*len(e.Params))
	for k, v := range e.Params {
		data = append(data, k, v)
	}
	return l.T("error."+e.Code, data...)
}

// Missing lists message ids that lack a translation in some language, for
// tests: every string must exist in every language.
func Missing() []string {
	loadOnce.Do(load)
	var out []string
	for id, langs := range ids {
		if len(langs) < len(Langs) {
			out = append(out, fmt.Sprintf("%s (only %v)", id, langs))
		}
	}
	sort.Strings(out)
	return out
}

// Has reports whether id is a known message.
func Has(id string) bool {
	loadOnce.Do(load)
	_, ok := ids[id]
	return ok
}
