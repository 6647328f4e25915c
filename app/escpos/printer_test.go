package escpos

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

func TestOpenFails(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, path string
		want       error
		msg        string
	}{
		{"nothing configured", "", ErrNoPrinter, "receipts are shown on screen only"},
		{"device missing", "/dev/civicdesk-no-printer",
			ErrNoPrinter, "no printer at /dev/civicdesk-no-printer: check the cable and power, or leave the printer setting empty to show receipts on screen only"},
		{"a directory", dir, ErrNotPrinter, "is a folder"},
		{"missing directory", filepath.Join(dir, "nope", "receipts.bin"), ErrNoPrinter, "no printer at"},
		{"under a file", filepath.Join(os.Args[0], "receipts.bin"), ErrNoPrinter, "no printer at"},
		// mode 0444 for every user, root included (a chmod'ed file is writable by root).
		{"read-only file", "/proc/sys/kernel/ostype", ErrPrinterDenied, "lp group"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Open(tt.path)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Open(%q) = %v, %v; want %v saying %q", tt.path, p, err, tt.want, tt.msg)
			}
		})
	}
}

func TestPrintToFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "printer.bin")
	p, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ticket := Encode(render(t, TicketDoc(sampleTicket("zh"), "zh"), Width58))
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = p.Print(ticket) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Decode(got)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3*len(ticket) || d.Inits != 3 || len(d.Cuts) != 3 || len(d.Unknown) != 0 {
		t.Errorf("file: %d bytes, %d inits, %d cuts, %d unknown; want 3 whole jobs", len(got), d.Inits, len(d.Cuts), len(d.Unknown))
	}
	if err := p.Check(); err != nil {
		t.Errorf("Check: %v", err)
	}
}

func TestPrintFails(t *testing.T) {
	stream := Encode(render(t, NewDoc().Text("测试"), Width58))

	t.Run("device full", func(t *testing.T) {
		p, err := Open("/dev/full") // a device whose writes fail with ENOSPC
		if err != nil {
			t.Fatal(err)
		}
		err = p.Print(stream)
		if !errors.Is(err, ErrWrite) || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "check the paper") {
			t.Fatalf("err = %v, want ErrWrite wrapping ENOSPC", err)
		}
	})
	t.Run("mid-way", func(t *testing.T) {
		p, err := Open(filepath.Join(t.TempDir(), "p.bin"))
		if err != nil {
			t.Fatal(err)
		}
		sink := &failAfter{n: 100}
		p.open = func(string, int, os.FileMode) (io.WriteCloser, error) { return sink, nil }
		err = p.Print(stream)
		if !errors.Is(err, ErrWrite) || !errors.Is(err, syscall.EIO) || !strings.Contains(err.Error(), "after 100 of") {
			t.Fatalf("err = %v, want ErrWrite after 100 bytes", err)
		}
		if !sink.closed {
			t.Error("the device was left open")
		}
	})
	t.Run("unplugged after Open", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sub", "p.bin")
		if err := os.Mkdir(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		p, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.RemoveAll(filepath.Dir(path)); err != nil {
			t.Fatal(err)
		}
		if err := p.Print(stream); !errors.Is(err, ErrNoPrinter) {
			t.Fatalf("err = %v, want ErrNoPrinter", err)
		}
	})
	t.Run("busy", func(t *testing.T) {
		p := &Printer{Path: "/dev/usb/lp9", open: func(string, int, os.FileMode) (io.WriteCloser, error) {
			return nil, &os.PathError{Op: "open", Path: "/dev/usb/lp9", Err: syscall.EBUSY}
		}}
		if err := p.Print(stream); !errors.Is(err, ErrPrinterBusy) || !strings.Contains(err.Error(), "switch it on") {
			t.Fatalf("err = %v, want ErrPrinterBusy", err)
		}
	})
}

// failAfter accepts n bytes, then fails like a printer that lost power.
type failAfter struct {
	n      int
	closed bool
}

func (f *failAfter) Write(b []byte) (int, error) {
	if len(b) <= f.n {
		f.n -= len(b)
		return len(b), nil
	}
	n := f.n
	f.n = 0
	return n, syscall.EIO
}

func (f *failAfter) Close() error { f.closed = true; return nil }
