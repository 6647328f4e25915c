package central

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"civicdesk/sync/wire"
)

// trackCall is one POST /v1/track of a test: its status, Retry-After and
// body.
type trackCall struct {
	status     int
	retryAfter string
	body       string
}

func (f *fixture) trackAs(tok, tracking, code string) trackCall {
	f.t.Helper()
	resp, b := f.do(request{method: "POST", path: wire.PathTrack, token: tok,
		body: wire.TrackRequest{Tracking: tracking, VerificationCode: code}})
	return trackCall{resp.StatusCode, resp.Header.Get("Retry-After"), string(b)}
}

// wantTrack checks a track answer's status (and, for 429, the error code
// and Retry-After).
func (f *fixture) wantTrack(tok, tracking, code string, status int, retryAfter time.Duration) trackCall {
	f.t.Helper()
	rq := request{method: "POST", path: wire.PathTrack, token: tok,
		body: wire.TrackRequest{Tracking: tracking, VerificationCode: code}}
	resp, b := f.do(rq)
	switch status {
	case http.StatusTooManyRequests:
		checkError(f.t, "track", resp, b, status, codeTooManyAttempts)
		if got, want := resp.Header.Get("Retry-After"), strconv.Itoa(int(retryAfter/time.Second)); got != want {
			f.t.Fatalf("Retry-After %q, want %q", got, want)
		}
	case http.StatusNotFound:
		checkError(f.t, "track", resp, b, status, codeNotFound)
		if resp.Header.Get("Retry-After") != "" {
			f.t.Fatal("a 404 with Retry-After")
		}
	default:
		if resp.StatusCode != status {
			f.t.Fatalf("track: status %d, want %d; body %s", resp.StatusCode, status, b)
		}
	}
	return trackCall{resp.StatusCode, resp.Header.Get("Retry-After"), string(b)}
}

// wrong returns a verification code other than code.
func wrong(code string, n int) string {
	return fmt.Sprintf("%06d", (atoi(code)+1+n)%1_000_000)
}

// trackFixture is a server with n accepted applications.
func trackFixture(t *testing.T, n int, mod ...func(*Options)) (*fixture, []wire.ItemResult) {
	f := newFixture(t, mod...)
	_, tok := f.enroll("kiosk")
	items := make([]wire.SubmitItem, n)
	for i := range items {
		items[i] = newItem(validValues())
	}
	return f, f.submit(tok, items...)
}

func TestTrackLimitPerTrackingNumber(t *testing.T) {
	f, apps := trackFixture(t, 1)
	a := apps[0]
	_, tok := f.enroll("kiosk")
	_, other := f.enroll("phone")
	for i := range DefaultTrackMaxFailures {
		f.wantTrack(tok, a.Tracking, wrong(a.VerificationCode, i), 404, 0)
		f.clock.Advance(time.Minute)
	}
	// The first failure was 10 minutes ago: it leaves the window in 50.
	left := DefaultTrackWindow - 10*time.Minute
	t.Run("the right code is refused too", func(t *testing.T) {
		right := f.wantTrack(tok, a.Tracking, a.VerificationCode, 429, left)
		wrongOne := f.wantTrack(tok, a.Tracking, wrong(a.VerificationCode, 99), 429, left)
		if right != wrongOne {
			t.Fatalf("the 429 depends on the code:\n%+v\n%+v", right, wrongOne)
		}
		if strings.Contains(right.body, a.Tracking) || strings.Contains(right.body, a.VerificationCode) {
			t.Fatal("the 429 echoes the receipt")
		}
		if !strings.Contains(right.body, "wait 50 minutes") || !strings.Contains(right.body, "receipt") {
			t.Fatalf("the message does not say what to do: %s", right.body)
		}
	})
	t.Run("from any device", func(t *testing.T) {
		f.wantTrack(other, a.Tracking, a.VerificationCode, 429, left)
	})
	t.Run("sliding window", func(t *testing.T) {
		f.clock.Advance(left - time.Second)
		f.wantTrack(tok, a.Tracking, a.VerificationCode, 429, time.Second)
		f.clock.Advance(time.Second) // the first failure left the window: one more attempt
		f.wantTrack(tok, a.Tracking, wrong(a.VerificationCode, 0), 404, 0)
		f.wantTrack(tok, a.Tracking, a.VerificationCode, 429, time.Minute) // the second leaves in a minute
	})
	t.Run("after the window the right code works", func(t *testing.T) {
		f.clock.Advance(DefaultTrackWindow)
		var tr wire.TrackResponse
		f.doJSON(request{method: "POST", path: wire.PathTrack, token: tok,
			body: wire.TrackRequest{Tracking: a.Tracking, VerificationCode: a.VerificationCode}}, 200, &tr)
		if tr.Tracking != a.Tracking {
			t.Fatalf("%+v", tr)
		}
	})
}

func TestTrackLimitUnknownNumbersCount(t *testing.T) {
	f, apps := trackFixture(t, 1)
	a := apps[0]
	_, tok := f.enroll("kiosk")
	unknown := "XZ20260302999999"
	var firstUnknown, firstWrong trackCall
	for i := range DefaultTrackMaxFailures {
		u := f.wantTrack(tok, unknown, a.VerificationCode, 404, 0)
		w := f.wantTrack(tok, a.Tracking, wrong(a.VerificationCode, i), 404, 0)
		if i == 0 {
			firstUnknown, firstWrong = u, w
		}
	}
	if firstUnknown != firstWrong {
		t.Fatalf("an unknown number answers unlike a wrong code:\n%+v\n%+v", firstUnknown, firstWrong)
	}
	u := f.wantTrack(tok, unknown, a.VerificationCode, 429, DefaultTrackWindow)
	w := f.wantTrack(tok, a.Tracking, a.VerificationCode, 429, DefaultTrackWindow)
	if u != w {
		t.Fatalf("the 429 of an unknown number differs from a known one's:\n%+v\n%+v", u, w)
	}
}

func TestTrackLimitPerDevice(t *testing.T) {
	f, apps := trackFixture(t, 1)
	a := apps[0]
	_, spray := f.enroll("phone")
	_, honest := f.enroll("kiosk")
	for i := range DefaultTrackDeviceMaxFailures {
		f.wantTrack(spray, fmt.Sprintf("XZ20260302%06d", 500_000+i), "123456", 404, 0)
	}
	f.clock.Advance(20 * time.Minute)
	t.Run("the device is refused on every number", func(t *testing.T) {
		f.wantTrack(spray, a.Tracking, a.VerificationCode, 429, 40*time.Minute)
		f.wantTrack(spray, "XZ20260302777777", "123456", 429, 40*time.Minute)
	})
	t.Run("other devices are not", func(t *testing.T) {
		f.wantTrack(honest, a.Tracking, a.VerificationCode, 200, 0)
		f.wantTrack(honest, "XZ20260302500000", "123456", 404, 0)
	})
	t.Run("after the window", func(t *testing.T) {
		f.clock.Advance(40 * time.Minute)
		f.wantTrack(spray, a.Tracking, a.VerificationCode, 200, 0)
	})
}

// TestTrackLimitSuccess: a success forgets its own tracking number's
// failures, not another number's, and never the device's.
func TestTrackLimitSuccess(t *testing.T) {
	f, apps := trackFixture(t, 3)
	t1, t2, t3 := apps[0], apps[1], apps[2]
	_, tok := f.enroll("kiosk")
	t.Run("its own tracking number starts afresh", func(t *testing.T) {
		for i := range DefaultTrackMaxFailures - 1 {
			f.wantTrack(tok, t3.Tracking, wrong(t3.VerificationCode, i), 404, 0)
		}
		f.wantTrack(tok, t3.Tracking, t3.VerificationCode, 200, 0)
		for i := range DefaultTrackMaxFailures {
			f.wantTrack(tok, t3.Tracking, wrong(t3.VerificationCode, i), 404, 0)
		}
		f.wantTrack(tok, t3.Tracking, t3.VerificationCode, 429, DefaultTrackWindow)
	})
	// The device has 19 failures now.
	t.Run("another tracking number keeps its count", func(t *testing.T) {
		for i := range DefaultTrackMaxFailures - 1 {
			f.wantTrack(tok, t1.Tracking, wrong(t1.VerificationCode, i), 404, 0)
		}
		f.wantTrack(tok, t2.Tracking, t2.VerificationCode, 200, 0)
		f.wantTrack(tok, t1.Tracking, wrong(t1.VerificationCode, 50), 404, 0)
		f.wantTrack(tok, t1.Tracking, t1.VerificationCode, 429, DefaultTrackWindow)
	})
	// 29 failures; successes did not count, nor clear any.
	t.Run("the device keeps its count", func(t *testing.T) {
		f.wantTrack(tok, t2.Tracking, t2.VerificationCode, 200, 0)
		for i := 29; i < DefaultTrackDeviceMaxFailures; i++ { // up to the device's limit, over fresh numbers
			f.wantTrack(tok, fmt.Sprintf("XZ20260302%06d", 800000+i), "000000", 404, 0)
		}
		f.wantTrack(tok, t2.Tracking, t2.VerificationCode, 429, DefaultTrackWindow)
	})
}

func TestTrackLimitOptions(t *testing.T) {
	f, apps := trackFixture(t, 1, func(o *Options) {
		o.TrackMaxFailures, o.TrackDeviceMaxFailures, o.TrackWindow = 2, 3, 10*time.Minute
	})
	a := apps[0]
	_, tok := f.enroll("kiosk")
	f.wantTrack(tok, a.Tracking, wrong(a.VerificationCode, 0), 404, 0)
	f.wantTrack(tok, a.Tracking, wrong(a.VerificationCode, 1), 404, 0)
	f.wantTrack(tok, a.Tracking, a.VerificationCode, 429, 10*time.Minute)
	f.wantTrack(tok, "XZ20260302000999", "000000", 404, 0)
	f.wantTrack(tok, "XZ20260302000998", "000000", 429, 10*time.Minute) // the device had its 3
	f.clock.Advance(10 * time.Minute)
	f.wantTrack(tok, a.Tracking, a.VerificationCode, 200, 0)
}

// TestTrackLimitConcurrent: attempts racing each other never overrun the
// limit.
func TestTrackLimitConcurrent(t *testing.T) {
	f, apps := trackFixture(t, 1)
	a := apps[0]
	_, tok := f.enroll("kiosk")
	const n = 3 * DefaultTrackMaxFailures
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			statuses[i] = f.trackAs(tok, a.Tracking, wrong(a.VerificationCode, i)).status
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[404] != DefaultTrackMaxFailures || count[429] != n-DefaultTrackMaxFailures {
		t.Fatalf("statuses %v", count)
	}
}

func TestAttemptLimiterBounded(t *testing.T) {
	now := time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)
	t.Run("the least recently failed are dropped", func(t *testing.T) {
		l := newAttemptLimiter(2, 1000, time.Hour, 10)
		for i := range 100 {
			if _, ok := l.begin(fmt.Sprint("T", i), "dev", now); !ok {
				t.Fatalf("attempt %d refused", i)
			}
		}
		if l.size() != 10 || l.order.Len() != 10 {
			t.Fatalf("%d entries, %d in order; want 10", l.size(), l.order.Len())
		}
		// The device and the latest numbers are still counted.
		l.begin("T99", "dev", now)
		if _, ok := l.begin("T99", "dev", now); ok {
			t.Fatal("the latest number lost its count")
		}
		if _, ok := l.begin("T0", "dev", now); !ok {
			t.Fatal("the oldest number is still counted")
		}
	})
	t.Run("expired entries go", func(t *testing.T) {
		l := newAttemptLimiter(2, 100, time.Hour, 10)
		for i := range 5 {
			l.begin(fmt.Sprint("T", i), "dev", now)
		}
		l.begin("T9", "dev2", now.Add(time.Hour))
		if l.size() != 2 {
			t.Fatalf("%d entries an hour later, want T9 and dev2", l.size())
		}
	})
	t.Run("the server's default", func(t *testing.T) {
		f := newFixture(t)
		l := f.srv.trackLimit
		for i := range trackLimitEntries/2 + 10_000 {
			s := strconv.Itoa(i)
			l.begin(s, s, now)
		}
		if l.size() != trackLimitEntries {
			t.Fatalf("%d entries, want %d", l.size(), trackLimitEntries)
		}
	})
}
