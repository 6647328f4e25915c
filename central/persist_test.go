package central

import (
	"testing"

	"civicdesk/app/lifecycle"
	"civicdesk/sync/wire"
)

func TestRestartPersistence(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	staff := f.staffToken()
	spare, err := f.srv.MintEnrollCode(3600e9)
	if err != nil {
		t.Fatal(err)
	}
	items := []wire.SubmitItem{newItem(validValues()), newItem(validValues())}
	res := f.submit(tok, items...)
	if err := f.srv.SetStatus(res[0].Tracking, wire.StatusUpdate{Status: lifecycle.InReview}); err != nil {
		t.Fatal(err)
	}
	cursor := f.changes(tok, "", 0).Cursor

	f.reopen()

	t.Run("applications survive", func(t *testing.T) {
		if n, err := f.srv.Count(); err != nil || n != 2 {
			t.Fatalf("Count = %d, %v", n, err)
		}
		again := f.submit(tok, items...)
		for i := range items {
			if !again[i].Duplicate || again[i].Tracking != res[i].Tracking || again[i].VerificationCode != res[i].VerificationCode {
				t.Fatalf("item %d after restart: %+v", i, again[i])
			}
		}
		if again[0].Status != lifecycle.InReview {
			t.Fatalf("status after restart: %s", again[0].Status)
		}
	})
	t.Run("tokens survive", func(t *testing.T) {
		f.doJSON(request{method: "GET", path: wire.PathBackoffice, token: staff}, 200, nil)
		f.doJSON(request{method: "POST", path: wire.PathEnroll, body: wire.EnrollRequest{Code: spare, Kind: "phone"}}, 200, nil)
	})
	t.Run("cursors survive", func(t *testing.T) {
		if cr := f.changes(tok, cursor, 0); len(cr.Changes) != 0 {
			t.Fatalf("old changes after the cursor: %+v", cr.Changes)
		}
		if err := f.srv.SetStatus(res[1].Tracking, wire.StatusUpdate{Status: lifecycle.Approved}); err != nil {
			t.Fatal(err)
		}
		cr := f.changes(tok, cursor, 0)
		if len(cr.Changes) != 1 || cr.Changes[0].ID != res[1].ID {
			t.Fatalf("after restart: %+v", cr)
		}
	})
	t.Run("tracking numbers continue", func(t *testing.T) {
		r := f.submit(tok, newItem(validValues()))[0]
		if r.Tracking != "320320260302000003" {
			t.Fatalf("tracking %s after restart", r.Tracking)
		}
	})
}
