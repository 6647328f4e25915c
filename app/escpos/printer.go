package escpos

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// Printer sends print jobs to a device file (e.g. /dev/usb/lp0) or appends
// them to an ordinary file. The path is opened for each job, so a printer
// unplugged and plugged in again works without a restart. Safe for
// concurrent use: jobs never interleave.
type Printer struct {
	Path string

	mu   sync.Mutex
	open func(name string, flag int, perm os.FileMode) (io.WriteCloser, error)
}

func osOpen(name string, flag int, perm os.FileMode) (io.WriteCloser, error) {
	return os.OpenFile(name, flag, perm)
}

// Open checks that path can take print jobs and returns a Printer for it.
// A file that does not exist yet is created when its folder exists and the
// path is not under /dev. Errors wrap ErrNoPrinter, ErrNotPrinter,
// ErrPrinterDenied or ErrPrinterBusy and say what to do.
func Open(path string) (*Printer, error) {
	p := &Printer{Path: path, open: osOpen}
	if err := p.Check(); err != nil {
		return nil, err
	}
	return p, nil
}

// Check opens the printer for writing and closes it again, returning the
// same errors as Open: a health probe.
func (p *Printer) Check() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Path == "" {
		return fmt.Errorf("%w configured: receipts are shown on screen only; set the printer setting to the device (e.g. /dev/usb/lp0) to print", ErrNoPrinter)
	}
	fi, err := os.Stat(p.Path)
	switch {
	case err == nil && fi.IsDir():
		return fmt.Errorf("%w: %s is a folder: set the printer setting to the printer device (e.g. /dev/usb/lp0) or a file", ErrNotPrinter, p.Path)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return p.explain(err)
	case err != nil && isDevice(p.Path):
		return p.explain(err)
	}
	w, err := p.open(p.Path, p.flags(), 0o644)
	if err != nil {
		return p.explain(err)
	}
	if err := w.Close(); err != nil {
		return p.explain(err)
	}
	return nil
}

// Print sends one job. A failure part-way wraps ErrWrite (and the system
// error) and says how much was sent.
func (p *Printer) Print(stream []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	w, err := p.open(p.Path, p.flags(), 0o644)
	if err != nil {
		return p.explain(err)
	}
	n, err := w.Write(stream)
	if err == nil && n < len(stream) {
		err = io.ErrShortWrite
	}
	if cerr := w.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%w on %s after %d of %d bytes: %w: check the paper, the cover and the cable, then print again",
			ErrWrite, p.Path, n, len(stream), err)
	}
	return nil
}

func isDevice(path string) bool {
	return strings.HasPrefix(filepath.Clean(path), "/dev/")
}

func (p *Printer) flags() int {
	if isDevice(p.Path) {
		return os.O_WRONLY
	}
	return os.O_WRONLY | os.O_CREATE | os.O_APPEND
}

// explain turns an error from opening the printer into one that says what to do.
func (p *Printer) explain(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("%w at %s: check the cable and power, or leave the printer setting empty to show receipts on screen only: %w", ErrNoPrinter, p.Path, err)
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%w: %s: permission denied: add the kiosk's user to the lp group, or choose a writable file: %w", ErrPrinterDenied, p.Path, err)
	case errors.Is(err, syscall.EISDIR):
		return fmt.Errorf("%w: %s is a folder: set the printer setting to the printer device (e.g. /dev/usb/lp0) or a file: %w", ErrNotPrinter, p.Path, err)
	case errors.Is(err, syscall.ENODEV), errors.Is(err, syscall.ENXIO), errors.Is(err, syscall.EBUSY):
		return fmt.Errorf("%w: %s is switched off or used by another program: switch it on, close other programs, then try again: %w", ErrPrinterBusy, p.Path, err)
	}
	return fmt.Errorf("%w: %s: %w: check the printer setting", ErrPrinterBusy, p.Path, err)
}
