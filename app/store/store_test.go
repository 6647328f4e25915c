package store

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"civicdesk/app/lifecycle"
)

func TestOpenCloseReopen(t *testing.T) {
	clock := newClock(t0)
	dir := filepath.Join(t.TempDir(), "data", "nested")
	s, err := Open(opts(dir, clock))
	noErr(t, err)
	if s.SchemaVersion() != currentSchema() || s.Policy() != PolicyKiosk || s.Path() != filepath.Join(dir, FileName) || s.Recovered() != "" {
		t.Fatalf("schema %d policy %s path %s recovered %q", s.SchemaVersion(), s.Policy(), s.Path(), s.Recovered())
	}
	a := must[Application](t)(s.CreateDraft(sampleApp(0)))
	noErr(t, s.SetMeta("api", "https://central.example"))
	noErr(t, s.Close())
	noErr(t, s.Close()) // twice is fine

	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, FileName): 0o600} {
		st, err := os.Stat(path)
		noErr(t, err)
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, st.Mode().Perm(), want)
		}
	}

	s = openT(t, opts(dir, clock))
	got := must[Application](t)(s.Get(a.ID))
	if !reflect.DeepEqual(got, a) {
		t.Fatalf("after reopen:\n got %+v\nwant %+v", got, a)
	}
	if v := must[string](t)(s.Meta("api")); v != "https://central.example" {
		t.Fatalf("meta after reopen: %q", v)
	}
	if n := len(journal(t, s)); n != 1 {
		t.Fatalf("journal has %d events, want 1 (created)", n)
	}
}

func TestOpenOptionsInvalid(t *testing.T) {
	for name, o := range map[string]Options{
		"no dir":     {},
		"bad policy": {Dir: t.TempDir(), Policy: "forever", Key: testKey},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Open(o)
			mustIs(t, err, ErrInvalid)
		})
	}
}

func TestSecondOpenInUse(t *testing.T) {
	s, clock := newTestStore(t)
	dir := filepath.Dir(s.Path())
	for _, ro := range []bool{false, true} {
		o := opts(dir, clock)
		o.ReadOnly = ro
		start := time.Now()
		_, err := Open(o)
		mustIs(t, err, ErrInUse)
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("read-only=%v: took %v to give up", ro, el)
		}
		msg := err.Error()
		if !strings.Contains(msg, "store is already in use by another civicdesk process") || !strings.Contains(msg, s.Path()) {
			t.Errorf("message %q does not say what and which file", msg)
		}
	}
	// Once the first closes, the store opens again.
	noErr(t, s.Close())
	openT(t, opts(dir, clock))
}

func TestKeySources(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	other := bytes.Repeat([]byte{9}, 32)
	writeFile := func(t *testing.T, content string) string {
		p := filepath.Join(t.TempDir(), "k")
		noErr(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T, o *Options)
		wantKey []byte
		wantErr error
	}{
		{"option raw", func(t *testing.T, o *Options) { o.Key = key }, key, nil},
		{"option base64", func(t *testing.T, o *Options) { o.Key = []byte(base64.StdEncoding.EncodeToString(key)) }, key, nil},
		{"option wins over env", func(t *testing.T, o *Options) {
			o.Key = key
			t.Setenv(KeyEnv, hex.EncodeToString(other))
		}, key, nil},
		{"key file hex", func(t *testing.T, o *Options) { o.KeyFile = writeFile(t, hex.EncodeToString(key)+"\n") }, key, nil},
		{"key file raw bytes", func(t *testing.T, o *Options) { o.KeyFile = writeFile(t, string(key)) }, key, nil},
		{"env base64", func(t *testing.T, o *Options) { t.Setenv(KeyEnv, base64.StdEncoding.EncodeToString(key)) }, key, nil},
		{"env hex", func(t *testing.T, o *Options) { t.Setenv(KeyEnv, hex.EncodeToString(key)) }, key, nil},
		{"env too short", func(t *testing.T, o *Options) { t.Setenv(KeyEnv, base64.StdEncoding.EncodeToString(key[:16])) }, nil, ErrKey},
		{"key file missing", func(t *testing.T, o *Options) { o.KeyFile = filepath.Join(t.TempDir(), "nope") }, nil, ErrKey},
		{"option wrong length", func(t *testing.T, o *Options) { o.Key = []byte("short") }, nil, ErrKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(KeyEnv, "")
			o := Options{Dir: t.TempDir(), Clock: newClock(t0).Now}
			tc.setup(t, &o)
			s, err := Open(o)
			if tc.wantErr != nil {
				mustIs(t, err, tc.wantErr)
				if strings.Contains(err.Error(), base64.StdEncoding.EncodeToString(key[:16])) {
					t.Fatalf("error quotes the key: %v", err)
				}
				return
			}
			noErr(t, err)
			defer s.Close()
			want, err := newSealer(tc.wantKey, "test")
			noErr(t, err)
			sealed, err := s.seal.seal([]byte("b"), []byte("k"), []byte("hello"))
			noErr(t, err)
			if _, err := want.open([]byte("b"), []byte("k"), sealed); err != nil {
				t.Fatal("the store does not use the expected key")
			}
			if _, err := os.Stat(filepath.Join(o.Dir, KeyFileName)); !os.IsNotExist(err) {
				t.Fatalf("store.key created although a key was supplied (stat: %v)", err)
			}
		})
	}
}

func TestDefaultKeyFile(t *testing.T) {
	t.Setenv(KeyEnv, "")
	clock := newClock(t0)
	dir := t.TempDir()
	o := Options{Dir: dir, Clock: clock.Now}
	s, err := Open(o)
	noErr(t, err)
	a := must[Application](t)(s.CreateDraft(sampleApp(0)))
	noErr(t, s.Close())

	kp := filepath.Join(dir, KeyFileName)
	st, err := os.Stat(kp)
	noErr(t, err)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("store.key mode %v, want 0600", st.Mode().Perm())
	}
	content, err := os.ReadFile(kp)
	noErr(t, err)
	if _, err := parseKey(content, "test"); err != nil {
		t.Fatalf("store.key does not hold a key: %v", err)
	}

	// Reopening reuses it.
	s = openT(t, o)
	if got := must[Application](t)(s.Get(a.ID)); got.Values["name"] != sampleName {
		t.Fatalf("values after reopen: %v", got.Values["name"])
	}
	noErr(t, s.Close())

	// Without it, the store refuses to open rather than making a new key.
	noErr(t, os.Rename(kp, kp+".bak"))
	_, err = Open(o)
	mustIs(t, err, ErrKey)
	if !strings.Contains(err.Error(), "missing") {
		t.Fatalf("error does not say the key file is missing: %v", err)
	}
	if _, err := os.Stat(kp); !os.IsNotExist(err) {
		t.Fatal("a new store.key was created for an existing store")
	}
}

func TestWrongKey(t *testing.T) {
	clock := newClock(t0)
	dir := t.TempDir()
	s := openT(t, opts(dir, clock))
	a := must[Application](t)(s.CreateDraft(sampleApp(0)))
	noErr(t, s.SetSecret("token", "device-token"))
	noErr(t, s.Close())

	o := opts(dir, clock)
	o.Key = bytes.Repeat([]byte{0x13}, 32)
	_, err := Open(o)
	mustIs(t, err, ErrKey)
	if !strings.Contains(err.Error(), "does not match this store") || !strings.Contains(err.Error(), KeyEnv) {
		t.Fatalf("error does not explain the mismatch: %v", err)
	}

	// Read-only (doctor, export) still opens: summaries work, personal data does not.
	o.ReadOnly = true
	ro := openT(t, o)
	n := 0
	noErr(t, ro.ForEach(func(Summary) error { n++; return nil }))
	if n != 1 {
		t.Fatalf("ForEach saw %d", n)
	}
	_, err = ro.Get(a.ID)
	mustIs(t, err, ErrKey)
	_, err = ro.Secret("token")
	mustIs(t, err, ErrKey)
	mustIs(t, ro.Check(), ErrKey)
}

func TestReadOnly(t *testing.T) {
	t.Run("missing store", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "none")
		_, err := Open(Options{Dir: dir, ReadOnly: true, Key: testKey})
		mustIs(t, err, ErrNotFound)
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatal("a read-only open created the data directory")
		}
	})
	t.Run("writes refused, draft intact", func(t *testing.T) {
		clock := newClock(t0)
		dir := t.TempDir()
		s := openT(t, opts(dir, clock))
		a := must[Application](t)(s.CreateDraft(sampleApp(0)))
		noErr(t, s.Close())

		o := opts(dir, clock)
		o.ReadOnly = true
		ro := openT(t, o)
		writes := map[string]func() error{
			"Enqueue":     func() error { _, err := ro.Enqueue(a.ID); return err },
			"CreateDraft": func() error { _, err := ro.CreateDraft(sampleApp(1)); return err },
			"Submit":      func() error { _, err := ro.Submit(sampleApp(2)); return err },
			"SaveDraft":   func() error { return ro.SaveDraft(a.ID, nil, nil) },
			"SetMeta":     func() error { return ro.SetMeta("k", "v") },
			"SetSecret":   func() error { return ro.SetSecret("k", "v") },
			"Delete":      func() error { return ro.Delete(a.ID) },
			"PutCatalog":  func() error { return ro.PutCatalog("e", []byte("{}")) },
			"MarkFailed":  func() error { return ro.MarkFailed(a.ID, "x") },
			"PurgeAccepted": func() error {
				_, err := ro.PurgeAccepted()
				return err
			},
		}
		for name, w := range writes {
			if err := w(); !errors.Is(err, ErrReadOnly) {
				t.Errorf("%s: got %v, want ErrReadOnly", name, err)
			}
		}
		got := must[Application](t)(ro.Get(a.ID))
		if got.State != lifecycle.Draft || got.Values["name"] != sampleName {
			t.Fatalf("draft changed: %+v", got)
		}
		noErr(t, ro.Check())
		noErr(t, ro.Close())
		// The draft can still be queued once the store is writable.
		s = openT(t, opts(dir, clock))
		if _, err := s.Enqueue(a.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestNewerSchemaRefused(t *testing.T) {
	clock := newClock(t0)
	dir := t.TempDir()
	s := openT(t, opts(dir, clock))
	noErr(t, s.Close())
	raw(t, s.Path(), func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchemaVersion, []byte("99"))
	})
	for _, ro := range []bool{false, true} {
		o := opts(dir, clock)
		o.ReadOnly = ro
		_, err := Open(o)
		mustIs(t, err, ErrSchema)
		if !strings.Contains(err.Error(), "99") || !strings.Contains(err.Error(), "newer civicdesk") {
			t.Fatalf("unclear error: %v", err)
		}
	}
	if names := files(t, dir); !reflect.DeepEqual(names, []string{FileName}) {
		t.Fatalf("files in the data dir: %v (the file must stay where it is)", names)
	}
}

func TestMigrationsAreOrdered(t *testing.T) {
	for i, m := range migrations {
		if m.version != i+1 || m.up == nil || m.what == "" {
			t.Fatalf("migration %d: version %d", i, m.version)
		}
	}
	// A store at version 0 with data (no buckets yet) gets them all in one go.
	s, _ := newTestStore(t)
	if s.SchemaVersion() != len(migrations) {
		t.Fatalf("schema %d", s.SchemaVersion())
	}
}

func TestCorruptionRecovery(t *testing.T) {
	// A real store big enough to span many pages.
	makeReal := func(t *testing.T, dir string, clock *fakeClock) {
		s := openT(t, opts(dir, clock))
		n := sampleApp(0)
		n.Attachments[0].Data = bytes.Repeat([]byte("x"), 200_000)
		n.Attachments[0].Ref.SHA256, n.Attachments[0].Ref.Size = "", 0
		must[Application](t)(s.Submit(n))
		for i := 0; i < 20; i++ {
			must[Application](t)(s.CreateDraft(sampleApp(i)))
		}
		noErr(t, s.Close())
	}
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"garbage", func(t *testing.T, path string) {
			noErr(t, os.WriteFile(path, []byte("this is not a database, just some text\n"), 0o600))
		}},
		{"garbage of many pages", func(t *testing.T, path string) {
			noErr(t, os.WriteFile(path, bytes.Repeat([]byte{0xA5}, 64<<10), 0o600))
		}},
		{"truncated to half", func(t *testing.T, path string) {
			st, err := os.Stat(path)
			noErr(t, err)
			noErr(t, os.Truncate(path, st.Size()/2))
		}},
		{"truncated to three pages", func(t *testing.T, path string) { noErr(t, os.Truncate(path, 3*4096)) }},
		{"truncated inside the header", func(t *testing.T, path string) { noErr(t, os.Truncate(path, 100)) }},
		{"both header pages damaged", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			noErr(t, err)
			defer f.Close()
			for _, off := range []int64{16 + 40, 4096 + 16 + 40} { // the high water mark in each meta page
				_, err := f.WriteAt([]byte{0xff, 0xff}, off)
				noErr(t, err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock(t0)
			dir := t.TempDir()
			makeReal(t, dir, clock)
			path := filepath.Join(dir, FileName)
			tc.damage(t, path)
			damaged, err := os.ReadFile(path)
			noErr(t, err)

			// Read-only reports it and leaves it where it is.
			o := opts(dir, clock)
			o.ReadOnly = true
			_, err = Open(o)
			mustIs(t, err, ErrCorrupt)
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("read-only error does not name the file: %v", err)
			}

			clock.Advance(time.Hour)
			s := openT(t, opts(dir, clock))
			want := path + ".corrupt-" + t0.Add(time.Hour).Format("20060102T150405Z")
			if s.Recovered() != want {
				t.Fatalf("Recovered() = %q, want %q", s.Recovered(), want)
			}
			moved, err := os.ReadFile(want)
			noErr(t, err)
			if !bytes.Equal(moved, damaged) {
				t.Fatal("the moved file is not the damaged file")
			}
			n := 0
			noErr(t, s.ForEach(func(Summary) error { n++; return nil }))
			if n != 0 {
				t.Fatalf("fresh store has %d applications", n)
			}
			evs := journal(t, s)
			if len(evs) != 1 || evs[0].Kind != EventRecovered || !strings.Contains(evs[0].Detail, filepath.Base(want)) {
				t.Fatalf("journal: %+v", evs)
			}
			noErr(t, s.Check())
			must[Application](t)(s.Submit(sampleApp(1)))
			noErr(t, s.Close())

			// The next open is a normal one.
			s = openT(t, opts(dir, clock))
			if s.Recovered() != "" {
				t.Fatalf("recovered again: %s", s.Recovered())
			}
		})
	}
}

func TestSoundFileIsNotMovedAside(t *testing.T) {
	// inspectFile must accept every real store, including an empty file
	// and files of various sizes.
	clock := newClock(t0)
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	noErr(t, os.WriteFile(path, nil, 0o600))
	s := openT(t, opts(dir, clock))
	if s.Recovered() != "" {
		t.Fatal("an empty file was moved aside")
	}
	for i := 0; i < 5; i++ {
		n := sampleApp(i)
		n.Attachments[0].Data = bytes.Repeat([]byte{byte(i)}, 50_000*i)
		n.Attachments[0].Ref.SHA256, n.Attachments[0].Ref.Size = "", 0
		must[Application](t)(s.Submit(n))
		noErr(t, s.Close())
		if err := inspectFile(path); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		s = openT(t, opts(dir, clock))
		if s.Recovered() != "" {
			t.Fatalf("round %d: moved aside", i)
		}
	}
}
