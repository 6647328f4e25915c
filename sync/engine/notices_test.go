package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/sync/wire"
)

// fakeNotices is the fake central's notices endpoint: its list, and what
// it saw.
type fakeNotices struct {
	list    []wire.Notice
	fail    int      // non-zero: answer this status
	halls   []string // hall asked by each request
	n200    int
	n304    int
	garbled bool // answer JSON that is not a notices answer
}

func (f *fakeCentral) serveNotices(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn := &f.notices
	fn.halls = append(fn.halls, r.URL.Query().Get("hall"))
	if fn.fail != 0 {
		writeJSON(w, fn.fail, wire.Error{Code: "internal", Message: "no"})
		return
	}
	list := fn.list
	if list == nil {
		list = []wire.Notice{}
	}
	body, _ := json.Marshal(wire.NoticesResponse{Notices: list})
	if fn.garbled {
		body = []byte(`{"notices":"soon"}`)
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		fn.n304++
		w.WriteHeader(http.StatusNotModified)
		return
	}
	fn.n200++
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

// memMeta is a NoticesCache in memory.
type memMeta struct {
	mu   sync.Mutex
	m    map[string]string
	fail error
}

func (m *memMeta) Meta(k string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.m[k], nil
}

func (m *memMeta) SetMeta(k, v string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	if m.m == nil {
		m.m = map[string]string{}
	}
	m.m[k] = v
	return nil
}

func hoursNotice(id string) wire.Notice {
	return wire.Notice{ID: id, Kind: wire.NoticeHours, Published: serverNow,
		Title: catalog.Text{catalog.LangZh: "办公时间", catalog.LangEn: "Opening hours"},
		Body:  catalog.Text{catalog.LangZh: "周一至周五 9:00–17:00", catalog.LangEn: "Mon–Fri 9:00–17:00"}}
}

func newNoticesRig(t *testing.T) (*rig, *memMeta) {
	t.Helper()
	meta := &memMeta{}
	r := newRig(t, serverNow, func(c *Config) { c.NoCatalog = true; c.Hall = "gulou"; c.NoticesCache = meta })
	return r, meta
}

func countKind(events <-chan Event, kind EventKind) int {
	n := 0
	for {
		select {
		case ev := <-events:
			if ev.Kind == kind {
				n++
			}
		default:
			return n
		}
	}
}

func TestNoticesFetchCacheAnd304(t *testing.T) {
	r, meta := newNoticesRig(t)
	events, cancel := r.eng.Subscribe(100)
	defer cancel()
	r.srv.do(func() { r.srv.notices.list = []wire.Notice{hoursNotice("n1")} })

	rep, err := r.sync(t)
	if err != nil || !rep.NoticesUpdated {
		t.Fatalf("first round: %v, report %+v", err, rep)
	}
	if n := countKind(events, NoticesUpdated); n != 1 {
		t.Fatalf("%d NoticesUpdated events, want 1", n)
	}
	got, err := CachedNotices(meta, serverNow)
	if err != nil || len(got) != 1 || got[0].ID != "n1" || got[0].Title[catalog.LangZh] != "办公时间" {
		t.Fatalf("cached %+v, %v", got, err)
	}
	if tag, _ := meta.Meta(NoticesETagKey); tag == "" {
		t.Fatal("no ETag cached")
	}

	// Unchanged: a 304, no event.
	rep, err = r.sync(t)
	if err != nil || rep.NoticesUpdated || countKind(events, NoticesUpdated) != 0 {
		t.Fatalf("unchanged round: %v %+v", err, rep)
	}
	r.srv.do(func() {
		if r.srv.notices.n200 != 1 || r.srv.notices.n304 != 1 {
			t.Errorf("%d full answers and %d 304s, want 1 and 1", r.srv.notices.n200, r.srv.notices.n304)
		}
		for _, h := range r.srv.notices.halls {
			if h != "gulou" {
				t.Errorf("asked for hall %q, want gulou", h)
			}
		}
	})

	// Changed: the new list replaces the cache.
	r.srv.do(func() { r.srv.notices.list = []wire.Notice{hoursNotice("n2"), hoursNotice("n1")} })
	if rep, err = r.sync(t); err != nil || !rep.NoticesUpdated || countKind(events, NoticesUpdated) != 1 {
		t.Fatalf("changed round: %v %+v", err, rep)
	}
	if got, _ := CachedNotices(meta, serverNow); len(got) != 2 || got[0].ID != "n2" {
		t.Fatalf("cached after change: %+v", got)
	}
}

func TestNoticesFailureKeepsCacheAndRound(t *testing.T) {
	r, meta := newNoticesRig(t)
	r.srv.do(func() { r.srv.notices.list = []wire.Notice{hoursNotice("n1")} })
	if _, err := r.sync(t); err != nil {
		t.Fatal(err)
	}
	events, cancel := r.eng.Subscribe(100)
	defer cancel()
	for _, tc := range []struct {
		name  string
		knob  func(fn *fakeNotices)
		store error
	}{
		{"server error", func(fn *fakeNotices) { fn.fail = 500 }, nil},
		{"not a notices answer", func(fn *fakeNotices) { fn.garbled = true }, nil},
		{"cache write fails", func(fn *fakeNotices) { fn.list = []wire.Notice{hoursNotice("n9")} }, errors.New("disk full")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.srv.do(func() { r.srv.notices = fakeNotices{list: []wire.Notice{hoursNotice("n1")}}; tc.knob(&r.srv.notices) })
			meta.mu.Lock()
			meta.fail = tc.store
			meta.mu.Unlock()
			rep, err := r.sync(t)
			if err != nil || rep.NoticesUpdated {
				t.Fatalf("round: %v, report %+v", err, rep)
			}
			if st := r.eng.Status(); st.LastError != "" || st.State != Online {
				t.Fatalf("status %+v", st)
			}
			if countKind(events, NoticesUpdated) != 0 {
				t.Fatal("NoticesUpdated without new notices")
			}
			if got, err := CachedNotices(meta, serverNow); err != nil || len(got) != 1 || got[0].ID != "n1" {
				t.Fatalf("cache after the failure: %+v %v", got, err)
			}
		})
	}
}

func TestNoticesNeedHallCacheAndAPI(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(c *Config)
		api  func(r *rig) API
	}{
		{"no hall", func(c *Config) { c.Hall = "" }, nil},
		{"no cache", func(c *Config) { c.NoticesCache = nil }, nil},
		{"API without notices", nil, func(r *rig) API { return plainAPI{r.api} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			meta := &memMeta{}
			r := newRig(t, serverNow, nil)
			cfg := Config{Clock: r.clock, Rand: func() float64 { return 0.5 }, NoCatalog: true, Hall: "gulou", NoticesCache: meta}
			if tc.mod != nil {
				tc.mod(&cfg)
			}
			var api API = r.api
			if tc.api != nil {
				api = tc.api(r)
			}
			r.eng = New(r.q, api, cfg)
			if _, err := r.sync(t); err != nil {
				t.Fatal(err)
			}
			r.srv.do(func() {
				if n := len(r.srv.notices.halls); n != 0 {
					t.Fatalf("%d notices requests, want none", n)
				}
			})
		})
	}
}

func TestCachedNoticesTimeWindow(t *testing.T) {
	at := serverNow
	soon, ending := hoursNotice("soon"), hoursNotice("ending")
	soon.From = at.Add(time.Hour)
	ending.Until = at.Add(time.Hour)
	body, _ := json.Marshal(wire.NoticesResponse{Notices: []wire.Notice{soon, ending, hoursNotice("always")}})
	meta := &memMeta{m: map[string]string{NoticesBodyKey: string(body)}}
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{at, "ending,always"},
		{at.Add(time.Hour - time.Nanosecond), "ending,always"},
		{at.Add(time.Hour), "soon,always"},
	} {
		got, err := CachedNotices(meta, tc.at)
		var ids []string
		for _, n := range got {
			ids = append(ids, n.ID)
		}
		if s := strings.Join(ids, ","); err != nil || s != tc.want {
			t.Fatalf("at %v: %q %v, want %q", tc.at.Sub(at), s, err, tc.want)
		}
	}
	if got, err := CachedNotices(&memMeta{}, at); err != nil || got != nil {
		t.Fatalf("nothing cached: %+v %v", got, err)
	}
	bad := &memMeta{m: map[string]string{NoticesBodyKey: "{"}}
	if _, err := CachedNotices(bad, at); !errors.Is(err, ErrBadNotices) {
		t.Fatalf("damaged cache: %v, want ErrBadNotices", err)
	}
}
