package mobile

import "errors"

// Sentinel errors of the phone shell; screens show them translated.
var (
	// ErrNotDeletable: the application is on its way to the central API
	// (queued); only "delete my data" withdraws such applications, after a
	// warning.
	ErrNotDeletable = errors.New("mobile: the application is waiting to be sent and cannot be deleted on its own: use \"delete my data\" or wait until it is sent")
	// ErrNotHandoffable: only an application not sent yet can be shown at
	// the hall as a hand-off code; a sent one has a receipt instead.
	ErrNotHandoffable = errors.New("mobile: only an application that has not been sent yet can be handed over at the hall: show its receipt instead")
)
