// Package uitest builds real screen dependencies for headless Fyne tests: a
// fresh encrypted store, the embedded catalog, a localizer, a fixed clock
// and a fake sync engine whose status and events the test controls.
package uitest

import (
	"context"
	"sync"
	"testing"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/app/i18n"
	"civicdesk/app/store"
	"civicdesk/app/ui"
	"civicdesk/sync/client"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

// Epoch is the fixed "now" of screen tests, so golden files are stable.
var Epoch = time.Date(2026, 11, 27, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))

// FakeSync is a ui.Sync whose status the test sets and whose events it sends.
type FakeSync struct {
	mu       sync.Mutex
	status   engine.Status
	subs     []chan engine.Event
	Triggers int
}

// Status returns the status last set.
func (f *FakeSync) Status() engine.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

// SetStatus changes the status and sends a StatusChanged event.
func (f *FakeSync) SetStatus(s engine.Status) {
	f.mu.Lock()
	f.status = s
	f.mu.Unlock()
	f.Send(engine.Event{Kind: engine.StatusChanged, Status: s})
}

// Send delivers ev to every subscriber (dropping it for a full one).
func (f *FakeSync) Send(ev engine.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ch := range f.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// Subscribe implements ui.Sync.
func (f *FakeSync) Subscribe(buf int) (<-chan engine.Event, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan engine.Event, max(buf, 1))
	f.subs = append(f.subs, ch)
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		for i, c := range f.subs {
			if c == ch {
				f.subs = append(f.subs[:i], f.subs[i+1:]...)
				close(ch)
				return
			}
		}
	}
}

// Subscribers is how many subscriptions are live (not cancelled): a
// screen that forgets to stop listening leaves one behind.
func (f *FakeSync) Subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// Trigger counts "sync now" requests.
func (f *FakeSync) Trigger() {
	f.mu.Lock()
	f.Triggers++
	f.mu.Unlock()
}

// Deps returns screen dependencies over a fresh kiosk-policy store in a
// temporary directory, and the fake engine behind them. Track answers from
// tracks (tracking number -> answer; a wrong code is not found).
func Deps(t testing.TB, policy store.Policy) (*ui.Deps, *FakeSync) {
	t.Helper()
	st, err := store.Open(store.Options{Dir: t.TempDir(), Policy: policy, Clock: func() time.Time { return Epoch }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fs := &FakeSync{status: engine.Status{State: engine.Online}}
	cat := catalog.Default()
	d := &ui.Deps{
		Store:    st,
		Sync:     fs,
		Loc:      i18n.New(),
		Catalog:  func() *catalog.Catalog { return cat },
		Now:      func() time.Time { return Epoch },
		TrackURL: ui.TrackLink,
		Track: func(ctx context.Context, tracking, code string) (wire.TrackResponse, error) {
			return wire.TrackResponse{}, client.ErrNotFound
		},
	}
	return d, fs
}
