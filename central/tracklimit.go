package central

import (
	"container/list"
	"crypto/sha256"
	"sync"
	"time"
)

// Limits of verification-code guessing at POST /v1/track.
//
// A verification code has six digits and a device token is enough to try
// them all, so the server counts failed attempts (a wrong code, or a
// tracking number it does not know: both answer the same 404) per tracking
// number and per device. A tracking number that had Options.TrackMaxFailures
// failures within Options.TrackWindow, or a device that had
// Options.TrackDeviceMaxFailures failures across all numbers it tried,
// answers 429 with Retry-After until the oldest of those failures leaves
// the window (a sliding window), even to the right code, so that the limit
// says nothing about the code.
//
// A success forgets its tracking number's failures (a resident who mistyped
// the code starts afresh once it is right) but never the device's earlier
// failures: otherwise a device holding one receipt could clear its count
// between guesses at other numbers.
//
// The counts live in memory only: a restart forgets them (at worst an
// attacker gets a fresh allowance per restart), and servers behind a load
// balancer would each count apart. They are bounded: past trackLimitEntries
// counters the least recently failed is dropped.

// Defaults of the Track options.
const (
	DefaultTrackMaxFailures       = 10
	DefaultTrackDeviceMaxFailures = 100 // a busy shared kiosk sees residents mistype
	DefaultTrackWindow            = time.Hour
)

// trackLimitEntries bounds the counters kept in memory (tracking numbers
// and devices together): about 280 bytes each with one failure (measured:
// 28 MB when full), up to about 500 with a full count.
const trackLimitEntries = 100_000

// Kinds of limitKey.
const (
	limitTracking byte = iota
	limitDevice
)

// limitKey names one counter: a kind and a hash of the tracking number or
// device id, so that a long made-up tracking number costs no more memory
// than a real one and no tracking number is kept in clear.
type limitKey struct {
	kind byte
	sum  [16]byte
}

func newLimitKey(kind byte, s string) limitKey {
	h := sha256.New()
	h.Write([]byte{kind})
	h.Write([]byte(s))
	k := limitKey{kind: kind}
	copy(k.sum[:], h.Sum(nil))
	return k
}

// limitEntry is the recent failures of one key.
type limitEntry struct {
	key   limitKey
	fails []time.Time // within the window, oldest first, at most the kind's limit
	last  time.Time   // the latest failure: the entry's place in order
}

// attemptLimiter counts failed attempts per key in a sliding window.
type attemptLimiter struct {
	mu       sync.Mutex
	window   time.Duration
	limits   [2]int // by kind
	capacity int
	entries  map[limitKey]*list.Element
	order    *list.List // of *limitEntry, least recently failed first
}

func newAttemptLimiter(perTracking, perDevice int, window time.Duration, capacity int) *attemptLimiter {
	return &attemptLimiter{window: window, limits: [2]int{perTracking, perDevice}, capacity: max(capacity, 2),
		entries: map[limitKey]*list.Element{}, order: list.New()}
}

// begin asks for an attempt of tracking by device at now. When either has
// had its limit of failures within the window, ok is false and wait is how
// long until one more attempt is allowed. Otherwise the attempt counts as
// a failure of both until succeeded or abandoned says otherwise, so that
// concurrent attempts cannot overrun the limit.
func (l *attemptLimiter) begin(tracking, device string, now time.Time) (wait time.Duration, ok bool) {
	tk, dk := newLimitKey(limitTracking, tracking), newLimitKey(limitDevice, device)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expire(now)
	if wait = max(l.wait(tk, now), l.wait(dk, now)); wait > 0 {
		return wait, false
	}
	l.fail(tk, now)
	l.fail(dk, now)
	return 0, true
}

// succeeded ends an attempt begun with begin that matched: the tracking
// number's failures are forgotten, the device's counted attempt withdrawn.
func (l *attemptLimiter) succeeded(tracking, device string) {
	tk, dk := newLimitKey(limitTracking, tracking), newLimitKey(limitDevice, device)
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.entries[tk]; ok {
		l.remove(el)
	}
	l.unfail(dk)
}

// abandoned ends an attempt begun with begin that could not be judged (a
// storage failure): it counts for neither.
func (l *attemptLimiter) abandoned(tracking, device string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unfail(newLimitKey(limitTracking, tracking))
	l.unfail(newLimitKey(limitDevice, device))
}

// wait is how long key k must wait at now before it may fail again; 0 when
// it is under its limit. It drops the failures that left the window.
func (l *attemptLimiter) wait(k limitKey, now time.Time) time.Duration {
	el, ok := l.entries[k]
	if !ok {
		return 0
	}
	e := el.Value.(*limitEntry)
	i := 0
	for i < len(e.fails) && now.Sub(e.fails[i]) >= l.window {
		i++
	}
	e.fails = e.fails[i:]
	if len(e.fails) < l.limits[k.kind] {
		return 0
	}
	return e.fails[len(e.fails)-l.limits[k.kind]].Add(l.window).Sub(now)
}

// fail records a failure of k at now, dropping the least recently failed
// entry when there are more than the capacity.
func (l *attemptLimiter) fail(k limitKey, now time.Time) {
	if el, ok := l.entries[k]; ok {
		e := el.Value.(*limitEntry)
		if n := l.limits[k.kind]; len(e.fails) >= n {
			e.fails = append(e.fails[:0], e.fails[len(e.fails)-n+1:]...)
		}
		e.fails = append(e.fails, now)
		e.last = now
		l.order.MoveToBack(el)
		return
	}
	e := &limitEntry{key: k, fails: make([]time.Time, 1, min(l.limits[k.kind], 4)), last: now}
	e.fails[0] = now
	l.entries[k] = l.order.PushBack(e)
	for len(l.entries) > l.capacity {
		l.remove(l.order.Front())
	}
}

// unfail withdraws the latest failure of k.
func (l *attemptLimiter) unfail(k limitKey) {
	el, ok := l.entries[k]
	if !ok {
		return
	}
	e := el.Value.(*limitEntry)
	if len(e.fails) > 0 {
		e.fails = e.fails[:len(e.fails)-1]
	}
	if len(e.fails) == 0 {
		l.remove(el)
		return
	}
	e.last = e.fails[len(e.fails)-1]
}

// expire drops the entries whose every failure left the window.
func (l *attemptLimiter) expire(now time.Time) {
	for el := l.order.Front(); el != nil; el = l.order.Front() {
		if now.Sub(el.Value.(*limitEntry).last) < l.window {
			return
		}
		l.remove(el)
	}
}

func (l *attemptLimiter) remove(el *list.Element) {
	delete(l.entries, el.Value.(*limitEntry).key)
	l.order.Remove(el)
}

// size is how many counters are held (tests).
func (l *attemptLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}
