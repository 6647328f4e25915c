package handoff

import "errors"

// Sentinel errors of the hand-off codec. Every error Encode and Decode
// return wraps one of these, so callers test with errors.Is. None of them
// ever carries a form value.
var (
	// ErrTooLarge: the application's form data does not fit one QR code.
	ErrTooLarge = errors.New("handoff: the application does not fit in one QR code: shorten the longest answers, or submit it from the phone when it is online")
	// ErrInvalid: the application cannot be handed off as it is (no
	// canonical id, no service, or its form data already deleted).
	ErrInvalid = errors.New("handoff: this application cannot be handed off")
	// ErrNotHandoff: the text is not a civicdesk hand-off code at all (a
	// receipt, a tracking number, someone else's QR code).
	ErrNotHandoff = errors.New("handoff: this is not a civicdesk hand-off code")
	// ErrMalformed: the text starts like a hand-off code but is incomplete
	// or damaged (bad characters, cut short, not a valid compressed form).
	ErrMalformed = errors.New("handoff: the code is incomplete or damaged: show the whole QR code again, steady and fully on screen")
	// ErrTampered: the code is complete but its checksum does not match:
	// it was altered or misread.
	ErrTampered = errors.New("handoff: the code's checksum does not match (altered or misread): scan it again, or make a new code on the phone")
	// ErrVersion: the code was made by a newer civicdesk than this one.
	ErrVersion = errors.New("handoff: the code was made by a newer version of civicdesk: update this device, or fill in the form here")
)
