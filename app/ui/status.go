package ui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/sync/client"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

// lookupTimeout bounds one status lookup on the central API.
const lookupTimeout = 15 * time.Second

// trackingRE is the shape of a tracking number typed or scanned on its own.
var trackingRE = regexp.MustCompile(`^[A-Za-z0-9-]{4,40}$`)

// StatusResult is what a status lookup found.
type StatusResult struct {
	Tracking string           // "" for an application not yet sent
	Ref      string           // the local id, when the application is on this device
	Service  string           // service code
	Status   lifecycle.Status // the current status
	History  []wire.StatusEntry
	// Local: from this device's records (offline, or not sent yet); may be
	// behind the central API.
	Local bool
}

// StatusVM is the state of the status lookup: what was typed or scanned,
// and what was found.
type StatusVM struct {
	Tracking, Code binding.String
	// Busy is true while a lookup runs.
	Busy binding.Bool

	d      *Deps
	mu     sync.Mutex
	ref    string
	result *StatusResult
	err    error
	notify func() // the screen showing this view-model
}

// NewStatusVM starts empty.
func NewStatusVM(d *Deps) *StatusVM {
	return &StatusVM{d: d, Tracking: binding.NewString(), Code: binding.NewString(), Busy: binding.NewBool()}
}

// Result is what the last lookup found.
func (vm *StatusVM) Result() (StatusResult, bool) {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	if vm.result == nil {
		return StatusResult{}, false
	}
	return *vm.result, true
}

// Err is why the last lookup or scan failed (nil after a success).
func (vm *StatusVM) Err() error {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return vm.err
}

// ErrorText is Err in the current language ("" when none).
func (vm *StatusVM) ErrorText() string {
	err := vm.Err()
	l := vm.d.Loc
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrIncomplete):
		return l.T("ui.status.err_incomplete")
	case errors.Is(err, ErrNotFound):
		return l.T("ui.status.err_not_found")
	case errors.Is(err, ErrOffline):
		return l.T("ui.status.err_offline")
	case errors.Is(err, ErrMalformed):
		return l.T("ui.status.err_malformed")
	case errors.Is(err, ErrTooManyAttempts):
		minutes := 1
		var ae *client.APIError
		if errors.As(err, &ae) && ae.RetryAfter > time.Minute {
			minutes = int((ae.RetryAfter + time.Minute - 1) / time.Minute)
		}
		return l.T("ui.status.err_too_many", "Minutes", minutes)
	}
	return l.T("ui.status.err_other")
}

func (vm *StatusVM) set(r *StatusResult, err error) error {
	vm.mu.Lock()
	vm.result, vm.err = r, err
	notify := vm.notify
	vm.mu.Unlock()
	if notify != nil {
		fyne.Do(notify)
	}
	return err
}

// Scan takes what a barcode scanner typed: a plain tracking number (the
// code is then still asked for), a tracking link
// "civicdesk://track?no=T&code=C" (or any URL with no and code; looked up
// at once) or a local reference "civicdesk://track?ref=<id>" (looked up on
// this device at once). Anything else is ErrMalformed. Scan blocks while
// it looks up.
func (vm *StatusVM) Scan(payload string) error {
	p := strings.TrimSpace(payload)
	if trackingRE.MatchString(p) {
		vm.mu.Lock()
		vm.ref = ""
		vm.mu.Unlock()
		_ = vm.Tracking.Set(p)
		_ = vm.Code.Set("")
		return vm.set(nil, nil)
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme == "" {
		return vm.set(nil, ErrMalformed)
	}
	q := u.Query()
	switch no, code, ref := q.Get("no"), q.Get("code"), q.Get("ref"); {
	case ref != "" && no == "":
		if len(ref) > 128 {
			return vm.set(nil, ErrMalformed)
		}
		vm.mu.Lock()
		vm.ref = ref
		vm.mu.Unlock()
		_ = vm.Tracking.Set("")
		_ = vm.Code.Set("")
	case trackingRE.MatchString(no) && code != "" && len(code) <= 64:
		vm.mu.Lock()
		vm.ref = ""
		vm.mu.Unlock()
		_ = vm.Tracking.Set(no)
		_ = vm.Code.Set(code)
	default:
		return vm.set(nil, ErrMalformed)
	}
	return vm.Lookup()
}

// Lookup asks the central API (d.Track) when the device is online, and
// uses this device's own record of the application when it has one: an
// application not yet sent, or any of its applications while offline.
// Errors: ErrIncomplete, ErrNotFound, ErrOffline.
func (vm *StatusVM) Lookup() error {
	_ = vm.Busy.Set(true)
	defer func() { _ = vm.Busy.Set(false) }()
	return vm.lookup()
}

func (vm *StatusVM) lookup() error {
	tracking, _ := vm.Tracking.Get()
	code, _ := vm.Code.Get()
	tracking, code = strings.TrimSpace(tracking), strings.TrimSpace(code)
	vm.mu.Lock()
	ref := vm.ref
	if tracking != "" {
		ref = "" // typed after a scan: the typed number wins
		vm.ref = ""
	}
	vm.mu.Unlock()
	if ref == "" && (tracking == "" || code == "") {
		return vm.set(nil, ErrIncomplete)
	}

	local, err := vm.local(ref, tracking, code)
	if err != nil {
		return vm.set(nil, err)
	}
	if ref != "" && local == nil {
		return vm.set(nil, ErrNotFound)
	}
	if local != nil && local.Tracking != "" {
		tracking, code = local.Tracking, local.VerificationCode
	}
	d := vm.d
	online := d.Track != nil && d.Sync.Status().State != engine.Offline
	if online && tracking != "" && code != "" {
		ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
		resp, err := d.Track(ctx, tracking, code)
		cancel()
		switch {
		case err == nil:
			r := &StatusResult{Tracking: resp.Tracking, Service: resp.Service, Status: resp.Status, History: resp.History}
			if local != nil {
				r.Ref = local.ID
			}
			return vm.set(r, nil)
		case local != nil:
			// Fall back on this device's record.
		case errors.Is(err, client.ErrNotFound):
			return vm.set(nil, ErrNotFound)
		case errors.Is(err, client.ErrTooManyAttempts):
			return vm.set(nil, fmt.Errorf("%w: %w", ErrTooManyAttempts, err))
		default:
			return vm.set(nil, fmt.Errorf("%w (%v)", ErrOffline, err))
		}
	}
	if local == nil {
		if online {
			return vm.set(nil, ErrNotFound)
		}
		return vm.set(nil, ErrOffline)
	}
	r := &StatusResult{Tracking: local.Tracking, Ref: local.ID, Service: local.Service, Status: local.State, Local: true}
	for _, t := range local.History {
		if t.To == lifecycle.Draft {
			continue
		}
		r.History = append(r.History, wire.StatusEntry{Status: t.To, At: t.At, Note: t.Note})
	}
	return vm.set(r, nil)
}

// local finds the application on this device: by id, or by tracking number
// with the matching verification code. nil when there is none.
func (vm *StatusVM) local(ref, tracking, code string) (*store.Application, error) {
	st := vm.d.Store
	if ref != "" {
		a, err := st.Get(ref)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("ui: read the local application: %w", err)
		}
		if a.State == lifecycle.Draft {
			return nil, nil
		}
		return &a, nil
	}
	id := ""
	stop := errors.New("found")
	err := st.ForEach(func(s store.Summary) error {
		if s.Tracking == tracking {
			id = s.ID
			return stop
		}
		return nil
	})
	if err != nil && !errors.Is(err, stop) {
		return nil, fmt.Errorf("ui: search the local applications: %w", err)
	}
	if id == "" {
		return nil, nil
	}
	a, err := st.Get(id)
	if err != nil || a.VerificationCode != code {
		return nil, nil
	}
	return &a, nil
}

// StatusScreen looks an application up by the tracking number and
// verification code on its receipt (typed, or scanned through the vm's
// Scan) and shows its status history.
func StatusScreen(d *Deps, vm *StatusVM, onBack func()) fyne.CanvasObject {
	l := d.Loc
	tracking := newFormEntry()
	tracking.SetPlaceHolder(l.T("ui.status.tracking_hint"))
	code := newFormEntry()
	code.SetPlaceHolder(l.T("ui.status.code_hint"))
	problem := errorLabel()
	results := container.NewVBox()

	render := func() {
		t, _ := vm.Tracking.Get()
		c, _ := vm.Code.Get()
		if tracking.Text != t {
			tracking.SetText(t)
		}
		if code.Text != c {
			code.SetText(c)
		}
		setError(problem, vm.ErrorText())
		results.Objects = statusResult(d, vm)
		results.Refresh()
	}
	tracking.SetText(func() string { t, _ := vm.Tracking.Get(); return t }())
	code.SetText(func() string { c, _ := vm.Code.Get(); return c }())
	tracking.OnChanged = func(s string) { d.Touched(); _ = vm.Tracking.Set(s) }
	code.OnChanged = func(s string) { d.Touched(); _ = vm.Code.Set(s) }

	var lookup *widget.Button
	lookup = widget.NewButton(l.T("ui.status.lookup"), func() {
		d.Touched()
		_ = vm.Busy.Set(true)
		lookup.Disable()
		setError(problem, "")
		go func() {
			_ = vm.lookup() // may wait for the network: off the UI goroutine
			fyne.Do(lookup.Enable)
			_ = vm.Busy.Set(false) // last, so whoever waits for it sees the screen updated
		}()
	})
	lookup.Importance = widget.HighImportance
	code.OnSubmitted = func(string) { lookup.OnTapped() }

	vm.mu.Lock()
	vm.notify = render
	vm.mu.Unlock()
	render()

	trackingBlock, codeBlock := withKeypads(d, tracking, code)
	form := container.NewVBox(
		Strong(l.T("ui.status.tracking")), trackingBlock,
		Strong(l.T("ui.status.code")), codeBlock,
		problem,
	)
	body := container.NewVBox(Caption(l.T("ui.status.hint")), form, results)
	back := widget.NewButton(l.T("ui.back"), func() { d.Touched(); onBack() })
	top := container.NewPadded(Heading(l.T("ui.status.title")))
	return screen(top, body, buttonBar(back, lookup))
}

// statusResult shows what the view-model found.
func statusResult(d *Deps, vm *StatusVM) []fyne.CanvasObject {
	l := d.Loc
	r, ok := vm.Result()
	if !ok {
		return nil
	}
	out := []fyne.CanvasObject{widget.NewSeparator()}
	if svc, found := d.Catalog().Service(r.Service); found {
		out = append(out, Subheading(l.Text(svc.Name)))
	}
	if r.Tracking != "" {
		out = append(out, Paragraph(l.T("ui.status.tracking_is", "Tracking", r.Tracking)))
	} else if r.Ref != "" {
		out = append(out, Paragraph(l.T("ui.status.ref_is", "Ref", LocalRef(r.Ref))))
	}
	now := Heading(l.T("ui.status.now", "Status", statusText(l, r.Status)))
	out = append(out, now)
	switch {
	case r.Local && r.Tracking == "":
		out = append(out, Caption(l.T("ui.status.not_sent")))
	case r.Local:
		out = append(out, Caption(l.T("ui.status.local")))
	}
	if len(r.History) > 0 {
		out = append(out, Strong(l.T("ui.status.history")))
		// Newest first: the resident wants to know where it stands now.
		for i := len(r.History) - 1; i >= 0; i-- {
			h := r.History[i]
			line := d.localTime(h.At) + "  " + statusText(l, h.Status)
			if note := l.Text(h.Note); note != "" {
				line += "\n" + note
			}
			out = append(out, Paragraph(line))
		}
	}
	return out
}

// withKeypads puts the shell's keypad (kiosk) under the tracking number and
// the verification code, one at a time: under the entry last focused, the
// tracking number's at first (or the code's once the number is there).
// Without a keypad (phone) the entries stand alone.
func withKeypads(d *Deps, tracking, code *formEntry) (fyne.CanvasObject, fyne.CanvasObject) {
	if d.Keypad == nil {
		return tracking, code
	}
	trackPad := container.NewVBox(d.Keypad(&tracking.Entry, false))
	codePad := container.NewVBox(d.Keypad(&code.Entry, false))
	show := func(pad, other *fyne.Container) func(bool) {
		return func(focused bool) {
			if focused {
				pad.Show()
				other.Hide()
			}
		}
	}
	tracking.onFocus = show(trackPad, codePad)
	code.onFocus = show(codePad, trackPad)
	if tracking.Text == "" {
		codePad.Hide()
	} else {
		trackPad.Hide()
	}
	return container.NewVBox(tracking, trackPad), container.NewVBox(code, codePad)
}
