package open311

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/sync/client"
)

func TestCatalogCodes(t *testing.T) {
	tests := []struct{ in, code, field string }{
		{"pothole", "pothole", "attribute_pothole"},
		{"001", "s_001", "attribute_001"},
		{"Pot-Hole", "pot_hole", "attribute_pot_hole"},
		{"SEEN-AT", "seen_at", "attribute_seen_at"},
		{"__x__", "x", "attribute_x"},
		{"4fd3b167e750846744000005", "s_4fd3b167e750846744000005", "attribute_4fd3b167e750846744000005"},
		{"路灯", "s_" + shortHash("路灯"), "attribute_" + shortHash("路灯")},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := CatalogCode(tt.in); got != tt.code {
				t.Errorf("CatalogCode = %q, want %q", got, tt.code)
			}
			if got := AttributeField(tt.in); got != tt.field {
				t.Errorf("AttributeField = %q, want %q", got, tt.field)
			}
			if !nameRE.MatchString(CatalogCode(tt.in)) || !nameRE.MatchString(AttributeField(tt.in)) {
				t.Error("not snake_case")
			}
		})
	}
}

// everyTypeDef uses every datatype, out of order, with a variable=false
// note, a list without values, an unknown datatype and two codes that
// sanitise to the same name.
const everyTypeDef = `{"service_code":"pothole","attributes":[
	{"variable":true,"code":"DETAILS","datatype":"text","order":7,"description":"Details"},
	{"variable":"false","code":"NOTE","datatype":"string","order":0,"description":"Do not stand in traffic."},
	{"variable":true,"code":"DEPTH","datatype":"number","required":"true","order":3,"description":"Depth (cm)","datatype_description":"centimetres"},
	{"variable":true,"code":"SIZE","datatype":"singlevaluelist","required":true,"order":1,"description":"Size","values":[{"key":"S","name":"Small"},{"key":2,"name":"Large"},{"key":"S","name":"dup"}]},
	{"variable":true,"code":"HAZARDS","datatype":"multivaluelist","order":2,"values":[{"key":"water","name":"Water"},{"key":"edge"}]},
	{"variable":true,"code":"SEEN-AT","datatype":"datetime","order":4,"description":"First seen"},
	{"variable":true,"code":"LANE","datatype":"string","order":5,"description":"Lane"},
	{"variable":true,"code":"EMPTY","datatype":"singlevaluelist","order":6,"description":"No values"},
	{"variable":true,"code":"FLAG","datatype":"boolean","order":8,"description":"Unknown type"},
	{"variable":true,"code":"seen_at","datatype":"string","order":9,"description":"Collides"}]}`

func TestCatalogMapping(t *testing.T) {
	f := newFakeServer(t)
	f.set(func(f *fakeServer) {
		f.defs["pothole"] = everyTypeDef
		f.services = `[{"service_code":"pothole","service_name":"Pothole","description":"A hole.","metadata":"true","type":"realtime","group":"Streets"},
			{"service_code":"001","service_name":"Cans left out","metadata":false,"type":"realtime","group":"Sanitation Dept."},
			{"service_code":"A-1","service_name":"Dash","metadata":false},
			{"service_code":"a_1","metadata":false},
			{"service_code":"pothole","service_name":"listed twice"}]`
	})
	st := NewMemState()
	b := newBackend(t, f, st, func(c *Config) { c.JurisdictionID = "city.example" })
	body, etag, notModified, err := b.Catalog(context.Background(), "")
	if err != nil {
		t.Fatalf("Catalog: %v", err)
	}
	if notModified {
		t.Fatal("notModified on the first fetch")
	}
	sum := sha256.Sum256(body)
	if want := `"` + hex.EncodeToString(sum[:]) + `"`; etag != want {
		t.Errorf("etag = %s, want %s", etag, want)
	}
	c, err := catalog.Decode(body)
	if err != nil {
		t.Fatalf("catalog.Decode: %v", err)
	}
	codes := []string{}
	for _, s := range c.Services {
		codes = append(codes, s.Code)
	}
	if want := []string{"pothole", "s_001", "a_1", "a_1_" + shortHash("a_1")}; !reflect.DeepEqual(codes, want) {
		t.Errorf("service codes = %v, want %v", codes, want)
	}
	if !reflect.DeepEqual(c.Categories, []catalog.Category{{Code: "streets", Name: both("Streets")}, {Code: "sanitation_dept", Name: both("Sanitation Dept.")}}) {
		t.Errorf("categories = %+v", c.Categories)
	}
	p := c.Services[0]
	if p.Category != "streets" || p.Name[catalog.LangZh] != "Pothole" || p.Name[catalog.LangEn] != "Pothole" || p.Department[catalog.LangEn] != "city.example" {
		t.Errorf("service texts = %+v %+v %+v %q", p.Name, p.Department, p.Description, p.Category)
	}
	if d := p.Description[catalog.LangEn]; d != "A hole.\n\nDo not stand in traffic." {
		t.Errorf("description = %q: want the variable=false text appended", d)
	}
	if c.Services[1].Description[catalog.LangEn] != "Cans left out" {
		t.Errorf("a service without description takes its name: %q", c.Services[1].Description[catalog.LangEn])
	}

	type fieldSum struct {
		Name     string
		Type     catalog.FieldType
		Step     string
		Required bool
		Options  []string
	}
	var got []fieldSum
	for _, fl := range p.Form.Fields {
		fs := fieldSum{Name: fl.Name, Type: fl.Type, Step: fl.Step, Required: fl.Required}
		for _, o := range fl.Options {
			fs.Options = append(fs.Options, o.Value)
		}
		got = append(got, fs)
	}
	want := []fieldSum{
		{FieldAddress, catalog.TypeText, StepLocation, false, nil},
		{FieldLat, catalog.TypeNumber, StepLocation, false, nil},
		{FieldLong, catalog.TypeNumber, StepLocation, false, nil},
		{"attribute_size", catalog.TypeSelect, StepDetails, true, []string{"S", "2"}},
		{"attribute_hazards", catalog.TypeMultiselect, StepDetails, false, []string{"water", "edge"}},
		{"attribute_depth", catalog.TypeNumber, StepDetails, true, nil},
		{"attribute_seen_at", catalog.TypeDate, StepDetails, false, nil},
		{"attribute_lane", catalog.TypeText, StepDetails, false, nil},
		{"attribute_empty", catalog.TypeText, StepDetails, false, nil},
		{"attribute_details", catalog.TypeMultiline, StepDetails, false, nil},
		{"attribute_flag", catalog.TypeText, StepDetails, false, nil},
		{"attribute_seen_at_" + shortHash("seen_at"), catalog.TypeText, StepDetails, false, nil},
		{FieldDescription, catalog.TypeMultiline, StepDetails, false, nil},
		{FieldFirstName, catalog.TypeText, StepContact, false, nil},
		{FieldLastName, catalog.TypeText, StepContact, false, nil},
		{FieldEmail, catalog.TypeEmail, StepContact, false, nil},
		{FieldPhone, catalog.TypeText, StepContact, false, nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields:\n got %+v\nwant %+v", got, want)
	}
	fields := map[string]catalog.Field{}
	for _, fl := range p.Form.Fields {
		fields[fl.Name] = fl
	}
	if l := fields["attribute_depth"]; l.Label[catalog.LangZh] != "Depth (cm)" || l.Help[catalog.LangEn] != "centimetres" {
		t.Errorf("depth label/help = %+v %+v", l.Label, l.Help)
	}
	if l := fields["attribute_hazards"]; l.Label[catalog.LangEn] != "HAZARDS" || l.Options[1].Label[catalog.LangEn] != "edge" {
		t.Errorf("label falls back to the code, option name to the key: %+v %+v", l.Label, l.Options)
	}
	if m := fields[FieldDescription].MaxLength; m == nil || *m != DescriptionLimit || DescriptionLimit+len("\n"+Reference("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")) > MaxDescription {
		t.Errorf("description max_length = %v", m)
	}
	if fields[FieldLat].Min == nil || *fields[FieldLat].Min != -90 || *fields[FieldLong].Max != 180 {
		t.Error("lat/long bounds missing")
	}

	// The same validator enforces required attributes and option values.
	errs := catalog.ValidateAt(&p, catalog.Values{FieldAddress: "1 Main St", "attribute_size": "XL"}, time.Now())
	var codesGot []string
	for _, e := range errs {
		codesGot = append(codesGot, e.Field+":"+e.Code)
	}
	if want := []string{"attribute_size:option", "attribute_depth:required"}; !reflect.DeepEqual(codesGot, want) {
		t.Errorf("validation = %v, want %v", codesGot, want)
	}

	// The mapping back to Open311 codes is in State.
	m, err := b.loadMap()
	if err != nil {
		t.Fatal(err)
	}
	sm := m["pothole"]
	if sm.Code != "pothole" || len(sm.Attrs) != 9 || sm.Attrs[0] != (attrMap{Field: "attribute_size", Code: "SIZE", Datatype: "singlevaluelist"}) {
		t.Errorf("map = %+v", sm)
	}
	if m["s_001"].Code != "001" || m["a_1"].Code != "A-1" || m["a_1_"+shortHash("a_1")].Code != "a_1" {
		t.Errorf("map codes = %+v", m)
	}

	// Same catalog again: not modified; a changed one: a new ETag.
	body2, etag2, nm, err := b.Catalog(context.Background(), etag)
	if err != nil || !nm || etag2 != etag || body2 != nil {
		t.Errorf("second fetch: body %d bytes, etag %s, notModified %v, err %v", len(body2), etag2, nm, err)
	}
	f.set(func(f *fakeServer) { f.services = strings.Replace(f.services, `"A hole."`, `"A deep hole."`, 1) })
	_, etag3, nm, err := b.Catalog(context.Background(), etag)
	if err != nil || nm || etag3 == etag {
		t.Errorf("changed catalog: etag %s, notModified %v, err %v", etag3, nm, err)
	}
}

func TestCatalogSpecXML(t *testing.T) {
	f := newFakeServer(t)
	f.set(func(f *fakeServer) {
		f.hook = func(w http.ResponseWriter, r *http.Request) bool {
			switch r.URL.Path {
			case "/v2/services.xml":
				io.WriteString(w, specServicesXML)
			case "/v2/services/001.xml", "/v2/services/002.xml", "/v2/services/003.xml":
				io.WriteString(w, specDefinitionXML)
			default:
				w.WriteHeader(404)
			}
			return true
		}
	})
	b := newBackend(t, f, NewMemState(), func(c *Config) { c.Format = "xml" })
	body, _, _, err := b.Catalog(context.Background(), "")
	if err != nil {
		t.Fatalf("Catalog: %v", err)
	}
	c, err := catalog.Decode(body)
	if err != nil {
		t.Fatalf("catalog.Decode: %v", err)
	}
	if len(c.Services) != 3 || c.Services[0].Code != "s_001" || c.Services[0].Category != "sanitation" {
		t.Fatalf("services = %+v", c.Services)
	}
	var sel *catalog.Field
	for i := range c.Services[0].Form.Fields {
		if c.Services[0].Form.Fields[i].Name == "attribute_whishetn" {
			sel = &c.Services[0].Form.Fields[i]
		}
	}
	if sel == nil || sel.Type != catalog.TypeSelect || !sel.Required || len(sel.Options) != 2 || sel.Options[1].Label[catalog.LangEn] != "Chrysler" {
		t.Errorf("WHISHETN field = %+v", sel)
	}
}

func TestCatalogDefinitionMissing(t *testing.T) {
	f := newFakeServer(t)
	f.set(func(f *fakeServer) { delete(f.defs, "pothole") })
	b := newBackend(t, f, NewMemState())
	body, _, _, err := b.Catalog(context.Background(), "")
	if err != nil {
		t.Fatalf("Catalog: %v", err)
	}
	var c catalog.Catalog
	if err := json.Unmarshal(body, &c); err != nil {
		t.Fatal(err)
	}
	if n := len(c.Services[0].Form.Fields); n != 8 {
		t.Errorf("a service whose definition is missing has %d fields, want the 8 location/contact fields", n)
	}
}

func TestCatalogFailures(t *testing.T) {
	tests := []struct {
		name string
		hook func(w http.ResponseWriter, r *http.Request) bool
		want []error
	}{
		{"captive portal", func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html><body>Login</body></html>")
			return true
		}, []error{ErrCaptivePortal, client.ErrCaptivePortal}},
		{"definition 500", func(w http.ResponseWriter, r *http.Request) bool {
			if strings.HasPrefix(r.URL.Path, "/v2/services/") {
				w.WriteHeader(500)
				return true
			}
			return false
		}, []error{ErrServer}},
		{"no services", func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path == "/v2/services.json" {
				io.WriteString(w, "[]")
				return true
			}
			return false
		}, []error{ErrUnreadable}},
		{"connection cut", func(w http.ResponseWriter, r *http.Request) bool {
			drop(w)
			return true
		}, []error{ErrOffline, client.ErrOffline}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			f.set(func(f *fakeServer) { f.hook = tt.hook })
			st := NewMemState()
			b := newBackend(t, f, st)
			_, _, _, err := b.Catalog(context.Background(), "")
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("err = %v, want %v", err, w)
				}
			}
			if hasKey(st, keyCatalogMap) {
				t.Error("a failed fetch stored a catalog map")
			}
		})
	}
}
