package escpos

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"

	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
)

// Where Debian's fonts-noto-cjk puts its fonts.
var (
	DefaultRegularPaths = []string{
		"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
		"/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", // Arch, Fedora
	}
	DefaultBoldPaths = []string{
		"/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
		"/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
	}
)

// preferredFamily is the face picked from a collection: simplified Chinese glyph shapes.
const preferredFamily = "Noto Sans CJK SC"

// Font is a parsed outline font with Chinese glyphs. It is safe for
// concurrent use: every Render makes its own faces.
type Font struct {
	f    *sfnt.Font
	Path string // the file it came from
	Name string // its family name
}

// Fonts is the pair Render uses: Regular for text, Bold for titles and the
// big queue number (Bold may equal Regular).
type Fonts struct {
	Regular, Bold *Font
}

// LoadFont loads the first usable font among paths (DefaultRegularPaths when
// none is given). From a collection (.ttc) it takes the simplified Chinese
// face. The error says which package to install when none is found.
func LoadFont(paths ...string) (*Font, error) {
	if len(paths) == 0 {
		paths = DefaultRegularPaths
	}
	var errs []error
	for _, p := range paths {
		f, err := loadFontFile(p)
		if err == nil {
			return f, nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return nil, fmt.Errorf("%w: looked in %s: install a CJK font (Debian/Ubuntu: apt-get install fonts-noto-cjk) or set the font path",
		ErrNoFont, strings.Join(paths, ", "))
}

func loadFontFile(path string) (*Font, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := opentype.ParseCollection(b)
	if err != nil {
		return nil, fmt.Errorf("font %s: %w: not an OpenType font or collection (%v); reinstall fonts-noto-cjk", path, ErrBadFont, err)
	}
	var pick *sfnt.Font
	var pickName string
	for i := range c.NumFonts() {
		f, err := c.Font(i)
		if err != nil {
			continue
		}
		name, _ := f.Name(nil, sfnt.NameIDFamily)
		if c.NumFonts() == 1 || name == preferredFamily {
			pick, pickName = f, name
			break
		}
	}
	if pick == nil {
		return nil, fmt.Errorf("font %s: %w: the collection has no %q face; use NotoSansCJK-Regular.ttc from fonts-noto-cjk", path, ErrBadFont, preferredFamily)
	}
	if gi, err := pick.GlyphIndex(nil, '中'); err != nil || gi == 0 {
		return nil, fmt.Errorf("font %s: %w: it has no Chinese characters; install fonts-noto-cjk", path, ErrBadFont)
	}
	return &Font{f: pick, Path: path, Name: pickName}, nil
}

// LoadFonts loads the regular font (required) and the bold one (optional:
// Regular is used for bold when it is missing) from the default places.
func LoadFonts() (Fonts, error) {
	reg, err := LoadFont(DefaultRegularPaths...)
	if err != nil {
		return Fonts{}, err
	}
	bold, err := LoadFont(DefaultBoldPaths...)
	if err != nil {
		bold = reg
	}
	return Fonts{Regular: reg, Bold: bold}, nil
}

// defaultFonts loads the system fonts once; a failure is retried on the next call
// (the font may be installed while the kiosk runs).
var defaultFonts struct {
	mu sync.Mutex
	fs Fonts
}

// DefaultFonts returns the system fonts, loaded on first use and then kept.
func DefaultFonts() (Fonts, error) {
	defaultFonts.mu.Lock()
	defer defaultFonts.mu.Unlock()
	if defaultFonts.fs.Regular != nil {
		return defaultFonts.fs, nil
	}
	fs, err := LoadFonts()
	if err != nil {
		return Fonts{}, err
	}
	defaultFonts.fs = fs
	return fs, nil
}
