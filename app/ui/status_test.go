package ui_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/catalog"
	"civicdesk/app/i18n"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/app/ui"
	"civicdesk/app/ui/uitest"
	"civicdesk/sync/client"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

const (
	trackingNo = "XZ20261127000001"
	verifyCode = "482916"
)

// centralTrack stubs d.Track: one known application, its history, and a
// count of calls; offline makes it fail as an unreachable network does.
type centralTrack struct {
	calls   int
	offline bool
}

func (c *centralTrack) track(_ context.Context, tracking, code string) (wire.TrackResponse, error) {
	c.calls++
	if c.offline {
		return wire.TrackResponse{}, fmt.Errorf("track: %w", client.ErrOffline)
	}
	if tracking != trackingNo || code != verifyCode {
		return wire.TrackResponse{}, fmt.Errorf("track: %w", client.ErrNotFound)
	}
	at := uitest.Epoch.Add(-48 * time.Hour)
	return wire.TrackResponse{Tracking: trackingNo, Service: medical, Status: lifecycle.InReview, AcceptedAt: at,
		History: []wire.StatusEntry{
			{Status: lifecycle.Received, At: at},
			{Status: lifecycle.InReview, At: at.Add(26 * time.Hour), Note: catalog.Text{"zh-Hans": "已转医保经办窗口审核", "en": "Passed to the insurance desk for review"}},
		}}, nil
}

func TestStatusLookupTyped(t *testing.T) {
	d, _ := setup(t)
	c := &centralTrack{}
	d.Track = c.track
	vm := ui.NewStatusVM(d)
	back := 0
	scr := ui.StatusScreen(d, vm, func() { back++ })
	w := window(t, scr)

	entries := textEntries(scr)
	if len(entries) != 2 {
		t.Fatalf("%d entries, want tracking number and code", len(entries))
	}
	test.Type(entries[0], trackingNo)
	test.Type(entries[1], "000000")
	if err := vm.Lookup(); !errors.Is(err, ui.ErrNotFound) {
		t.Fatalf("wrong code: %v", err)
	}
	if !hasLabel(scr, "未查到该申请，请核对受理编号和查询码。") {
		t.Errorf("not-found message: %q", labels(scr))
	}
	entries[1].SetText(verifyCode)
	test.Tap(button(t, scr, "查询")) // looks up off the UI goroutine
	waitFor(t, "the lookup to end", func() bool { b, _ := vm.Busy.Get(); return !b })
	r, _ := vm.Result()
	if r.Status != lifecycle.InReview || len(r.History) != 2 || r.Local {
		t.Fatalf("result %+v", r)
	}
	// Render again on this goroutine for the markup (the tap rendered on the lookup's).
	scr = ui.StatusScreen(d, vm, func() { back++ })
	w.SetContent(scr)
	for _, want := range []string{"城乡居民医保参保登记", "当前状态：审核中", "办理进度", "2026-11-26 11:30  审核中\n已转医保经办窗口审核", "2026-11-25 09:30  已受理"} {
		if !hasLabel(scr, want) {
			t.Errorf("status lacks %q: %q", want, labels(scr))
		}
	}
	test.AssertRendersToMarkup(t, "status_history.xml", w.Canvas())
	test.Tap(button(t, scr, "返回"))
	if back != 1 {
		t.Error("Back not reported")
	}
}

func TestStatusScanAndErrors(t *testing.T) {
	d, fs := setup(t)
	c := &centralTrack{}
	d.Track = c.track
	app := queued(t, d)

	cases := []struct {
		name, payload string
		offline       bool
		accepted      bool // the local application was accepted first
		wantErr       error
		wantStatus    lifecycle.Status
		wantLocal     bool
		wantTracking  string // in the Tracking binding after the scan
		wantCalls     int    // d.Track calls
	}{
		{name: "tracking link looks up at once", payload: "civicdesk://track?no=" + trackingNo + "&code=" + verifyCode,
			wantStatus: lifecycle.InReview, wantTracking: trackingNo, wantCalls: 1},
		{name: "https link too", payload: "https://gov.example/track?no=" + trackingNo + "&code=" + verifyCode,
			wantStatus: lifecycle.InReview, wantTracking: trackingNo, wantCalls: 1},
		{name: "plain number waits for the code", payload: trackingNo + "\n", wantTracking: trackingNo},
		{name: "local reference, not sent, offline", payload: ui.RefLink(app.ID), offline: true,
			wantStatus: lifecycle.Queued, wantLocal: true},
		{name: "local reference, accepted, online", payload: ui.RefLink(app.ID), accepted: true,
			wantStatus: lifecycle.InReview, wantCalls: 1},
		{name: "local reference, accepted, API down", payload: ui.RefLink(app.ID), accepted: true,
			wantStatus: lifecycle.Received, wantLocal: true, wantCalls: 1},
		{name: "tracking link offline, on this device", payload: ui.TrackLink(trackingNo, verifyCode), accepted: true, offline: true,
			wantStatus: lifecycle.Received, wantLocal: true, wantTracking: trackingNo},
		{name: "tracking link offline, not on this device", payload: ui.TrackLink("XZ20261127000777", "1"), offline: true,
			wantErr: ui.ErrOffline, wantTracking: "XZ20261127000777"},
		{name: "unknown reference", payload: "civicdesk://track?ref=nope", wantErr: ui.ErrNotFound},
		{name: "not a receipt code", payload: "hello world!", wantErr: ui.ErrMalformed},
		{name: "link without a code", payload: "civicdesk://track?no=" + trackingNo, wantErr: ui.ErrMalformed},
		{name: "empty", payload: "", wantErr: ui.ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.accepted {
				_ = d.Store.MarkAccepted(app.ID, store.Acceptance{Tracking: trackingNo, VerificationCode: verifyCode,
					Status: lifecycle.Received, At: uitest.Epoch.Add(-48 * time.Hour)})
			}
			state := engine.Online
			if tc.offline {
				state = engine.Offline
			}
			fs.SetStatus(engine.Status{State: state})
			c.calls = 0
			c.offline = tc.name == "local reference, accepted, API down"
			vm := ui.NewStatusVM(d)
			scr := ui.StatusScreen(d, vm, func() {})
			window(t, scr)
			err := vm.Scan(tc.payload)
			if !errors.Is(err, tc.wantErr) || !errors.Is(vm.Err(), tc.wantErr) {
				t.Fatalf("Scan: %v (Err %v), want %v", err, vm.Err(), tc.wantErr)
			}
			if got, _ := vm.Tracking.Get(); got != tc.wantTracking {
				t.Errorf("tracking %q, want %q", got, tc.wantTracking)
			}
			if c.calls != tc.wantCalls {
				t.Errorf("%d calls to the central API, want %d", c.calls, tc.wantCalls)
			}
			r, ok := vm.Result()
			if tc.wantStatus == "" {
				if ok {
					t.Errorf("a result %+v", r)
				}
			} else if r.Status != tc.wantStatus || r.Local != tc.wantLocal {
				t.Errorf("status %s local %v, want %s %v", r.Status, r.Local, tc.wantStatus, tc.wantLocal)
			}
			if tc.wantErr != nil {
				if msg := vm.ErrorText(); msg == "" || !hasLabel(scr, msg) {
					t.Errorf("error %q not shown: %q", msg, labels(scr))
				}
			}
			if tc.wantLocal && tc.wantStatus == lifecycle.Queued &&
				!hasLabel(scr, "这份申请保存在本机，尚未发送，联网后将自动发送。") {
				t.Errorf("local result: %q", labels(scr))
			}
		})
	}
}

func TestStatusIncomplete(t *testing.T) {
	d, _ := setup(t)
	vm := ui.NewStatusVM(d)
	_ = vm.Tracking.Set(trackingNo)
	if err := vm.Lookup(); !errors.Is(err, ui.ErrIncomplete) {
		t.Fatalf("no code: %v", err)
	}
	if vm.ErrorText() != "请输入受理编号和查询码。" {
		t.Errorf("message %q", vm.ErrorText())
	}
}

// On a kiosk the tracking number and the code are typed on the keypad: one
// keypad, under the entry being filled in.
func TestStatusKeypad(t *testing.T) {
	d, _ := setup(t)
	keys := map[*widget.Button]*widget.Entry{}
	d.Keypad = func(target *widget.Entry, allowX bool) fyne.CanvasObject {
		key := widget.NewButton("3", func() { target.TypedRune('3') })
		keys[key] = target
		return key
	}
	vm := ui.NewStatusVM(d)
	obj := ui.StatusScreen(d, vm, func() {})
	w := window(t, obj)
	if len(keys) != 2 {
		t.Fatalf("%d keypads, want one for the tracking number and one for the code", len(keys))
	}
	shown := func() *widget.Button {
		t.Helper()
		var on []*widget.Button
		for k := range keys {
			if isShown(obj, k) {
				on = append(on, k)
			}
		}
		if len(on) != 1 {
			t.Fatalf("%d keypads on screen, want 1", len(on))
		}
		return on[0]
	}
	test.Tap(shown())
	test.Tap(shown())
	if got, _ := vm.Tracking.Get(); got != "33" {
		t.Fatalf("the keypad typed %q into the tracking number", got)
	}
	// Focus the code entry: the keypad moves under it.
	first := keys[shown()]
	w.Canvas().Focus(textEntries(obj)[1])
	if keys[shown()] == first {
		t.Fatal("the keypad stayed under the tracking number")
	}
	test.Tap(shown())
	if got, _ := vm.Code.Get(); got != "3" {
		t.Fatalf("the keypad typed %q into the code", got)
	}
}

// textEntries are the text inputs of a screen, in order (the screens wrap
// widget.Entry in their own focus-aware type).
type textEntry interface {
	fyne.Focusable
	SetText(string)
	SetPlaceHolder(string)
}

func textEntries(root fyne.CanvasObject) []textEntry {
	var out []textEntry
	for _, o := range objects(root) {
		if e, ok := o.(textEntry); ok {
			out = append(out, e)
		}
	}
	return out
}

// TestStatusTooManyAttempts: the central API's 429 after too many wrong
// tries is shown with the wait it asked for, rounded up to minutes, in the
// resident's language.
func TestStatusTooManyAttempts(t *testing.T) {
	d, fs := setup(t)
	fs.SetStatus(engine.Status{State: engine.Online})
	d.Track = func(context.Context, string, string) (wire.TrackResponse, error) {
		// What the client returns: the sentinel, and the answer with its Retry-After.
		return wire.TrackResponse{}, fmt.Errorf("track: %w (%w)", client.ErrTooManyAttempts,
			&client.APIError{Status: 429, Code: wire.CodeTooManyAttempts, RetryAfter: 24*time.Minute + 10*time.Second})
	}
	vm := ui.NewStatusVM(d)
	if err := vm.Scan(ui.TrackLink(trackingNo, "000000")); !errors.Is(err, ui.ErrTooManyAttempts) {
		t.Fatalf("Scan = %v, want ErrTooManyAttempts", err)
	}
	if got := vm.ErrorText(); !strings.Contains(got, "25") {
		t.Errorf("error text %q does not say 25 minutes", got)
	}
	d.Loc.SetLang(i18n.En)
	if got := vm.ErrorText(); !strings.Contains(got, "Wait 25 minutes") {
		t.Errorf("English error text %q", got)
	}
}
