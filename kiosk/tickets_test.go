package kiosk

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"civicdesk/app/escpos"
	"civicdesk/app/i18n"
	"civicdesk/app/store"
	"civicdesk/app/tickets"
	"civicdesk/app/ui/uitest"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

// newRigWith is newRig with a configuration (its Clock is replaced by the
// fake clock). Background prints are waited for before the kiosk closes.
func newRigWith(t *testing.T, cfg Config) *rig {
	t.Helper()
	test.NewTempApp(t)
	d, fs := uitest.Deps(t, store.PolicyKiosk)
	clk := NewFakeClock(uitest.Epoch)
	cfg.Clock = clk
	k := New(d, cfg)
	w := test.NewTempWindow(t, k.Object())
	w.Resize(fyne.NewSize(1080, 1400))
	k.Attach(w)
	t.Cleanup(k.Close)
	t.Cleanup(k.bg.Wait) // runs first
	return &rig{k: k, d: d, fs: fs, clk: clk, w: w}
}

// visible lists every visible object drawn in the window's content.
func (r *rig) visible() []fyne.CanvasObject {
	var out []fyne.CanvasObject
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		out = append(out, o)
		switch x := o.(type) {
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				walk(c)
			}
		}
	}
	walk(r.w.Canvas().Content())
	return out
}

// bigNumber is the canvas.Text showing the queue number (nil if none).
func (r *rig) bigNumber(number string) *canvas.Text {
	for _, o := range r.visible() {
		if x, ok := o.(*canvas.Text); ok && x.Text == number {
			return x
		}
	}
	return nil
}

// qrShown reports whether a QR image with the given resource name is on screen.
func (r *rig) qrShown(name string) bool {
	for _, o := range r.visible() {
		if img, ok := o.(*canvas.Image); ok && img.Resource != nil && img.Resource.Name() == name {
			return true
		}
	}
	return false
}

// take taps "Take a queue number" and then the counter named name.
func (r *rig) take(t *testing.T, name string) {
	t.Helper()
	r.k.Nav().Home()
	test.Tap(r.k.sess.home.queue)
	r.at(t, ScreenTicketPick)
	test.Tap(r.button(t, name))
	r.at(t, ScreenTicket)
}

func TestQueueTile(t *testing.T) {
	tests := []struct {
		name, prefix string
		enabled      bool
		caption      string
	}{
		{"with a prefix", "1", true, "选择办理业务，领取排队号"},
		{"without a prefix", "", false, "本机即将开通"},
		{"with an unusable prefix", "IO", false, "本机即将开通"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRigWith(t, Config{KioskPrefix: tt.prefix})
			q := r.k.sess.home.queue
			if q.Disabled() == tt.enabled {
				t.Fatalf("queue tile disabled = %v, want enabled = %v", q.Disabled(), tt.enabled)
			}
			r.shows(t, tt.caption)
			test.Tap(q)
			want := ScreenHome
			if tt.enabled {
				want = ScreenTicketPick
			}
			r.at(t, want)
		})
	}
}

func TestTakeNumbers(t *testing.T) {
	r := newRigWith(t, Config{KioskPrefix: "1", HallCode: "gulou"})
	for _, c := range DefaultCounters {
		r.k.Nav().Home()
		test.Tap(r.k.sess.home.queue)
		r.shows(t, c.Name.In(i18n.Zh))
	}
	steps := []struct{ counter, want string }{
		{"综合受理", "A1-001"},
		{"综合受理", "A1-002"},
		{"社保医保", "B1-001"},
	}
	for _, s := range steps {
		t.Run(s.want, func(t *testing.T) {
			r.take(t, s.counter)
			num := r.bigNumber(s.want)
			if num == nil {
				t.Fatalf("number %s not on screen; texts: %q", s.want, r.texts())
			}
			if min := 3 * theme.Size(theme.SizeNameHeadingText); num.TextSize < min {
				t.Errorf("number drawn at %v, want at least %v (three heading heights)", num.TextSize, min)
			}
			if !r.qrShown("ticket-qr.png") {
				t.Error("no QR code on the number screen")
			}
			r.shows(t, s.counter)
			r.shows(t, "取号时间：2026-11-27 09:30")
			r.shows(t, "请记下您的号码") // no printer
			r.lacks(t, "打印")
			test.Tap(r.button(t, "完成"))
			r.at(t, ScreenHome)
		})
	}
}

func TestIssuedTicketsRecorded(t *testing.T) {
	r := newRigWith(t, Config{KioskPrefix: "2", HallCode: "gulou"})
	tk, err := r.k.TakeNumber(DefaultCounters[3])
	if err != nil {
		t.Fatal(err)
	}
	if tk.Number != "D2-001" || tk.Hall != "gulou" || tk.Kiosk != "2" {
		t.Fatalf("ticket %+v", tk)
	}
	// Queued for the central API as an interaction with the ticket's id.
	its, err := r.d.Store.PendingInteractions(10)
	if err != nil {
		t.Fatal(err)
	}
	if len(its) != 1 || its[0].ID != tk.ID || its[0].Kind != wire.KindTicket {
		t.Fatalf("queued %+v, want the ticket %s", its, tk.ID)
	}
	in, err := engine.DecodeInteraction(its[0])
	if err != nil {
		t.Fatal(err)
	}
	want := wire.Ticket{Kiosk: "2", Category: "D", Day: "20261127", Seq: 1, Number: "D2-001"}
	if in.Hall != "gulou" || !in.CreatedAt.Equal(tk.IssuedAt) || in.Ticket == nil || *in.Ticket != want {
		t.Fatalf("queued %+v (ticket %+v), issued %+v", in, in.Ticket, tk)
	}
	if r.fs.Triggers != 1 {
		t.Errorf("%d syncs asked for after a ticket, want 1", r.fs.Triggers)
	}
	if link := TicketLink(tk); link != "civicdesk://ticket?no=D2-001&id="+tk.ID {
		t.Fatalf("TicketLink = %q", link)
	}
	// A category no counter can have is refused and nothing is shown.
	r.k.Nav().Home()
	if _, err := r.k.TakeNumber(Counter{Category: "O"}); !errors.Is(err, tickets.ErrConfig) {
		t.Fatalf("category O: %v, want tickets.ErrConfig", err)
	}
	r.at(t, ScreenHome)
}

func TestTicketScreenRenders(t *testing.T) {
	r := newRigWith(t, Config{KioskPrefix: "1"})
	r.take(t, "综合受理")
	test.AssertRendersToMarkup(t, "ticket_zh.xml", r.w.Canvas())
}

func TestTicketLanguages(t *testing.T) {
	r := newRigWith(t, Config{KioskPrefix: "1"})
	r.k.SetLang(i18n.En)
	r.k.Nav().Home()
	test.Tap(r.k.sess.home.queue)
	r.shows(t, "Choose the service you need")
	r.shows(t, "Numbers start with B")
	test.Tap(r.button(t, "Social security & health insurance"))
	for _, want := range []string{"Your number", "Social security & health insurance", "Please note your number", "Taken at 2026-11-27 09:30"} {
		r.shows(t, want)
	}
	if r.bigNumber("B1-001") == nil {
		t.Fatal("no number in English")
	}
	// Switching back rebuilds the same ticket in Chinese, not a new one.
	r.k.SetLang(i18n.Zh)
	r.shows(t, "您的号码")
	r.shows(t, "社保医保")
	if r.bigNumber("B1-001") == nil {
		t.Fatal("the number changed on a language switch")
	}
}

func TestTicketIdleWipe(t *testing.T) {
	r := newRigWith(t, Config{KioskPrefix: "1"})
	r.take(t, "不动产")
	r.shows(t, "C1-001")
	r.clk.Advance(testIdle)
	if !r.k.CountdownShowing() {
		t.Fatal("no countdown on the number screen")
	}
	r.clk.Advance(testCountdown)
	r.at(t, ScreenHome)
	r.lacks(t, "C1-001")
	if r.k.Nav().Depth() != 1 {
		t.Fatalf("navigation depth %d after the wipe, want 1", r.k.Nav().Depth())
	}
}

func TestTicketPrinted(t *testing.T) {
	for _, paper := range []escpos.Paper{escpos.Width80, escpos.Width58} {
		t.Run(paper.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "printer.bin")
			r := newRigWith(t, Config{KioskPrefix: "1", Printer: path, Paper: paper})
			r.take(t, "企业开办")
			r.k.bg.Wait() // the print runs off the UI goroutine
			r.shows(t, "已打印")
			r.shows(t, "D1-001")
			d := decodeFile(t, path)
			if len(d.Cuts) != 1 || d.Inits != 1 {
				t.Fatalf("%d cuts and %d inits, want 1 and 1", len(d.Cuts), d.Inits)
			}
			if d.Image == nil || d.Image.Bounds().Dx() != paper.Dots() || d.Image.Bounds().Dy() < paper.Dots() {
				t.Fatalf("printed image %v, want %d dots wide and at least as tall (number and QR code)", d.Image.Bounds(), paper.Dots())
			}
			if len(d.Unknown) != 0 {
				t.Fatalf("unknown commands: %v", d.Unknown)
			}
		})
	}
}

func TestTicketPrinterFails(t *testing.T) {
	dir := t.TempDir() // a folder cannot print
	r := newRigWith(t, Config{KioskPrefix: "1", Printer: dir})
	r.take(t, "综合受理")
	r.k.bg.Wait()
	r.shows(t, "打印机无响应：请向工作人员领取纸质号码，或记下屏幕上的号码")
	if r.bigNumber("A1-001") == nil || !r.qrShown("ticket-qr.png") {
		t.Fatalf("the number or its QR code is gone after the printer failed; texts: %q", r.texts())
	}
	r.lacks(t, "已打印")
	r.k.SetLang(i18n.En)
	r.shows(t, "The printer did not respond: note the number on the screen or ask the staff")
}

func TestConfigCheck(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want error
	}{
		{"zero", Config{}, nil},
		{"defaults", Config{KioskPrefix: "A2", Counters: DefaultCounters, Paper: escpos.Width58}, nil},
		{"bad prefix", Config{KioskPrefix: "0O"}, tickets.ErrConfig},
		{"bad category", Config{Counters: []Counter{{Category: "I"}}}, tickets.ErrConfig},
		{"two letters", Config{Counters: []Counter{{Category: "AB"}}}, tickets.ErrConfig},
		{"twice", Config{Counters: []Counter{{Category: "A"}, {Category: "A"}}}, tickets.ErrConfig},
		{"bad paper", Config{Paper: 500}, escpos.ErrBadPaper},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Check()
			if tt.want == nil && err != nil || !errors.Is(err, tt.want) {
				t.Fatalf("Check() = %v, want %v", err, tt.want)
			}
		})
	}
}

// decodeFile decodes the print jobs written to path.
func decodeFile(t *testing.T, path string) escpos.Decoded {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := escpos.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPrinterState(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, printer, want string
	}{
		{"none", "", ""},
		{"file", filepath.Join(dir, "printer.bin"), "ok"},
		{"folder", dir, "error: not a printer"},
		{"missing device", "/dev/civicdesk-no-printer", "error: no printer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRigWith(t, Config{Printer: tt.printer})
			got := r.k.PrinterState()
			if got != tt.want {
				t.Fatalf("PrinterState() = %q, want %q", got, tt.want)
			}
			if tt.printer != "" && strings.Contains(got, tt.printer) {
				t.Fatalf("PrinterState() %q names the path", got)
			}
		})
	}
}
