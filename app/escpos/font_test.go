package escpos

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadFont(t *testing.T) {
	dir := t.TempDir()
	notFont := filepath.Join(dir, "notes.ttc")
	if err := os.WriteFile(notFont, []byte("not a font at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		paths   []string
		wantErr error
		wantMsg string
	}{
		{name: "default places", wantMsg: ""},
		{name: "bold collection", paths: DefaultBoldPaths},
		{name: "first missing then found", paths: append([]string{filepath.Join(dir, "missing.ttc")}, DefaultRegularPaths...)},
		{name: "none found", paths: []string{filepath.Join(dir, "a.ttc"), filepath.Join(dir, "b.otf")}, wantErr: ErrNoFont, wantMsg: "apt-get install fonts-noto-cjk"},
		{name: "not a font", paths: []string{notFont}, wantErr: ErrBadFont, wantMsg: "reinstall fonts-noto-cjk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := LoadFont(tt.paths...)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("err = %v, want %v saying %q", err, tt.wantErr, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Name != preferredFamily {
				t.Errorf("face %q, want the simplified Chinese face %q", f.Name, preferredFamily)
			}
		})
	}
}

func TestDefaultFontsHaveBold(t *testing.T) {
	fs := fonts(t)
	if fs.Bold == fs.Regular || !strings.Contains(fs.Bold.Path, "Bold") {
		t.Errorf("bold font %s, want the Bold collection", fs.Bold.Path)
	}
}
