package kiosk

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Guest sessions.
//
// Any activity (a tap or keystroke the screens report through Deps.Touch,
// a key at the window canvas, a keypad tap) marks the session as used and
// arms the idle timer. After IdleAfter without activity the "Are you still
// there?" countdown appears; when it runs out the session is wiped. A
// session nobody has touched since the last wipe (the home screen as it
// starts) arms no timer: there is nothing to wipe.
type idleState struct {
	gen      int // bumped when timers are replaced, so stale callbacks do nothing
	dirty    bool
	last     time.Time
	timer    Timer // idle timer, nil when not armed
	counting bool  // the countdown is showing
	left     int   // seconds left on the countdown
	tick     Timer
}

// stop cancels both timers (caller holds the lock).
func (s *idleState) stop() {
	s.gen++
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if s.tick != nil {
		s.tick.Stop()
		s.tick = nil
	}
}

// Activity tells the kiosk someone is there: it restarts the idle period
// and dismisses the countdown.
func (k *Kiosk) Activity() {
	k.mu.Lock()
	s := &k.idle
	s.last = k.cfg.Clock.Now()
	s.dirty = true
	wasCounting := s.counting
	if wasCounting {
		s.counting = false
		if s.tick != nil {
			s.tick.Stop()
			s.tick = nil
		}
	}
	if s.timer == nil {
		k.armIdle(k.cfg.IdleAfter)
	}
	k.mu.Unlock()
	if wasCounting {
		k.hideCountdown()
	}
}

// armIdle starts the idle timer (caller holds the lock).
func (k *Kiosk) armIdle(after time.Duration) {
	gen := k.idle.gen
	k.idle.timer = k.cfg.Clock.AfterFunc(after, func() { fyne.Do(func() { k.idleFired(gen) }) })
}

func (k *Kiosk) idleFired(gen int) {
	k.mu.Lock()
	s := &k.idle
	if gen != s.gen || s.timer == nil {
		k.mu.Unlock()
		return
	}
	s.timer = nil
	if !s.dirty || s.counting {
		k.mu.Unlock()
		return
	}
	if since := k.cfg.Clock.Now().Sub(s.last); since < k.cfg.IdleAfter {
		k.armIdle(k.cfg.IdleAfter - since) // there was activity meanwhile
		k.mu.Unlock()
		return
	}
	s.counting = true
	s.left = int((k.cfg.Countdown + time.Second - 1) / time.Second)
	k.armTick()
	left := s.left
	k.mu.Unlock()
	k.showCountdown(left)
}

// armTick schedules the next countdown second (caller holds the lock).
func (k *Kiosk) armTick() {
	gen := k.idle.gen
	k.idle.tick = k.cfg.Clock.AfterFunc(time.Second, func() { fyne.Do(func() { k.ticked(gen) }) })
}

func (k *Kiosk) ticked(gen int) {
	k.mu.Lock()
	s := &k.idle
	if gen != s.gen || !s.counting {
		k.mu.Unlock()
		return
	}
	s.left--
	left := s.left
	if left > 0 {
		k.armTick()
	} else {
		s.tick = nil
	}
	k.mu.Unlock()
	if left > 0 {
		k.countdownText.Set(k.t("kiosk.idle.body", "N", left))
		return
	}
	k.Wipe()
}

// CountdownShowing reports whether "Are you still there?" is on screen.
func (k *Kiosk) CountdownShowing() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.idle.counting
}

// CountdownText is what the countdown says now ("" when hidden).
func (k *Kiosk) CountdownText() string {
	s, _ := k.countdownText.Get()
	return s
}

// ContinueButton is the countdown's "I'm still here" button (nil when
// hidden), for tests.
func (k *Kiosk) ContinueButton() *widget.Button {
	if k.countdown == nil {
		return nil
	}
	return k.countdownButton
}

func (k *Kiosk) showCountdown(left int) {
	k.countdownText.Set(k.t("kiosk.idle.body", "N", left))
	title := widget.NewLabel(k.t("kiosk.idle.title"))
	title.SizeName = theme.SizeNameHeadingText
	title.TextStyle.Bold = true
	title.Alignment = fyne.TextAlignCenter
	body := widget.NewLabelWithData(k.countdownText)
	body.Wrapping = fyne.TextWrapWord
	body.Alignment = fyne.TextAlignCenter
	btn := widget.NewButton(k.t("kiosk.idle.continue"), k.Activity)
	btn.Importance = widget.HighImportance
	k.countdownButton = btn
	c := k.canvas()
	if c == nil {
		return
	}
	k.countdown = widget.NewModalPopUp(container.NewVBox(title, body, btn), c)
	k.countdown.Show()
}

func (k *Kiosk) hideCountdown() {
	if k.countdown != nil {
		k.countdown.Hide()
	}
	k.countdown = nil
	k.countdownButton = nil
	k.countdownText.Set("")
}
