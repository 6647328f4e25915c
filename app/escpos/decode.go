package escpos

import (
	"fmt"
	"image"
)

// Decoded is what a byte stream asks a printer to do, as far as this
// package understands ESC/POS.
type Decoded struct {
	Inits    int             // ESC @ seen
	Image    *image.Paletted // the raster bands stacked, palette Palette; nil without raster
	Bands    []Band
	Feeds    int // lines fed by LF and ESC d
	Cuts     []Cut
	Text     []byte    // printable bytes sent as text
	Commands []Command // every command, in order
	Unknown  []Command // commands this decoder does not know
}

// Command is one command of a stream: its name and its bytes [Offset, End).
type Command struct {
	Name        string
	Offset, End int
}

// Band is one GS v 0 raster image.
type Band struct {
	Offset, Width, Rows int // width in dots
}

// Cut is one GS V.
type Cut struct {
	Offset  int
	Partial bool
}

// fixed-length commands: ESC/GS/FS code -> name and number of parameter bytes.
var simple = map[[2]byte]struct {
	name string
	args int
}{
	{esc, '@'}: {"ESC @ init", 0},
	{esc, 'd'}: {"ESC d feed lines", 1},
	{esc, 'J'}: {"ESC J feed dots", 1},
	{esc, 'a'}: {"ESC a align", 1},
	{esc, 'E'}: {"ESC E bold", 1},
	{esc, '!'}: {"ESC ! print mode", 1},
	{esc, '-'}: {"ESC - underline", 1},
	{esc, '2'}: {"ESC 2 default line spacing", 0},
	{esc, '3'}: {"ESC 3 line spacing", 1},
	{esc, 't'}: {"ESC t code page", 1},
	{esc, 'M'}: {"ESC M font", 1},
	{esc, 'p'}: {"ESC p cash drawer", 3},
	{gs, '!'}:  {"GS ! character size", 1},
	{gs, 'B'}:  {"GS B reverse", 1},
	{gs, 'L'}:  {"GS L left margin", 2},
	{gs, 'W'}:  {"GS W print width", 2},
	{fsb, '&'}: {"FS & Chinese mode on", 0},
	{fsb, '.'}: {"FS . Chinese mode off", 0},
}

// Decode reads a stream as Encode produces it, plus the common text and
// formatting commands around such jobs. Raster bands of one width are
// stacked into Image; commands it does not know are listed in Unknown with
// their offset and decoding goes on after their first two bytes. A stream
// that ends inside a command, or a band of another width, is an error.
func Decode(stream []byte) (Decoded, error) {
	var d Decoded
	var rows [][]byte // raster rows, rowBytes each
	rowBytes := -1
	need := func(i, n int, name string) error {
		if i+n > len(stream) {
			return fmt.Errorf("offset %d, %s: %w (%d bytes needed, %d left)", i, name, ErrTruncated, n, len(stream)-i)
		}
		return nil
	}
	cmd := func(name string, start, end int) {
		d.Commands = append(d.Commands, Command{Name: name, Offset: start, End: end})
	}
	for i := 0; i < len(stream); {
		c := stream[i]
		switch {
		case c == lf:
			d.Feeds++
			cmd("LF", i, i+1)
			i++
			continue
		case c == '\r':
			cmd("CR", i, i+1)
			i++
			continue
		case c >= 0x20 && c != 0x7F:
			d.Text = append(d.Text, c)
			i++
			continue
		case c != esc && c != gs && c != fsb:
			d.Unknown = append(d.Unknown, Command{Name: fmt.Sprintf("byte 0x%02X", c), Offset: i, End: i + 1})
			i++
			continue
		}
		if err := need(i, 2, "command"); err != nil {
			return d, err
		}
		key := [2]byte{c, stream[i+1]}
		if s, ok := simple[key]; ok {
			if err := need(i, 2+s.args, s.name); err != nil {
				return d, err
			}
			switch key {
			case [2]byte{esc, '@'}:
				d.Inits++
			case [2]byte{esc, 'd'}:
				d.Feeds += int(stream[i+2])
			}
			cmd(s.name, i, i+2+s.args)
			i += 2 + s.args
			continue
		}
		switch key {
		case [2]byte{gs, 'V'}:
			if err := need(i, 3, "GS V cut"); err != nil {
				return d, err
			}
			m, n := stream[i+2], 3
			switch m {
			case 0, '0', 1, '1':
			case 65, 66, 103, 104: // feed then cut: one more parameter byte
				n = 4
				if err := need(i, n, "GS V cut"); err != nil {
					return d, err
				}
			default:
				return d, fmt.Errorf("offset %d, GS V cut: %w: mode %d", i, ErrMalformed, m)
			}
			d.Cuts = append(d.Cuts, Cut{Offset: i, Partial: m == 1 || m == '1' || m == 66 || m == 104})
			cmd("GS V cut", i, i+n)
			i += n
		case [2]byte{gs, 'v'}:
			if err := need(i, 8, "GS v 0 raster"); err != nil {
				return d, err
			}
			if stream[i+2] != '0' {
				return d, fmt.Errorf("offset %d, GS v: %w: expected '0' after GS v", i, ErrMalformed)
			}
			if m := stream[i+3]; m != 0 && m != '0' {
				return d, fmt.Errorf("offset %d, GS v 0: %w: scaled mode %d is not supported", i, ErrMalformed, m)
			}
			xb := int(stream[i+4]) | int(stream[i+5])<<8
			ny := int(stream[i+6]) | int(stream[i+7])<<8
			if xb == 0 || ny == 0 {
				return d, fmt.Errorf("offset %d, GS v 0: %w: empty band %dx%d", i, ErrMalformed, xb, ny)
			}
			if rowBytes >= 0 && xb != rowBytes {
				return d, fmt.Errorf("offset %d, GS v 0: %w: band %d bytes wide after bands of %d", i, ErrMalformed, xb, rowBytes)
			}
			rowBytes = xb
			if err := need(i, 8+xb*ny, "GS v 0 raster data"); err != nil {
				return d, err
			}
			data := stream[i+8 : i+8+xb*ny]
			for r := range ny {
				rows = append(rows, data[r*xb:(r+1)*xb])
			}
			d.Bands = append(d.Bands, Band{Offset: i, Width: xb * 8, Rows: ny})
			cmd("GS v 0 raster", i, i+8+xb*ny)
			i += 8 + xb*ny
		default:
			name := map[byte]string{esc: "ESC", gs: "GS", fsb: "FS"}[c]
			d.Unknown = append(d.Unknown, Command{Name: fmt.Sprintf("%s 0x%02X", name, stream[i+1]), Offset: i, End: i + 2})
			i += 2
		}
	}
	if rowBytes > 0 {
		img := image.NewPaletted(image.Rect(0, 0, rowBytes*8, len(rows)), Palette)
		for y, row := range rows {
			for x := range rowBytes * 8 {
				if row[x/8]&(0x80>>(x%8)) != 0 {
					img.Pix[img.PixOffset(x, y)] = 1
				}
			}
		}
		d.Image = img
	}
	return d, nil
}
