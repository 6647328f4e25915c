package kiosk

import (
	"testing"
	"time"

	"civicdesk/app/ui/uitest"
)

func TestFakeClock(t *testing.T) {
	c := NewFakeClock(uitest.Epoch)
	var got []string
	at := func(name string) func() {
		return func() { got = append(got, name+"@"+c.Now().Sub(uitest.Epoch).String()) }
	}
	c.AfterFunc(3*time.Second, at("c"))
	c.AfterFunc(time.Second, at("a"))
	stopped := c.AfterFunc(2*time.Second, at("never"))
	c.AfterFunc(2*time.Second, func() {
		at("b")()
		c.AfterFunc(500*time.Millisecond, at("b2")) // scheduled by a timer
	})
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop should succeed once")
	}
	c.Advance(time.Second + 500*time.Millisecond)
	c.Advance(10 * time.Second)
	want := []string{"a@1s", "b@2s", "b2@2.5s", "c@3s"}
	if len(got) != len(want) {
		t.Fatalf("ran %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ran %v, want %v", got, want)
		}
	}
	if now := c.Now(); !now.Equal(uitest.Epoch.Add(11500 * time.Millisecond)) {
		t.Errorf("now %v", now)
	}
	if c.Pending() != 0 {
		t.Errorf("%d timers left", c.Pending())
	}
	fired := c.AfterFunc(time.Second, func() {})
	c.Advance(time.Second)
	if fired.Stop() {
		t.Error("Stop of a timer that ran reported true")
	}
}
