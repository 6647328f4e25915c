package kiosk

import (
	"sync"

	"fyne.io/fyne/v2"

	"civicdesk/sync/engine"
)

// uploads follows the engine's attachment upload progress, per
// application, for the staff queue's progress bars.
type uploads struct {
	mu sync.Mutex
	m  map[string][2]int64 // application id -> done, total bytes
}

// set records progress; a finished upload is forgotten.
func (u *uploads) set(id string, done, total int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.m == nil {
		u.m = map[string][2]int64{}
	}
	if total <= 0 || done >= total {
		delete(u.m, id)
		return
	}
	u.m[id] = [2]int64{done, total}
}

// get returns the share of an application's attachments uploaded, and
// whether an upload is under way.
func (u *uploads) get(id string) (float64, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	p, ok := u.m[id]
	if !ok {
		return 0, false
	}
	return float64(p[0]) / float64(p[1]), true
}

// followUploads feeds progress events to k.uploads and refreshes the staff
// queue on screen. It returns the function that stops it.
func (k *Kiosk) followUploads() func() {
	events, cancel := k.d.Sync.Subscribe(64)
	go func() {
		for ev := range events {
			if ev.Kind != engine.Progress {
				continue
			}
			fyne.Do(func() { k.progressed(ev) })
		}
	}()
	return cancel
}

// progressed records an upload's progress and redraws the visible rows of
// the staff queue, if it is shown. It runs on the UI goroutine.
func (k *Kiosk) progressed(ev engine.Event) {
	k.uploads.set(ev.ID, ev.Done, ev.Total)
	if v := k.sess.queue; v != nil && k.nav.Current() == ScreenStaffQueue {
		v.list.Refresh()
	}
}
