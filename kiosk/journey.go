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
