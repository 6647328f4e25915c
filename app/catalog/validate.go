package catalog

import (
	"encoding/json"
	"math"
	"mime"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Validate checks answers against a service's form with the current time;
// see ValidateAt.
func Validate(s *Service, values Values) []FieldError {
	return ValidateAt(s, values, time.Now())
}

// ValidateAt checks answers against a service's form and returns nil when
// they are valid. It reports at most one error per field, fields in schema
// order, then values for fields the form does not have (CodeUnknownField),
// sorted by name. now is the date "not in the future" is measured against.
//
// Fields hidden by show_if are not validated at all: their values, if any,
// are ignored and never reported. A required checkbox must be checked; a
// value that is nil, "" or an empty list counts as absent. Messages are
// English and never contain the value. A nil service has no fields.
func ValidateAt(s *Service, values Values, now time.Time) []FieldError {
	var errs []FieldError
	known := map[string]bool{}
	if s != nil {
		shown := s.visibility(values)
		for i := range s.Form.Fields {
			f := &s.Form.Fields[i]
			known[f.Name] = true
			if !shown[i] {
				continue
			}
			if code, params := f.checkValue(values[f.Name], now); code != "" {
				errs = append(errs, newFieldError(f.Name, code, params))
			}
		}
	}
	var unknown []string
	for name := range values {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	slices.Sort(unknown)
	for _, name := range unknown {
		errs = append(errs, newFieldError(name, CodeUnknownField, nil))
	}
	return errs
}

func newFieldError(field, code string, params map[string]string) FieldError {
	msg := messages[code]
	for k, v := range params {
		msg = strings.ReplaceAll(msg, "{"+k+"}", v)
	}
	return FieldError{Field: field, Code: code, Message: msg, Params: params}
}

// checkValue validates one visible field's answer and returns an error code (""
// when valid) and the parameters its message needs.
func (f *Field) checkValue(v any, now time.Time) (string, map[string]string) {
	if Absent(v) {
		if f.Required {
			return CodeRequired, nil
		}
		return "", nil
	}
	switch f.Type {
	case TypeNumber:
		n, code := number(v)
		switch {
		case code != "":
			return code, nil
		case f.Min != nil && n < *f.Min:
			return CodeMin, map[string]string{"min": formatFloat(*f.Min)}
		case f.Max != nil && n > *f.Max:
			return CodeMax, map[string]string{"max": formatFloat(*f.Max)}
		}
		return "", nil
	case TypeCheckbox:
		b, ok := v.(bool)
		switch {
		case !ok:
			return CodeType, nil
		case !b && f.Required:
			return CodeRequired, nil
		}
		return "", nil
	case TypeMultiselect:
		chosen, ok := stringList(v)
		if !ok {
			return CodeType, nil
		}
		for _, c := range chosen {
			if !f.hasOption(c) {
				return CodeOption, nil
			}
		}
		return "", nil
	case TypeAttachment:
		return f.checkAttachment(v)
	}

	str, ok := v.(string)
	if !ok {
		return CodeType, nil
	}
	switch f.Type {
	case TypeSelect:
		if !f.hasOption(str) {
			return CodeOption, nil
		}
	case TypeDate:
		if _, err := time.Parse(time.DateOnly, str); err != nil {
			return CodeDateInvalid, nil
		}
	case TypePhone:
		return CheckPhone(str), nil
	case TypeIDNumber:
		return CheckIDNumber(str, now), nil
	case TypeText, TypeMultiline, TypeEmail:
		n := utf8.RuneCountInString(str)
		switch {
		case f.MinLength != nil && n < *f.MinLength:
			return CodeMinLength, map[string]string{"min": strconv.Itoa(*f.MinLength)}
		case f.MaxLength != nil && n > *f.MaxLength:
			return CodeMaxLength, map[string]string{"max": strconv.Itoa(*f.MaxLength)}
		case f.Type == TypeEmail && CheckEmail(str) != "":
			return CodeEmailInvalid, nil
		case f.Pattern != "" && !matchPattern(f.Pattern, str):
			return CodePattern, nil
		}
	default:
		return CodeType, nil // a field type Decode would have refused
	}
	return "", nil
}

func (f *Field) checkAttachment(v any) (string, map[string]string) {
	var ref AttachmentRef
	switch v := v.(type) {
	case AttachmentRef:
		ref = v
	case *AttachmentRef:
		ref = *v
	case map[string]any:
		var ok bool
		if ref, ok = attachmentFromMap(v); !ok {
			return CodeAttachmentInvalid, nil
		}
	default:
		return CodeType, nil
	}
	mt, _, err := mime.ParseMediaType(ref.Type)
	if err != nil || ref.Size < 0 || !isSHA256Hex(ref.SHA256) {
		return CodeAttachmentInvalid, nil
	}
	if len(f.Accept) > 0 && !slices.Contains(f.Accept, mt) {
		return CodeAttachmentType, nil
	}
	if f.MaxSize > 0 && ref.Size > f.MaxSize {
		return CodeAttachmentTooLarge, map[string]string{"max": strconv.FormatInt(f.MaxSize, 10)}
	}
	return "", nil
}

// attachmentFromMap reads an AttachmentRef from the map encoding/json makes of it.
func attachmentFromMap(m map[string]any) (AttachmentRef, bool) {
	var ref AttachmentRef
	var ok1, ok2, ok3 bool
	ref.Name, _ = m["name"].(string)
	ref.Type, ok1 = m["type"].(string)
	ref.SHA256, ok2 = m["sha256"].(string)
	size, code := number(m["size"])
	ok3 = code == "" && size == math.Trunc(size) && size >= 0 && size <= 1<<53
	if !ok1 || !ok2 || !ok3 {
		return ref, false
	}
	ref.Size = int64(size)
	return ref, true
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// Absent reports whether v counts as no answer: nil, "", or an empty list.
// Screens use it too, so "required" means the same everywhere.
func Absent(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case []string:
		return len(v) == 0
	case []any:
		return len(v) == 0
	case *AttachmentRef:
		return v == nil
	}
	return false
}

// number reads a finite number from a float64, an integer, a json.Number or
// a decimal string such as "12", "-3.5" or "1e3".
func number(v any) (float64, string) {
	var n float64
	switch v := v.(type) {
	case float64:
		n = v
	case float32:
		n = float64(v)
	case int:
		n = float64(v)
	case int64:
		n = float64(v)
	case json.Number:
		return parseDecimal(string(v))
	case string:
		return parseDecimal(v)
	default:
		return 0, CodeType
	}
	if math.IsNaN(n) || math.IsInf(n, 0) {
		return 0, CodeNumberInvalid
	}
	return n, ""
}

// decimalRE is JSON's number syntax, so that "0x10", "Inf" and "1_000" are refused.
var decimalRE = regexp.MustCompile(`^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$`)

func parseDecimal(s string) (float64, string) {
	if len(s) > 64 || !decimalRE.MatchString(s) {
		return 0, CodeNumberInvalid
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(n, 0) {
		return 0, CodeNumberInvalid
	}
	return n, ""
}

// stringList reads the choices of a multiselect.
func stringList(v any) ([]string, bool) {
	switch v := v.(type) {
	case []string:
		return v, true
	case []any:
		out := make([]string, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// patterns caches compiled field patterns, anchored to the whole value. It
// stops growing at maxPatterns, which no real catalog comes near.
var patterns = struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}{m: map[string]*regexp.Regexp{}}

const maxPatterns = 1024

func compilePattern(p string) (*regexp.Regexp, error) {
	patterns.Lock()
	re := patterns.m[p]
	patterns.Unlock()
	if re != nil {
		return re, nil
	}
	// Compile p alone first, so that "a)|(b" cannot escape the anchoring group.
	if _, err := regexp.Compile(p); err != nil {
		return nil, err
	}
	re, err := regexp.Compile(`^(?:` + p + `)$`)
	if err != nil {
		return nil, err
	}
	patterns.Lock()
	if len(patterns.m) < maxPatterns {
		patterns.m[p] = re
	}
	patterns.Unlock()
	return re, nil
}

// matchPattern reports whether s matches p as a whole; a pattern that does
// not compile (only possible in a schema Decode did not check) matches nothing.
func matchPattern(p, s string) bool {
	re, err := compilePattern(p)
	return err == nil && re.MatchString(s)
}
