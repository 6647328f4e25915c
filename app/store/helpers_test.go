package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
)

// children are alternative mains for subprocess tests, chosen by an env var.
var children = map[string]func() int{}

const childEnv = "CIVICDESK_STORE_TEST_CHILD"

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		f, ok := children[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown child %q\n", name)
			os.Exit(2)
		}
		os.Exit(f())
	}
	code := m.Run()
	for _, f := range afterTests {
		f()
	}
	os.Exit(code)
}

// afterTests run once after every test and benchmark.
var afterTests []func()

// testKey is a fixed 32-byte key.
var testKey = bytes.Repeat([]byte{0x42}, 32)

// fakeClock is an injectable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var t0 = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)

// opts returns options for a store in dir with a fixed key and clock.
func opts(dir string, clock *fakeClock) Options {
	return Options{Dir: dir, Key: testKey, Clock: clock.Now, LockTimeout: 100 * time.Millisecond}
}

// openT opens a store and closes it when the test ends.
func openT(t testing.TB, o Options) *Store {
	t.Helper()
	s, err := Open(o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newTestStore opens a fresh kiosk store in a temp dir.
func newTestStore(t testing.TB, mods ...func(*Options)) (*Store, *fakeClock) {
	t.Helper()
	clock := newClock(t0)
	o := opts(t.TempDir(), clock)
	for _, m := range mods {
		m(&o)
	}
	return openT(t, o), clock
}

func personalPolicy(o *Options) { o.Policy = PolicyPersonal }

// Distinctive personal data that must never appear in the file in clear.
const (
	sampleName     = "张三丰Zhangsanfeng"
	sampleIDNumber = "32030219900307123X"
	samplePhone    = "13912345678"
	sampleAddress  = "泉山区解放南路99号Jiefang-South-Road"
)

var sampleAttachment = []byte("DISTINCTIVE-ATTACHMENT-BYTES-scan-of-id-card")

// sampleApp is a realistic residence-permit application with about ten fields.
func sampleApp(i int) NewApplication {
	sum := sha256.Sum256(sampleAttachment)
	ref := catalog.AttachmentRef{Name: "id-card.jpg", Type: "image/jpeg", Size: int64(len(sampleAttachment)), SHA256: hex.EncodeToString(sum[:])}
	return NewApplication{
		Service:        "residence_permit",
		ServiceVersion: 3,
		Values: catalog.Values{
			"name":            sampleName,
			"id_number":       sampleIDNumber,
			"phone":           samplePhone,
			"district":        "320311",
			"address":         sampleAddress,
			"move_in_date":    "2025-01-15",
			"reason":          []any{"work"},
			"household_size":  float64(3 + i%4),
			"employer":        "Xuzhou Heavy Machinery Co.",
			"consent":         true,
			"id_card_scan":    ref,
			"residence_proof": "lease",
		},
		Attachments: []Attachment{{Field: "id_card_scan", Ref: ref, Data: sampleAttachment}},
	}
}

// seed writes n applications in large transactions, far faster than n
// Submits (one fsync per transaction). state is draft or queued.
func seed(tb testing.TB, s *Store, n int, state lifecycle.Status) {
	tb.Helper()
	const batch = 5000
	for start := 0; start < n; start += batch {
		err := s.update(func(tx *bolt.Tx) error {
			for i := start; i < min(n, start+batch); i++ {
				na, err := s.prepare(sampleApp(i))
				if err != nil {
					return err
				}
				r := s.newRecord(na)
				pd := personalData{Values: na.Values, Attachments: na.Attachments}
				if state == lifecycle.Queued {
					if err := s.queue(tx, &r, pd); err != nil {
						return err
					}
					continue
				}
				if _, _, err := s.putPersonal(tx, r.ID, pd); err != nil {
					return err
				}
				if err := putRecord(tx, &r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatalf("seed: %v", err)
		}
	}
}

// raw runs fn on the store file with bare bbolt (the store must be closed).
func raw(t testing.TB, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("raw open: %v", err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatalf("raw update: %v", err)
	}
}

// journal returns every journal event.
func journal(t testing.TB, s *Store) []Event {
	t.Helper()
	var evs []Event
	if err := s.Journal(0, func(e Event) error { evs = append(evs, e); return nil }); err != nil {
		t.Fatalf("Journal: %v", err)
	}
	return evs
}

// kinds lists the kinds of events about id.
func kinds(evs []Event, id string) []string {
	var k []string
	for _, e := range evs {
		if e.ID == id {
			k = append(k, e.Kind)
		}
	}
	return k
}

func states(a Application) []lifecycle.Status {
	var st []lifecycle.Status
	for _, h := range a.History {
		st = append(st, h.To)
	}
	return st
}

func mustIs(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// files lists the names in dir.
func files(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}
