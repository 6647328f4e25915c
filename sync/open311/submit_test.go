package open311

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/sync/client"
	"civicdesk/sync/wire"
)

func potholeItem(id string) wire.SubmitItem {
	return wire.SubmitItem{ID: id, Service: "pothole", ServiceVersion: 1, CreatedAt: deviceNow.Add(-time.Hour),
		Values: catalog.Values{FieldAddress: "1 Main St", "attribute_size": "S", "attribute_depth": 10.0, "attribute_hazards": []any{"water"}}}
}

func submitOne(t *testing.T, b *Backend, it wire.SubmitItem) (wire.ItemResult, error) {
	t.Helper()
	resp, err := b.Submit(context.Background(), []wire.SubmitItem{it})
	if len(resp.Results) > 1 {
		t.Fatalf("%d results for one item", len(resp.Results))
	}
	if len(resp.Results) == 0 {
		return wire.ItemResult{}, err
	}
	if resp.Results[0].ID != it.ID {
		t.Fatalf("result for %q, want %q", resp.Results[0].ID, it.ID)
	}
	return resp.Results[0], err
}

func TestSubmitAccepted(t *testing.T) {
	f := newFakeServer(t)
	st := NewMemState()
	b := newBackend(t, f, st, func(c *Config) { c.APIKey = "secret"; c.JurisdictionID = "city.example" })
	r, err := submitOne(t, b, potholeItem("app-1"))
	if err != nil {
		t.Fatal(err)
	}
	want := wire.ItemResult{ID: "app-1", Outcome: wire.Accepted, Tracking: "1001", Status: lifecycle.Received, AcceptedAt: f.now}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("result = %+v, want %+v", r, want)
	}
	if hasKey(st, prefixPending+"app-1") || !hasKey(st, prefixDone+"app-1") {
		t.Errorf("state keys = %v: want done, no pending", st.Keys(""))
	}
	f.mu.Lock()
	form := f.reqs[0].Form
	f.mu.Unlock()
	dev, _ := st.Get(keyDeviceID)
	if form.Get("api_key") != "secret" || form.Get("jurisdiction_id") != "city.example" || form.Get("device_id") != dev || dev == "" ||
		form.Get("service_code") != "pothole" || form.Get("attribute[SIZE]") != "S" || form.Get("attribute[DEPTH]") != "10" ||
		!reflect.DeepEqual(form["attribute[HAZARDS][]"], []string{"water"}) || form.Get("description") != Reference("app-1") {
		t.Errorf("server received %v", form)
	}
	for _, u := range f.getsOf("services") {
		if u.Query().Get("api_key") != "" {
			t.Error("api_key in a URL")
		}
	}

	// The same id again: the stored answer, no second POST.
	r2, err := submitOne(t, b, potholeItem("app-1"))
	if err != nil || r2.Tracking != "1001" || !r2.Duplicate || f.postCount() != 1 {
		t.Errorf("resubmit: %+v %v, %d posts", r2, err, f.postCount())
	}
}

func TestSubmitToken(t *testing.T) {
	tests := []struct {
		name      string
		resolved  int  // polls before the id appears; -1: never
		noTokens  bool // the server has no tokens endpoint
		want      string
		wantPolls int
	}{
		{"id on the first poll", 0, false, "1001", 1},
		{"id on the second poll", 1, false, "1001", 2},
		{"never resolves within the polls", -1, false, TokenPrefix + "T1001", 3},
		{"no tokens endpoint", 0, true, TokenPrefix + "T1001", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			f.set(func(f *fakeServer) {
				f.mode = "token"
				f.post = func(w http.ResponseWriter, r *http.Request, form url.Values) bool {
					f.mu.Lock()
					defer f.mu.Unlock()
					id := f.store(form)
					tok := "T" + id
					switch {
					case tt.noTokens:
					case tt.resolved < 0:
						f.tokens[tok] = fakeToken{}
					default:
						f.tokens[tok] = fakeToken{id: id, resolved: tt.resolved}
					}
					fmt.Fprintf(w, `[{"token":%q}]`, tok)
					return true
				}
			})
			st := NewMemState()
			waits := 0
			b := newBackend(t, f, st, func(c *Config) {
				c.After = func(d time.Duration) <-chan time.Time {
					if d != DefaultTokenWait {
						t.Errorf("wait %v", d)
					}
					waits++
					return immediate(d)
				}
			})
			r, err := submitOne(t, b, potholeItem("app-1"))
			if err != nil {
				t.Fatal(err)
			}
			if r.Outcome != wire.Accepted || r.Tracking != tt.want || r.Status != lifecycle.Received {
				t.Errorf("result = %+v, want tracking %s", r, tt.want)
			}
			f.mu.Lock()
			polls := f.tokens["T1001"].polls
			f.mu.Unlock()
			if !tt.noTokens && polls != tt.wantPolls {
				t.Errorf("%d polls, want %d", polls, tt.wantPolls)
			}
			if tt.noTokens && len(f.getsOf("tokens/T1001")) != 1 {
				t.Errorf("no tokens endpoint: asked %d times, want once", len(f.getsOf("tokens/T1001")))
			}
			if polls > 0 && waits != polls-1 {
				t.Errorf("%d waits for %d polls", waits, polls)
			}
			if hasKey(st, prefixPending+"app-1") {
				t.Error("a token is a definite answer: the pending marker should be gone")
			}
		})
	}
}

func TestSubmitBlackbox(t *testing.T) {
	f := newFakeServer(t)
	f.set(func(f *fakeServer) { f.mode = "blackbox" })
	b := newBackend(t, f, NewMemState())
	it := potholeItem("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
	it.Service = "graffiti"
	it.Values = catalog.Values{FieldAddress: "wall"}
	r, err := submitOne(t, b, it)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != wire.Accepted || r.Tracking != "blackbox:0190a1b2" {
		t.Errorf("result = %+v", r)
	}
}

func TestSubmitRefusals(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		wantFields []string // field:code
	}{
		{"400 naming attribute[CODE]", 400, `[{"code":400,"description":"attribute[DEPTH] must be positive"}]`, []string{"attribute_depth:open311.invalid"}},
		{"400 naming the bare code", 400, `[{"code":400,"description":"SIZE is not a valid choice"}]`, []string{"attribute_size:open311.invalid"}},
		{"400 naming email, XML", 400, `<errors><error><code>400</code><description>email is invalid</description></error></errors>`, []string{"email:open311.invalid"}},
		{"400 two errors", 400, `[{"code":400,"description":"address_string is required"},{"code":400,"description":"lat and long out of range"}]`,
			[]string{"address_string:open311.invalid", "lat:open311.invalid"}},
		{"400 too long is not long", 400, `[{"code":400,"description":"Name too long"}]`, []string{"service:open311.invalid"}},
		{"400 naming nothing", 400, `{"error":"Invalid request"}`, []string{"service:open311.invalid"}},
		{"400 without body", 400, ``, []string{"service:open311.invalid"}},
		{"422 Rails errors", 422, `{"errors":{"phone":["is not a number"]}}`, []string{"phone:open311.invalid"}},
		{"200 with an error body", 200, `[{"code":400,"description":"description required"}]`, []string{"description:open311.invalid"}},
		{"404 for a service no longer listed", 404, `[{"code":404,"description":"Service not found"}]`, []string{"service:service.unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			f.set(func(f *fakeServer) {
				f.post = func(w http.ResponseWriter, r *http.Request, form url.Values) bool {
					w.WriteHeader(tt.status)
					io.WriteString(w, tt.body)
					return true
				}
			})
			st := NewMemState()
			b := newBackend(t, f, st)
			if _, _, _, err := b.Catalog(context.Background(), ""); err != nil {
				t.Fatal(err)
			}
			if tt.status == 404 {
				f.set(func(f *fakeServer) { f.services = `[{"service_code":"light"}]` })
			}
			r, err := submitOne(t, b, potholeItem("app-1"))
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if r.Outcome != wire.Invalid {
				t.Fatalf("outcome = %s", r.Outcome)
			}
			var got []string
			for _, fe := range r.Errors {
				got = append(got, fe.Field+":"+fe.Code)
				if fe.Message == "" {
					t.Error("a field error without message")
				}
			}
			if !reflect.DeepEqual(got, tt.wantFields) {
				t.Errorf("field errors = %v, want %v", got, tt.wantFields)
			}
			if hasKey(st, prefixPending+"app-1") {
				t.Error("a refusal is definite: the pending marker should be gone")
			}
		})
	}
}

func TestSubmitStops(t *testing.T) {
	tests := []struct {
		name        string
		answer      func(f *fakeServer, w http.ResponseWriter, form url.Values)
		want        []error
		wantResults int  // results returned for the 3 items
		keepMarker  bool // the outcome is unknown
	}{
		{"403 bad api_key", func(f *fakeServer, w http.ResponseWriter, _ url.Values) {
			w.WriteHeader(403)
			io.WriteString(w, specErrorsJSON)
		}, []error{ErrForbidden, client.ErrUnauthorized}, 0, false},
		{"500", func(f *fakeServer, w http.ResponseWriter, _ url.Values) { w.WriteHeader(500) }, []error{ErrServer}, 3, true},
		{"503 from a proxy, HTML", func(f *fakeServer, w http.ResponseWriter, _ url.Values) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(503)
			io.WriteString(w, "<html>busy</html>")
		}, []error{ErrServer}, 3, true},
		{"429", func(f *fakeServer, w http.ResponseWriter, _ url.Values) { w.WriteHeader(429) }, []error{ErrServer}, 3, true},
		{"connection cut", func(f *fakeServer, w http.ResponseWriter, _ url.Values) { drop(w) }, []error{ErrOffline, client.ErrOffline}, 3, true},
		{"captive portal 200", func(f *fakeServer, w http.ResponseWriter, _ url.Values) {
			io.WriteString(w, "<!DOCTYPE html><html>login</html>")
		}, []error{ErrCaptivePortal, client.ErrCaptivePortal}, 3, true},
		{"404 for a listed service: wrong endpoint", func(f *fakeServer, w http.ResponseWriter, _ url.Values) { w.WriteHeader(404) },
			[]error{ErrNotFound}, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			f.set(func(f *fakeServer) {
				f.post = func(w http.ResponseWriter, r *http.Request, form url.Values) bool {
					tt.answer(f, w, form)
					return true
				}
			})
			st := NewMemState()
			b := newBackend(t, f, st)
			items := []wire.SubmitItem{potholeItem("a1"), potholeItem("a2"), potholeItem("a3")}
			resp, err := b.Submit(context.Background(), items)
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("err = %v, want %v", err, w)
				}
			}
			if len(resp.Results) != tt.wantResults {
				t.Fatalf("%d results, want %d: %+v", len(resp.Results), tt.wantResults, resp.Results)
			}
			for i, r := range resp.Results {
				if r.Outcome != wire.Retry || r.ID != items[i].ID || r.Message == "" {
					t.Errorf("result %d = %+v, want Retry with a message", i, r)
				}
			}
			if n := f.postCount(); n != 1 {
				t.Errorf("%d POSTs, want 1 (the batch stops)", n)
			}
			if got := hasKey(st, prefixPending+"a1"); got != tt.keepMarker {
				t.Errorf("pending marker kept = %v, want %v", got, tt.keepMarker)
			}
			if hasKey(st, prefixPending+"a2") {
				t.Error("an item never sent has a pending marker")
			}
		})
	}
}

// TestSubmitUnknownOutcomeAdopts: the server stores the request, then the
// connection drops before the answer. The retry must look, find the
// request by its reference and adopt it, not post a second time.
func TestSubmitUnknownOutcomeAdopts(t *testing.T) {
	tests := []struct {
		name     string
		pageSize int
		others   int  // other requests of the service stored before
		noDates  bool // the server answers 400 to start_date/end_date
		after    func(f *fakeServer, w http.ResponseWriter, form url.Values)
	}{
		{"connection dropped", 0, 0, false, func(f *fakeServer, w http.ResponseWriter, form url.Values) { f.storeLocked(form); drop(w) }},
		{"500 after storing", 0, 0, false, func(f *fakeServer, w http.ResponseWriter, form url.Values) { f.storeLocked(form); w.WriteHeader(500) }},
		{"unreadable 200", 0, 0, false, func(f *fakeServer, w http.ResponseWriter, form url.Values) {
			f.storeLocked(form)
			io.WriteString(w, `[{"service_request_id":`)
		}},
		{"found on the third page", 2, 5, false, func(f *fakeServer, w http.ResponseWriter, form url.Values) { f.storeLocked(form); drop(w) }},
		{"server refuses the date filter", 0, 3, true, func(f *fakeServer, w http.ResponseWriter, form url.Values) { f.storeLocked(form); drop(w) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			f.set(func(f *fakeServer) {
				f.pageSize = tt.pageSize
				for i := range tt.others {
					f.store(url.Values{"service_code": {"pothole"}, "description": {fmt.Sprintf("other %d\n%s", i, Reference(fmt.Sprint("x", i)))}})
				}
				first := true
				f.post = func(w http.ResponseWriter, r *http.Request, form url.Values) bool {
					if first {
						first = false
						tt.after(f, w, form)
						return true
					}
					return false
				}
				if tt.noDates {
					f.hook = func(w http.ResponseWriter, r *http.Request) bool {
						if r.URL.Path == "/v2/requests.json" && r.URL.Query().Get("start_date") != "" {
							w.WriteHeader(400)
							io.WriteString(w, `[{"code":400,"description":"start_date not supported"}]`)
							return true
						}
						return false
					}
				}
			})
			st := NewMemState()
			b := newBackend(t, f, st)
			it := potholeItem("app-7")
			r, _ := submitOne(t, b, it)
			if r.Outcome != wire.Retry {
				t.Fatalf("first attempt: %+v, want Retry", r)
			}
			if !hasKey(st, prefixPending+"app-7") {
				t.Fatal("no pending marker after an unknown outcome")
			}
			r, err := submitOne(t, b, it)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			wantID := fmt.Sprint(1001 + tt.others)
			if r.Outcome != wire.Accepted || !r.Duplicate || r.Tracking != wantID || !r.AcceptedAt.Equal(f.now) {
				t.Errorf("retry = %+v, want the adopted request %s", r, wantID)
			}
			if n := f.postCount(); n != 1 {
				t.Errorf("%d POSTs, want 1: the retry must adopt, not post", n)
			}
			if n := f.requestCount(); n != 1+tt.others {
				t.Errorf("the server holds %d requests, want %d", n, 1+tt.others)
			}
			if hasKey(st, prefixPending+"app-7") || !hasKey(st, prefixDone+"app-7") {
				t.Errorf("state keys = %v", st.Keys(""))
			}
			lookups := f.getsOf("requests")
			if len(lookups) == 0 {
				t.Fatal("no lookup")
			}
			q := lookups[0].Query()
			if q.Get("service_code") != "pothole" {
				t.Errorf("lookup query = %v", q)
			}
			if !tt.noDates {
				// The first attempt was at device time 07:59, the server a
				// minute ahead: start one hour before 08:00.
				if q.Get("start_date") != "2025-03-01T07:00:00Z" || q.Get("end_date") != "2025-03-01T09:00:00Z" {
					t.Errorf("lookup window = %s .. %s", q.Get("start_date"), q.Get("end_date"))
				}
			} else if last := lookups[len(lookups)-1].Query(); last.Get("start_date") != "" {
				t.Errorf("the server refuses dates, the lookup kept them: %v", last)
			}
		})
	}
}

// TestSubmitUnknownOutcomeNotThere: the connection dropped before the
// server stored anything; the lookup finds nothing and the item is posted.
func TestSubmitUnknownOutcomeNotThere(t *testing.T) {
	f := newFakeServer(t)
	first := true
	f.set(func(f *fakeServer) {
		f.post = func(w http.ResponseWriter, r *http.Request, form url.Values) bool {
			if first {
				first = false
				drop(w)
				return true
			}
			return false
		}
	})
	st := NewMemState()
	b := newBackend(t, f, st)
	if r, _ := submitOne(t, b, potholeItem("app-8")); r.Outcome != wire.Retry {
		t.Fatalf("first: %+v", r)
	}
	r, err := submitOne(t, b, potholeItem("app-8"))
	if err != nil || r.Outcome != wire.Accepted || r.Duplicate || r.Tracking != "1001" {
		t.Fatalf("second: %+v %v", r, err)
	}
	if f.postCount() != 2 || f.requestCount() != 1 || len(f.getsOf("requests")) == 0 {
		t.Errorf("%d POSTs, %d stored, %d lookups", f.postCount(), f.requestCount(), len(f.getsOf("requests")))
	}
}

// TestSubmitLookupFails: when the lookup cannot run, nothing is posted.
func TestSubmitLookupFails(t *testing.T) {
	f := newFakeServer(t)
	st := NewMemState()
	st.Set(prefixPending+"app-9", deviceNow.Add(-time.Hour).Format(time.RFC3339Nano))
	f.set(func(f *fakeServer) {
		f.hook = func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path == "/v2/requests.json" && r.Method == http.MethodGet {
				w.WriteHeader(503)
				return true
			}
			return false
		}
	})
	b := newBackend(t, f, st)
	r, err := submitOne(t, b, potholeItem("app-9"))
	if r.Outcome != wire.Retry || !errors.Is(err, ErrServer) || f.postCount() != 0 {
		t.Errorf("result %+v, err %v, %d POSTs: want Retry, no POST", r, err, f.postCount())
	}
	if !hasKey(st, prefixPending+"app-9") {
		t.Error("marker lost")
	}
}

func TestSubmitUnknownService(t *testing.T) {
	f := newFakeServer(t)
	b := newBackend(t, f, NewMemState())
	it := potholeItem("app-1")
	it.Service = "no_such_service"
	r, err := submitOne(t, b, it)
	if err != nil || r.Outcome != wire.Invalid || len(r.Errors) != 1 || r.Errors[0].Field != "service" || r.Errors[0].Code != CodeServiceUnknown {
		t.Errorf("result = %+v, err %v", r, err)
	}
	if f.postCount() != 0 || len(f.getsOf("services")) != 1 {
		t.Errorf("%d POSTs, %d services fetches: want the catalog fetched once, nothing posted", f.postCount(), len(f.getsOf("services")))
	}
}

func TestSubmitNoLocation(t *testing.T) {
	f := newFakeServer(t)
	b := newBackend(t, f, NewMemState())
	it := potholeItem("app-1")
	delete(it.Values, FieldAddress)
	r, err := submitOne(t, b, it)
	if err != nil || r.Outcome != wire.Invalid || r.Errors[0].Field != FieldAddress || r.Errors[0].Code != catalog.CodeRequired {
		t.Errorf("result = %+v, err %v", r, err)
	}
	if f.postCount() != 0 {
		t.Error("posted an application without a location")
	}
}

func TestSubmitMixedBatch(t *testing.T) {
	f := newFakeServer(t)
	f.set(func(f *fakeServer) {
		f.post = func(w http.ResponseWriter, r *http.Request, form url.Values) bool {
			if strings.Contains(form.Get("description"), "bad") {
				w.WriteHeader(400)
				io.WriteString(w, `[{"code":400,"description":"description rejected"}]`)
				return true
			}
			return false
		}
	})
	b := newBackend(t, f, NewMemState())
	good, bad := potholeItem("g"), potholeItem("bad")
	resp, err := b.Submit(context.Background(), []wire.SubmitItem{good, bad, potholeItem("g2")})
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, r := range resp.Results {
		outcomes = append(outcomes, r.ID+":"+string(r.Outcome))
	}
	if want := []string{"g:accepted", "bad:invalid", "g2:accepted"}; !reflect.DeepEqual(outcomes, want) {
		t.Errorf("outcomes = %v, want %v", outcomes, want)
	}
	if !resp.ServerTime.Equal(f.now) {
		t.Errorf("server time = %v, want %v", resp.ServerTime, f.now)
	}
}

// TestSubmitXMLAndCodeMapping: in XML, a service whose code is not
// snake_case ("001" in the catalog as "s_001") is posted with its own
// code, and the spec's XML answers are read.
func TestSubmitXMLAndCodeMapping(t *testing.T) {
	f := newFakeServer(t)
	var posted url.Values
	f.set(func(f *fakeServer) {
		f.hook = func(w http.ResponseWriter, r *http.Request) bool {
			switch {
			case r.URL.Path == "/v2/services.xml":
				io.WriteString(w, `<services><service><service_code>001</service_code><service_name>Cans</service_name><metadata>false</metadata></service></services>`)
			case r.URL.Path == "/v2/requests.xml" && r.Method == http.MethodPost:
				body, _ := io.ReadAll(r.Body)
				posted, _ = url.ParseQuery(string(body))
				if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded; charset=utf-8" {
					t.Errorf("content type %q", r.Header.Get("Content-Type"))
				}
				if strings.Contains(posted.Get("description"), "bad") {
					w.WriteHeader(400)
					io.WriteString(w, `<?xml version="1.0" encoding="utf-8"?><errors><error><code>400</code><description>address_string not in the city</description></error></errors>`)
					return true
				}
				io.WriteString(w, specPostAnswerXML)
			default:
				w.WriteHeader(404)
			}
			return true
		}
	})
	b := newBackend(t, f, NewMemState(), func(c *Config) { c.Format = "xml" })
	it := wire.SubmitItem{ID: "app-x", Service: "s_001", Values: catalog.Values{FieldAddress: "1 Main St"}}
	r, err := submitOne(t, b, it)
	if err != nil || r.Outcome != wire.Accepted || r.Tracking != "293944" {
		t.Fatalf("result %+v, err %v", r, err)
	}
	if posted.Get("service_code") != "001" {
		t.Errorf("posted service_code %q, want 001", posted.Get("service_code"))
	}
	it = wire.SubmitItem{ID: "app-y", Service: "s_001", Values: catalog.Values{FieldAddress: "1 Main St", FieldDescription: "bad"}}
	r, err = submitOne(t, b, it)
	if err != nil || r.Outcome != wire.Invalid || r.Errors[0].Field != FieldAddress || r.Errors[0].Message != "address_string not in the city" {
		t.Errorf("result %+v, err %v", r, err)
	}
}
