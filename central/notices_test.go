package central

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/sync/wire"
)

// sampleNotice is a valid notice for hall ("" = every hall) titled en.
func sampleNotice(hall, en string) wire.Notice {
	return wire.Notice{Hall: hall, Kind: wire.NoticeInfo,
		Title: catalog.Text{catalog.LangZh: "通知：" + en, catalog.LangEn: en},
		Body:  catalog.Text{catalog.LangZh: "详见大厅公告栏。", catalog.LangEn: "See the notice board in the hall."}}
}

// notices lists the notices a device sees for hall, with the ETag.
func (f *fixture) notices(tok, hall string) ([]wire.Notice, string) {
	f.t.Helper()
	var out wire.NoticesResponse
	resp := f.doJSON(request{method: "GET", path: wire.PathNotices + "?hall=" + hall, token: tok}, 200, &out)
	if out.Notices == nil {
		f.t.Fatal("notices is null, want a list")
	}
	return out.Notices, resp.Header.Get("ETag")
}

func titles(list []wire.Notice) string {
	var s []string
	for _, n := range list {
		s = append(s, n.Title[catalog.LangEn])
	}
	return strings.Join(s, ",")
}

func (f *fixture) publish(staff string, n wire.Notice) wire.Notice {
	f.t.Helper()
	var out wire.Notice
	f.doJSON(request{method: "POST", path: wire.PathBackofficeNotices, token: staff, body: n}, 201, &out)
	return out
}

func TestNoticesPublishAndList(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	staff := f.staffToken()
	if list, _ := f.notices(tok, "gulou"); len(list) != 0 {
		t.Fatalf("fresh server lists %d notices", len(list))
	}
	a := f.publish(staff, sampleNotice("gulou", "A"))
	if a.ID == "" || !a.Published.Equal(f.clock.Now()) || a.Title[catalog.LangZh] != "通知：A" {
		t.Fatalf("published %+v", a)
	}
	f.clock.Advance(time.Minute)
	f.publish(staff, sampleNotice("", "Every"))
	f.clock.Advance(time.Minute)
	f.publish(staff, sampleNotice("tongshan", "Other"))
	for _, tc := range []struct{ hall, want string }{
		{"gulou", "Every,A"}, // newest first
		{"tongshan", "Other,Every"},
		{"", "Every"},
		{"nowhere", "Every"},
	} {
		t.Run(tc.hall, func(t *testing.T) {
			list, _ := f.notices(tok, tc.hall)
			if got := titles(list); got != tc.want {
				t.Fatalf("hall %q lists %q, want %q", tc.hall, got, tc.want)
			}
		})
	}
}

func TestNoticesTimeWindow(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	now := f.clock.Now()
	later := sampleNotice("", "Later")
	later.From, later.Until = now.Add(time.Hour), now.Add(2*time.Hour)
	ended := sampleNotice("", "Ended")
	ended.Until = now
	for _, n := range []wire.Notice{later, ended} {
		if _, err := f.srv.PublishNotice(n); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		advance time.Duration
		want    string
	}{{0, ""}, {time.Hour - time.Second, ""}, {time.Second, "Later"}, {time.Hour - time.Second, "Later"}, {time.Second, ""}} {
		f.clock.Advance(tc.advance)
		if list, _ := f.notices(tok, "x"); titles(list) != tc.want {
			t.Fatalf("at %v: %q, want %q", f.clock.Now().Sub(now), titles(list), tc.want)
		}
	}
}

func TestNoticesETag(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	f.srv.PublishNotice(sampleNotice("gulou", "A"))
	_, tag := f.notices(tok, "gulou")
	if len(tag) != 66 || tag[0] != '"' {
		t.Fatalf("ETag %q, want a quoted SHA-256", tag)
	}
	get := func(hall, tag string) *http.Response {
		resp, _ := f.do(request{method: "GET", path: wire.PathNotices + "?hall=" + hall, token: tok, header: map[string]string{"If-None-Match": tag}})
		return resp
	}
	if resp := get("gulou", tag); resp.StatusCode != 304 || resp.Header.Get("ETag") != tag {
		t.Fatalf("same notices: %d %q, want 304", resp.StatusCode, resp.Header.Get("ETag"))
	}
	if resp := get("gulou", "W/"+tag); resp.StatusCode != 304 {
		t.Fatalf("weak tag: %d, want 304", resp.StatusCode)
	}
	if resp := get("other", tag); resp.StatusCode != 200 {
		t.Fatalf("other hall with this tag: %d, want 200", resp.StatusCode)
	}
	f.srv.PublishNotice(sampleNotice("", "B"))
	if resp := get("gulou", tag); resp.StatusCode != 200 {
		t.Fatalf("after a publish: %d, want 200", resp.StatusCode)
	}
}

func TestNoticeValidation(t *testing.T) {
	f := newFixture(t)
	staff := f.staffToken()
	long := func(n int) string { return strings.Repeat("字", n) }
	now := f.clock.Now()
	for _, tc := range []struct {
		name   string
		mutate func(n *wire.Notice)
		ok     bool
		field  string
	}{
		{"valid", func(*wire.Notice) {}, true, ""},
		{"no body", func(n *wire.Notice) { n.Body = nil }, true, ""},
		{"title at limit", func(n *wire.Notice) { n.Title[catalog.LangZh] = long(MaxNoticeTitle) }, true, ""},
		{"body at limit", func(n *wire.Notice) { n.Body[catalog.LangEn] = long(MaxNoticeBody) }, true, ""},
		{"no english title", func(n *wire.Notice) { delete(n.Title, catalog.LangEn) }, false, "title"},
		{"empty chinese title", func(n *wire.Notice) { n.Title[catalog.LangZh] = "" }, false, "title"},
		{"title too long", func(n *wire.Notice) { n.Title[catalog.LangZh] = long(MaxNoticeTitle + 1) }, false, "title"},
		{"body too long", func(n *wire.Notice) { n.Body[catalog.LangEn] = long(MaxNoticeBody + 1) }, false, "body"},
		{"unknown language", func(n *wire.Notice) { n.Title["fr"] = "Avis" }, false, "title"},
		{"unknown kind", func(n *wire.Notice) { n.Kind = "party" }, false, "kind"},
		{"no kind", func(n *wire.Notice) { n.Kind = "" }, false, "kind"},
		{"hall too long", func(n *wire.Notice) { n.Hall = long(MaxNoticeHall + 1) }, false, "hall"},
		{"until before from", func(n *wire.Notice) { n.From, n.Until = now, now.Add(-time.Hour) }, false, "until"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := sampleNotice("gulou", "Valid")
			tc.mutate(&n)
			resp, b := f.do(request{method: "POST", path: wire.PathBackofficeNotices, token: staff, body: n})
			if tc.ok {
				if resp.StatusCode != 201 {
					t.Fatalf("status %d: %s", resp.StatusCode, b)
				}
				return
			}
			e := checkError(t, "publish", resp, b, 400, codeBadRequest)
			if !strings.Contains(e.Message, tc.field) || strings.Contains(e.Message, "字字") || strings.Contains(e.Message, "party") {
				t.Fatalf("message %q should name %s and not echo the value", e.Message, tc.field)
			}
		})
	}
	f.wantError(request{method: "POST", path: wire.PathBackofficeNotices, token: staff, raw: []byte(`{"kind":"info","title":{},"color":"red"}`)}, 400, codeMalformedJSON)
}

func TestNoticeWithdraw(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	staff := f.staffToken()
	a := f.publish(staff, sampleNotice("", "A"))
	f.publish(staff, sampleNotice("", "B"))
	f.doJSON(request{method: "DELETE", path: wire.PathBackofficeNotices + "/" + a.ID, token: staff}, 204, nil)
	if list, _ := f.notices(tok, ""); titles(list) != "B" {
		t.Fatalf("after withdrawal: %q", titles(list))
	}
	f.wantError(request{method: "DELETE", path: wire.PathBackofficeNotices + "/" + a.ID, token: staff}, 404, codeNotFound)
	f.wantError(request{method: "DELETE", path: wire.PathBackofficeNotices + "/unknown", token: staff}, 404, codeNotFound)
}

func TestNoticesAuth(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	staff := f.staffToken()
	n := sampleNotice("", "A")
	f.wantError(request{method: "GET", path: wire.PathNotices}, 401, codeUnauthorized)
	f.wantError(request{method: "GET", path: wire.PathNotices, token: staff}, 401, codeUnauthorized)
	f.wantError(request{method: "POST", path: wire.PathBackofficeNotices, body: n}, 401, codeUnauthorized)
	f.wantError(request{method: "POST", path: wire.PathBackofficeNotices, token: tok, body: n}, 401, codeUnauthorized)
	a := f.publish(staff, n)
	f.wantError(request{method: "DELETE", path: wire.PathBackofficeNotices + "/" + a.ID, token: tok}, 401, codeUnauthorized)
	f.wantError(request{method: "PUT", path: wire.PathNotices, token: tok}, 405, codeMethodNotAllowed)
	if list, _ := f.notices(tok, ""); len(list) != 1 {
		t.Fatalf("%d notices after refused calls, want 1", len(list))
	}
}

func TestNoticesSurviveRestart(t *testing.T) {
	f := newFixture(t)
	a, err := f.srv.PublishNotice(sampleNotice("gulou", "Kept"))
	if err != nil {
		t.Fatal(err)
	}
	f.reopen()
	_, tok := f.enroll("kiosk")
	list, _ := f.notices(tok, "gulou")
	if len(list) != 1 || list[0].ID != a.ID || !list[0].Published.Equal(a.Published) || list[0].Title[catalog.LangZh] != "通知：Kept" {
		t.Fatalf("after restart: %+v", list)
	}
}

func TestSeedDemoNotice(t *testing.T) {
	f := newFixture(t)
	for i, want := range []bool{true, false} {
		did, err := f.srv.SeedDemoNotice()
		if err != nil || did != want {
			t.Fatalf("call %d: %v %v, want %v", i, did, err, want)
		}
	}
	list, err := f.srv.Notices("any-hall")
	if err != nil || len(list) != 1 || list[0].Kind != wire.NoticeHours || list[0].Title[catalog.LangEn] == "" {
		t.Fatalf("%+v %v", list, err)
	}
}
