package central

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/sync/wire"
)

func TestBackoffice(t *testing.T) {
	f := newFixture(t)
	devID, tok := f.enroll("kiosk")
	staff := f.staffToken()
	staffEntered := newItem(validValues())
	staffEntered.StaffID = "counter-3"
	res := f.submit(tok, newItem(validValues()), newItem(validValues()), staffEntered)
	statusPath := func(tracking string) string { return wire.PathBackoffice + "/" + tracking + "/status" }
	move := func(tracking string, st lifecycle.Status) request {
		return request{method: "POST", path: statusPath(tracking), token: staff,
			body: wire.StatusUpdate{Status: st, Note: catalog.Text{catalog.LangZh: "请补充材料", catalog.LangEn: "bring the lease"}}}
	}

	t.Run("list", func(t *testing.T) {
		var list []wire.BackofficeApplication
		f.doJSON(request{method: "GET", path: wire.PathBackoffice, token: staff}, 200, &list)
		if len(list) != 3 {
			t.Fatalf("%d rows", len(list))
		}
		for i, row := range list {
			if row.Tracking != res[i].Tracking || row.ID != res[i].ID || row.Device != devID ||
				row.Status != lifecycle.Received || row.Service != "residence_permit" {
				t.Fatalf("row %d: %+v", i, row)
			}
		}
		if list[2].StaffID != "counter-3" {
			t.Fatalf("staff id lost: %+v", list[2])
		}
	})
	t.Run("legal walk", func(t *testing.T) {
		for _, st := range []lifecycle.Status{lifecycle.InReview, lifecycle.NeedsMoreInfo, lifecycle.InReview,
			lifecycle.Approved, lifecycle.ReadyForPickup, lifecycle.Completed} {
			f.clock.Advance(60e9)
			var row wire.BackofficeApplication
			f.doJSON(move(res[0].Tracking, st), 200, &row)
			if row.Status != st {
				t.Fatalf("after %s: %+v", st, row)
			}
		}
	})
	t.Run("filter", func(t *testing.T) {
		var list []wire.BackofficeApplication
		f.doJSON(request{method: "GET", path: wire.PathBackoffice + "?status=completed", token: staff}, 200, &list)
		if len(list) != 1 || list[0].Tracking != res[0].Tracking {
			t.Fatalf("%+v", list)
		}
		f.doJSON(request{method: "GET", path: wire.PathBackoffice + "?status=rejected", token: staff}, 200, &list)
		if list == nil || len(list) != 0 {
			t.Fatalf("want an empty list, got %+v", list)
		}
		f.wantError(request{method: "GET", path: wire.PathBackoffice + "?status=queued", token: staff}, 400, codeBadRequest)
	})
	t.Run("refusals", func(t *testing.T) {
		tests := []struct {
			name   string
			rq     request
			status int
			code   string
		}{
			{"out of completed", move(res[0].Tracking, lifecycle.InReview), 409, codeConflict},
			{"local status", move(res[1].Tracking, lifecycle.Queued), 400, codeBadRequest},
			{"side status", move(res[1].Tracking, lifecycle.NeedsAttention), 400, codeBadRequest},
			{"made-up status", move(res[1].Tracking, "lost"), 400, codeBadRequest},
			{"unknown tracking", move("XZ20260302999999", lifecycle.InReview), 404, codeNotFound},
			{"malformed", request{method: "POST", path: statusPath(res[1].Tracking), token: staff, raw: []byte(`{"status":`)}, 400, codeMalformedJSON},
			{"unknown field", request{method: "POST", path: statusPath(res[1].Tracking), token: staff, raw: []byte(`{"status":"approved","by":"x"}`)}, 400, codeMalformedJSON},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) { f.wantError(tc.rq, tc.status, tc.code) })
		}
		// Rejected is final too.
		f.doJSON(move(res[1].Tracking, lifecycle.Rejected), 200, nil)
		f.wantError(move(res[1].Tracking, lifecycle.Approved), 409, codeConflict)
	})
	t.Run("same status is a no-op", func(t *testing.T) {
		before := f.changes(tok, "", 1000)
		f.doJSON(move(res[0].Tracking, lifecycle.Completed), 200, nil)
		if after := f.changes(tok, "", 1000); len(after.Changes) != len(before.Changes) {
			t.Fatal("a no-op wrote a change")
		}
	})
	t.Run("SetStatus errors", func(t *testing.T) {
		for _, tc := range []struct {
			tracking string
			st       lifecycle.Status
			want     error
		}{
			{res[0].Tracking, lifecycle.Approved, ErrFinal},
			{"nope", lifecycle.Approved, ErrNotFound},
			{res[2].Tracking, lifecycle.Sent, ErrInvalidStatus},
			{res[2].Tracking, lifecycle.Approved, nil},
		} {
			if err := f.srv.SetStatus(tc.tracking, wire.StatusUpdate{Status: tc.st}); !errors.Is(err, tc.want) {
				t.Fatalf("SetStatus(%s): %v, want %v", tc.st, err, tc.want)
			}
		}
	})
	t.Run("history and note reach the device", func(t *testing.T) {
		cr := f.changes(tok, "", 1000)
		var saw bool
		for _, c := range cr.Changes {
			if c.ID == res[0].ID && c.Status == lifecycle.NeedsMoreInfo {
				saw = c.Note[catalog.LangEn] == "bring the lease" && c.Note[catalog.LangZh] == "请补充材料"
			}
		}
		if !saw {
			t.Fatal("needs_more_info with its note is not in the feed")
		}
	})
}

func TestDemoAdvance(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	items := make([]wire.SubmitItem, 10)
	for i := range items {
		items[i] = newItem(validValues())
	}
	res := f.submit(tok, items...)
	// Rejected applications stay put.
	if err := f.srv.SetStatus(res[9].Tracking, wire.StatusUpdate{Status: lifecycle.Rejected}); err != nil {
		t.Fatal(err)
	}
	var steps []int
	for range 10 {
		f.clock.Advance(10e9)
		n, err := f.srv.AdvanceDemo()
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps, n)
		if n == 0 {
			break
		}
	}
	// Nine move on, four steps each; the fifth of them takes two extra steps.
	want := []int{9, 9, 9, 9, 1, 1, 0}
	if len(steps) != len(want) {
		t.Fatalf("moved per step %v, want %v", steps, want)
	}
	for i := range want {
		if steps[i] != want[i] {
			t.Fatalf("moved per step %v, want %v", steps, want)
		}
	}
	walk := func(r wire.ItemResult) []lifecycle.Status {
		var tr wire.TrackResponse
		f.doJSON(request{method: "POST", path: wire.PathTrack, token: tok,
			body: wire.TrackRequest{Tracking: r.Tracking, VerificationCode: r.VerificationCode}}, 200, &tr)
		var out []lifecycle.Status
		for _, h := range tr.History {
			out = append(out, h.Status)
		}
		return out
	}
	plain := []lifecycle.Status{"received", "in_review", "approved", "ready_for_pickup", "completed"}
	variety := []lifecycle.Status{"received", "in_review", "needs_more_info", "in_review", "approved", "ready_for_pickup", "completed"}
	for i, r := range res[:9] {
		want := plain
		if i == 4 {
			want = variety
		}
		if got := walk(r); !equalStatuses(got, want) {
			t.Fatalf("application %d went %v, want %v", i+1, got, want)
		}
	}
	if got := walk(res[9]); !equalStatuses(got, []lifecycle.Status{"received", "rejected"}) {
		t.Fatalf("rejected application moved: %v", got)
	}
	// Demo notes come in both languages.
	cr := f.changes(tok, "", 1000)
	for _, c := range cr.Changes {
		if c.Status == lifecycle.NeedsMoreInfo && (c.Note[catalog.LangZh] == "" || c.Note[catalog.LangEn] == "") {
			t.Fatalf("demo note %v", c.Note)
		}
	}
}

func equalStatuses(a, b []lifecycle.Status) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRunDemo(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	r := f.submit(tok, newItem(validValues()))[0]
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		f.srv.RunDemo(ctx, time.Millisecond)
		close(done)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		cr := f.changes(tok, "", 1000)
		if last := cr.Changes[len(cr.Changes)-1]; last.ID == r.ID && last.Status == lifecycle.Completed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("RunDemo did not walk the application to completed")
		}
		runtime.Gosched()
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("RunDemo did not return after cancel")
	}
}
