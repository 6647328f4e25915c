package open311

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeServer is a small GeoReport v2 server for this package's unit
// tests: JSON only, with hooks to answer a request otherwise. The spec
// test server with every looseness is open311test.
type fakeServer struct {
	t    *testing.T
	srv  *httptest.Server
	now  time.Time // the Date header
	base string    // endpoint URL

	mu       sync.Mutex
	services string            // GET services body
	defs     map[string]string // GET services/{code} bodies
	reqs     []fakeReq
	tokens   map[string]fakeToken
	nextID   int
	posts    []string   // raw POST bodies
	gets     []*url.URL // every GET
	// post answers a POST; nil: store it and answer its id.
	post func(w http.ResponseWriter, r *http.Request, form url.Values) bool
	// hook answers any request first when it returns true.
	hook func(w http.ResponseWriter, r *http.Request) bool
	// mode of the default POST answer: "id", "token", "blackbox".
	mode string
	// pageSize of GET requests without page_size; 0: no paging at all.
	pageSize int
}

type fakeReq struct {
	ID, ServiceCode, Description, Status, Notes string
	Requested, Updated                          time.Time
	Form                                        url.Values
}

type fakeToken struct {
	id       string
	resolved int // polls before the id appears
	polls    int
}

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	f := &fakeServer{
		t:      t,
		now:    time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC),
		defs:   map[string]string{},
		tokens: map[string]fakeToken{},
		nextID: 1000,
		mode:   "id",
		services: `[{"service_code":"pothole","service_name":"Pothole","description":"A hole.","metadata":true,"type":"realtime","group":"Streets"},
			{"service_code":"light","service_name":"Light out","metadata":false,"type":"batch","group":"Streets"},
			{"service_code":"graffiti","service_name":"Graffiti","metadata":false,"type":"blackbox"}]`,
	}
	f.defs["pothole"] = `{"service_code":"pothole","attributes":[
		{"variable":true,"code":"DEPTH","datatype":"number","required":true,"order":2,"description":"Depth (cm)"},
		{"variable":true,"code":"SIZE","datatype":"singlevaluelist","required":true,"order":1,"description":"Size","values":[{"key":"S","name":"Small"},{"key":"L","name":"Large"}]},
		{"variable":true,"code":"HAZARDS","datatype":"multivaluelist","order":3,"description":"Hazards","values":[{"key":"water","name":"Water"},{"key":"edge","name":"Edge"}]}]}`
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.srv.Listener = l
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	f.base = f.srv.URL + "/v2/"
	return f
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Date", f.now.Format(http.TimeFormat))
	f.mu.Lock()
	hook := f.hook
	f.mu.Unlock()
	if hook != nil && hook(w, r) {
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/v2/")
	res, ext, _ := strings.Cut(path, ".")
	if ext != "json" {
		http.Error(w, `[{"code":404,"description":"only json here"}]`, 404)
		return
	}
	if r.Method == http.MethodPost && res == "requests" {
		f.servePost(w, r)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets = append(f.gets, r.URL)
	switch {
	case res == "services":
		io.WriteString(w, f.services)
	case strings.HasPrefix(res, "services/"):
		d, ok := f.defs[strings.TrimPrefix(res, "services/")]
		if !ok {
			w.WriteHeader(404)
			io.WriteString(w, `[{"code":404,"description":"no such service"}]`)
			return
		}
		io.WriteString(w, d)
	case strings.HasPrefix(res, "tokens/"):
		tok := strings.TrimPrefix(res, "tokens/")
		tk, ok := f.tokens[tok]
		if !ok {
			w.WriteHeader(404)
			return
		}
		tk.polls++
		f.tokens[tok] = tk
		if tk.polls > tk.resolved && tk.id != "" {
			fmt.Fprintf(w, `[{"service_request_id":%s,"token":%q}]`, tk.id, tok)
			return
		}
		fmt.Fprintf(w, `[{"token":%q}]`, tok)
	case res == "requests":
		f.serveList(w, r.URL.Query())
	case strings.HasPrefix(res, "requests/"):
		id := strings.TrimPrefix(res, "requests/")
		for _, q := range f.reqs {
			if q.ID == id {
				writeReqs(w, []fakeReq{q})
				return
			}
		}
		w.WriteHeader(404)
	default:
		w.WriteHeader(404)
	}
}

func (f *fakeServer) serveList(w http.ResponseWriter, q url.Values) {
	var out []fakeReq
	ids := map[string]bool{}
	if s := q.Get("service_request_id"); s != "" {
		for _, id := range strings.Split(s, ",") {
			ids[id] = true
		}
	}
	start, _ := time.Parse(time.RFC3339, q.Get("start_date"))
	for _, r := range f.reqs {
		if len(ids) > 0 && !ids[r.ID] {
			continue
		}
		if c := q.Get("service_code"); c != "" && c != r.ServiceCode {
			continue
		}
		if !start.IsZero() && r.Requested.Before(start) {
			continue
		}
		out = append(out, r)
	}
	if f.pageSize > 0 {
		page, _ := strconv.Atoi(q.Get("page"))
		page = max(page, 1)
		lo := min((page-1)*f.pageSize, len(out))
		out = out[lo:min(lo+f.pageSize, len(out))]
	}
	writeReqs(w, out)
}

func writeReqs(w io.Writer, rs []fakeReq) {
	type jr struct {
		ID          json.Number `json:"service_request_id"`
		Status      string      `json:"status"`
		Notes       string      `json:"status_notes,omitempty"`
		ServiceCode string      `json:"service_code"`
		Description string      `json:"description"`
		Requested   string      `json:"requested_datetime"`
		Updated     string      `json:"updated_datetime,omitempty"`
	}
	out := make([]jr, 0, len(rs))
	for _, r := range rs {
		j := jr{ID: json.Number(r.ID), Status: r.Status, Notes: r.Notes, ServiceCode: r.ServiceCode, Description: r.Description,
			Requested: r.Requested.Format(time.RFC3339)}
		if !r.Updated.IsZero() {
			j.Updated = r.Updated.Format(time.RFC3339)
		}
		out = append(out, j)
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (f *fakeServer) servePost(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, err := url.ParseQuery(string(body))
	if err != nil {
		w.WriteHeader(400)
		io.WriteString(w, `[{"code":400,"description":"unreadable form"}]`)
		return
	}
	f.mu.Lock()
	f.posts = append(f.posts, string(body))
	post := f.post
	f.mu.Unlock()
	if post != nil && post(w, r, form) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.store(form)
	switch f.mode {
	case "token":
		tok := "T" + id
		f.tokens[tok] = fakeToken{id: id}
		fmt.Fprintf(w, `[{"token":%q}]`, tok)
	case "blackbox":
		io.WriteString(w, `[{"service_notice":"We will look at it."}]`)
	default:
		fmt.Fprintf(w, `[{"service_request_id":%s,"service_notice":"ok","account_id":null}]`, id)
	}
}

// store keeps a posted request and returns its id; f.mu is held.
func (f *fakeServer) store(form url.Values) string {
	f.nextID++
	id := strconv.Itoa(f.nextID)
	f.reqs = append(f.reqs, fakeReq{ID: id, ServiceCode: form.Get("service_code"), Description: form.Get("description"),
		Status: "open", Requested: f.now, Updated: f.now, Form: form})
	return id
}

// storeLocked is store for hooks, which run without f.mu.
func (f *fakeServer) storeLocked(form url.Values) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.store(form)
}

// drop cuts the connection without an answer.
func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("no hijacker")
	}
	c, _, err := hj.Hijack()
	if err == nil {
		c.Close()
	}
}

func (f *fakeServer) postCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.posts)
}

func (f *fakeServer) requestCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

// getsOf returns the GETs of one resource ("requests", "tokens/T1").
func (f *fakeServer) getsOf(resource string) []*url.URL {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*url.URL
	for _, u := range f.gets {
		if strings.TrimSuffix(strings.TrimPrefix(u.Path, "/v2/"), ".json") == resource {
			out = append(out, u)
		}
	}
	return out
}

func (f *fakeServer) set(fn func(f *fakeServer)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// deviceNow is the device clock of the tests: a minute behind the server.
var deviceNow = time.Date(2025, 3, 1, 7, 59, 0, 0, time.UTC)

func immediate(time.Duration) <-chan time.Time {
	c := make(chan time.Time, 1)
	c <- time.Time{}
	return c
}

// newBackend returns a Backend for the fake server with a fixed device
// clock and token polls that do not wait.
func newBackend(t *testing.T, f *fakeServer, st *MemState, mod ...func(*Config)) *Backend {
	t.Helper()
	cfg := Config{Endpoint: f.base, State: st, Clock: func() time.Time { return deviceNow }, After: immediate}
	for _, m := range mod {
		m(&cfg)
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hasKey(st *MemState, key string) bool {
	return slices.Contains(st.Keys(key), key)
}
