package kiosk

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"civicdesk/app/lifecycle"
	"civicdesk/sync/engine"
)

// Attachment uploads show as a progress bar on the queued application's row.
func TestStaffQueueUploadProgress(t *testing.T) {
	r := staffRig(t)
	ids := seedQueue(t, r.d.Store)
	r.signIn(t, "GL-0231", testPIN)
	test.Tap(r.k.sess.staffHome.queue)
	r.at(t, ScreenStaffQueue)
	v := r.k.sess.queue
	test.Tap(v.filters[GroupQueued])
	queued := ids[lifecycle.Queued]

	// What the engine's Progress event leads to, on the UI goroutine.
	r.k.progressed(engine.Event{Kind: engine.Progress, ID: queued, Blob: "ab", Done: 300, Total: 1200})
	row := firstRow(t, r)
	if !row.progress.Visible() || row.progress.Value != 0.25 {
		t.Fatalf("progress bar visible %v at %v, want 0.25", row.progress.Visible(), row.progress.Value)
	}
	r.k.progressed(engine.Event{Kind: engine.Progress, ID: queued, Blob: "ab", Done: 1200, Total: 1200})
	if firstRow(t, r).progress.Visible() {
		t.Fatal("the progress bar stayed after the upload finished")
	}
}
