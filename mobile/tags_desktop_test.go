//go:build !mobile

package mobile

// simulatedPhone: the tests run with -tags mobile (Fyne simulates a phone).
const simulatedPhone = false
