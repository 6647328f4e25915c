package kiosk

import "errors"

// Sentinel errors of the kiosk shell.
var (
	// ErrNoStaffID: staff sign-in without a staff id.
	ErrNoStaffID = errors.New("enter a staff id to sign in")
	// ErrBadStaffID: a staff id with other than letters, digits and '-', or too long.
	ErrBadStaffID = errors.New("a staff id holds only letters, digits and '-', up to 32 characters")
)
