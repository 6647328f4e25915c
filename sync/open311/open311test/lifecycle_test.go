package open311test

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/sync/engine"
	"civicdesk/sync/open311"
)

// The full client life cycle against the test server, through the real
// engine, the real store and the Open311 adapter.

// looseness are the server switches the life cycle runs under, one at a time.
var looseness = []struct {
	name string
	opts Options
}{
	{"spec", Options{}},
	{"ids as numbers", Options{IDsAsNumbers: true}},
	{"bools as strings", Options{BoolsAsStrings: true}},
	{"omit optional", Options{OmitOptional: true}},
	{"xml element variant", Options{XMLElementVariant: true}},
	{"other error shape", Options{OtherErrorShape: true}},
	{"no tokens", Options{NoTokens: true}},
	{"no discovery", Options{NoDiscovery: true}},
	{"xml only", Options{XMLOnly: true}},
	{"jurisdiction", Options{JurisdictionID: "city.example"}},
}

var formats = []string{JSON, XML}

// laterClock is the real time plus an offset a test moves on, so that a
// status update is later than the request it updates.
type laterClock struct{ off atomic.Int64 }

func (c *laterClock) Now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *laterClock) Advance(d time.Duration) { c.off.Add(int64(d)) }

// potholeValues is a complete pothole application, keyed by the catalog's field names.
func potholeValues(t *testing.T, svc *catalog.Service) catalog.Values {
	return catalog.Values{
		fieldName(t, svc, AttrDepth):   7.5,
		fieldName(t, svc, AttrSize):    "M",
		fieldName(t, svc, AttrNearBy):  "bakery",
		fieldName(t, svc, AttrHazards): []string{"water", "edge"},
		fieldName(t, svc, AttrSeen):    "2025-03-09",
		fieldName(t, svc, AttrLane):    "left",
		"address_string":               "12 Main Street",
		"description":                  "Deep hole",
		"email":                        "resident@example.org",
	}
}

func lightValues() catalog.Values {
	return catalog.Values{"address_string": "Pole 7, Elm Road", "description": "Flickers"}
}

func graffitiValues() catalog.Values {
	return catalog.Values{"lat": 31.2304, "long": 121.4737, "description": "Tag on the bridge"}
}

func bulkyValues() catalog.Values {
	return catalog.Values{"address_string": "3 Oak Lane", "first_name": "Lin", "last_name": "Wei", "phone": "+1 555 0100", "description": "Old sofa"}
}

// storedFor is the server's request that carries id's reference: there must be exactly one.
func storedFor(t *testing.T, s *Server, id string) ServiceRequest {
	t.Helper()
	var found []ServiceRequest
	for _, r := range s.Stored() {
		if strings.Contains(r.Description, reference(id)) {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("application %s is on the server %d times, want once", id, len(found))
	}
	return found[0]
}

func TestLifeCycle(t *testing.T) {
	for _, format := range formats {
		for _, l := range looseness {
			t.Run(format+"/"+l.name, func(t *testing.T) {
				lifeCycle(t, format, l.opts)
			})
		}
	}
}

func lifeCycle(t *testing.T, format string, o Options) {
	clk := &laterClock{}
	o.Clock = clk.Now
	e := newEnv(t, o, format)

	// The catalog comes from services and the definitions.
	rep := e.mustSync()
	if !rep.CatalogUpdated {
		t.Fatalf("the first sync fetched no catalog: %+v", rep)
	}
	c := e.catalog()
	checkCatalog(t, c, o)

	// Applications are queued while the device is offline.
	e.setOffline(true)
	pothole := mustService(t, c, Pothole)
	apps := []struct {
		service string
		values  catalog.Values
	}{
		{Pothole, potholeValues(t, pothole)},
		{Streetlight, lightValues()},
		{Graffiti, graffitiValues()},
		{Bulky, bulkyValues()},
	}
	ids := make([]string, len(apps))
	for i, a := range apps {
		if fes := catalog.Validate(mustService(t, c, a.service), a.values); len(fes) > 0 {
			t.Errorf("%s: a complete application fails the catalog's validation: %+v", a.service, fes)
		}
		ids[i] = e.submit(a.service, a.values)
	}
	potholeID, lightID, graffitiID, bulkyID := ids[0], ids[1], ids[2], ids[3]
	if _, err := e.sync(); !isOffline(err) || e.eng.Status().State != engine.Offline {
		t.Fatalf("sync while offline: %v, engine %s; want an offline error", err, e.eng.Status().State)
	}
	if n := len(e.srv.Requests()); n != 0 {
		t.Fatalf("%d POSTs reached the server while offline", n)
	}
	for _, id := range ids {
		if a := e.app(id); a.State != lifecycle.Queued {
			t.Fatalf("application %s is %s after an offline sync, want queued", id, a.State)
		}
	}

	// Back online: everything goes, each exactly once.
	e.setOffline(false)
	rep = e.mustSync()
	if rep.Accepted != len(ids) || rep.Refused != 0 || rep.Transient != 0 {
		t.Fatalf("report %+v, want %d accepted", rep, len(ids))
	}
	if st, _ := e.st.Stats(); st.Count != 0 {
		t.Errorf("%d applications still queued", st.Count)
	}
	for _, id := range ids {
		if n := len(e.posted(id)); n != 1 {
			t.Errorf("application %s was POSTed %d times", id, n)
		}
		if n := e.srv.CountByReference(reference(id)); n != 1 {
			t.Errorf("application %s is on the server %d times", id, n)
		}
		if a := e.app(id); !a.State.Accepted() || a.Tracking == "" || a.AcceptedAt.IsZero() {
			t.Errorf("application %s: %s, tracking %q, accepted at %v; want accepted with a receipt", id, a.State, a.Tracking, a.AcceptedAt)
		}
	}
	checkPotholeForm(t, e, potholeID)
	checkCommonForm(t, e, ids)

	// Receipts: the id (realtime), the id through the token (batch) or the
	// token when the server has no tokens endpoint, a blackbox receipt.
	potholeReq := storedFor(t, e.srv, potholeID)
	if a := e.app(potholeID); a.Tracking != potholeReq.ID || a.State != lifecycle.Received {
		t.Errorf("pothole: %s tracking %q, want received %q", a.State, a.Tracking, potholeReq.ID)
	}
	lightReq := storedFor(t, e.srv, lightID)
	wantLight := lightReq.ID
	if o.NoTokens {
		wantLight = "token:" + lightReq.Token
	}
	if a := e.app(lightID); a.Tracking != wantLight {
		t.Errorf("streetlight (batch): tracking %q, want %q", a.Tracking, wantLight)
	}
	if a := e.app(graffitiID); !strings.HasPrefix(a.Tracking, "blackbox:") {
		t.Errorf("graffiti (blackbox): tracking %q, want a blackbox: receipt", a.Tracking)
	}
	bulkyReq := storedFor(t, e.srv, bulkyID)
	if a := e.app(bulkyID); a.Tracking != bulkyReq.ID {
		t.Errorf("bulky item: tracking %q, want %q", a.Tracking, bulkyReq.ID)
	}
	if bulkyReq.FirstName != "Lin" || bulkyReq.LastName != "Wei" || bulkyReq.Phone != "+1 555 0100" || bulkyReq.AddressString != "3 Oak Lane" {
		t.Errorf("bulky item contact and location stored as %+v", bulkyReq)
	}
	if g := storedFor(t, e.srv, graffitiID); !g.HasLatLong || g.Lat != 31.2304 || g.Long != 121.4737 || g.AddressString != "" {
		t.Errorf("graffiti location stored as %+v", g)
	}

	// Status updates from the back office reach the application and its history.
	clk.Advance(time.Minute)
	if err := e.srv.SetStatus(potholeReq.ID, StatusOpen, "Crew assigned."); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.SetStatus(bulkyReq.ID, StatusClosed, ""); err != nil {
		t.Fatal(err)
	}
	e.mustSync()
	checkStatus(t, e.app(potholeID), lifecycle.InReview, "Crew assigned.")
	checkStatus(t, e.app(bulkyID), lifecycle.Completed, "")
	clk.Advance(time.Minute)
	if err := e.srv.SetStatus(potholeReq.ID, StatusClosed, "Filled."); err != nil {
		t.Fatal(err)
	}
	e.mustSync()
	a := checkStatus(t, e.app(potholeID), lifecycle.Completed, "Filled.")
	var path []lifecycle.Status
	for _, h := range a.History {
		path = append(path, h.To)
	}
	want := []lifecycle.Status{lifecycle.Draft, lifecycle.Queued, lifecycle.Sent, lifecycle.Received, lifecycle.InReview, lifecycle.Completed}
	if !slices.Equal(path, want) {
		t.Errorf("pothole history %v, want %v", path, want)
	}
	// Nothing changed since: a further round changes nothing.
	if rep := e.mustSync(); rep.Changes != 0 {
		t.Errorf("a round without news applied %d changes", rep.Changes)
	}
	if err := e.st.Check(); err != nil {
		t.Errorf("store integrity: %v", err)
	}
}

// checkStatus checks an application's status and the note of its last step.
func checkStatus(t *testing.T, a store.Application, want lifecycle.Status, note string) store.Application {
	t.Helper()
	if a.State != want {
		t.Errorf("application %s is %s, want %s", a.ID, a.State, want)
		return a
	}
	last := a.History[len(a.History)-1]
	if last.To != want || last.Source != "server" {
		t.Errorf("last step %+v, want %s from the server", last, want)
	}
	if note != "" && (last.Note.In(catalog.LangEn) != note || last.Note.In(catalog.LangZh) != note) {
		t.Errorf("last step note %v, want %q in both languages", last.Note, note)
	}
	return a
}

// checkCatalog checks how services and the pothole definition became a catalog.
func checkCatalog(t *testing.T, c *catalog.Catalog, o Options) {
	t.Helper()
	for _, sv := range DefaultServices() {
		svc := mustService(t, c, sv.Code)
		if svc.Name.In(catalog.LangEn) != sv.Name || svc.Name.In(catalog.LangZh) != sv.Name {
			t.Errorf("%s: name %v, want %q in both languages", sv.Code, svc.Name, sv.Name)
		}
		for _, f := range []string{"address_string", "lat", "long", "first_name", "last_name", "email", "phone", "description"} {
			if _, ok := svc.Field(f); !ok {
				t.Errorf("%s: no %s field (fields %v)", sv.Code, f, fieldNames(svc))
			}
		}
		for _, f := range svc.Form.Fields {
			if f.Type == catalog.TypeAttachment {
				t.Errorf("%s: attachment field %s, but Open311 has no uploads", sv.Code, f.Name)
			}
		}
	}
	svc := mustService(t, c, Pothole)
	type want struct {
		code     string
		typ      catalog.FieldType
		required bool
		options  []string
	}
	wants := []want{ // in the definition's order
		{AttrSize, catalog.TypeSelect, true, []string{"S", "M", "L"}},
		{AttrHazards, catalog.TypeMultiselect, false, []string{"water", "edge", "sign"}},
		{AttrDepth, catalog.TypeNumber, true, nil},
		{AttrLane, catalog.TypeText, false, nil},
		{AttrSeen, catalog.TypeDate, false, nil},
		{AttrDetails, catalog.TypeMultiline, false, nil},
		{AttrNearBy, catalog.TypeText, true, nil},
	}
	last := -1
	for _, w := range wants {
		name := fieldName(t, svc, w.code)
		i := slices.IndexFunc(svc.Form.Fields, func(f catalog.Field) bool { return f.Name == name })
		f := svc.Form.Fields[i]
		var opts []string
		for _, op := range f.Options {
			opts = append(opts, op.Value)
		}
		if f.Type != w.typ || f.Required != w.required || !slices.Equal(opts, w.options) {
			t.Errorf("pothole %s: %s required %v options %v, want %s %v %v", w.code, f.Type, f.Required, opts, w.typ, w.required, w.options)
		}
		if i < last {
			t.Errorf("pothole %s comes before an attribute with a lower order (fields %v)", w.code, fieldNames(svc))
		}
		last = i
	}
	for _, f := range svc.Form.Fields {
		if strings.HasPrefix(f.Name, "attribute_"+snake(AttrNote)) {
			t.Errorf("the variable=false attribute became field %s", f.Name)
		}
	}
	if d := svc.Description.In(catalog.LangEn); !strings.Contains(d, notePothole) {
		t.Errorf("pothole description %q does not show the variable=false text", d)
	}
	if f, _ := svc.Field("phone"); f != nil && f.Type == catalog.TypePhone {
		t.Error("phone is a mainland phone field; Open311 phones are free text")
	}
	if f, _ := svc.Field("description"); f != nil && (f.Type != catalog.TypeMultiline || f.MaxLength == nil || *f.MaxLength > MaxDescription) {
		t.Errorf("description field %+v, want multiline of at most %d", f, MaxDescription)
	}
	if !o.OmitOptional {
		cat := func(code string) string { return mustService(t, c, code).Category }
		if cat(Pothole) == "" || cat(Pothole) != cat(Streetlight) || cat(Pothole) == cat(Graffiti) {
			t.Errorf("categories from group: pothole %q streetlight %q graffiti %q", cat(Pothole), cat(Streetlight), cat(Graffiti))
		}
	}
}

// checkPotholeForm checks the pothole POST was encoded exactly as the spec says.
func checkPotholeForm(t *testing.T, e *env, id string) {
	t.Helper()
	recs := e.posted(id)
	if len(recs) != 1 {
		t.Fatalf("pothole POSTed %d times", len(recs))
	}
	f := recs[0].Form
	want := url.Values{
		"api_key":                          {e.srv.APIKey()},
		"service_code":                     {Pothole},
		"address_string":                   {"12 Main Street"},
		"attribute[" + AttrDepth + "]":     {"7.5"},
		"attribute[" + AttrSize + "]":      {"M"},
		"attribute[" + AttrNearBy + "]":    {"bakery"},
		"attribute[" + AttrLane + "]":      {"left"},
		"attribute[" + AttrHazards + "][]": {"water", "edge"},
		"email":                            {"resident@example.org"},
	}
	for k, v := range want {
		if !slices.Equal(f[k], v) {
			t.Errorf("form %s = %q, want %q", k, f[k], v)
		}
	}
	if seen := f.Get("attribute[" + AttrSeen + "]"); !strings.HasPrefix(seen, "2025-03-09") {
		t.Errorf("form attribute[%s] = %q, want the date 2025-03-09", AttrSeen, seen)
	}
	if d := f.Get("description"); !strings.HasPrefix(d, "Deep hole") || !strings.HasSuffix(d, reference(id)) {
		t.Errorf("description %q, want the resident's text then the reference", d)
	}
	allowed := map[string]bool{"device_id": true, "jurisdiction_id": true, "description": true, "attribute[" + AttrSeen + "]": true}
	for k, v := range f {
		if want[k] == nil && !allowed[k] && slices.ContainsFunc(v, func(s string) bool { return s != "" }) {
			t.Errorf("form has unexpected %s = %q", k, v)
		}
	}
	if f.Has("attribute[" + AttrHazards + "]") {
		t.Error("the multivaluelist was also sent as attribute[HAZARDS]")
	}
	req := storedFor(t, e.srv, id)
	if !slices.Equal(req.Attributes[AttrHazards], []string{"water", "edge"}) || req.Attributes[AttrSize][0] != "M" {
		t.Errorf("stored attributes %v", req.Attributes)
	}
}

// checkCommonForm checks what every POST has in common.
func checkCommonForm(t *testing.T, e *env, ids []string) {
	t.Helper()
	device := ""
	for _, id := range ids {
		r := e.posted(id)[0]
		if !strings.HasPrefix(r.ContentType, "application/x-www-form-urlencoded") {
			t.Errorf("content type %q", r.ContentType)
		}
		if want := "requests." + e.formatUsed(); !strings.HasSuffix(r.Path, want) {
			t.Errorf("POST to %s, want %s", r.Path, want)
		}
		if got := r.Form.Get("jurisdiction_id"); got != e.srv.opts.JurisdictionID {
			t.Errorf("jurisdiction_id %q, want %q", got, e.srv.opts.JurisdictionID)
		}
		d := r.Form.Get("device_id")
		if d == "" || (device != "" && d != device) {
			t.Errorf("device_id %q, want one stable id (first %q)", d, device)
		}
		device = d
	}
}

// formatUsed is the format the adapter must end up using.
func (e *env) formatUsed() string {
	if e.srv.opts.XMLOnly {
		return XML
	}
	return e.format
}

func TestTokenPolling(t *testing.T) {
	for _, format := range formats {
		t.Run(format+"/resolved while submitting", func(t *testing.T) {
			e := newEnv(t, Options{TokenPolls: 1}, format)
			e.mustSync()
			id := e.submit(Streetlight, lightValues())
			e.mustSync()
			req := storedFor(t, e.srv, id)
			if a := e.app(id); a.Tracking != req.ID {
				t.Errorf("tracking %q, want the id %q the token gave", a.Tracking, req.ID)
			}
			polls := 0
			for _, h := range e.srv.Hits() {
				if strings.HasPrefix(h.Path, "tokens/"+req.Token+".") {
					polls++
				}
			}
			if polls != 2 {
				t.Errorf("%d polls of the token, want 2", polls)
			}
		})
		t.Run(format+"/resolved later", func(t *testing.T) {
			clk := &laterClock{}
			e := newEnv(t, Options{TokenPolls: 1 << 30, Clock: clk.Now}, format)
			e.mustSync()
			id := e.submit(Streetlight, lightValues())
			e.mustSync()
			req := storedFor(t, e.srv, id)
			if a := e.app(id); a.Tracking != "token:"+req.Token || !a.State.Accepted() {
				t.Fatalf("%s, tracking %q, want accepted with token:%s", a.State, a.Tracking, req.Token)
			}
			e.srv.ResolveTokens()
			clk.Advance(time.Minute)
			if err := e.srv.SetStatus(req.ID, StatusClosed, "Lamp replaced."); err != nil {
				t.Fatal(err)
			}
			e.mustSync()
			checkStatus(t, e.app(id), lifecycle.Completed, "Lamp replaced.")
		})
	}
}

func TestRefusedApplication(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(t *testing.T, svc *catalog.Service, v catalog.Values)
		field func(t *testing.T, svc *catalog.Service) string // the field the error names
	}{
		{"required attribute missing",
			func(t *testing.T, svc *catalog.Service, v catalog.Values) { delete(v, fieldName(t, svc, AttrDepth)) },
			func(t *testing.T, svc *catalog.Service) string { return fieldName(t, svc, AttrDepth) }},
		{"attribute not a number",
			func(t *testing.T, svc *catalog.Service, v catalog.Values) { v[fieldName(t, svc, AttrDepth)] = "deep" },
			func(t *testing.T, svc *catalog.Service) string { return fieldName(t, svc, AttrDepth) }},
		{"no location",
			func(t *testing.T, svc *catalog.Service, v catalog.Values) { delete(v, "address_string") },
			func(t *testing.T, svc *catalog.Service) string { return "address_string" }},
	}
	for _, format := range formats {
		for _, shape := range []bool{false, true} {
			for _, tt := range tests {
				name := format + "/" + tt.name
				if shape {
					name += "/other error shape"
				}
				t.Run(name, func(t *testing.T) {
					e := newEnv(t, Options{OtherErrorShape: shape}, format)
					e.mustSync()
					svc := mustService(t, e.catalog(), Pothole)
					v := potholeValues(t, svc)
					tt.edit(t, svc, v)
					bad := e.submit(Pothole, v)
					good := e.submit(Bulky, bulkyValues())
					rep, err := e.sync()
					if err != nil {
						t.Fatalf("a refused application failed the round: %v", err)
					}
					if rep.Refused != 1 || rep.Accepted != 1 {
						t.Errorf("report %+v, want 1 refused and 1 accepted", rep)
					}
					a := e.app(bad)
					want := tt.field(t, svc)
					if a.State != lifecycle.NeedsAttention || !slices.ContainsFunc(a.FieldErrors, func(fe catalog.FieldError) bool { return fe.Field == want && fe.Code != "" }) {
						t.Errorf("refused application: %s, field errors %+v; want needs_attention naming %s", a.State, a.FieldErrors, want)
					}
					if n := e.srv.CountByReference(reference(bad)); n != 0 {
						t.Errorf("the refused application is on the server %d times", n)
					}
					if a := e.app(good); !a.State.Accepted() {
						t.Errorf("the good application is %s", a.State)
					}
					// A refusal is final: later rounds do not send it again.
					posts := len(e.posted(bad))
					e.mustSync()
					if n := len(e.posted(bad)); n != posts {
						t.Errorf("the refused application was POSTed again (%d times, then %d)", posts, n)
					}
				})
			}
		}
	}
	t.Run("unknown service", func(t *testing.T) {
		e := newEnv(t, Options{}, JSON)
		e.mustSync()
		id := e.submit("abandoned_vehicle", catalog.Values{"address_string": "Dock 4"})
		if _, err := e.sync(); err != nil {
			t.Fatalf("round: %v", err)
		}
		if a := e.app(id); a.State != lifecycle.NeedsAttention || len(a.FieldErrors) == 0 {
			t.Errorf("%s, field errors %+v; want needs_attention with a field error", a.State, a.FieldErrors)
		}
	})
}

func TestBadAPIKey(t *testing.T) {
	for _, format := range formats {
		for _, shape := range []bool{false, true} {
			t.Run(format+map[bool]string{false: "", true: "/other error shape"}[shape], func(t *testing.T) {
				e := newEnv(t, Options{APIKey: "right-key", OtherErrorShape: shape}, format)
				e.connect("wrong-key")
				e.mustSync() // reading needs no key
				ids := []string{e.submit(Bulky, bulkyValues()), e.submit(Streetlight, lightValues())}
				_, err := e.sync()
				if !errors.Is(err, open311.ErrForbidden) {
					t.Fatalf("sync with a bad api_key: %v, want ErrForbidden", err)
				}
				if msg := strings.ToLower(err.Error()); !strings.Contains(msg, "api key") && !strings.Contains(msg, "api_key") {
					t.Errorf("error %q does not say the API key is the problem", err)
				}
				if strings.Contains(err.Error(), "wrong-key") {
					t.Errorf("error %q quotes the key", err)
				}
				if n := len(e.srv.Requests()); n != 1 {
					t.Errorf("%d POSTs after a 403, want 1 (stop at the first)", n)
				}
				for _, id := range ids {
					if a := e.app(id); a.State != lifecycle.Queued || len(a.FieldErrors) > 0 {
						t.Errorf("application %s: %s %+v, want still queued", id, a.State, a.FieldErrors)
					}
				}
				// With the right key nothing was lost.
				e.connect("right-key")
				if rep := e.mustSync(); rep.Accepted != 2 {
					t.Errorf("report %+v, want 2 accepted", rep)
				}
				for _, id := range ids {
					if n := e.srv.CountByReference(reference(id)); n != 1 {
						t.Errorf("application %s is on the server %d times", id, n)
					}
				}
			})
		}
	}
}

func TestUnknownOutcome(t *testing.T) {
	tests := []struct {
		name    string
		format  string
		opts    Options
		service string
		others  int // requests of other residents stored before
	}{
		{"json", JSON, Options{}, Pothole, 0},
		{"xml", XML, Options{}, Pothole, 0},
		{"ids as numbers", JSON, Options{IDsAsNumbers: true}, Bulky, 0},
		{"xml element variant", XML, Options{XMLElementVariant: true}, Bulky, 0},
		{"omit optional", JSON, Options{OmitOptional: true}, Bulky, 0},
		{"bools as strings", JSON, Options{BoolsAsStrings: true}, Bulky, 0},
		{"xml only", XML, Options{XMLOnly: true}, Bulky, 0},
		{"batch", JSON, Options{}, Streetlight, 0},
		{"batch without tokens", XML, Options{NoTokens: true}, Streetlight, 0},
		{"paged lookup", JSON, Options{PageSize: 2}, Bulky, 5},
		{"paged lookup xml", XML, Options{PageSize: 2, XMLElementVariant: true}, Bulky, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Other residents' requests of the same service are stored
			// first (their answers dropped too), so that the lookup has to
			// page to the device's own one.
			tt.opts.DropAfterStore = 1 + tt.others
			e := newEnv(t, tt.opts, tt.format)
			otherResidents(t, e.srv, tt.service, tt.others)
			e.mustSync()
			values := map[string]catalog.Values{Bulky: bulkyValues(), Streetlight: lightValues()}[tt.service]
			if tt.service == Pothole {
				values = potholeValues(t, mustService(t, e.catalog(), Pothole))
			}
			id := e.submit(tt.service, values)

			rep, err := e.sync()
			if err == nil && rep.Transient == 0 {
				t.Fatalf("the dropped POST was not reported: %+v", rep)
			}
			if a := e.app(id); a.State != lifecycle.Queued {
				t.Fatalf("after the dropped answer the application is %s, want queued", a.State)
			}
			if n := e.srv.CountByReference(reference(id)); n != 1 {
				t.Fatalf("the server holds the application %d times after the drop", n)
			}

			rep = e.mustSync()
			if rep.Accepted != 1 || rep.Duplicates != 1 {
				t.Errorf("report %+v, want the application accepted as a duplicate", rep)
			}
			if n := e.srv.CountByReference(reference(id)); n != 1 {
				t.Errorf("the application is on the server %d times, want exactly once", n)
			}
			if n := len(e.posted(id)); n != 1 {
				t.Errorf("the application was POSTed %d times, want once", n)
			}
			req := storedFor(t, e.srv, id)
			if a := e.app(id); !a.State.Accepted() || a.Tracking != req.ID {
				t.Errorf("application: %s, tracking %q; want accepted with %q", a.State, a.Tracking, req.ID)
			}
			if tt.others > 0 {
				pages := 0
				for _, h := range e.srv.Hits() {
					if h.Method == http.MethodGet && strings.HasPrefix(h.Path, "requests.") && !h.Query.Has("service_request_id") {
						pages++
					}
				}
				if want := tt.others/tt.opts.PageSize + 1; pages < want {
					t.Errorf("the lookup read %d pages, want at least %d", pages, want)
				}
			}
		})
	}
}

// otherResidents stores n requests of service on the server from
// elsewhere; their answers may be dropped.
func otherResidents(t *testing.T, s *Server, service string, n int) {
	t.Helper()
	for i := range n {
		f := url.Values{"api_key": {s.APIKey()}, "service_code": {service}, "address_string": {"Elsewhere"}, "description": {"neighbour " + string(rune('a'+i))}}
		resp, err := http.Post(s.URL()+"requests.xml", "application/x-www-form-urlencoded", strings.NewReader(f.Encode()))
		if err == nil {
			resp.Body.Close()
		}
	}
	if got := len(s.Stored()); got != n {
		t.Fatalf("%d requests of other residents stored, want %d", got, n)
	}
}
