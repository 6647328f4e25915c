package i18n

import (
	"testing"

	"civicdesk/app/catalog"
)

func TestEveryMessageInEveryLanguage(t *testing.T) {
	if m := Missing(); len(m) > 0 {
		t.Fatalf("messages without a translation: %v", m)
	}
}

func TestSwitchAtRuntime(t *testing.T) {
	l := New()
	if l.Lang() != Zh {
		t.Fatalf("default language %s, want %s", l.Lang(), Zh)
	}
	var heard []string
	remove := l.OnChange(func(lang string) { heard = append(heard, lang) })
	zh := l.T("error.required")
	l.SetLang(En)
	en := l.T("error.required")
	if zh == en || en != "This field is required." {
		t.Fatalf("zh %q, en %q", zh, en)
	}
	l.SetLang("fr")
	if l.Lang() != Zh {
		t.Fatalf("unknown language gave %s, want the Chinese default", l.Lang())
	}
	remove()
	l.SetLang(En)
	if len(heard) != 2 || heard[0] != En || heard[1] != Zh {
		t.Fatalf("listener heard %v", heard)
	}
}

func TestFieldErrorsAreTranslatedWithParams(t *testing.T) {
	l := New()
	l.SetLang(En)
	got := l.FieldError(catalog.FieldError{Field: "name", Code: "min_length", Params: map[string]string{"min": "2"}})
	if got != "Too short: enter at least 2 characters." {
		t.Fatalf("got %q", got)
	}
	if got := l.T("no.such.message"); got != "no.such.message" {
		t.Fatalf("a missing message gave %q, want its id", got)
	}
}

// Every code the validator can produce has a translation.
func TestEveryValidatorCodeTranslated(t *testing.T) {
	for _, code := range catalog.Codes() {
		if !Has("error." + code) {
			t.Errorf("no translation for validator code %q", code)
		}
	}
}
