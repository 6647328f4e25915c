package open311

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"civicdesk/app/catalog"
	"civicdesk/sync/wire"
)

// seeds are the spec's examples and the loose shapes of the table tests.
var seeds = []string{
	specServicesXML, specServicesJSON, specServicesJSONFixed, specDefinitionXML, specDefinitionJSON, specDefinitionJSONFixed,
	specPostAnswerXML, specPostAnswerJSON, specPostTokenXML, specPostTokenJSON, specTokenXML, specTokenJSON,
	specRequestsXML, specRequestsJSON, specErrorsXML, specErrorsJSON, specDiscoveryXML, specDiscoveryJSON,
	`{"errors":{"email":["is invalid"]}}`, `{"error":"x"}`, `<errors><error>x</error></errors>`, `plain text`,
	`<?xml version="1.0" encoding="ISO-8859-1"?><services><service><service-code>c</service-code></service></services>`,
	`[{"request":{"service_request_id":8}}]`, `{"service_definition":{"attributes":[{"code":"A","values":["a","b"]}]}}`,
	`<!DOCTYPE html><html></html>`, ``, `[]`, `{}`, `<a/>`,
}

func addSeeds(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
}

// checkErr: a failure wraps ErrUnreadable and does not quote the input.
func checkErr(t *testing.T, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, ErrUnreadable) {
		t.Fatalf("error %v does not wrap ErrUnreadable", err)
	}
}

func FuzzDecodeServices(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := DecodeServices(data)
		checkErr(t, err)
		again, _ := DecodeServices(data)
		if !reflect.DeepEqual(got, again) {
			t.Fatal("not deterministic")
		}
		for _, s := range got {
			if s.Code == "" || s.Code != strings.TrimSpace(s.Code) {
				t.Fatalf("service code %q", s.Code)
			}
		}
		if err != nil || len(got) == 0 || !utf8.Valid(data) {
			return
		}
		// What was read maps to a catalog that passes catalog.Decode.
		c, m := mapCatalog(got, nil, "fuzz")
		body, err := encodeCatalog(c)
		if err != nil {
			t.Fatalf("mapped catalog refused: %v", err)
		}
		if _, err := catalog.Decode(body); err != nil || len(m) != len(c.Services) {
			t.Fatalf("catalog.Decode: %v", err)
		}
		// Round trip: the services written as clean JSON and XML read back the same.
		for _, enc := range [][]byte{servicesJSON(got), servicesXML(got)} {
			back, err := DecodeServices(enc)
			if err != nil {
				t.Fatalf("re-read: %v", err)
			}
			if !reflect.DeepEqual(normServices(back), normServices(got)) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", back, got)
			}
		}
	})
}

// normServices drops what a round trip may legitimately change: spaces
// collapsed and trimmed in texts written inside XML.
func normServices(ss []Service) []Service {
	out := make([]Service, len(ss))
	for i, s := range ss {
		s.Name, s.Description, s.Keywords, s.Group, s.Type = strings.TrimSpace(s.Name), strings.TrimSpace(s.Description), strings.TrimSpace(s.Keywords), strings.TrimSpace(s.Group), strings.TrimSpace(s.Type)
		out[i] = s
	}
	return out
}

func servicesJSON(ss []Service) []byte {
	type js struct {
		Code        string `json:"service_code"`
		Name        string `json:"service_name"`
		Description string `json:"description"`
		Metadata    bool   `json:"metadata"`
		Type        string `json:"type"`
		Keywords    string `json:"keywords"`
		Group       string `json:"group"`
	}
	var out []js
	for _, s := range ss {
		out = append(out, js(s))
	}
	b, _ := json.Marshal(out)
	return b
}

func servicesXML(ss []Service) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><services>`)
	el := func(name, v string) {
		b.WriteString("<" + name + ">")
		_ = xml.EscapeText(&b, []byte(v))
		b.WriteString("</" + name + ">")
	}
	for _, s := range ss {
		b.WriteString("<service>")
		el("service_code", s.Code)
		el("service_name", s.Name)
		el("description", s.Description)
		if s.Metadata {
			el("metadata", "true")
		} else {
			el("metadata", "false")
		}
		el("type", s.Type)
		el("keywords", s.Keywords)
		el("group", s.Group)
		b.WriteString("</service>")
	}
	b.WriteString("</services>")
	return []byte(b.String())
}

func FuzzDecodeServiceDefinition(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		def, err := DecodeServiceDefinition(data)
		checkErr(t, err)
		if err != nil || !utf8.Valid(data) {
			return
		}
		for _, a := range def.Attributes {
			if a.Code == "" {
				t.Fatal("attribute without code")
			}
			for _, v := range a.Values {
				if v.Key == "" || v.Name == "" {
					t.Fatalf("value %+v", v)
				}
			}
		}
		// Any definition maps to a catalog that passes catalog.Decode.
		c, _ := mapCatalog([]Service{{Code: "fuzz", Metadata: true}}, map[string]ServiceDefinition{"fuzz": def}, "fuzz")
		if _, err := encodeCatalog(c); err != nil {
			t.Fatalf("mapped catalog refused: %v", err)
		}
	})
}

func FuzzDecodeRequests(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := DecodeRequests(data)
		checkErr(t, err)
		again, _ := DecodeRequests(data)
		if len(got) != len(again) {
			t.Fatal("not deterministic")
		}
		for i := range got {
			if !requestEqual(got[i], again[i]) {
				t.Fatal("not deterministic")
			}
			r := got[i]
			if r.ID != strings.TrimSpace(r.ID) || r.Status != strings.ToLower(r.Status) {
				t.Fatalf("request %+v", r)
			}
			_ = MapStatus(r, "")
		}
	})
}

func FuzzDecodeErrors(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		errs, err := DecodeErrors(data)
		checkErr(t, err)
		for _, e := range errs {
			if utf8.RuneCountInString(e.Description) > maxDescription+1 {
				t.Fatalf("description of %d runes", utf8.RuneCountInString(e.Description))
			}
		}
		// Whatever the server says maps to field errors with a field and a code.
		for _, fe := range fieldErrors(errs, potholeMap, 400) {
			if fe.Field == "" || fe.Code != CodeInvalid || fe.Message == "" {
				t.Fatalf("field error %+v", fe)
			}
		}
	})
}

func FuzzDecodeDiscovery(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := DecodeDiscovery(data)
		checkErr(t, err)
		for _, e := range d.Endpoints {
			if e.URL == "" {
				t.Fatal("endpoint without URL")
			}
		}
	})
}

// FuzzEncodeForm: whatever the strings, the body decodes back to them.
func FuzzEncodeForm(f *testing.F) {
	f.Add("北京市 1号", "a&b=c", "L", "x+y", "desc\n")
	f.Add("", "", "", "", "")
	f.Fuzz(func(t *testing.T, addr, multi, single, email, desc string) {
		it := wire.SubmitItem{ID: appID, Values: catalog.Values{FieldAddress: addr, "attribute_hazards": []any{multi, single},
			"attribute_size": single, FieldEmail: email, FieldDescription: desc}}
		body, fes := encodeForm(it, potholeMap, "k", "j", "d")
		if fes != nil {
			return
		}
		if strings.ContainsAny(string(body), " []\n") {
			t.Fatalf("unencoded character in %q", body)
		}
		q, err := url.ParseQuery(string(body))
		if err != nil {
			t.Fatalf("body does not decode: %v", err)
		}
		check := func(key, want string) {
			if got := q.Get(key); got != want {
				t.Fatalf("%s = %q, want %q", key, got, want)
			}
		}
		check("address_string", strings.TrimSpace(addr))
		check("attribute[SIZE]", single)
		check("email", email)
		if d := strings.TrimRight(desc, " \t\r\n"); d != "" {
			check("description", d+"\n"+Reference(appID))
		} else {
			check("description", Reference(appID))
		}
		var multiWant []string
		for _, v := range []string{multi, single} {
			if v != "" {
				multiWant = append(multiWant, v)
			}
		}
		if !reflect.DeepEqual(q["attribute[HAZARDS][]"], multiWant) {
			t.Fatalf("multi = %q, want %q", q["attribute[HAZARDS][]"], multiWant)
		}
	})
}
