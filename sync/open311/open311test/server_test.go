package open311test

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The server's own tests speak raw HTTP, as a client would.

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func start(t *testing.T, o Options) *Server {
	t.Helper()
	s := NewServer(o)
	t.Cleanup(s.Close)
	return s
}

// get fetches base+path and returns the status and body.
func get(t *testing.T, s *Server, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(s.URL() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// post sends a form to requests.{format}.
func post(t *testing.T, s *Server, format string, form url.Values) (int, string) {
	t.Helper()
	resp, err := http.Post(s.URL()+"requests."+format, "application/x-www-form-urlencoded; charset=utf-8", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// xnode is any XML element.
type xnode struct {
	XMLName xml.Name
	Text    string  `xml:",chardata"`
	Kids    []xnode `xml:",any"`
}

func (n xnode) child(name string) (xnode, bool) {
	for _, k := range n.Kids {
		if k.XMLName.Local == name {
			return k, true
		}
	}
	return xnode{}, false
}

func (n xnode) text(name string) string {
	k, _ := n.child(name)
	return strings.TrimSpace(k.Text)
}

func parseXML(t *testing.T, body string) xnode {
	t.Helper()
	var n xnode
	if err := xml.Unmarshal([]byte(body), &n); err != nil {
		t.Fatalf("answer is not XML: %v\n%s", err, body)
	}
	return n
}

// validPothole is a complete, valid pothole form.
func validPothole(key string) url.Values {
	return url.Values{
		"api_key":                       {key},
		"service_code":                  {Pothole},
		"address_string":                {"12 Main Street"},
		"attribute[" + AttrDepth + "]":  {"7.5"},
		"attribute[" + AttrSize + "]":   {"M"},
		"attribute[" + AttrNearBy + "]": {"bakery"},
		"attribute[HAZARDS][]":          {"water", "edge"},
		"attribute[" + AttrSeen + "]":   {"2025-03-09"},
		"description":                   {"deep one\n[civicdesk:app-1]"},
		"email":                         {"someone@example.org"},
	}
}

func TestDiscovery(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		format  string
		status  int
		formats []string
	}{
		{"json", Options{}, JSON, 200, []string{"text/xml", "application/json"}},
		{"xml", Options{}, XML, 200, []string{"text/xml", "application/json"}},
		{"xml only", Options{XMLOnly: true}, XML, 200, []string{"text/xml"}},
		{"xml only refuses json", Options{XMLOnly: true}, JSON, 404, nil},
		{"no discovery", Options{NoDiscovery: true}, XML, 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, tt.opts)
			status, body := get(t, s, "discovery."+tt.format)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, body)
			}
			if status != 200 {
				return
			}
			var url string
			var formats []string
			if tt.format == JSON {
				var d struct {
					Endpoints []struct {
						URL     string   `json:"url"`
						Formats []string `json:"formats"`
					} `json:"endpoints"`
				}
				if err := json.Unmarshal([]byte(body), &d); err != nil || len(d.Endpoints) != 1 {
					t.Fatalf("discovery %s: %v", body, err)
				}
				url, formats = d.Endpoints[0].URL, d.Endpoints[0].Formats
			} else {
				n := parseXML(t, body)
				eps, _ := n.child("endpoints")
				ep, _ := eps.child("endpoint")
				url = ep.text("url")
				fs, _ := ep.child("formats")
				for _, f := range fs.Kids {
					formats = append(formats, f.Text)
				}
			}
			if url != s.URL() || !slices.Equal(formats, tt.formats) {
				t.Errorf("endpoint %q formats %q, want %q %q", url, formats, s.URL(), tt.formats)
			}
		})
	}
}

func TestServicesAndDefinitions(t *testing.T) {
	t.Run("json", func(t *testing.T) {
		s := start(t, Options{})
		_, body := get(t, s, "services.json")
		var svcs []map[string]any
		if err := json.Unmarshal([]byte(body), &svcs); err != nil {
			t.Fatal(err)
		}
		if len(svcs) != 4 || svcs[0]["service_code"] != Pothole || svcs[0]["metadata"] != true || svcs[1]["type"] != Batch || svcs[2]["metadata"] != false || svcs[0]["group"] != "Streets" {
			t.Errorf("services = %v", svcs)
		}
		_, body = get(t, s, "services/pothole.json")
		var def struct {
			Code       string `json:"service_code"`
			Attributes []struct {
				Variable bool   `json:"variable"`
				Code     string `json:"code"`
				Datatype string `json:"datatype"`
				Required bool   `json:"required"`
				Order    int    `json:"order"`
				Values   []struct {
					Key, Name string
				} `json:"values"`
			} `json:"attributes"`
		}
		if err := json.Unmarshal([]byte(body), &def); err != nil {
			t.Fatal(err)
		}
		var codes []string
		var orders []int
		for _, a := range def.Attributes {
			codes = append(codes, a.Code)
			orders = append(orders, a.Order)
		}
		if def.Code != Pothole || codes[0] != AttrDepth || slices.IsSorted(orders) || def.Attributes[1].Variable || !def.Attributes[0].Required || len(def.Attributes[2].Values) != 3 {
			t.Errorf("definition = %+v", def)
		}
		if status, _ := get(t, s, "services/nope.json"); status != 404 {
			t.Errorf("unknown service: %d, want 404", status)
		}
		if _, body := get(t, s, "services/graffiti.json"); !strings.Contains(body, `"attributes":[]`) {
			t.Errorf("a service without a definition: %s", body)
		}
	})
	t.Run("xml", func(t *testing.T) {
		s := start(t, Options{})
		_, body := get(t, s, "services.xml")
		n := parseXML(t, body)
		if n.XMLName.Local != "services" || len(n.Kids) != 4 || n.Kids[0].text("metadata") != "true" || n.Kids[1].text("type") != Batch {
			t.Errorf("services = %s", body)
		}
		_, body = get(t, s, "services/pothole.xml")
		n = parseXML(t, body)
		attrs, _ := n.child("attributes")
		if n.XMLName.Local != "service_definition" || len(attrs.Kids) != 8 || attrs.Kids[1].text("variable") != "false" {
			t.Fatalf("definition = %s", body)
		}
		vals, _ := attrs.Kids[2].child("values")
		if len(vals.Kids) != 3 || vals.Kids[0].text("key") != "S" {
			t.Errorf("values = %+v", vals)
		}
	})
	t.Run("bools as strings", func(t *testing.T) {
		s := start(t, Options{BoolsAsStrings: true})
		_, body := get(t, s, "services.json")
		if !strings.Contains(body, `"metadata":"true"`) || strings.Contains(body, `"metadata":true`) {
			t.Errorf("services = %s", body)
		}
		_, body = get(t, s, "services/pothole.json")
		if !strings.Contains(body, `"required":"true"`) || !strings.Contains(body, `"variable":"false"`) {
			t.Errorf("definition = %s", body)
		}
	})
	t.Run("omit optional", func(t *testing.T) {
		s := start(t, Options{OmitOptional: true})
		_, body := get(t, s, "services.json")
		for _, k := range []string{`"group"`, `"keywords"`, `"description"`} {
			if strings.Contains(body, k) {
				t.Errorf("services has %s: %s", k, body)
			}
		}
		_, body = get(t, s, "services/pothole.xml")
		if strings.Count(body, "<values>") != 2 || strings.Count(body, "<datatype_description>") != 1 {
			t.Errorf("definition = %s", body)
		}
	})
}

func TestCreateRefusals(t *testing.T) {
	key := DefaultAPIKey
	tests := []struct {
		name   string
		edit   func(url.Values)
		status int
		want   []string // parts of the error descriptions
	}{
		{"no api_key", func(f url.Values) { f.Del("api_key") }, 403, []string{"api_key"}},
		{"bad api_key", func(f url.Values) { f.Set("api_key", "nope") }, 403, []string{"api_key"}},
		{"no service_code", func(f url.Values) { f.Del("service_code") }, 400, []string{"service_code is required"}},
		{"unknown service", func(f url.Values) { f.Set("service_code", "nope") }, 404, []string{"service_code nope not found"}},
		{"no location", func(f url.Values) { f.Del("address_string") }, 400, []string{"address_string"}},
		{"lat without long", func(f url.Values) { f.Set("lat", "31.2") }, 400, []string{"lat and long must be given together"}},
		{"lat out of range", func(f url.Values) { f.Set("lat", "91"); f.Set("long", "1") }, 400, []string{"decimal degrees"}},
		{"required missing", func(f url.Values) { f.Del("attribute[DEPTH]") }, 400, []string{"attribute[DEPTH] is required"}},
		{"required empty", func(f url.Values) { f.Set("attribute[DEPTH]", "") }, 400, []string{"attribute[DEPTH] is required"}},
		{"two required missing", func(f url.Values) { f.Del("attribute[DEPTH]"); f.Del("attribute[SIZE]") }, 400, []string{"attribute[DEPTH] is required", "attribute[SIZE] is required"}},
		{"not a number", func(f url.Values) { f.Set("attribute[DEPTH]", "deep") }, 400, []string{"attribute[DEPTH] must be a number"}},
		{"not a key", func(f url.Values) { f.Set("attribute[SIZE]", "XL") }, 400, []string{"attribute[SIZE] has a value"}},
		{"multi sent plain", func(f url.Values) { f.Del("attribute[HAZARDS][]"); f.Set("attribute[HAZARDS]", "water") }, 400, []string{"attribute[HAZARDS] is a multivaluelist"}},
		{"multi sent comma joined", func(f url.Values) { f.Set("attribute[HAZARDS][]", "water,edge") }, 400, []string{"attribute[HAZARDS] has a value"}},
		{"single sent as list", func(f url.Values) { f.Del("attribute[SIZE]"); f.Add("attribute[SIZE][]", "M") }, 400, []string{"attribute[SIZE] takes one value"}},
		{"note sent", func(f url.Values) { f.Set("attribute[SAFETY]", "ok") }, 400, []string{"attribute[SAFETY] is information"}},
		{"unknown attribute", func(f url.Values) { f.Set("attribute[COLOUR]", "red") }, 400, []string{"attribute[COLOUR] is not an attribute"}},
		{"bad datetime", func(f url.Values) { f.Set("attribute[SEEN-AT]", "yesterday") }, 400, []string{"attribute[SEEN-AT] must be an ISO 8601"}},
		{"description too long", func(f url.Values) { f.Set("description", strings.Repeat("路", MaxDescription+1)) }, 400, []string{"description is longer than 4000"}},
		{"bad email", func(f url.Values) { f.Set("email", "nobody") }, 400, []string{"email"}},
	}
	for _, shape := range []string{"spec", "other"} {
		for _, format := range []string{JSON, XML} {
			for _, tt := range tests {
				t.Run(shape+"/"+format+"/"+tt.name, func(t *testing.T) {
					s := start(t, Options{OtherErrorShape: shape == "other"})
					f := validPothole(key)
					tt.edit(f)
					status, body := post(t, s, format, f)
					if status != tt.status {
						t.Fatalf("status %d, want %d: %s", status, tt.status, body)
					}
					descs := errorDescriptions(t, format, shape == "other", body)
					for _, w := range tt.want {
						if !slices.ContainsFunc(descs, func(d string) bool { return strings.Contains(d, w) }) {
							t.Errorf("errors %q do not say %q", descs, w)
						}
					}
					if len(s.Stored()) != 0 {
						t.Error("a refused request was stored")
					}
					rec := s.Requests()
					if len(rec) != 1 || rec[0].Status != tt.status || rec[0].StoredID != "" {
						t.Errorf("recorded %+v", rec)
					}
				})
			}
		}
	}
}

// errorDescriptions reads an error body of either shape.
func errorDescriptions(t *testing.T, format string, other bool, body string) []string {
	t.Helper()
	switch {
	case format == JSON && other:
		var e struct{ Error string }
		if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" {
			t.Fatalf("error body %s: %v", body, err)
		}
		return strings.Split(e.Error, "; ")
	case format == JSON:
		var es []struct {
			Code        int    `json:"code"`
			Description string `json:"description"`
		}
		if err := json.Unmarshal([]byte(body), &es); err != nil || len(es) == 0 {
			t.Fatalf("error body %s: %v", body, err)
		}
		var out []string
		for _, e := range es {
			if e.Code < 400 {
				t.Errorf("error code %d", e.Code)
			}
			out = append(out, e.Description)
		}
		return out
	case other:
		n := parseXML(t, body)
		if n.XMLName.Local != "error" {
			t.Fatalf("error body %s", body)
		}
		return strings.Split(n.Text, "; ")
	}
	n := parseXML(t, body)
	if n.XMLName.Local != "errors" || len(n.Kids) == 0 {
		t.Fatalf("error body %s", body)
	}
	var out []string
	for _, e := range n.Kids {
		if e.XMLName.Local != "error" || e.text("code") == "" {
			t.Errorf("error element %+v", e)
		}
		out = append(out, e.text("description"))
	}
	return out
}

func TestCreateAnswers(t *testing.T) {
	key := DefaultAPIKey
	t.Run("realtime json", func(t *testing.T) {
		s := start(t, Options{})
		status, body := post(t, s, JSON, validPothole(key))
		if status != 200 || !strings.Contains(body, `"service_request_id":"1001"`) || !strings.Contains(body, `"account_id":null`) {
			t.Fatalf("%d %s", status, body)
		}
		r, ok := s.Request("1001")
		if !ok || r.Status != StatusOpen || !slices.Equal(r.Attributes[AttrHazards], []string{"water", "edge"}) || r.Attributes[AttrDepth][0] != "7.5" || r.AddressString != "12 Main Street" {
			t.Errorf("stored %+v", r)
		}
		if n := s.CountByReference("[civicdesk:app-1]"); n != 1 {
			t.Errorf("CountByReference = %d", n)
		}
		rec := s.Requests()
		if len(rec) != 1 || rec[0].StoredID != "1001" || rec[0].Status != 200 || !strings.Contains(rec[0].Body, "attribute%5BHAZARDS%5D%5B%5D=water&attribute%5BHAZARDS%5D%5B%5D=edge") {
			t.Errorf("recorded %+v", rec)
		}
	})
	t.Run("ids as numbers", func(t *testing.T) {
		s := start(t, Options{IDsAsNumbers: true})
		_, body := post(t, s, JSON, validPothole(key))
		if !strings.Contains(body, `"service_request_id":1001`) {
			t.Errorf("%s", body)
		}
		f := url.Values{"api_key": {key}, "service_code": {Streetlight}, "lat": {"31.2"}, "long": {"121.5"}}
		if _, body = post(t, s, JSON, f); !strings.Contains(body, `"token":5001`) {
			t.Errorf("%s", body)
		}
	})
	t.Run("xml and the element variant", func(t *testing.T) {
		for _, variant := range []bool{false, true} {
			s := start(t, Options{XMLElementVariant: variant})
			_, body := post(t, s, XML, validPothole(key))
			n := parseXML(t, body)
			root, id := "service_requests", "service_request_id"
			if variant {
				root, id = "requests", "id"
			}
			if n.XMLName.Local != root || len(n.Kids) != 1 || n.Kids[0].XMLName.Local != "request" || n.Kids[0].text(id) != "1001" {
				t.Errorf("variant %v: %s", variant, body)
			}
		}
	})
	t.Run("blackbox", func(t *testing.T) {
		for _, omit := range []bool{false, true} {
			s := start(t, Options{OmitOptional: omit})
			f := url.Values{"api_key": {key}, "service_code": {Graffiti}, "address_id": {"A17"}, "description": {"tag [civicdesk:g]"}}
			status, body := post(t, s, JSON, f)
			want := `[{"service_notice":"Thank you. Graffiti reports are not tracked individually.","account_id":null}]`
			if omit {
				want = `[]`
			}
			if status != 200 || strings.TrimSpace(body) != want {
				t.Errorf("omit %v: %d %s", omit, status, body)
			}
			if s.CountByReference("[civicdesk:g]") != 1 {
				t.Error("blackbox request not stored")
			}
			if _, body := get(t, s, "requests.json"); strings.TrimSpace(body) != "[]" {
				t.Errorf("a blackbox request is listed: %s", body)
			}
			if status, _ := get(t, s, "requests/1001.json"); status != 404 {
				t.Errorf("a blackbox request is shown: %d", status)
			}
		}
	})
	t.Run("jurisdiction", func(t *testing.T) {
		s := start(t, Options{JurisdictionID: "city.example"})
		f := validPothole(key)
		if status, _ := post(t, s, JSON, f); status != 400 {
			t.Errorf("without jurisdiction_id: %d", status)
		}
		f.Set("jurisdiction_id", "other.example")
		if status, _ := post(t, s, JSON, f); status != 404 {
			t.Errorf("another jurisdiction_id: %d", status)
		}
		f.Set("jurisdiction_id", "city.example")
		if status, body := post(t, s, JSON, f); status != 200 {
			t.Errorf("right jurisdiction_id: %d %s", status, body)
		}
		if status, _ := get(t, s, "services.json"); status != 400 {
			t.Errorf("GET without jurisdiction_id: %d", status)
		}
		if status, _ := get(t, s, "services.json?jurisdiction_id=city.example"); status != 200 {
			t.Errorf("GET with jurisdiction_id: %d", status)
		}
		if status, _ := get(t, s, "discovery.json"); status != 200 {
			t.Errorf("discovery needs no jurisdiction_id: %d", status)
		}
	})
	t.Run("not a form", func(t *testing.T) {
		s := start(t, Options{})
		resp, err := http.Post(s.URL()+"requests.json", "application/json", strings.NewReader(`{"service_code":"pothole"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
}

func TestTokens(t *testing.T) {
	key := DefaultAPIKey
	light := url.Values{"api_key": {key}, "service_code": {Streetlight}, "address_string": {"Pole 7"}}
	for _, format := range []string{JSON, XML} {
		t.Run(format, func(t *testing.T) {
			s := start(t, Options{TokenPolls: 2})
			_, body := post(t, s, format, light)
			if !strings.Contains(body, "5001") || strings.Contains(body, "1001") {
				t.Fatalf("batch answer %s", body)
			}
			for i := range 3 {
				status, body := get(t, s, "tokens/5001."+format)
				if status != 200 {
					t.Fatalf("poll %d: %d", i, status)
				}
				if has := strings.Contains(body, "1001"); has != (i == 2) {
					t.Errorf("poll %d: %s", i, body)
				}
			}
			if status, _ := get(t, s, "tokens/9999."+format); status != 404 {
				t.Errorf("unknown token: %d", status)
			}
		})
	}
	t.Run("resolve", func(t *testing.T) {
		s := start(t, Options{TokenPolls: 100})
		post(t, s, JSON, light)
		if _, body := get(t, s, "tokens/5001.json"); !strings.Contains(body, `"service_request_id":null`) {
			t.Errorf("unresolved: %s", body)
		}
		s.ResolveTokens()
		if _, body := get(t, s, "tokens/5001.json"); !strings.Contains(body, `"service_request_id":"1001"`) {
			t.Errorf("resolved: %s", body)
		}
	})
	t.Run("no tokens", func(t *testing.T) {
		s := start(t, Options{NoTokens: true})
		if _, body := post(t, s, JSON, light); !strings.Contains(body, `"token":"5001"`) {
			t.Errorf("batch answer %s", body)
		}
		if status, _ := get(t, s, "tokens/5001.json"); status != 404 {
			t.Errorf("tokens: %d", status)
		}
	})
}

func TestListAndStatus(t *testing.T) {
	key := DefaultAPIKey
	c := newClock()
	s := start(t, Options{Clock: c.Now, PageSize: 3})
	for i := range 5 {
		f := validPothole(key)
		if i%2 == 1 {
			f = url.Values{"api_key": {key}, "service_code": {Bulky}, "lat": {"31.25"}, "long": {"121.5"}}
		}
		if status, body := post(t, s, JSON, f); status != 200 {
			t.Fatal(body)
		}
		c.Advance(time.Hour)
	}
	// 1001 09:00 pothole, 1002 10:00 bulky, 1003 11:00 pothole, 1004 12:00 bulky, 1005 13:00 pothole
	if err := s.SetStatus("1003", StatusClosed, "Filled."); err != nil {
		t.Fatal(err)
	}
	ids := func(body string) []string {
		var rs []struct {
			ID string `json:"service_request_id"`
		}
		if err := json.Unmarshal([]byte(body), &rs); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"1001", "1002", "1003"}},
		{"?page=2", []string{"1004", "1005"}},
		{"?page_size=2&page=3", []string{"1005"}},
		{"?page_size=50", []string{"1001", "1002", "1003"}},
		{"?page=4", nil},
		{"?service_request_id=1004,1001", []string{"1001", "1004"}},
		{"?service_request_id=1004&service_code=pothole", []string{"1004"}},
		{"?service_code=pothole", []string{"1001", "1003", "1005"}},
		{"?service_code=pothole,bulky_item&status=open", []string{"1001", "1002", "1004"}},
		{"?status=closed", []string{"1003"}},
		{"?start_date=2025-03-10T11:00:00Z", []string{"1003", "1004", "1005"}},
		{"?start_date=2025-03-10T03:30:00-08:00&end_date=2025-03-10T12:00:00Z", []string{"1004"}},
		{"?end_date=2025-03-10T10:00:00Z", []string{"1001", "1002"}},
	}
	for _, tt := range tests {
		t.Run("list"+tt.query, func(t *testing.T) {
			status, body := get(t, s, "requests.json"+tt.query)
			if got := ids(body); status != 200 || !slices.Equal(got, tt.want) {
				t.Errorf("%d %v, want %v", status, got, tt.want)
			}
		})
	}
	for _, q := range []string{"?page=0", "?page_size=x", "?start_date=yesterday"} {
		if status, _ := get(t, s, "requests.json"+q); status != 400 {
			t.Errorf("%s: %d, want 400", q, status)
		}
	}
	t.Run("default window", func(t *testing.T) {
		c.Advance(DefaultWindow - 150*time.Minute) // now 11:30 + 90 days
		_, body := get(t, s, "requests.json")
		if got := ids(body); !slices.Equal(got, []string{"1004", "1005"}) {
			t.Errorf("last 90 days: %v", got)
		}
	})
	t.Run("one", func(t *testing.T) {
		_, body := get(t, s, "requests/1003.json")
		var rs []map[string]any
		if err := json.Unmarshal([]byte(body), &rs); err != nil || len(rs) != 1 {
			t.Fatalf("%v %s", err, body)
		}
		r := rs[0]
		if r["status"] != "closed" || r["status_notes"] != "Filled." || r["requested_datetime"] != "2025-03-10T03:00:00-08:00" ||
			r["updated_datetime"] != "2025-03-10T06:00:00-08:00" || r["service_name"] != "Pothole" || r["address"] != "12 Main Street" || r["lat"] != nil {
			t.Errorf("request 1003 = %v", r)
		}
		_, body = get(t, s, "requests/1002.xml")
		n := parseXML(t, body)
		if len(n.Kids) != 1 || n.Kids[0].text("lat") != "31.25" || n.Kids[0].text("status") != "open" || n.Kids[0].text("service_request_id") != "1002" {
			t.Errorf("request 1002 = %s", body)
		}
		if status, _ := get(t, s, "requests/77.xml"); status != 404 {
			t.Errorf("unknown request: %d", status)
		}
	})
	t.Run("omit optional", func(t *testing.T) {
		s := start(t, Options{OmitOptional: true})
		post(t, s, JSON, url.Values{"api_key": {key}, "service_code": {Bulky}, "lat": {"1"}, "long": {"2"}})
		_, body := get(t, s, "requests/1001.json")
		for _, k := range []string{"status_notes", "updated_datetime", "address", "media_url", "null"} {
			if strings.Contains(body, k) {
				t.Errorf("%s in %s", k, body)
			}
		}
	})
	t.Run("set status errors", func(t *testing.T) {
		if err := s.SetStatus("9", StatusClosed, ""); !errors.Is(err, ErrUnknownRequest) {
			t.Errorf("unknown id: %v", err)
		}
		if err := s.SetStatus("1001", "done", ""); !errors.Is(err, ErrBadStatus) {
			t.Errorf("bad status: %v", err)
		}
	})
}

func TestDropAfterStore(t *testing.T) {
	s := start(t, Options{DropAfterStore: 1})
	f := validPothole(DefaultAPIKey)
	resp, err := http.Post(s.URL()+"requests.json", "application/x-www-form-urlencoded", strings.NewReader(f.Encode()))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("the first POST was answered: %d", resp.StatusCode)
	}
	if status, body := post(t, s, JSON, f); status != 200 || !strings.Contains(body, "1002") {
		t.Errorf("second POST: %d %s", status, body)
	}
	if n := s.CountByReference("[civicdesk:app-1]"); n != 2 {
		t.Errorf("CountByReference = %d, want 2 (both stored)", n)
	}
	rec := s.Requests()
	if len(rec) != 2 || !rec[0].Dropped || rec[0].Status != 0 || rec[0].StoredID != "1001" || rec[1].Dropped {
		t.Errorf("recorded %+v", rec)
	}
}

func TestRouting(t *testing.T) {
	s := start(t, Options{XMLOnly: true})
	tests := []struct {
		method, path string
		status       int
	}{
		{"GET", "services.xml", 200},
		{"GET", "services.json", 404},
		{"GET", "services.csv", 404},
		{"GET", "services", 404},
		{"GET", "nothing.xml", 404},
		{"GET", "services/a/b.xml", 404},
		{"POST", "services.xml", 405},
		{"DELETE", "requests.xml", 405},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, s.URL()+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
		}
		if tt.status != 200 && !strings.HasPrefix(string(b), "<?xml") {
			t.Errorf("%s %s: error body is not XML: %s", tt.method, tt.path, b)
		}
	}
	hits := s.Hits()
	if len(hits) != len(tests) || hits[0].Path != "services.xml" || hits[0].Status != 200 || hits[1].Status != 404 {
		t.Errorf("hits %+v", hits)
	}
}

func TestEscaping(t *testing.T) {
	s := start(t, Options{})
	const desc = "a<b & \"c\" ]]> 路口\n[civicdesk:x]"
	f := url.Values{"api_key": {DefaultAPIKey}, "service_code": {Bulky}, "address_string": {"<3 & 4>"}, "description": {desc}}
	if status, body := post(t, s, XML, f); status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	_, body := get(t, s, "requests/1001.xml")
	n := parseXML(t, body)
	if got := n.Kids[0].text("description"); got != strings.TrimSpace(desc) {
		t.Errorf("XML description %q, want %q", got, desc)
	}
	_, body = get(t, s, "requests/1001.json")
	var rs []struct{ Description, Address string }
	if err := json.Unmarshal([]byte(body), &rs); err != nil || rs[0].Description != desc || rs[0].Address != "<3 & 4>" {
		t.Errorf("JSON %v %+v", err, rs)
	}
}
