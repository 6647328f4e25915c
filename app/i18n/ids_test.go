package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every message id written literally in the screens' code (ui., kiosk.,
// mobile., sync.) exists, in every language. ("error." ids are built from
// the validator's codes; TestEveryValidatorCodeTranslated covers them.)
func TestEveryUsedMessageExists(t *testing.T) {
	re := regexp.MustCompile(`"((?:ui|kiosk|mobile|sync)\.[a-z0-9_.]+)"`)
	used := map[string]int{}
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			area := m[1][:strings.Index(m[1], ".")]
			used[area]++
			if strings.HasSuffix(m[1], ".") || !Has(m[1]) {
				t.Errorf("%s: message %q is not in assets/i18n/%s.*.json (ids must be literal and complete)", p, m[1], area)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, area := range []string{"ui", "kiosk", "mobile", "sync"} {
		if used[area] < 5 {
			t.Errorf("found only %d %s.* message ids in the code: is the pattern right?", used[area], area)
		}
	}
}
