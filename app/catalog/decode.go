package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"regexp"
	"strings"

	"civicdesk/assets"
)

// nameRE is the shape of service, category, step and field codes: stable snake_case.
var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Decode parses a catalog document strictly (unknown JSON fields and trailing
// data are errors) and checks its schema. Every error wraps ErrInvalidCatalog;
// schema problems are a *SchemaError naming the service and field.
func Decode(data []byte) (*Catalog, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Catalog
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: not a catalog document: %v", ErrInvalidCatalog, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the catalog document", ErrInvalidCatalog)
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Default returns a fresh copy of the sample catalog embedded in the binary
// (assets/catalog.json). A test guarantees that it decodes; if it did not,
// the binary was built from a broken asset and Default panics.
func Default() *Catalog {
	c, err := Decode(assets.CatalogJSON)
	if err != nil {
		panic("embedded assets/catalog.json is broken, fix it and rebuild: " + err.Error())
	}
	return c
}

func (c *Catalog) check() error {
	bad := func(format string, a ...any) error {
		return &SchemaError{Problem: fmt.Sprintf(format, a...)}
	}
	if c.Version == "" {
		return bad("version is missing")
	}
	if len(c.Services) == 0 {
		return bad("no services")
	}
	cats := make(map[string]bool, len(c.Categories))
	for i, cat := range c.Categories {
		if !nameRE.MatchString(cat.Code) {
			return bad("category #%d: code must be snake_case", i+1)
		}
		if cats[cat.Code] {
			return bad("category %q: duplicate code", cat.Code)
		}
		cats[cat.Code] = true
		if !bothLanguages(cat.Name) {
			return bad("category %q: name needs both %s and %s", cat.Code, LangZh, LangEn)
		}
	}
	codes := make(map[string]bool, len(c.Services))
	for i := range c.Services {
		s := &c.Services[i]
		if !nameRE.MatchString(s.Code) {
			return bad("service #%d: code must be snake_case", i+1)
		}
		if codes[s.Code] {
			return &SchemaError{Service: s.Code, Problem: "duplicate service code"}
		}
		codes[s.Code] = true
		if s.Category != "" && !cats[s.Category] {
			return &SchemaError{Service: s.Code, Problem: fmt.Sprintf("unknown category %q", s.Category)}
		}
		if err := s.check(); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) check() error {
	bad := func(format string, a ...any) error {
		return &SchemaError{Service: s.Code, Problem: fmt.Sprintf(format, a...)}
	}
	if s.Version < 1 {
		return bad("version must be 1 or more")
	}
	texts := []namedText{
		{"name", s.Name, true}, {"description", s.Description, true}, {"department", s.Department, true},
		{"processing_time", s.ProcessingTime, false}, {"fee", s.Fee, false}, {"in_person_note", s.InPersonNote, false},
	}
	if err := checkTexts(texts); err != nil {
		return bad("%v", err)
	}
	for i, m := range s.Materials {
		if !bothLanguages(m) {
			return bad("material #%d needs both %s and %s", i+1, LangZh, LangEn)
		}
	}
	steps := make(map[string]bool, len(s.Form.Steps))
	for i, st := range s.Form.Steps {
		if !nameRE.MatchString(st.Code) {
			return bad("step #%d: code must be snake_case", i+1)
		}
		if steps[st.Code] {
			return bad("step %q: duplicate code", st.Code)
		}
		steps[st.Code] = true
		if !bothLanguages(st.Title) {
			return bad("step %q: title needs both %s and %s", st.Code, LangZh, LangEn)
		}
	}
	if len(s.Form.Fields) == 0 {
		return bad("form has no fields")
	}
	seen := make(map[string]*Field, len(s.Form.Fields))
	for i := range s.Form.Fields {
		f := &s.Form.Fields[i]
		if !nameRE.MatchString(f.Name) {
			return bad("field #%d: name must be snake_case", i+1)
		}
		if seen[f.Name] != nil {
			return &SchemaError{Service: s.Code, Field: f.Name, Problem: "duplicate field name"}
		}
		if err := f.checkSchema(steps, seen); err != nil {
			return &SchemaError{Service: s.Code, Field: f.Name, Problem: err.Error()}
		}
		seen[f.Name] = f
	}
	return nil
}

// checkSchema checks one field given the form's steps and the fields before it.
func (f *Field) checkSchema(steps map[string]bool, earlier map[string]*Field) error {
	if !knownType(f.Type) {
		return fmt.Errorf("unknown field type %q", f.Type)
	}
	if !bothLanguages(f.Label) {
		return fmt.Errorf("label needs both %s and %s", LangZh, LangEn)
	}
	if err := checkTexts([]namedText{{"help", f.Help, false}, {"placeholder", f.Placeholder, false}}); err != nil {
		return err
	}
	switch {
	case len(steps) > 0 && f.Step == "":
		return fmt.Errorf("no step, but the form has steps")
	case f.Step != "" && !steps[f.Step]:
		return fmt.Errorf("unknown step %q", f.Step)
	}

	lengthy := f.Type == TypeText || f.Type == TypeMultiline || f.Type == TypeEmail
	if (f.MinLength != nil || f.MaxLength != nil) && !lengthy {
		return fmt.Errorf("min_length/max_length do not apply to a %s field", f.Type)
	}
	if (f.MinLength != nil && *f.MinLength < 0) || (f.MaxLength != nil && *f.MaxLength < 0) {
		return fmt.Errorf("min_length/max_length must not be negative")
	}
	if f.MinLength != nil && f.MaxLength != nil && *f.MinLength > *f.MaxLength {
		return fmt.Errorf("min_length greater than max_length")
	}
	if (f.Min != nil || f.Max != nil) && f.Type != TypeNumber {
		return fmt.Errorf("min/max do not apply to a %s field", f.Type)
	}
	if f.Min != nil && f.Max != nil && *f.Min > *f.Max {
		return fmt.Errorf("min greater than max")
	}
	if f.Pattern != "" {
		if !lengthy {
			return fmt.Errorf("pattern does not apply to a %s field", f.Type)
		}
		if _, err := compilePattern(f.Pattern); err != nil {
			return fmt.Errorf("pattern does not compile: %v", err)
		}
	}

	choice := f.Type == TypeSelect || f.Type == TypeMultiselect
	switch {
	case choice && len(f.Options) == 0:
		return fmt.Errorf("%s without options", f.Type)
	case !choice && len(f.Options) > 0:
		return fmt.Errorf("options do not apply to a %s field", f.Type)
	}
	values := make(map[string]bool, len(f.Options))
	for i, o := range f.Options {
		if o.Value == "" {
			return fmt.Errorf("option #%d has no value", i+1)
		}
		if values[o.Value] {
			return fmt.Errorf("duplicate option %q", o.Value)
		}
		values[o.Value] = true
		if !bothLanguages(o.Label) {
			return fmt.Errorf("option %q: label needs both %s and %s", o.Value, LangZh, LangEn)
		}
	}

	if f.Type != TypeAttachment && (len(f.Accept) > 0 || f.MaxSize != 0) {
		return fmt.Errorf("accept/max_size do not apply to a %s field", f.Type)
	}
	if f.MaxSize < 0 {
		return fmt.Errorf("max_size must not be negative")
	}
	for _, a := range f.Accept {
		mt, params, err := mime.ParseMediaType(a)
		if typ, sub, ok := strings.Cut(mt, "/"); err != nil || mt != a || len(params) > 0 || !ok || typ == "" || sub == "" {
			return fmt.Errorf("accept: %q is not a bare media type such as image/png", a)
		}
	}

	if c := f.ShowIf; c != nil {
		src := earlier[c.Field]
		switch {
		case src == nil:
			return fmt.Errorf("show_if names %q, which is not an earlier field of this form", c.Field)
		case src.Type == TypeSelect || src.Type == TypeMultiselect:
			if !src.hasOption(c.Value) {
				return fmt.Errorf("show_if: %q is not an option of field %q", c.Value, c.Field)
			}
		case src.Type == TypeCheckbox:
			if c.Value != "true" && c.Value != "false" {
				return fmt.Errorf("show_if: a checkbox condition needs the value \"true\" or \"false\"")
			}
		case src.Type == TypeAttachment:
			return fmt.Errorf("show_if cannot depend on an attachment field")
		}
	}
	return nil
}

func (f *Field) hasOption(v string) bool {
	for _, o := range f.Options {
		if o.Value == v {
			return true
		}
	}
	return false
}

func knownType(t FieldType) bool {
	switch t {
	case TypeText, TypeMultiline, TypeNumber, TypeDate, TypeSelect, TypeMultiselect,
		TypeCheckbox, TypePhone, TypeIDNumber, TypeEmail, TypeAttachment:
		return true
	}
	return false
}

func bothLanguages(t Text) bool { return t[LangZh] != "" && t[LangEn] != "" }

// namedText is a Text attribute to check; an optional one may be absent but
// not half translated.
type namedText struct {
	name     string
	text     Text
	required bool
}

func checkTexts(ts []namedText) error {
	for _, t := range ts {
		if (t.required || len(t.text) > 0) && !bothLanguages(t.text) {
			return fmt.Errorf("%s needs both %s and %s", t.name, LangZh, LangEn)
		}
	}
	return nil
}
