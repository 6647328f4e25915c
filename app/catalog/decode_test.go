package catalog

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func txt(s string) Text { return Text{LangZh: s + "（中）", LangEn: s} }
func ptr[T any](v T) *T { return &v }

// validCatalog is a small catalog that passes every schema check.
func validCatalog() *Catalog {
	return &Catalog{
		Version:    "2026.11.1",
		Categories: []Category{{Code: "identity", Name: txt("Identity")}},
		Services: []Service{{
			Code: "residence_permit", Version: 1, Category: "identity",
			Name: txt("Residence permit"), Description: txt("d"), Department: txt("Police"),
			Materials: []Text{txt("ID card")}, ProcessingTime: txt("15 days"), Fee: txt("Free"),
			Form: Form{
				Steps: []Step{{Code: "applicant", Title: txt("Applicant")}, {Code: "confirm", Title: txt("Confirm")}},
				Fields: []Field{
					{Name: "name", Type: TypeText, Step: "applicant", Label: txt("Name"), Required: true, MinLength: ptr(2), MaxLength: ptr(50)},
					{Name: "district", Type: TypeSelect, Step: "applicant", Label: txt("District"),
						Options: []Option{{Value: "320302", Label: txt("Gulou")}, {Value: "320303", Label: txt("Yunlong")}}},
					{Name: "kind", Type: TypeSelect, Step: "applicant", Label: txt("Kind"),
						Options: []Option{{Value: "first_issue", Label: txt("First")}, {Value: "renewal", Label: txt("Renewal")}}},
					{Name: "old_number", Type: TypeText, Step: "applicant", Label: txt("Old number"), Pattern: "[0-9]+",
						ShowIf: &Condition{Field: "kind", Value: "renewal"}},
					{Name: "size", Type: TypeNumber, Step: "applicant", Label: txt("Size"), Min: ptr(1.0), Max: ptr(20.0)},
					{Name: "scan", Type: TypeAttachment, Step: "applicant", Label: txt("Scan"), Accept: []string{"image/png"}, MaxSize: 1 << 20},
					{Name: "agree", Type: TypeCheckbox, Step: "confirm", Label: txt("Agree"), Required: true},
					{Name: "why", Type: TypeText, Step: "confirm", Label: txt("Why"), ShowIf: &Condition{Field: "agree", Value: "false"}},
				},
			},
		}},
	}
}

func encode(t *testing.T, c *Catalog) []byte {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeValid(t *testing.T) {
	c, err := Decode(encode(t, validCatalog()))
	if err != nil {
		t.Fatalf("Decode(valid) = %v", err)
	}
	if s, ok := c.Service("residence_permit"); !ok || len(s.Form.Fields) != 8 {
		t.Fatalf("decoded catalog lost its service or fields")
	}
}

func TestDecodeSchemaErrors(t *testing.T) {
	field := func(c *Catalog, name string) *Field {
		f, _ := c.Services[0].Field(name)
		return f
	}
	tests := []struct {
		name   string
		mutate func(c *Catalog)
		want   string // the whole error message
	}{
		{"version missing", func(c *Catalog) { c.Version = "" }, `catalog: version is missing`},
		{"no services", func(c *Catalog) { c.Services = nil }, `catalog: no services`},
		{"duplicate category", func(c *Catalog) { c.Categories = append(c.Categories, c.Categories[0]) }, `catalog: category "identity": duplicate code`},
		{"category half translated", func(c *Catalog) { c.Categories[0].Name = Text{LangZh: "身份"} }, `catalog: category "identity": name needs both zh-Hans and en`},
		{"service code not snake_case", func(c *Catalog) { c.Services[0].Code = "Residence Permit" }, `catalog: service #1: code must be snake_case`},
		{"duplicate service code", func(c *Catalog) { c.Services = append(c.Services, c.Services[0]) }, `catalog: service "residence_permit": duplicate service code`},
		{"unknown category", func(c *Catalog) { c.Services[0].Category = "welfare" }, `catalog: service "residence_permit": unknown category "welfare"`},
		{"service version 0", func(c *Catalog) { c.Services[0].Version = 0 }, `catalog: service "residence_permit": version must be 1 or more`},
		{"name without en", func(c *Catalog) { delete(c.Services[0].Name, LangEn) }, `catalog: service "residence_permit": name needs both zh-Hans and en`},
		{"name without zh", func(c *Catalog) { c.Services[0].Name[LangZh] = "" }, `catalog: service "residence_permit": name needs both zh-Hans and en`},
		{"fee half translated", func(c *Catalog) { c.Services[0].Fee = Text{LangEn: "Free"} }, `catalog: service "residence_permit": fee needs both zh-Hans and en`},
		{"material half translated", func(c *Catalog) { c.Services[0].Materials[0] = Text{LangEn: "ID"} }, `catalog: service "residence_permit": material #1 needs both zh-Hans and en`},
		{"duplicate step", func(c *Catalog) { c.Services[0].Form.Steps[1].Code = "applicant" }, `catalog: service "residence_permit": step "applicant": duplicate code`},
		{"no fields", func(c *Catalog) { c.Services[0].Form.Fields = nil }, `catalog: service "residence_permit": form has no fields`},
		{"field name not snake_case", func(c *Catalog) { field(c, "size").Name = "Size" }, `catalog: service "residence_permit": field #5: name must be snake_case`},
		{"duplicate field", func(c *Catalog) { field(c, "size").Name = "name" }, `catalog: service "residence_permit" field "name": duplicate field name`},
		{"unknown type", func(c *Catalog) { field(c, "size").Type = "money" }, `catalog: service "residence_permit" field "size": unknown field type "money"`},
		{"label half translated", func(c *Catalog) { field(c, "size").Label = Text{LangZh: "人数"} }, `catalog: service "residence_permit" field "size": label needs both zh-Hans and en`},
		{"help half translated", func(c *Catalog) { field(c, "size").Help = Text{LangEn: "How many"} }, `catalog: service "residence_permit" field "size": help needs both zh-Hans and en`},
		{"unknown step", func(c *Catalog) { field(c, "size").Step = "extra" }, `catalog: service "residence_permit" field "size": unknown step "extra"`},
		{"missing step", func(c *Catalog) { field(c, "size").Step = "" }, `catalog: service "residence_permit" field "size": no step, but the form has steps`},
		{"select without options", func(c *Catalog) { field(c, "district").Options = nil }, `catalog: service "residence_permit" field "district": select without options`},
		{"multiselect without options", func(c *Catalog) { f := field(c, "district"); f.Type = TypeMultiselect; f.Options = nil }, `catalog: service "residence_permit" field "district": multiselect without options`},
		{"options on text", func(c *Catalog) { field(c, "name").Options = field(c, "district").Options }, `catalog: service "residence_permit" field "name": options do not apply to a text field`},
		{"duplicate option", func(c *Catalog) { field(c, "district").Options[1].Value = "320302" }, `catalog: service "residence_permit" field "district": duplicate option "320302"`},
		{"empty option value", func(c *Catalog) { field(c, "district").Options[1].Value = "" }, `catalog: service "residence_permit" field "district": option #2 has no value`},
		{"option label half translated", func(c *Catalog) { field(c, "district").Options[1].Label = Text{LangZh: "云龙"} }, `catalog: service "residence_permit" field "district": option "320303": label needs both zh-Hans and en`},
		{"pattern does not compile", func(c *Catalog) { field(c, "old_number").Pattern = "[0-9" }, `catalog: service "residence_permit" field "old_number": pattern does not compile: error parsing regexp: missing closing ]: ` + "`[0-9`"},
		{"pattern escaping the anchors", func(c *Catalog) { field(c, "old_number").Pattern = "a)|(b" }, `catalog: service "residence_permit" field "old_number": pattern does not compile: error parsing regexp: unexpected ): ` + "`a)|(b`"},
		{"pattern on a number", func(c *Catalog) { field(c, "size").Pattern = "[0-9]+" }, `catalog: service "residence_permit" field "size": pattern does not apply to a number field`},
		{"min_length > max_length", func(c *Catalog) { field(c, "name").MinLength = ptr(60) }, `catalog: service "residence_permit" field "name": min_length greater than max_length`},
		{"negative max_length", func(c *Catalog) { field(c, "name").MinLength, field(c, "name").MaxLength = nil, ptr(-1) }, `catalog: service "residence_permit" field "name": min_length/max_length must not be negative`},
		{"min_length on a number", func(c *Catalog) { field(c, "size").MinLength = ptr(1) }, `catalog: service "residence_permit" field "size": min_length/max_length do not apply to a number field`},
		{"min > max", func(c *Catalog) { field(c, "size").Min = ptr(30.0) }, `catalog: service "residence_permit" field "size": min greater than max`},
		{"min on text", func(c *Catalog) { field(c, "name").Min = ptr(1.0) }, `catalog: service "residence_permit" field "name": min/max do not apply to a text field`},
		{"accept on text", func(c *Catalog) { field(c, "name").Accept = []string{"image/png"} }, `catalog: service "residence_permit" field "name": accept/max_size do not apply to a text field`},
		{"negative max_size", func(c *Catalog) { field(c, "scan").MaxSize = -1 }, `catalog: service "residence_permit" field "scan": max_size must not be negative`},
		{"bad media type", func(c *Catalog) { field(c, "scan").Accept = []string{"png"} }, `catalog: service "residence_permit" field "scan": accept: "png" is not a bare media type such as image/png`},
		{"show_if unknown field", func(c *Catalog) { field(c, "old_number").ShowIf.Field = "type" }, `catalog: service "residence_permit" field "old_number": show_if names "type", which is not an earlier field of this form`},
		{"show_if later field", func(c *Catalog) { field(c, "old_number").ShowIf = &Condition{Field: "agree", Value: "true"} }, `catalog: service "residence_permit" field "old_number": show_if names "agree", which is not an earlier field of this form`},
		{"show_if itself", func(c *Catalog) { field(c, "old_number").ShowIf.Field = "old_number" }, `catalog: service "residence_permit" field "old_number": show_if names "old_number", which is not an earlier field of this form`},
		{"show_if unknown option", func(c *Catalog) { field(c, "old_number").ShowIf.Value = "renew" }, `catalog: service "residence_permit" field "old_number": show_if: "renew" is not an option of field "kind"`},
		{"show_if checkbox value", func(c *Catalog) { field(c, "why").ShowIf.Value = "no" }, `catalog: service "residence_permit" field "why": show_if: a checkbox condition needs the value "true" or "false"`},
		{"show_if on attachment", func(c *Catalog) { field(c, "why").ShowIf = &Condition{Field: "scan", Value: "x"} }, `catalog: service "residence_permit" field "why": show_if cannot depend on an attachment field`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validCatalog()
			tt.mutate(c)
			_, err := Decode(encode(t, c))
			if err == nil {
				t.Fatalf("Decode succeeded; want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q\nwant    %q", err, tt.want)
			}
			var se *SchemaError
			if !errors.Is(err, ErrInvalidCatalog) || !errors.As(err, &se) {
				t.Errorf("error %v is not a *SchemaError wrapping ErrInvalidCatalog", err)
			}
		})
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	valid := string(encode(t, validCatalog()))
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "not a catalog document"},
		{"not JSON", "<html>captive portal</html>", "not a catalog document"},
		{"unknown top-level field", `{"version":"1","services":[],"extra":1}`, `unknown field "extra"`},
		{"unknown field in a field", strings.Replace(valid, `"required":true`, `"required":true,"mandatory":true`, 1), `unknown field "mandatory"`},
		{"wrong type", `{"version":1}`, "not a catalog document"},
		{"trailing data", valid + `{}`, "data after the catalog document"},
		{"truncated", valid[:len(valid)/2], "not a catalog document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrInvalidCatalog) {
				t.Errorf("Decode = %v; want an ErrInvalidCatalog containing %q", err, tt.want)
			}
		})
	}
	if _, err := Decode([]byte(valid + "\n  ")); err != nil {
		t.Errorf("trailing whitespace refused: %v", err)
	}
}
