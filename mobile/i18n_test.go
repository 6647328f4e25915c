package mobile

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"civicdesk/app/i18n"
)

// Every message id the phone shell uses exists, in every language.
func TestMessagesExist(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`"(mobile\.[a-z_.]+)"`)
	used := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			used++
			if strings.HasSuffix(m[1], ".") || !i18n.Has(m[1]) {
				t.Errorf("%s: message %q is not in assets/i18n/mobile.*.json", f, m[1])
			}
		}
	}
	if used < 80 {
		t.Fatalf("found only %d message ids: is the pattern right?", used)
	}
	for _, m := range i18n.Missing() {
		if strings.HasPrefix(m, "mobile.") {
			t.Errorf("untranslated: %s", m)
		}
	}
}
