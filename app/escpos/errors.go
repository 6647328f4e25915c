package escpos

import "errors"

// Sentinel errors of the package; every error returned wraps one of them.
var (
	// ErrNoFont: no usable CJK font was found on the system.
	ErrNoFont = errors.New("no Chinese font found")
	// ErrBadFont: a font file exists but cannot be used.
	ErrBadFont = errors.New("font unusable")
	// ErrTooWide: an element (a QR code) does not fit on the paper.
	ErrTooWide = errors.New("does not fit on the paper")
	// ErrBadPaper: a paper width the package does not know.
	ErrBadPaper = errors.New("unknown paper width")
	// ErrNoPrinter: nothing at the configured printer path.
	ErrNoPrinter = errors.New("no printer")
	// ErrPrinterDenied: the printer exists but may not be written.
	ErrPrinterDenied = errors.New("printer not writable")
	// ErrNotPrinter: the configured path is something that cannot print (a directory).
	ErrNotPrinter = errors.New("not a printer")
	// ErrPrinterBusy: the printer is in use or switched off.
	ErrPrinterBusy = errors.New("printer unavailable")
	// ErrWrite: writing a job to the printer failed part-way.
	ErrWrite = errors.New("printing failed")
	// ErrTruncated: a byte stream ends inside a command.
	ErrTruncated = errors.New("stream ends inside a command")
	// ErrMalformed: a command in a byte stream has impossible parameters.
	ErrMalformed = errors.New("malformed command")
)
