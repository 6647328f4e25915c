package catalog

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// testService has one field of every type with every kind of constraint.
const testServiceJSON = `{
 "version": "test",
 "services": [{
  "code": "everything", "version": 1,
  "name": {"zh-Hans": "测试", "en": "Test"},
  "description": {"zh-Hans": "测试", "en": "Test"},
  "department": {"zh-Hans": "测试", "en": "Test"},
  "materials": [],
  "form": {"fields": [
   {"name": "name", "type": "text", "label": {"zh-Hans": "姓名", "en": "Name"}, "required": true, "min_length": 2, "max_length": 5},
   {"name": "code", "type": "text", "label": {"zh-Hans": "代码", "en": "Code"}, "pattern": "[A-Z]{3}|[0-9]{4}"},
   {"name": "notes", "type": "multiline", "label": {"zh-Hans": "备注", "en": "Notes"}, "max_length": 10},
   {"name": "size", "type": "number", "label": {"zh-Hans": "人数", "en": "Size"}, "min": 1, "max": 20},
   {"name": "day", "type": "date", "label": {"zh-Hans": "日期", "en": "Day"}},
   {"name": "reason", "type": "select", "label": {"zh-Hans": "原因", "en": "Reason"}, "required": true,
    "options": [{"value": "lost", "label": {"zh-Hans": "遗失", "en": "Lost"}}, {"value": "damaged", "label": {"zh-Hans": "损坏", "en": "Damaged"}}]},
   {"name": "date_lost", "type": "date", "label": {"zh-Hans": "遗失日期", "en": "Date lost"}, "required": true,
    "show_if": {"field": "reason", "value": "lost"}},
   {"name": "place_lost", "type": "text", "label": {"zh-Hans": "遗失地点", "en": "Place lost"}, "required": true,
    "show_if": {"field": "date_lost", "value": "2026-01-01"}},
   {"name": "tags", "type": "multiselect", "label": {"zh-Hans": "标签", "en": "Tags"},
    "options": [{"value": "a", "label": {"zh-Hans": "甲", "en": "A"}}, {"value": "b", "label": {"zh-Hans": "乙", "en": "B"}}]},
   {"name": "b_detail", "type": "text", "label": {"zh-Hans": "乙说明", "en": "B detail"}, "required": true,
    "show_if": {"field": "tags", "value": "b"}},
   {"name": "agree", "type": "checkbox", "label": {"zh-Hans": "同意", "en": "Agree"}, "required": true},
   {"name": "subscribe", "type": "checkbox", "label": {"zh-Hans": "订阅", "en": "Subscribe"}},
   {"name": "unsubscribed_why", "type": "text", "label": {"zh-Hans": "原因", "en": "Why"}, "required": true,
    "show_if": {"field": "subscribe", "value": "false"}},
   {"name": "phone", "type": "phone", "label": {"zh-Hans": "电话", "en": "Phone"}},
   {"name": "id_number", "type": "id_number", "label": {"zh-Hans": "身份证", "en": "ID"}},
   {"name": "email", "type": "email", "label": {"zh-Hans": "邮箱", "en": "Email"}},
   {"name": "scan", "type": "attachment", "label": {"zh-Hans": "扫描件", "en": "Scan"},
    "accept": ["image/jpeg", "image/png", "application/pdf"], "max_size": 10485760}
  ]}
 }]
}`

func testService(t testing.TB) *Service {
	t.Helper()
	c, err := Decode([]byte(testServiceJSON))
	if err != nil {
		t.Fatalf("Decode(test service): %v", err)
	}
	s, _ := c.Service("everything")
	return s
}

// baseValues are valid answers to testService that keep every conditional
// field hidden.
func baseValues() Values {
	return Values{"name": "李娜", "reason": "damaged", "agree": true, "subscribe": true}
}

const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func TestValidateFieldTypes(t *testing.T) {
	s := testService(t)
	long := strings.Repeat("长", 11)
	tests := []struct {
		name   string
		field  string
		value  any
		code   string
		params map[string]string
	}{
		{"text ok", "name", "王小明", "", nil},
		{"text runes not bytes", "name", "欧阳娜娜", "", nil},
		{"text too short", "name", "李", CodeMinLength, map[string]string{"min": "2"}},
		{"text too long", "name", "abcdef", CodeMaxLength, map[string]string{"max": "5"}},
		{"text wrong type", "name", 42.0, CodeType, nil},
		{"text missing", "name", nil, CodeRequired, nil},
		{"text empty", "name", "", CodeRequired, nil},
		{"pattern first branch", "code", "ABC", "", nil},
		{"pattern second branch", "code", "1234", "", nil},
		{"pattern anchored", "code", "ABCD", CodePattern, nil},
		{"pattern alternation anchored", "code", "x1234", CodePattern, nil},
		{"multiline ok", "notes", "一\n二", "", nil},
		{"multiline too long", "notes", long, CodeMaxLength, map[string]string{"max": "10"}},
		{"number float", "size", 3.0, "", nil},
		{"number int", "size", 3, "", nil},
		{"number json.Number", "size", json.Number("4"), "", nil},
		{"number string", "size", "5", "", nil},
		{"number string fraction", "size", "2.5", "", nil},
		{"number below min", "size", 0.0, CodeMin, map[string]string{"min": "1"}},
		{"number above max", "size", "21", CodeMax, map[string]string{"max": "20"}},
		{"number not numeric", "size", "three", CodeNumberInvalid, nil},
		{"number hex refused", "size", "0x10", CodeNumberInvalid, nil},
		{"number NaN string", "size", "NaN", CodeNumberInvalid, nil},
		{"number bad json.Number", "size", json.Number("1e999"), CodeNumberInvalid, nil},
		{"number bool", "size", true, CodeType, nil},
		{"date ok", "day", "2024-02-29", "", nil},
		{"date Feb 30", "day", "2026-02-30", CodeDateInvalid, nil},
		{"date not leap", "day", "2026-02-29", CodeDateInvalid, nil},
		{"date wrong format", "day", "2026/01/05", CodeDateInvalid, nil},
		{"date short", "day", "2026-1-5", CodeDateInvalid, nil},
		{"date number", "day", 20260105.0, CodeType, nil},
		{"select ok", "reason", "damaged", "", nil},
		{"select unknown option", "reason", "stolen", CodeOption, nil},
		{"select label not value", "reason", "Damaged", CodeOption, nil},
		{"select list", "reason", []any{"damaged"}, CodeType, nil},
		{"multiselect []any", "tags", []any{"a"}, "", nil},
		{"multiselect []string", "tags", []string{"a"}, "", nil},
		{"multiselect bad option", "tags", []any{"a", "z"}, CodeOption, nil},
		{"multiselect non-string", "tags", []any{"a", 1.0}, CodeType, nil},
		{"multiselect string", "tags", "a", CodeType, nil},
		{"multiselect empty optional", "tags", []any{}, "", nil},
		{"checkbox required unchecked", "agree", false, CodeRequired, nil},
		{"checkbox required missing", "agree", nil, CodeRequired, nil},
		{"checkbox string", "agree", "true", CodeType, nil},
		{"phone ok", "phone", "13912345678", "", nil},
		{"phone bad", "phone", "12912345678", CodePhoneInvalid, nil},
		{"phone number type", "phone", 13912345678.0, CodeType, nil},
		{"id ok", "id_number", "11010519491231002X", "", nil},
		{"id lowercase x", "id_number", "11010519491231002x", "", nil},
		{"id checksum", "id_number", "110105194912310021", CodeIDNumberChecksum, nil},
		{"id length", "id_number", "1101051949123100", CodeIDNumberLength, nil},
		{"id format", "id_number", "1101051949123100ZX", CodeIDNumberFormat, nil},
		{"id future birth", "id_number", makeID(t, "32030220270101001"), CodeIDNumberBirthDate, nil},
		{"id Feb 30", "id_number", makeID(t, "32030219850230003"), CodeIDNumberBirthDate, nil},
		{"email ok", "email", "li.na@example.com", "", nil},
		{"email bad", "email", "li.na at example.com", CodeEmailInvalid, nil},
		{"attachment ref", "scan", AttachmentRef{Name: "a.pdf", Type: "application/pdf", Size: 1000, SHA256: sha}, "", nil},
		{"attachment pointer", "scan", &AttachmentRef{Name: "a.png", Type: "image/png", Size: 1, SHA256: sha}, "", nil},
		{"attachment nil pointer", "scan", (*AttachmentRef)(nil), "", nil},
		{"attachment map", "scan", map[string]any{"name": "a.jpg", "type": "image/jpeg", "size": 5e6, "sha256": sha}, "", nil},
		{"attachment type params", "scan", AttachmentRef{Type: "image/JPEG; q=1", Size: 1, SHA256: sha}, "", nil},
		{"attachment exactly max", "scan", AttachmentRef{Type: "image/png", Size: 10 << 20, SHA256: sha}, "", nil},
		{"attachment too large", "scan", AttachmentRef{Type: "image/png", Size: 10<<20 + 1, SHA256: sha}, CodeAttachmentTooLarge, map[string]string{"max": "10485760"}},
		{"attachment wrong type", "scan", AttachmentRef{Type: "image/gif", Size: 1, SHA256: sha}, CodeAttachmentType, nil},
		{"attachment bad sha", "scan", AttachmentRef{Type: "image/png", Size: 1, SHA256: "abc"}, CodeAttachmentInvalid, nil},
		{"attachment negative size", "scan", AttachmentRef{Type: "image/png", Size: -1, SHA256: sha}, CodeAttachmentInvalid, nil},
		{"attachment no type", "scan", AttachmentRef{Size: 1, SHA256: sha}, CodeAttachmentInvalid, nil},
		{"attachment map no sha", "scan", map[string]any{"type": "image/png", "size": 1.0}, CodeAttachmentInvalid, nil},
		{"attachment map fractional size", "scan", map[string]any{"type": "image/png", "size": 1.5, "sha256": sha}, CodeAttachmentInvalid, nil},
		{"attachment map size string", "scan", map[string]any{"type": "image/png", "size": "x", "sha256": sha}, CodeAttachmentInvalid, nil},
		{"attachment string", "scan", "a.pdf", CodeType, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := baseValues()
			v[tt.field] = tt.value
			errs := ValidateAt(s, v, testNow)
			var want []FieldError
			if tt.code != "" {
				msg := messages[tt.code]
				for k, p := range tt.params {
					msg = strings.ReplaceAll(msg, "{"+k+"}", p)
				}
				want = []FieldError{{Field: tt.field, Code: tt.code, Message: msg, Params: tt.params}}
			}
			if !reflect.DeepEqual(errs, want) {
				t.Errorf("ValidateAt = %+v\nwant %+v", errs, want)
			}
			for _, e := range errs {
				if s, ok := tt.value.(string); ok && len(s) > 1 && strings.Contains(e.Message, s) {
					t.Errorf("message %q contains the value", e.Message)
				}
				if strings.Contains(e.Message, "{") {
					t.Errorf("message %q has an unfilled placeholder", e.Message)
				}
			}
		})
	}
}

func TestValidateShowIf(t *testing.T) {
	s := testService(t)
	tests := []struct {
		name  string
		set   Values
		codes map[string]string // field -> code
	}{
		{"hidden field not required", Values{"reason": "damaged"}, nil},
		{"shown field required", Values{"reason": "lost"}, map[string]string{"date_lost": CodeRequired}},
		{"shown field valid", Values{"reason": "lost", "date_lost": "2026-03-01"}, nil},
		{"hidden field value ignored, even invalid", Values{"reason": "damaged", "date_lost": "not a date"}, nil},
		{"chained condition shown", Values{"reason": "lost", "date_lost": "2026-01-01"}, map[string]string{"place_lost": CodeRequired}},
		{"chained condition hidden with its parent", Values{"reason": "damaged", "date_lost": "2026-01-01"}, nil},
		{"multiselect condition", Values{"tags": []any{"a", "b"}}, map[string]string{"b_detail": CodeRequired}},
		{"multiselect condition []string", Values{"tags": []string{"b"}, "b_detail": "ok"}, nil},
		{"checkbox false condition", Values{"subscribe": false}, map[string]string{"unsubscribed_why": CodeRequired}},
		{"absent checkbox counts as false", Values{"subscribe": nil}, map[string]string{"unsubscribed_why": CodeRequired}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := baseValues()
			for k, x := range tt.set {
				if x == nil {
					delete(v, k)
					continue
				}
				v[k] = x
			}
			got := map[string]string{}
			for _, e := range ValidateAt(s, v, testNow) {
				got[e.Field] = e.Code
			}
			if len(got) == 0 {
				got = nil
			}
			if !reflect.DeepEqual(got, tt.codes) {
				t.Errorf("errors = %v; want %v", got, tt.codes)
			}
		})
	}
}

func TestValidateOrderAndUnknown(t *testing.T) {
	s := testService(t)
	v := Values{
		"zeta": 1, "alpha": "x", // unknown, reported last and sorted
		"email":     "bad",
		"name":      "x",
		"reason":    "lost",
		"subscribe": true,
		// agree missing
	}
	var got []string
	for _, e := range ValidateAt(s, v, testNow) {
		got = append(got, e.Field+":"+e.Code)
	}
	want := []string{"name:min_length", "date_lost:required", "agree:required", "email:email.invalid", "alpha:unknown_field", "zeta:unknown_field"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors = %v\nwant %v", got, want)
	}
	for range 20 { // map iteration must not change the order
		again := ValidateAt(s, v, testNow)
		for i, e := range again {
			if e.Field+":"+e.Code != want[i] {
				t.Fatalf("run gave a different order: %v", again)
			}
		}
	}
}

func TestValidateNilServiceAndValues(t *testing.T) {
	if errs := ValidateAt(nil, Values{"x": "1"}, testNow); len(errs) != 1 || errs[0].Code != CodeUnknownField {
		t.Errorf("nil service: %v; want one unknown_field", errs)
	}
	if errs := ValidateAt(testService(t), nil, testNow); len(errs) != 4 {
		t.Errorf("nil values: %v; want required for name, reason, agree, unsubscribed_why", errs)
	}
}

func TestValidateUsesNow(t *testing.T) {
	s := testService(t)
	v := baseValues()
	v["id_number"] = makeID(t, "32030220261116001") // born 16 Nov 2026
	if errs := ValidateAt(s, v, testNow); len(errs) != 1 || errs[0].Code != CodeIDNumberBirthDate {
		t.Errorf("on 15 Nov: %v; want id_number.birth_date", errs)
	}
	if errs := ValidateAt(s, v, testNow.AddDate(0, 0, 1)); errs != nil {
		t.Errorf("on 16 Nov: %v; want valid", errs)
	}
	v["id_number"] = makeID(t, "32030219850612003")
	if errs := Validate(s, v); errs != nil {
		t.Errorf("Validate with the real clock: %v; want valid", errs)
	}
}

func TestVisibleAndStepFields(t *testing.T) {
	c := Default()
	s, ok := c.Service("employment_registration")
	if !ok {
		t.Fatal("employment_registration missing")
	}
	names := func(fs []Field) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Name)
		}
		return out
	}
	unemp := names(s.StepFields("employment", Values{"registration_type": "unemployment"}))
	wantUnemp := []string{"registration_type", "termination_date", "termination_reason", "education", "training_interests"}
	if !reflect.DeepEqual(unemp, wantUnemp) {
		t.Errorf("unemployment step = %v; want %v", unemp, wantUnemp)
	}
	emp := names(s.StepFields("employment", Values{"registration_type": "employment"}))
	wantEmp := []string{"registration_type", "employer_name", "employment_start_date", "education", "training_interests"}
	if !reflect.DeepEqual(emp, wantEmp) {
		t.Errorf("employment step = %v; want %v", emp, wantEmp)
	}
	if all, vis := len(s.Form.Fields), len(s.Visible(nil)); vis >= all {
		t.Errorf("Visible(nil) = %d fields of %d; want conditional ones hidden", vis, all)
	}
	if f, ok := s.Field("termination_date"); !ok || f.Type != TypeDate {
		t.Errorf("Field(termination_date) = %v, %v", f, ok)
	}
	if _, ok := s.Field("nope"); ok {
		t.Error("Field(nope) found")
	}
	if _, ok := c.Service("nope"); ok {
		t.Error("Service(nope) found")
	}
}
