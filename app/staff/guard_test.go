package staff_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"civicdesk/app/staff"
	"civicdesk/app/store"
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

var epoch = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)

func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestSetPIN(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	g := staff.NewGuard(st, nil)
	if g.HasPIN() {
		t.Fatal("a fresh store has a PIN")
	}
	if err := g.Check("1234"); !errors.Is(err, staff.ErrNoPIN) {
		t.Fatalf("Check without a PIN: %v, want ErrNoPIN", err)
	}
	for _, bad := range []string{"", "123", "123456789", "12a4", "１２３４", "12 34"} {
		t.Run("refuse "+bad, func(t *testing.T) {
			err := g.SetPIN(bad)
			if !errors.Is(err, staff.ErrBadPIN) {
				t.Fatalf("SetPIN(%q): %v, want ErrBadPIN", bad, err)
			}
			if bad != "" && strings.Contains(err.Error(), bad) {
				t.Errorf("the error repeats the PIN: %v", err)
			}
		})
	}
	if err := g.SetPIN("20261127"); err != nil {
		t.Fatal(err)
	}
	if !g.HasPIN() {
		t.Fatal("HasPIN false after SetPIN")
	}
	stored, _ := st.Meta(staff.MetaPINHash)
	if strings.Contains(stored, "20261127") || !strings.HasPrefix(stored, "pbkdf2-sha256$150000$") {
		t.Fatalf("stored hash looks wrong: %q", stored)
	}
	// Same PIN again: a new salt, so a new hash.
	if err := g.SetPIN("20261127"); err != nil {
		t.Fatal(err)
	}
	if again, _ := st.Meta(staff.MetaPINHash); again == stored {
		t.Error("two hashes of the same PIN are equal: the salt is not random")
	}
	if err := g.Check("20261127"); err != nil {
		t.Fatalf("right PIN refused: %v", err)
	}
	if err := g.Check("2026112"); !errors.Is(err, staff.ErrWrongPIN) {
		t.Fatalf("prefix of the PIN: %v, want ErrWrongPIN", err)
	}
}

func TestLockout(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	c := &clock{t: epoch}
	g := staff.NewGuard(st, c.now)
	if err := g.SetPIN("4321"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < staff.MaxTries; i++ {
		err := g.Check("0000")
		var wrong *staff.WrongPINError
		if !errors.As(err, &wrong) || wrong.TriesLeft != staff.MaxTries-i {
			t.Fatalf("wrong try %d: %v, want %d tries left", i, err, staff.MaxTries-i)
		}
		c.advance(10 * time.Second)
	}
	err := g.Check("0000")
	var locked *staff.LockedError
	if !errors.As(err, &locked) || !errors.Is(err, staff.ErrLocked) {
		t.Fatalf("fifth wrong try: %v, want ErrLocked", err)
	}
	wantUntil := c.t.Add(staff.LockFor)
	if !locked.Until.Equal(wantUntil) {
		t.Fatalf("locked until %v, want %v", locked.Until, wantUntil)
	}
	if !strings.Contains(err.Error(), wantUntil.Format("15:04:05")) {
		t.Errorf("the lock message does not say until when: %v", err)
	}
	// Even the right PIN is refused while locked.
	if err := g.Check("4321"); !errors.Is(err, staff.ErrLocked) {
		t.Fatalf("right PIN while locked: %v, want ErrLocked", err)
	}

	// A restart does not reset the lock: a new guard over the reopened store.
	st.Close()
	st = openStore(t, dir)
	defer st.Close()
	g = staff.NewGuard(st, c.now)
	c.advance(staff.LockFor - 11*time.Second)
	if err := g.Check("4321"); !errors.Is(err, staff.ErrLocked) {
		t.Fatalf("after a restart, still within the lock: %v, want ErrLocked", err)
	}
	if got := g.LockedUntil(); !got.Equal(wantUntil) {
		t.Errorf("LockedUntil %v, want %v", got, wantUntil)
	}
	c.t = wantUntil
	if err := g.Check("4321"); err != nil {
		t.Fatalf("right PIN after the lock expired: %v", err)
	}
	if !g.LockedUntil().IsZero() {
		t.Error("still locked after a success")
	}
	// The count started afresh.
	var wrong *staff.WrongPINError
	if err := g.Check("1111"); !errors.As(err, &wrong) || wrong.TriesLeft != staff.MaxTries-1 {
		t.Fatalf("after the lock: %v, want %d tries left", err, staff.MaxTries-1)
	}
}

func TestFailuresPersist(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	c := &clock{t: epoch}
	g := staff.NewGuard(st, c.now)
	if err := g.SetPIN("4321"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := g.Check("9999"); !errors.Is(err, staff.ErrWrongPIN) {
			t.Fatal(err)
		}
	}
	st.Close()
	st = openStore(t, dir)
	defer st.Close()
	g = staff.NewGuard(st, c.now)
	if err := g.Check("9999"); !errors.Is(err, staff.ErrWrongPIN) {
		t.Fatal(err)
	}
	if err := g.Check("9999"); !errors.Is(err, staff.ErrLocked) {
		t.Fatalf("fifth wrong try across a restart: %v, want ErrLocked", err)
	}
}

func TestSuccessResetsCount(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	g := staff.NewGuard(st, (&clock{t: epoch}).now)
	if err := g.SetPIN("4321"); err != nil {
		t.Fatal(err)
	}
	for range staff.MaxTries - 1 {
		_ = g.Check("0000")
	}
	if err := g.Check("4321"); err != nil {
		t.Fatal(err)
	}
	var wrong *staff.WrongPINError
	if err := g.Check("0000"); !errors.As(err, &wrong) || wrong.TriesLeft != staff.MaxTries-1 {
		t.Fatalf("after a success: %v, want %d tries left", err, staff.MaxTries-1)
	}
}

func TestDamagedHash(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	g := staff.NewGuard(st, nil)
	if err := st.SetMeta(staff.MetaPINHash, "md5$1$xx$yy"); err != nil {
		t.Fatal(err)
	}
	if err := g.Check("1234"); !errors.Is(err, staff.ErrBadHash) {
		t.Fatalf("damaged hash: %v, want ErrBadHash", err)
	}
}
