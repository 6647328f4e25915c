package central

import (
	"strconv"
	"testing"

	bolt "go.etcd.io/bbolt"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/sync/wire"
)

func TestChangesScopedAndPaged(t *testing.T) {
	f := newFixture(t)
	_, kiosk := f.enroll("kiosk")
	_, phone := f.enroll("phone")
	staff := f.staffToken()

	var kioskApps, phoneApps []wire.ItemResult
	for range 5 {
		kioskApps = append(kioskApps, f.submit(kiosk, newItem(validValues()))...)
		phoneApps = append(phoneApps, f.submit(phone, newItem(validValues()))...)
	}
	for _, r := range kioskApps[:3] {
		f.clock.Advance(1e9)
		f.doJSON(request{method: "POST", path: wire.PathBackoffice + "/" + r.Tracking + "/status", token: staff,
			body: wire.StatusUpdate{Status: lifecycle.InReview, Note: catalog.Text{"en": "picked up"}}}, 200, nil)
	}

	t.Run("each device sees only its own", func(t *testing.T) {
		for name, tc := range map[string]struct {
			tok  string
			apps []wire.ItemResult
			want int
		}{"kiosk": {kiosk, kioskApps, 8}, "phone": {phone, phoneApps, 5}} {
			cr := f.changes(tc.tok, "", 0)
			if len(cr.Changes) != tc.want || cr.More {
				t.Fatalf("%s: %d changes (more=%v), want %d", name, len(cr.Changes), cr.More, tc.want)
			}
			mine := map[string]bool{}
			for _, r := range tc.apps {
				mine[r.ID] = true
			}
			for _, c := range cr.Changes {
				if !mine[c.ID] {
					t.Fatalf("%s sees another device's application", name)
				}
			}
		}
	})
	t.Run("paging with cursors", func(t *testing.T) {
		var all []wire.Change
		cursor := ""
		pages := 0
		for {
			cr := f.changes(kiosk, cursor, 3)
			pages++
			all = append(all, cr.Changes...)
			if len(cr.Changes) > 3 {
				t.Fatalf("page of %d with limit 3", len(cr.Changes))
			}
			if cr.Cursor == "" {
				t.Fatal("empty cursor")
			}
			cursor = cr.Cursor
			if !cr.More {
				break
			}
			if pages > 10 {
				t.Fatal("paging does not end")
			}
		}
		if len(all) != 8 || pages != 3 {
			t.Fatalf("%d changes in %d pages, want 8 in 3", len(all), pages)
		}
		last := all[len(all)-1]
		if last.Status != lifecycle.InReview || last.ID != kioskApps[2].ID || last.Note["en"] != "picked up" ||
			last.Tracking != kioskApps[2].Tracking || !last.At.Equal(f.clock.Now()) {
			t.Fatalf("last change %+v", last)
		}
		// Nothing new: an empty page keeps the cursor.
		cr := f.changes(kiosk, cursor, 3)
		if len(cr.Changes) != 0 || cr.More || cr.Cursor != cursor {
			t.Fatalf("caught-up page %+v", cr)
		}
		// A new change shows up after the cursor, and only it.
		f.doJSON(request{method: "POST", path: wire.PathBackoffice + "/" + kioskApps[4].Tracking + "/status", token: staff,
			body: wire.StatusUpdate{Status: lifecycle.Rejected}}, 200, nil)
		cr = f.changes(kiosk, cursor, 0)
		if len(cr.Changes) != 1 || cr.Changes[0].Status != lifecycle.Rejected {
			t.Fatalf("after new change: %+v", cr)
		}
		// The phone's feed is untouched by it.
		if cr := f.changes(phone, "", 0); len(cr.Changes) != 5 {
			t.Fatalf("phone feed has %d changes", len(cr.Changes))
		}
	})
	t.Run("limit is capped and defaults", func(t *testing.T) {
		if cr := f.changes(kiosk, "", 5000); len(cr.Changes) != 9 {
			t.Fatalf("limit 5000: %d changes", len(cr.Changes))
		}
	})
	t.Run("bad queries", func(t *testing.T) {
		for _, q := range []string{"cursor=abc", "cursor=-1", "limit=0", "limit=x", "limit=-5", "cursor=1e3"} {
			f.wantError(request{method: "GET", path: wire.PathChanges + "?" + q, token: kiosk}, 400, codeBadRequest)
		}
	})
	t.Run("cursor beyond the end", func(t *testing.T) {
		for _, c := range []string{"999999", strconv.FormatUint(^uint64(0), 10)} {
			if cr := f.changes(kiosk, c, 0); len(cr.Changes) != 0 || cr.More {
				t.Fatalf("cursor %s: %+v", c, cr)
			}
		}
	})
	t.Run("a device with no applications", func(t *testing.T) {
		_, fresh := f.enroll("phone")
		cr := f.changes(fresh, "", 0)
		if cr.Changes == nil || len(cr.Changes) != 0 || cr.Cursor != "0" || cr.More {
			t.Fatalf("%+v", cr)
		}
	})
}

func TestHandOff(t *testing.T) {
	f := newFixture(t)
	phoneID, phone := f.enroll("phone")
	kioskID, kiosk := f.enroll("kiosk")
	staff := f.staffToken()

	// The resident fills the form on the phone, which hands it to the kiosk;
	// both send it.
	it := newItem(validValues())
	byPhone := f.submit(phone, it)[0]
	byKiosk := f.submit(kiosk, it)[0]
	if byPhone.Outcome != wire.Accepted || byKiosk.Outcome != wire.Accepted || !byKiosk.Duplicate ||
		byKiosk.Tracking != byPhone.Tracking || byKiosk.VerificationCode != byPhone.VerificationCode {
		t.Fatalf("phone %+v, kiosk %+v", byPhone, byKiosk)
	}
	if n, _ := f.srv.Count(); n != 1 {
		t.Fatalf("Count = %d, want one application", n)
	}
	kioskCursor := f.changes(kiosk, "", 0).Cursor
	phoneCursor := f.changes(phone, "", 0).Cursor

	f.doJSON(request{method: "POST", path: wire.PathBackoffice + "/" + byPhone.Tracking + "/status", token: staff,
		body: wire.StatusUpdate{Status: lifecycle.InReview}}, 200, nil)
	for name, c := range map[string][2]string{"phone": {phone, phoneCursor}, "kiosk": {kiosk, kioskCursor}} {
		cr := f.changes(c[0], c[1], 0)
		if len(cr.Changes) != 1 || cr.Changes[0].ID != it.ID || cr.Changes[0].Status != lifecycle.InReview {
			t.Fatalf("%s: %+v", name, cr)
		}
	}
	// Sending it again from either device adds nobody twice.
	f.submit(kiosk, it)
	var list []wire.BackofficeApplication
	f.doJSON(request{method: "GET", path: wire.PathBackoffice, token: staff}, 200, &list)
	if len(list) != 1 || list[0].Device != phoneID {
		t.Fatalf("list %+v", list)
	}
	var a appRecord
	if err := f.srv.db.View(func(tx *bolt.Tx) error {
		_, err := getJSON(tx.Bucket(bucketApplications), []byte(it.ID), &a)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(a.Devices) != 2 || a.Devices[0] != phoneID || a.Devices[1] != kioskID {
		t.Fatalf("devices %v", a.Devices)
	}
	// A third device with other content is refused and not added.
	_, other := f.enroll("phone")
	changed := it
	changed.Values = validValues()
	changed.Values["district"] = "320311"
	if r := f.submit(other, changed)[0]; r.Outcome != wire.Conflict {
		t.Fatalf("%+v", r)
	}
	if cr := f.changes(other, "", 0); len(cr.Changes) != 0 {
		t.Fatal("a conflicting device follows the application")
	}
}
