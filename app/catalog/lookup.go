package catalog

import (
	"encoding/json"
	"strconv"
)

// Service returns the service with the given code.
func (c *Catalog) Service(code string) (*Service, bool) {
	for i := range c.Services {
		if c.Services[i].Code == code {
			return &c.Services[i], true
		}
	}
	return nil, false
}

// Field returns the form field with the given name.
func (s *Service) Field(name string) (*Field, bool) {
	for i := range s.Form.Fields {
		if s.Form.Fields[i].Name == name {
			return &s.Form.Fields[i], true
		}
	}
	return nil, false
}

// Visible returns, in schema order, the fields shown for the given answers:
// those without show_if, and those whose show_if holds and whose condition
// field is itself visible.
func (s *Service) Visible(values Values) []Field {
	var out []Field
	for i, ok := range s.visibility(values) {
		if ok {
			out = append(out, s.Form.Fields[i])
		}
	}
	return out
}

// StepFields returns the visible fields of one step, in schema order.
func (s *Service) StepFields(step string, values Values) []Field {
	var out []Field
	for _, f := range s.Visible(values) {
		if f.Step == step {
			out = append(out, f)
		}
	}
	return out
}

// visibility says for each field of the form whether it is shown. A
// condition on a field that is missing, later in the form or hidden is false.
func (s *Service) visibility(values Values) []bool {
	fields := s.Form.Fields
	shown := make([]bool, len(fields))
	index := make(map[string]int, len(fields))
	for i, f := range fields {
		index[f.Name] = i
		c := f.ShowIf
		if c == nil {
			shown[i] = true
			continue
		}
		j, ok := index[c.Field]
		shown[i] = ok && j < i && shown[j] && conditionHolds(fields[j].Type, values[c.Field], c.Value)
	}
	return shown
}

// conditionHolds reports whether an answer v "has" the value want: equal as
// a string, among the chosen values of a multiselect, or the checkbox state
// ("true"/"false"; an absent checkbox is false).
func conditionHolds(t FieldType, v any, want string) bool {
	switch v := v.(type) {
	case nil:
		return t == TypeCheckbox && want == "false"
	case string:
		return v == want
	case bool:
		return strconv.FormatBool(v) == want
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64) == want
	case json.Number:
		return v.String() == want
	case []string:
		for _, s := range v {
			if s == want {
				return true
			}
		}
	case []any:
		for _, s := range v {
			if s == want {
				return true
			}
		}
	}
	return false
}
