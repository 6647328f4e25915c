package open311

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/sync/client"
	"civicdesk/sync/wire"
)

func TestMapStatus(t *testing.T) {
	req := mustTime("2025-03-01T08:00:00Z")
	later := req.Add(time.Hour)
	tests := []struct {
		name    string
		r       Request
		current lifecycle.Status
		want    lifecycle.Status
	}{
		{"open untouched", Request{Status: "open", Requested: req, Updated: req}, lifecycle.Received, lifecycle.Received},
		{"open untouched, no updated", Request{Status: "open", Requested: req}, lifecycle.Sent, lifecycle.Received},
		{"open updated later", Request{Status: "open", Requested: req, Updated: later}, lifecycle.Received, lifecycle.InReview},
		{"open with notes", Request{Status: "open", StatusNotes: "crew assigned", Requested: req, Updated: req}, lifecycle.Received, lifecycle.InReview},
		{"closed", Request{Status: "closed"}, lifecycle.Received, lifecycle.Completed},
		{"Closed - fixed", Request{Status: "closed - fixed"}, lifecycle.InReview, lifecycle.Completed},
		{"never back to received", Request{Status: "open", Requested: req, Updated: req}, lifecycle.InReview, lifecycle.InReview},
		{"reopened", Request{Status: "open", Requested: req, Updated: req}, lifecycle.Completed, lifecycle.InReview},
		{"reopened with notes", Request{Status: "open", StatusNotes: "again", Requested: req, Updated: later}, lifecycle.Completed, lifecycle.InReview},
		{"a finer local status stays", Request{Status: "open", StatusNotes: "x", Updated: later}, lifecycle.NeedsMoreInfo, lifecycle.NeedsMoreInfo},
		{"unknown status reads as open", Request{Status: "acknowledged", StatusNotes: "seen"}, lifecycle.Received, lifecycle.InReview},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MapStatus(tt.r, tt.current); got != tt.want {
				t.Errorf("MapStatus = %s, want %s", got, tt.want)
			}
		})
	}
}

// setReq changes a stored request of the fake server.
func (f *fakeServer) setReq(id string, fn func(r *fakeReq)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.reqs {
		if f.reqs[i].ID == id {
			fn(&f.reqs[i])
			return
		}
	}
	f.reqs = append(f.reqs, fakeReq{ID: id, Status: "open", Requested: f.now, Updated: f.now})
	fn(&f.reqs[len(f.reqs)-1])
}

func changesOf(t *testing.T, b *Backend, cursor string) wire.ChangesResponse {
	t.Helper()
	resp, err := b.Changes(context.Background(), cursor, 200)
	if err != nil {
		t.Fatalf("Changes: %v", err)
	}
	if resp.More || resp.Cursor == "" || resp.Cursor == cursor {
		t.Fatalf("cursor %q (was %q), more %v", resp.Cursor, cursor, resp.More)
	}
	return resp
}

func summary(cs []wire.Change) []string {
	var out []string
	for _, c := range cs {
		s := c.ID + ":" + c.Tracking + ":" + string(c.Status)
		if c.Note != nil {
			if c.Note[catalog.LangZh] != c.Note[catalog.LangEn] {
				s += ":note languages differ"
			}
			s += ":" + c.Note[catalog.LangEn]
		}
		out = append(out, s)
	}
	return out
}

func TestChanges(t *testing.T) {
	f := newFakeServer(t)
	st := NewMemState()
	b := newBackend(t, f, st)
	noon := f.now.Add(4 * time.Hour)
	f.setReq("11", func(r *fakeReq) {})                                                            // open, untouched
	f.setReq("12", func(r *fakeReq) { r.Notes = "Crew assigned"; r.Updated = noon })               // open with notes
	f.setReq("13", func(r *fakeReq) { r.Status = "closed"; r.Notes = "Filled"; r.Updated = noon }) // closed
	f.setReq("14", func(r *fakeReq) { r.Status = "closed"; r.Updated = noon })                     // closed, already known
	f.setReq("16", func(r *fakeReq) {})
	f.set(func(f *fakeServer) { f.tokens["TK"] = fakeToken{id: "16"}; f.tokens["TX"] = fakeToken{} })
	st.Track(
		Tracked{ID: "a1", Tracking: "11", Service: "pothole", Status: lifecycle.Received},
		Tracked{ID: "a2", Tracking: "12", Service: "pothole", Status: lifecycle.Received},
		Tracked{ID: "a3", Tracking: "13", Service: "pothole", Status: lifecycle.InReview},
		Tracked{ID: "a4", Tracking: "14", Service: "pothole", Status: lifecycle.Completed},
		Tracked{ID: "a5", Tracking: "blackbox:0190a1b2", Service: "graffiti", Status: lifecycle.Received},
		Tracked{ID: "a6", Tracking: "token:TK", Service: "light", Status: lifecycle.Sent},
		Tracked{ID: "a7", Tracking: "token:TX", Service: "light", Status: lifecycle.Received},   // not resolved yet
		Tracked{ID: "a8", Tracking: "token:T404", Service: "light", Status: lifecycle.Received}, // tokens/T404 is 404
		Tracked{ID: "a9", Tracking: "99", Service: "pothole", Status: lifecycle.Received},       // not on the server
	)
	resp := changesOf(t, b, "")
	want := []string{"a2:12:in_review:Crew assigned", "a3:13:completed:Filled", "a6:16:received"}
	if got := summary(resp.Changes); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("changes:\n got %v\nwant %v", got, want)
	}
	if !resp.ServerTime.Equal(f.now) {
		t.Errorf("server time %v", resp.ServerTime)
	}
	for _, c := range resp.Changes {
		if c.ID == "a2" && !c.At.Equal(noon) {
			t.Errorf("At = %v, want the updated_datetime %v", c.At, noon)
		}
	}
	if id, _ := st.Get(prefixToken + "TK"); id != "16" {
		t.Errorf("resolved token not remembered: %q", id)
	}
	if len(st.Keys(prefixSeen)) != 0 {
		t.Error("seen stored before the engine came back with the cursor")
	}

	// The engine stored them (statuses moved on) and comes back with the
	// cursor: nothing new is reported, and the seen records are written.
	st.Track(
		Tracked{ID: "a2", Tracking: "12", Status: lifecycle.InReview},
		Tracked{ID: "a3", Tracking: "13", Status: lifecycle.Completed},
		Tracked{ID: "a6", Tracking: "token:TK", Status: lifecycle.Received},
	)
	resp2 := changesOf(t, b, resp.Cursor)
	if len(resp2.Changes) != 0 {
		t.Errorf("unchanged pull reported %v", summary(resp2.Changes))
	}
	if len(st.Keys(prefixSeen)) == 0 {
		t.Error("seen records not stored after the cursor came back")
	}
	if n := len(f.getsOf("tokens/TK")); n != 1 {
		t.Errorf("a resolved token was asked %d times, want once", n)
	}

	// Only what changes is reported: new notes on 12, 11 touched.
	later := noon.Add(time.Hour)
	f.setReq("12", func(r *fakeReq) { r.Notes = "Scheduled for Friday"; r.Updated = later })
	f.setReq("11", func(r *fakeReq) { r.Updated = later })
	resp3 := changesOf(t, b, resp2.Cursor)
	want = []string{"a1:11:in_review", "a2:12:in_review:Scheduled for Friday"}
	if got := summary(resp3.Changes); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("changes:\n got %v\nwant %v", got, want)
	}
}

// TestChangesNotAppliedReportedAgain: when the engine does not come back
// with the cursor (it failed to store the page), the same change is
// reported again.
func TestChangesNotAppliedReportedAgain(t *testing.T) {
	f := newFakeServer(t)
	st := NewMemState()
	b := newBackend(t, f, st)
	f.setReq("12", func(r *fakeReq) { r.Notes = "Crew assigned"; r.Updated = f.now.Add(time.Hour) })
	st.Track(Tracked{ID: "a2", Tracking: "12", Status: lifecycle.Received})
	first := changesOf(t, b, "old")
	again := changesOf(t, b, "old")
	if len(first.Changes) != 1 || len(again.Changes) != 1 {
		t.Errorf("first %v, again %v: want the change both times", summary(first.Changes), summary(again.Changes))
	}
}

func TestChangesBatches(t *testing.T) {
	f := newFakeServer(t)
	st := NewMemState()
	b := newBackend(t, f, st)
	for i := range 120 {
		id := fmt.Sprint(2000 + i)
		f.setReq(id, func(r *fakeReq) { r.Status = "closed" })
		st.Track(Tracked{ID: "app" + id, Tracking: id, Status: lifecycle.Received})
	}
	resp := changesOf(t, b, "")
	if len(resp.Changes) != 120 {
		t.Errorf("%d changes, want 120", len(resp.Changes))
	}
	lists := f.getsOf("requests")
	if len(lists) != 3 {
		t.Fatalf("%d list requests, want 3", len(lists))
	}
	for i, u := range lists {
		n := len(strings.Split(u.Query().Get("service_request_id"), ","))
		if want := []int{50, 50, 20}[i]; n != want {
			t.Errorf("batch %d asks for %d ids, want %d", i, n, want)
		}
	}
	if singles := len(f.getsOf("requests/2000")); singles != 0 {
		t.Errorf("asked one by one although the list answered")
	}
}

// TestChangesListUnsupported: a server that answers 400 to an id list, or
// leaves ids out, is asked one by one.
func TestChangesListUnsupported(t *testing.T) {
	for _, mode := range []string{"400", "ignores filter"} {
		t.Run(mode, func(t *testing.T) {
			f := newFakeServer(t)
			st := NewMemState()
			b := newBackend(t, f, st)
			f.setReq("31", func(r *fakeReq) { r.Status = "closed" })
			f.setReq("32", func(r *fakeReq) {})
			st.Track(Tracked{ID: "a31", Tracking: "31", Status: lifecycle.Received}, Tracked{ID: "a32", Tracking: "32", Status: lifecycle.Received})
			f.set(func(f *fakeServer) {
				f.hook = func(w http.ResponseWriter, r *http.Request) bool {
					if r.URL.Path != "/v2/requests.json" {
						return false
					}
					if mode == "400" {
						w.WriteHeader(400)
					} else {
						fmt.Fprint(w, `[{"service_request_id":"77","status":"open"}]`)
					}
					return true
				}
			})
			resp := changesOf(t, b, "")
			if got := summary(resp.Changes); len(got) != 1 || got[0] != "a31:31:completed" {
				t.Errorf("changes = %v", got)
			}
			if len(f.getsOf("requests/31")) != 1 || len(f.getsOf("requests/32")) != 1 {
				t.Error("not asked one by one")
			}
		})
	}
}

func TestChangesOffline(t *testing.T) {
	f := newFakeServer(t)
	st := NewMemState()
	st.Track(Tracked{ID: "a1", Tracking: "11", Status: lifecycle.Received})
	b := newBackend(t, f, st)
	f.srv.Close()
	_, err := b.Changes(context.Background(), "", 200)
	if !errors.Is(err, ErrOffline) || !errors.Is(err, client.ErrOffline) {
		t.Errorf("err = %v, want ErrOffline", err)
	}
}
