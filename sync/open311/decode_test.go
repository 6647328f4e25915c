package open311

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"civicdesk/sync/client"
)

var specServices = []Service{
	{Code: "001", Name: "Cans left out 24x7", Description: "Garbage or recycling cans that have been left out for more than 24 hours after collection. Violators will be cited.", Metadata: true, Type: "realtime", Keywords: "lorem, ipsum, dolor", Group: "sanitation"},
	{Code: "002", Name: "Construction plate shifted", Description: "Metal construction plate covering the street or sidewalk has been moved.", Metadata: true, Type: "realtime", Keywords: "lorem, ipsum, dolor", Group: "street"},
	{Code: "003", Name: "Curb or curb ramp defect", Description: "Sidewalk curb or ramp has problems such as cracking, missing pieces, holes, and/or chipped curb.", Metadata: true, Type: "realtime", Keywords: "lorem, ipsum, dolor", Group: "street"},
}

func TestDecodeServices(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []Service
	}{
		{"spec XML", specServicesXML, specServices},
		{"spec JSON quoted", specServicesJSONFixed, specServices},
		{"numeric ids and string booleans", `[{"service_code":17,"service_name":"Pothole","metadata":"true","type":"Realtime"},{"service_code":18,"metadata":"false"}]`,
			[]Service{{Code: "17", Name: "Pothole", Metadata: true, Type: "realtime"}, {Code: "18"}}},
		{"missing optional fields", `[{"service_code":"a"}]`, []Service{{Code: "a"}}},
		{"wrapped JSON object", `{"services":[{"service_code":"a","metadata":1}]}`, []Service{{Code: "a", Metadata: true}}},
		{"single XML service", `<services><service><service_code>x</service_code><metadata>True</metadata></service></services>`, []Service{{Code: "x", Metadata: true}}},
		{"dashed Rails XML", `<?xml version="1.0"?><services type="array"><service><service-code>x</service-code><service-name>X</service-name><metadata type="boolean">true</metadata></service></services>`,
			[]Service{{Code: "x", Name: "X", Metadata: true}}},
		{"camelCase keys", `[{"ServiceCode":"x","ServiceName":"X","Metadata":true}]`, []Service{{Code: "x", Name: "X", Metadata: true}}},
		{"keywords as a list", `[{"service_code":"x","keywords":["a","b"]}]`, []Service{{Code: "x", Keywords: "a, b"}}},
		{"entries without code dropped", `[{"service_name":"no code"},{"service_code":"y"}]`, []Service{{Code: "y"}}},
		{"empty list JSON", `[]`, nil},
		{"empty list XML", `<services/>`, nil},
		{"latin-1 XML", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><services><service><service_code>c</service_code><service_name>Caf\xe9</service_name></service></services>",
			[]Service{{Code: "c", Name: "Café"}}},
		{"BOM and HTML entity", "\xef\xbb\xbf<services><service><service_code>c</service_code><description>a&nbsp;b</description></service></services>",
			[]Service{{Code: "c", Description: "a\u00a0b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeServices([]byte(tt.body))
			if err != nil {
				t.Fatalf("DecodeServices: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestDecodeMustFailCleanly feeds the spec's invalid JSON examples and
// other garbage to every decoder: each must return an error wrapping
// ErrUnreadable (which matches client.ErrBadResponse) and never panic.
func TestDecodeMustFailCleanly(t *testing.T) {
	bodies := map[string]string{
		"spec services JSON (001)":        specServicesJSON,
		"spec definition JSON (DMV66)":    specDefinitionJSON,
		"spec requests JSON (006)":        specRequestsJSON,
		"HTML login page":                 `<!DOCTYPE html><html><head><title>Wi-Fi</title></head><body>Log in</body></html>`,
		"XHTML page":                      `<html xmlns="http://www.w3.org/1999/xhtml"><body><p>x</p></body></html>`,
		"truncated JSON":                  `[{"service_code":"a",`,
		"truncated XML":                   `<services><service><service_code>a</service_code>`,
		"two XML roots":                   `<a/><b/>`,
		"trailing JSON":                   `[] []`,
		"empty":                           ``,
		"whitespace":                      " \n\t",
		"unknown XML encoding":            `<?xml version="1.0" encoding="EBCDIC"?><services/>`,
		"deeply nested XML":               strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100),
		"mismatched XML tags":             `<services><service></services></service>`,
		"text outside the XML root":       `<services/>garbage`,
		"JSON with a bare word":           `{"a": b}`,
		"not JSON at all (starts with n)": `nonsense`,
	}
	decoders := map[string]func([]byte) error{
		"services":   func(b []byte) error { _, err := DecodeServices(b); return err },
		"definition": func(b []byte) error { _, err := DecodeServiceDefinition(b); return err },
		"requests":   func(b []byte) error { _, err := DecodeRequests(b); return err },
		"discovery":  func(b []byte) error { _, err := DecodeDiscovery(b); return err },
	}
	for name, body := range bodies {
		for dname, dec := range decoders {
			t.Run(name+"/"+dname, func(t *testing.T) {
				err := dec([]byte(body))
				if !errors.Is(err, ErrUnreadable) || !errors.Is(err, client.ErrBadResponse) {
					t.Fatalf("err = %v, want ErrUnreadable", err)
				}
				if strings.Contains(err.Error(), "DMV66") || strings.Contains(err.Error(), "Log in") {
					t.Errorf("error %q quotes the body", err)
				}
			})
		}
	}
}

func TestDecodeServiceDefinition(t *testing.T) {
	spec := ServiceDefinition{ServiceCode: "DMV66", Attributes: []Attribute{{
		Variable: true, Code: "WHISHETN", Datatype: "singlevaluelist", Required: true, Order: 1,
		Description: "What is the ticket/tag/DL number?",
		Values:      []Value{{"123", "Ford"}, {"124", "Chrysler"}},
	}}}
	tests := []struct {
		name string
		body string
		want ServiceDefinition
	}{
		{"spec XML", specDefinitionXML, spec},
		{"spec JSON quoted", specDefinitionJSONFixed, spec},
		{"string booleans, numeric order as string, variable missing", `{"service_code":"x","attributes":[{"code":"A","datatype":"Number","required":"true","order":"2"},{"code":"B","variable":"false","description":"Note"}]}`,
			ServiceDefinition{ServiceCode: "x", Attributes: []Attribute{
				{Variable: true, Code: "A", Datatype: "number", Required: true, Order: 2},
				{Variable: false, Code: "B", Description: "Note"},
			}}},
		{"wrapped in service_definition", `{"service_definition":{"service_code":"x","attributes":[{"code":"A","datatype":"string"}]}}`,
			ServiceDefinition{ServiceCode: "x", Attributes: []Attribute{{Variable: true, Code: "A", Datatype: "string"}}}},
		{"values as plain strings", `{"service_code":"x","attributes":[{"code":"A","datatype":"multivaluelist","values":["red","blue"]}]}`,
			ServiceDefinition{ServiceCode: "x", Attributes: []Attribute{{Variable: true, Code: "A", Datatype: "multivaluelist", Values: []Value{{"red", "red"}, {"blue", "blue"}}}}}},
		{"value without name", `<service_definition><service_code>x</service_code><attributes><attribute><code>A</code><values><value><key>k</key></value></values></attribute></attributes></service_definition>`,
			ServiceDefinition{ServiceCode: "x", Attributes: []Attribute{{Variable: true, Code: "A", Values: []Value{{"k", "k"}}}}}},
		{"no attributes", `<service_definition><service_code>x</service_code><attributes/></service_definition>`, ServiceDefinition{ServiceCode: "x"}},
		{"attribute without code dropped", `{"attributes":[{"datatype":"string"},{"code":"B"}]}`, ServiceDefinition{Attributes: []Attribute{{Variable: true, Code: "B"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeServiceDefinition([]byte(tt.body))
			if err != nil {
				t.Fatalf("DecodeServiceDefinition: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
	if _, err := DecodeServiceDefinition([]byte(`{"service_code":"x"}`)); !errors.Is(err, ErrUnreadable) {
		t.Errorf("a definition without attributes key: err = %v, want ErrUnreadable", err)
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDecodeRequests(t *testing.T) {
	notice := "The City will inspect and require the responsible party to correct within 24 hours and/or issue a Correction Notice or Notice of Violation of the Public Works Code"
	specList := []Request{
		{ID: "638344", Status: "closed", StatusNotes: "Duplicate request.", ServiceName: "Sidewalk and Curb Issues", ServiceCode: "006",
			Requested: mustTime("2010-04-14T06:37:38-08:00"), Updated: mustTime("2010-04-14T06:37:38-08:00"), Expected: mustTime("2010-04-15T06:37:38-08:00"),
			Address: "8TH AVE and JUDAH ST", AddressID: "545483", Zipcode: "94122", Lat: 37.762221815, Long: -122.4651145,
			MediaURL: "http://city.gov.s3.amazonaws.com/requests/media/638344.jpg"},
		{ID: "638349", Status: "open", ServiceName: "Sidewalk and Curb Issues", ServiceCode: "006",
			Requested: mustTime("2010-04-19T06:37:38-08:00"), Updated: mustTime("2010-04-19T06:37:38-08:00"), Expected: mustTime("2010-04-19T06:37:38-08:00"),
			Address: "8TH AVE and JUDAH ST", AddressID: "545483", Zipcode: "94122", Lat: 37.762221815, Long: -122.4651145,
			MediaURL: "http://city.gov.s3.amazonaws.com/requests/media/638349.jpg"},
	}
	fixedJSON := strings.ReplaceAll(specRequestsJSON, `"service_code":006`, `"service_code":"006"`)
	tests := []struct {
		name string
		body string
		want []Request
	}{
		{"spec POST answer XML", specPostAnswerXML, []Request{{ID: "293944", ServiceNotice: notice}}},
		{"spec POST answer JSON", specPostAnswerJSON, []Request{{ID: "293944", ServiceNotice: notice}}},
		{"spec POST token XML", specPostTokenXML, []Request{{Token: "2934894", ServiceNotice: notice}}},
		{"spec POST token JSON", specPostTokenJSON, []Request{{Token: "2934894", ServiceNotice: notice}}},
		{"spec token XML", specTokenXML, []Request{{ID: "638344", Token: "12345"}}},
		{"spec token JSON", specTokenJSON, []Request{{ID: "638344", Token: "12345"}}},
		{"spec requests XML", specRequestsXML, specList},
		{"spec requests JSON quoted", fixedJSON, specList},
		{"<requests><request> and id", `<requests><request><id>5</id><status>OPEN</status></request></requests>`, []Request{{ID: "5", Status: "open"}}},
		{"<service_requests><service_request>", `<service_requests><service_request><service_request_id>5</service_request_id></service_request><service_request><service_request_id>6</service_request_id></service_request></service_requests>`,
			[]Request{{ID: "5"}, {ID: "6"}}},
		{"bare <request> root", `<request><service_request_id>5</service_request_id></request>`, []Request{{ID: "5"}}},
		{"single JSON object", `{"service_request_id":5,"status":"closed"}`, []Request{{ID: "5", Status: "closed"}}},
		{"JSON wrapped", `{"service_requests":[{"id":"7"}]}`, []Request{{ID: "7"}}},
		{"JSON item wrappers", `[{"request":{"service_request_id":8}}]`, []Request{{ID: "8"}}},
		{"blackbox answer: notice only", `[{"service_notice":"thanks"}]`, []Request{{ServiceNotice: "thanks"}}},
		{"times without colon and with space", `[{"id":1,"requested_datetime":"2010-04-14T06:37:38-0800","updated_datetime":"2010-04-14 14:37:38Z"}]`,
			[]Request{{ID: "1", Requested: mustTime("2010-04-14T06:37:38-08:00"), Updated: mustTime("2010-04-14T14:37:38Z")}}},
		{"unreadable time is zero", `[{"id":1,"requested_datetime":"yesterday"}]`, []Request{{ID: "1"}}},
		{"empty XML list", `<?xml version="1.0"?><service_requests></service_requests>`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeRequests([]byte(tt.body))
			if err != nil {
				t.Fatalf("DecodeRequests: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d requests %+v, want %d", len(got), got, len(tt.want))
			}
			for i := range got {
				if !requestEqual(got[i], tt.want[i]) {
					t.Errorf("#%d\ngot  %+v\nwant %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// requestEqual compares requests with times as instants.
func requestEqual(a, b Request) bool {
	if !a.Requested.Equal(b.Requested) || !a.Updated.Equal(b.Updated) || !a.Expected.Equal(b.Expected) {
		return false
	}
	a.Requested, a.Updated, a.Expected = time.Time{}, time.Time{}, time.Time{}
	b.Requested, b.Updated, b.Expected = time.Time{}, time.Time{}, time.Time{}
	return a == b
}

func TestDecodeErrors(t *testing.T) {
	spec := []APIError{{403, "Invalid api_key received -- can't proceed with create_request."}, {404, "Whatever"}}
	tests := []struct {
		name string
		body string
		want []APIError
	}{
		{"spec XML", specErrorsXML, spec},
		{"spec JSON", specErrorsJSON, spec},
		{"codes as strings", `[{"code":"400","description":"lat missing"}]`, []APIError{{400, "lat missing"}}},
		{"single object", `{"code":400,"description":"bad"}`, []APIError{{400, "bad"}}},
		{"error string", `{"error":"Service not found"}`, []APIError{{0, "Service not found"}}},
		{"message and status", `{"status":422,"message":"email is invalid"}`, []APIError{{422, "email is invalid"}}},
		{"nested error object", `{"error":{"code":400,"message":"x"}}`, []APIError{{400, "x"}}},
		{"errors list of strings", `{"errors":["a","b"]}`, []APIError{{0, "a"}, {0, "b"}}},
		{"Rails field errors", `{"errors":{"email":["is invalid"],"address_string":["can't be blank"]}}`,
			[]APIError{{0, "address_string can't be blank"}, {0, "email is invalid"}}},
		{"single XML error", `<errors><error><code>400</code><description>bad</description></error></errors>`, []APIError{{400, "bad"}}},
		{"XML error text", `<errors><error>Service code is required</error></errors>`, []APIError{{0, "Service code is required"}}},
		{"bare XML error", `<error><code>400</code><description>bad</description></error>`, []APIError{{400, "bad"}}},
		{"plain text", "Bad Request: missing service_code\n", []APIError{{0, "Bad Request: missing service_code"}}},
		{"JSON string", `"nope"`, []APIError{{0, "nope"}}},
		{"empty body", ``, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeErrors([]byte(tt.body))
			if err != nil {
				t.Fatalf("DecodeErrors: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
	for _, bad := range []string{`<html><body>502 Bad Gateway</body></html>`, "\xff\xfe\x00binary", `[{"code":`} {
		if _, err := DecodeErrors([]byte(bad)); !errors.Is(err, ErrUnreadable) {
			t.Errorf("DecodeErrors(%q) err = %v, want ErrUnreadable", bad, err)
		}
	}
	long := strings.Repeat("x", 2000)
	got, _ := DecodeErrors([]byte(`[{"code":400,"description":"` + long + `"}]`))
	if n := len([]rune(got[0].Description)); n > maxDescription+1 {
		t.Errorf("description kept %d runes, want at most %d", n, maxDescription+1)
	}
}

func TestDecodeDiscovery(t *testing.T) {
	want := Discovery{
		Changeset:  mustTime("2011-04-05T17:48:34Z"),
		Contact:    "Please email ( content.311@sfgov.org )  or call ( 415-701-2311 ) for assistance or to report bugs",
		KeyService: "To get an API_KEY please visit this website:  http://apps.sfgov.org/Open311API/",
		Endpoints: []Endpoint{
			{Specification: "http://wiki.open311.org/GeoReport_v2", URL: "http://open311.sfgov.org/dev/V2/", Changeset: mustTime("2011-04-20T17:48:34Z"), Type: "test", Formats: []string{"text/xml"}},
			{Specification: "http://wiki.open311.org/GeoReport_v2", URL: "https://open311.sfgov.org/V2/", Changeset: mustTime("2011-04-25T17:48:34Z"), Type: "production", Formats: []string{"text/xml"}},
			{Specification: "http://wiki.open311.org/GeoReport_v1", URL: "https://open311.sfgov.org/V1/", Changeset: mustTime("2011-04-25T17:48:34Z"), Type: "production", Formats: []string{"text/xml"}},
		},
	}
	for name, body := range map[string]string{"spec XML": specDiscoveryXML, "spec JSON": specDiscoveryJSON} {
		t.Run(name, func(t *testing.T) {
			got, err := DecodeDiscovery([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
	t.Run("two formats in XML", func(t *testing.T) {
		got, err := DecodeDiscovery([]byte(`<discovery><endpoints><endpoint><url>https://x/v2/</url><formats><format>text/xml</format><format>application/json</format></formats></endpoint></endpoints></discovery>`))
		if err != nil {
			t.Fatal(err)
		}
		if f := got.Endpoints[0].Formats; !reflect.DeepEqual(f, []string{"text/xml", "application/json"}) {
			t.Errorf("formats = %v", f)
		}
	})
	t.Run("picks the production v2 endpoint on the same host only", func(t *testing.T) {
		d, _ := DecodeDiscovery([]byte(specDiscoveryJSON))
		same, _ := url.Parse("https://open311.sfgov.org/")
		if ep, ok := pickEndpoint(d, same); !ok || ep.URL != "https://open311.sfgov.org/V2/" {
			t.Errorf("pickEndpoint = %+v %v", ep, ok)
		}
		other, _ := url.Parse("https://city.example/open311/v2/")
		if ep, ok := pickEndpoint(d, other); ok {
			t.Errorf("pickEndpoint moved to another host: %+v", ep)
		}
		if f := pickFormat([]string{"text/xml"}, "json"); f != "xml" {
			t.Errorf("pickFormat = %q, want xml", f)
		}
		if f := pickFormat([]string{"text/xml", "application/json"}, "json"); f != "json" {
			t.Errorf("pickFormat = %q, want json", f)
		}
	})
}
