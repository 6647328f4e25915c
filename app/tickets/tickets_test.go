package tickets

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"civicdesk/app/store"
)

var cst = time.FixedZone("CST", 8*3600)

func open(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Several kiosks of one hall issue numbers offline, in the same categories,
// on the same day: no number is issued twice, each kiosk counts 1, 2, 3 ...
func TestNoNumberTwiceAcrossKiosks(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 11, 27, 9, 0, 0, 0, cst) }
	seen := map[string]string{}
	for _, prefix := range []string{"1", "2", "3", "K7"} {
		st := open(t, t.TempDir())
		is, err := New(st, "320302-01", prefix, cst, now)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 40; i++ {
			for _, cat := range []string{"A", "B"} {
				tk, err := is.Issue(cat)
				if err != nil {
					t.Fatal(err)
				}
				if tk.Seq != i || tk.Number != fmt.Sprintf("%s%s-%03d", cat, prefix, i) {
					t.Fatalf("kiosk %s category %s ticket %d: %+v", prefix, cat, i, tk)
				}
				if other, dup := seen[tk.Number]; dup {
					t.Fatalf("number %s issued by kiosk %s and %s", tk.Number, other, prefix)
				}
				seen[tk.Number] = prefix
			}
		}
		st.Close()
	}
}

// The sequence survives a restart and starts again the next day (in the
// hall's time zone, not UTC).
func TestSequenceAcrossRestartAndDays(t *testing.T) {
	dir := t.TempDir()
	clock := time.Date(2026, 11, 27, 23, 50, 0, 0, cst)
	now := func() time.Time { return clock }
	st := open(t, dir)
	is, _ := New(st, "h", "2", cst, now)
	for range 3 {
		if _, err := is.Issue("A"); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	st = open(t, dir)
	defer st.Close()
	is, _ = New(st, "h", "2", cst, now)
	if tk, _ := is.Issue("A"); tk.Seq != 4 {
		t.Fatalf("after a restart: seq %d, want 4", tk.Seq)
	}
	clock = clock.Add(15 * time.Minute) // 00:05 the next day in the hall, still the 27th in UTC
	tk, err := is.Issue("A")
	if err != nil || tk.Seq != 1 || tk.Day != "20261128" {
		t.Fatalf("the next day: %+v %v; want seq 1 on 20261128", tk, err)
	}
}

func TestConfigErrors(t *testing.T) {
	st := open(t, t.TempDir())
	defer st.Close()
	for _, p := range []string{"", "ABC", "O", "1I", "a"} {
		if _, err := New(st, "h", p, cst, nil); !errors.Is(err, ErrConfig) {
			t.Errorf("prefix %q: %v, want ErrConfig", p, err)
		}
	}
	is, _ := New(st, "h", "1", cst, nil)
	for _, c := range []string{"", "I", "AB", "a", "1"} {
		if _, err := is.Issue(c); !errors.Is(err, ErrConfig) {
			t.Errorf("category %q: %v, want ErrConfig", c, err)
		}
	}
}
