// Package tickets issues hall queue numbers offline: unique across every
// kiosk of a hall without a network, because each number carries its
// kiosk's prefix, and sequential per kiosk, counter category and day.
package tickets

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/google/uuid"

	"civicdesk/app/store"
)

// ErrConfig: the kiosk prefix or the category is not usable.
var ErrConfig = errors.New("tickets: invalid configuration")

// Ticket is one queue number.
type Ticket struct {
	ID       string    `json:"id"`       // time-ordered UUID: the idempotency key when synced
	Hall     string    `json:"hall"`     // the hall's code
	Kiosk    string    `json:"kiosk"`    // the issuing kiosk's prefix, unique within the hall
	Category string    `json:"category"` // counter category letter, e.g. "A"
	Day      string    `json:"day"`      // YYYYMMDD in the hall's time zone
	Seq      int       `json:"seq"`      // 1, 2, ... per kiosk, category and day
	Number   string    `json:"number"`   // what is called out: category + kiosk + "-" + seq, e.g. "A2-023"
	IssuedAt time.Time `json:"issued_at"`
}

// Issuer hands out numbers for one kiosk.
type Issuer struct {
	st    *store.Store
	hall  string
	kiosk string
	loc   *time.Location
	now   func() time.Time
}

var (
	kioskRE    = regexp.MustCompile(`^[0-9A-HJ-NP-Z]{1,2}$`) // no I or O: they read as 1 and 0
	categoryRE = regexp.MustCompile(`^[A-HJ-NP-Z]$`)
)

// New returns an issuer for the kiosk with the given prefix (one or two of
// 0-9 and A-Z without I and O, unique within the hall: set by hall IT when
// the kiosk is installed), in the hall's time zone.
func New(st *store.Store, hall, kiosk string, loc *time.Location, now func() time.Time) (*Issuer, error) {
	if !kioskRE.MatchString(kiosk) {
		return nil, fmt.Errorf("%w: kiosk prefix %q: use one or two characters of 0-9 and A-Z (no I or O), unique in the hall", ErrConfig, kiosk)
	}
	if loc == nil {
		loc = time.Local
	}
	if now == nil {
		now = time.Now
	}
	return &Issuer{st: st, hall: hall, kiosk: kiosk, loc: loc, now: now}, nil
}

// Issue takes the next number of a counter category (a letter, no I or O).
// The sequence is kept in the store, so a restart continues it; it starts
// again at 1 each day.
func (is *Issuer) Issue(category string) (Ticket, error) {
	if !categoryRE.MatchString(category) {
		return Ticket{}, fmt.Errorf("%w: counter category %q: use one letter A-Z (no I or O)", ErrConfig, category)
	}
	now := is.now()
	day := now.In(is.loc).Format("20060102")
	seq, err := is.st.Increment("tickets." + day + "." + category)
	if err != nil {
		return Ticket{}, fmt.Errorf("tickets: the next number could not be saved: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Ticket{}, err
	}
	return Ticket{ID: id.String(), Hall: is.hall, Kiosk: is.kiosk, Category: category, Day: day, Seq: int(seq),
		Number: fmt.Sprintf("%s%s-%03d", category, is.kiosk, seq), IssuedAt: now}, nil
}
