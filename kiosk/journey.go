package kiosk

import (
	"civicdesk/app/store"
	"civicdesk/app/ui"
)

// Application is the application being filled in during this session, nil
// when there is none. Used by the screenshot tour and by hand-offs.
func (k *Kiosk) Application() *ui.ApplyVM { return k.sess.apply }

// Review shows the review screen of the current application, if any.
func (k *Kiosk) Review() {
	if vm := k.sess.apply; vm != nil {
		k.review(vm)
	}
}

// ShowReceipt shows the receipt of a submitted application in place of the
// journey that led to it.
func (k *Kiosk) ShowReceipt(app store.Application) { k.submitted(app) }

// Scan handles a scanned code as if the hall's keyboard-wedge scanner had
// typed it: for scanners that deliver codes another way, and for the tour.
func (k *Kiosk) Scan(code string) { k.onScan(code) }

// Rating is the rating screen of this session, nil when none is open.
// Used by the screenshot tour.
func (k *Kiosk) Rating() *ui.RatingScreen { return k.sess.rating }

// Feedback is the complaint, suggestion or question screen of this
// session, nil when none is open. Used by the screenshot tour.
func (k *Kiosk) Feedback() *ui.FeedbackScreen { return k.sess.feedback }
