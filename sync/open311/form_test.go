package open311

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"civicdesk/app/catalog"
	"civicdesk/sync/wire"
)

var potholeMap = serviceMap{Code: "pothole", Type: "realtime", Attrs: []attrMap{
	{Field: "attribute_size", Code: "SIZE", Datatype: "singlevaluelist"},
	{Field: "attribute_hazards", Code: "HAZARDS", Datatype: "multivaluelist"},
	{Field: "attribute_depth", Code: "DEPTH", Datatype: "number"},
	{Field: "attribute_seen_at", Code: "SEEN-AT", Datatype: "datetime"},
	{Field: "attribute_note", Code: "备注", Datatype: "text"},
}}

const appID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

func TestEncodeFormExact(t *testing.T) {
	tests := []struct {
		name         string
		values       catalog.Values
		key, jur     string
		want         string
		wantDecoded  url.Values
		checkDecoded bool
	}{
		{
			name: "everything, Chinese text, multivaluelist as []any",
			values: catalog.Values{
				FieldAddress: "北京市东城区 景山前街4号", FieldLat: 39.9163, FieldLong: "116.397",
				"attribute_size": "L", "attribute_hazards": []any{"water", "edge"}, "attribute_depth": 12.5,
				"attribute_seen_at": "2025-02-28", "attribute_note": "路面 & 下水道",
				FieldFirstName: "小明", FieldLastName: "王", FieldEmail: "a+b@example.cn", FieldPhone: "+86 138 0000 0000",
				FieldDescription: "坑很深。\n请尽快处理",
			},
			key: "k3y/=", jur: "city.example",
			want: "api_key=k3y%2F%3D&jurisdiction_id=city.example&service_code=pothole" +
				"&address_string=%E5%8C%97%E4%BA%AC%E5%B8%82%E4%B8%9C%E5%9F%8E%E5%8C%BA+%E6%99%AF%E5%B1%B1%E5%89%8D%E8%A1%974%E5%8F%B7" +
				"&lat=39.9163&long=116.397" +
				"&attribute%5BSIZE%5D=L&attribute%5BHAZARDS%5D%5B%5D=water&attribute%5BHAZARDS%5D%5B%5D=edge" +
				"&attribute%5BDEPTH%5D=12.5&attribute%5BSEEN-AT%5D=2025-02-28" +
				"&attribute%5B%E5%A4%87%E6%B3%A8%5D=%E8%B7%AF%E9%9D%A2+%26+%E4%B8%8B%E6%B0%B4%E9%81%93" +
				"&first_name=%E5%B0%8F%E6%98%8E&last_name=%E7%8E%8B&email=a%2Bb%40example.cn&phone=%2B86+138+0000+0000" +
				"&device_id=dev1" +
				"&description=%E5%9D%91%E5%BE%88%E6%B7%B1%E3%80%82%0A%E8%AF%B7%E5%B0%BD%E5%BF%AB%E5%A4%84%E7%90%86%0A%5Bcivicdesk%3A" + appID + "%5D",
			checkDecoded: true,
			wantDecoded: url.Values{
				"api_key": {"k3y/="}, "jurisdiction_id": {"city.example"}, "service_code": {"pothole"},
				"address_string": {"北京市东城区 景山前街4号"}, "lat": {"39.9163"}, "long": {"116.397"},
				"attribute[SIZE]": {"L"}, "attribute[HAZARDS][]": {"water", "edge"}, "attribute[DEPTH]": {"12.5"},
				"attribute[SEEN-AT]": {"2025-02-28"}, "attribute[备注]": {"路面 & 下水道"},
				"first_name": {"小明"}, "last_name": {"王"}, "email": {"a+b@example.cn"}, "phone": {"+86 138 0000 0000"},
				"device_id": {"dev1"}, "description": {"坑很深。\n请尽快处理\n[civicdesk:" + appID + "]"},
			},
		},
		{
			name:   "no api_key or jurisdiction, coordinates only, []string, empty values left out",
			values: catalog.Values{FieldLat: 0.0, FieldLong: -122.4212043, "attribute_hazards": []string{"edge", ""}, "attribute_size": "", FieldEmail: ""},
			want: "service_code=pothole&lat=0&long=-122.4212043&attribute%5BHAZARDS%5D%5B%5D=edge&device_id=dev1" +
				"&description=%5Bcivicdesk%3A" + appID + "%5D",
		},
		{
			name:   "address only, one multivalue, integer number",
			values: catalog.Values{FieldAddress: "1234 5th street", "attribute_hazards": []any{"water"}, "attribute_depth": "7"},
			key:    "xyz",
			want: "api_key=xyz&service_code=pothole&address_string=1234+5th+street&attribute%5BHAZARDS%5D%5B%5D=water" +
				"&attribute%5BDEPTH%5D=7&device_id=dev1&description=%5Bcivicdesk%3A" + appID + "%5D",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := wire.SubmitItem{ID: appID, Service: "pothole", Values: tt.values}
			got, fes := encodeForm(it, potholeMap, tt.key, tt.jur, "dev1")
			if fes != nil {
				t.Fatalf("field errors: %+v", fes)
			}
			if string(got) != tt.want {
				t.Errorf("body:\n got %s\nwant %s", got, tt.want)
			}
			if tt.checkDecoded {
				dec, err := url.ParseQuery(string(got))
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(dec, tt.wantDecoded) {
					t.Errorf("decoded:\n got %v\nwant %v", dec, tt.wantDecoded)
				}
			}
		})
	}
}

// TestEncodeFormSpecExample encodes the values of the spec's POST example
// and checks that a server decoding both gets the same parameters (the
// spec writes brackets unencoded; both decode alike).
func TestEncodeFormSpecExample(t *testing.T) {
	sm := serviceMap{Code: "001", Attrs: []attrMap{{Field: "attribute_whishetn", Code: "WHISHETN", Datatype: "singlevaluelist"}}}
	it := wire.SubmitItem{ID: appID, Values: catalog.Values{
		FieldLat: 37.76524078, FieldLong: -122.4212043, FieldAddress: "1234 5th street", FieldEmail: "smit333@sfgov.edu",
		FieldFirstName: "john", FieldLastName: "smith", FieldPhone: "111111111", FieldDescription: "A large sinkhole is destroying the street",
		"attribute_whishetn": "123",
	}}
	got, fes := encodeForm(it, sm, "xyz", "city.gov", "tt222111")
	if fes != nil {
		t.Fatal(fes)
	}
	ours, _ := url.ParseQuery(string(got))
	spec, _ := url.ParseQuery(specPostForm)
	for _, k := range []string{"api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "email", "device_id", "first_name", "last_name", "phone", "attribute[WHISHETN]"} {
		if !reflect.DeepEqual(ours[k], spec[k]) {
			t.Errorf("%s: ours %q, spec %q", k, ours[k], spec[k])
		}
	}
	if d := ours.Get("description"); d != spec.Get("description")+"\n"+Reference(appID) {
		t.Errorf("description = %q", d)
	}
}

func TestEncodeFormRefuses(t *testing.T) {
	long := strings.Repeat("长", MaxDescription-len(Reference(appID))) // with the newline, one too many
	tests := []struct {
		name   string
		values catalog.Values
		want   []string // field:code
	}{
		{"no location", catalog.Values{FieldDescription: "x"}, []string{"address_string:required"}},
		{"blank address", catalog.Values{FieldAddress: "  "}, []string{"address_string:required"}},
		{"latitude alone", catalog.Values{FieldLat: 1.0, FieldAddress: "x"}, []string{"long:required"}},
		{"longitude alone", catalog.Values{FieldLong: 1.0}, []string{"lat:required"}},
		{"description too long for the reference", catalog.Values{FieldAddress: "x", FieldDescription: long}, []string{"description:max_length"}},
		{"wrong value type", catalog.Values{FieldAddress: "x", "attribute_depth": map[string]any{"a": 1}}, []string{"attribute_depth:type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, fes := encodeForm(wire.SubmitItem{ID: appID, Values: tt.values}, potholeMap, "", "", "d")
			var got []string
			for _, fe := range fes {
				got = append(got, fe.Field+":"+fe.Code)
				if strings.Contains(fe.Message, "长") {
					t.Error("a message quotes the value")
				}
			}
			if !reflect.DeepEqual(got, tt.want) || body != nil {
				t.Errorf("got %v (body %q), want %v", got, body, tt.want)
			}
		})
	}
	// Exactly at the limit passes.
	ok := strings.Repeat("长", MaxDescription-len(Reference(appID))-1)
	if _, fes := encodeForm(wire.SubmitItem{ID: appID, Values: catalog.Values{FieldAddress: "x", FieldDescription: ok}}, potholeMap, "", "", "d"); fes != nil {
		t.Errorf("a description that fits was refused: %+v", fes)
	}
}
