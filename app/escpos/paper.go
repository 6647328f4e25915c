package escpos

import "fmt"

// Paper is the printable width of a thermal roll in dots at 203 dpi.
type Paper int

// The two common roll widths.
const (
	Width58 Paper = 384 // 58 mm roll, 48 mm printable
	Width80 Paper = 576 // 80 mm roll, 72 mm printable
)

// Dots is the printable width in dots.
func (p Paper) Dots() int { return int(p) }

func (p Paper) String() string {
	switch p {
	case Width58:
		return "58mm"
	case Width80:
		return "80mm"
	}
	return fmt.Sprintf("%d dots", int(p))
}

// ParsePaper reads a setting such as "58" or "80mm".
func ParsePaper(s string) (Paper, error) {
	switch s {
	case "58", "58mm":
		return Width58, nil
	case "80", "80mm":
		return Width80, nil
	}
	return 0, fmt.Errorf("paper setting: %w: use 58mm or 80mm", ErrBadPaper)
}

func (p Paper) valid() error {
	if p != Width58 && p != Width80 {
		return fmt.Errorf("paper %v: %w: use Width58 or Width80", p, ErrBadPaper)
	}
	return nil
}

// style holds the sizes in pixels (dots) used for one paper width.
type style struct {
	margin    int     // left and right, dots
	text      float64 // body text size
	title     float64
	big       float64 // starting size of Big; shrunk to fit
	gap       int     // space between lines
	ruleThick int
	ruleSpace int // white above and below a rule
	qrModule  int // largest module size, dots
}

func (p Paper) style() style {
	if p == Width80 {
		return style{margin: 12, text: 28, title: 38, big: 200, gap: 6, ruleThick: 2, ruleSpace: 12, qrModule: 7}
	}
	return style{margin: 8, text: 24, title: 32, big: 150, gap: 5, ruleThick: 2, ruleSpace: 10, qrModule: 5}
}
