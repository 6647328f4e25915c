package open311

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The decoders here are tolerant in what they read, as real GeoReport v2
// servers are loose: the format is sniffed from the body (a server may
// ignore the extension), ids may be strings or numbers, booleans true or
// "true", optional fields may be missing, element and key names vary
// (service_request_id or id, service-request-id, ServiceRequestId; a list
// under <service_requests>, <requests> or no wrapper at all), and error
// bodies come in several shapes. Everything is first read into a generic
// tree (nil, string, bool, json.Number, []any, map[string]any with
// normalised keys) and the typed values are picked out of it.

// Service is one entry of GET services.
type Service struct {
	Code        string // service_code
	Name        string // service_name
	Description string
	Metadata    bool   // the service has a definition (services/{code})
	Type        string // realtime, batch or blackbox (lower case; "" when missing)
	Keywords    string
	Group       string
}

// ServiceDefinition is the answer of GET services/{code}.
type ServiceDefinition struct {
	ServiceCode string
	Attributes  []Attribute
}

// Attribute is one attribute of a service definition.
type Attribute struct {
	// Variable false means text to show, not a question. It defaults to
	// true when missing.
	Variable            bool
	Code                string
	Datatype            string // lower case
	Required            bool
	DatatypeDescription string
	Order               int
	Description         string
	Values              []Value
}

// Value is one choice of a list attribute.
type Value struct{ Key, Name string }

// Request is one service request as GET requests, GET requests/{id},
// GET tokens/{token} and the POST answer give it. Missing fields are zero.
type Request struct {
	ID                string // service_request_id
	Token             string
	Status            string // lower case: open, closed (or what the server says)
	StatusNotes       string
	ServiceName       string
	ServiceCode       string
	Description       string
	AgencyResponsible string
	ServiceNotice     string
	AccountID         string
	Requested         time.Time
	Updated           time.Time
	Expected          time.Time
	Address           string
	AddressID         string
	Zipcode           string
	Lat, Long         float64
	MediaURL          string
}

// Discovery is the answer of GET discovery.
type Discovery struct {
	Changeset  time.Time
	Contact    string
	KeyService string
	Endpoints  []Endpoint
}

// Endpoint is one API a discovery document lists.
type Endpoint struct {
	Specification string
	URL           string
	Changeset     time.Time
	Type          string   // production or test
	Formats       []string // MIME types, e.g. text/xml, application/json
}

// APIError is one entry of an error body. Code is 0 when the body gave none.
type APIError struct {
	Code        int
	Description string
}

const maxDepth = 64 // nesting beyond this is not an Open311 document

// DecodeServices reads a services list (JSON or XML). Entries without a
// service_code are dropped.
func DecodeServices(body []byte) ([]Service, error) {
	root, err := parseDoc(body)
	if err != nil {
		return nil, err
	}
	var out []Service
	for _, r := range records(root, 0) {
		s := Service{
			Code:        str(r, "service_code", "code"),
			Name:        str(r, "service_name", "name"),
			Description: str(r, "description"),
			Metadata:    boolean(r, false, "metadata"),
			Type:        strings.ToLower(str(r, "type")),
			Keywords:    keywords(r["keywords"]),
			Group:       str(r, "group"),
		}
		if s.Code == "" {
			continue
		}
		out = append(out, s)
	}
	return out, nil
}

// DecodeServiceDefinition reads a service definition (JSON or XML).
// Attributes without a code are dropped; values without key and name too.
func DecodeServiceDefinition(body []byte) (ServiceDefinition, error) {
	root, err := parseDoc(body)
	if err != nil {
		return ServiceDefinition{}, err
	}
	m := unwrapTo(root, "attributes", 0)
	if m == nil {
		return ServiceDefinition{}, fmt.Errorf("%w: no service definition in the answer", ErrUnreadable)
	}
	def := ServiceDefinition{ServiceCode: str(m, "service_code", "code")}
	for _, a := range records(m["attributes"], 0) {
		at := Attribute{
			Variable:            boolean(a, true, "variable"),
			Code:                str(a, "code", "attribute_code"),
			Datatype:            strings.ToLower(str(a, "datatype", "data_type")),
			Required:            boolean(a, false, "required"),
			DatatypeDescription: str(a, "datatype_description"),
			Order:               integer(a, "order"),
			Description:         str(a, "description"),
			Values:              values(a["values"]),
		}
		if at.Code == "" {
			continue
		}
		def.Attributes = append(def.Attributes, at)
	}
	return def, nil
}

// DecodeRequests reads a list of service requests: the answer of GET
// requests, GET requests/{id}, GET tokens/{token} and POST requests.
// Entries with neither an id nor a token are kept (a blackbox answer may
// carry only a service_notice).
func DecodeRequests(body []byte) ([]Request, error) {
	root, err := parseDoc(body)
	if err != nil {
		return nil, err
	}
	var out []Request
	for _, r := range records(root, 0) {
		out = append(out, Request{
			ID:                str(r, "service_request_id", "id", "request_id", "servicerequestid"),
			Token:             str(r, "token"),
			Status:            strings.ToLower(str(r, "status")),
			StatusNotes:       str(r, "status_notes", "status_note"),
			ServiceName:       str(r, "service_name"),
			ServiceCode:       str(r, "service_code"),
			Description:       str(r, "description"),
			AgencyResponsible: str(r, "agency_responsible"),
			ServiceNotice:     str(r, "service_notice"),
			AccountID:         str(r, "account_id"),
			Requested:         parseTime(str(r, "requested_datetime")),
			Updated:           parseTime(str(r, "updated_datetime")),
			Expected:          parseTime(str(r, "expected_datetime")),
			Address:           str(r, "address", "address_string"),
			AddressID:         str(r, "address_id"),
			Zipcode:           str(r, "zipcode"),
			Lat:               float(r, "lat", "latitude"),
			Long:              float(r, "long", "lon", "lng", "longitude"),
			MediaURL:          str(r, "media_url"),
		})
	}
	return out, nil
}

// DecodeDiscovery reads a discovery document (JSON or XML).
func DecodeDiscovery(body []byte) (Discovery, error) {
	root, err := parseDoc(body)
	if err != nil {
		return Discovery{}, err
	}
	m := unwrapTo(root, "endpoints", 0)
	if m == nil {
		return Discovery{}, fmt.Errorf("%w: no endpoints in the discovery document", ErrUnreadable)
	}
	d := Discovery{
		Changeset:  parseTime(str(m, "changeset")),
		Contact:    str(m, "contact"),
		KeyService: str(m, "key_service"),
	}
	for _, e := range records(m["endpoints"], 0) {
		ep := Endpoint{
			Specification: str(e, "specification"),
			URL:           str(e, "url"),
			Changeset:     parseTime(str(e, "changeset")),
			Type:          strings.ToLower(str(e, "type")),
			Formats:       strList(e["formats"], 0),
		}
		if ep.URL == "" {
			continue
		}
		d.Endpoints = append(d.Endpoints, ep)
	}
	return d, nil
}

// DecodeErrors reads an error body: the spec's JSON array or XML
// <errors>, and the other shapes servers use ({"error": "..."},
// {"message": "..."}, {"errors": {"field": ["..."]}}, a list of strings,
// plain text). An empty body gives no errors and no error; an HTML page or
// a body that is nothing of the above gives an error wrapping ErrUnreadable.
func DecodeErrors(body []byte) ([]APIError, error) {
	t := bytes.TrimSpace(body)
	if len(t) == 0 {
		return nil, nil
	}
	if t[0] != '<' && t[0] != '[' && t[0] != '{' && t[0] != '"' {
		if !utf8.Valid(t) {
			return nil, fmt.Errorf("%w: an error body that is not text", ErrUnreadable)
		}
		return []APIError{{Description: clip(string(t), maxDescription)}}, nil
	}
	root, err := parseDoc(body)
	if err != nil {
		return nil, err
	}
	return errorsFrom(root, 0), nil
}

// maxDescription bounds what is kept of a server's error description.
const maxDescription = 500

func errorsFrom(v any, depth int) []APIError {
	if depth > maxDepth {
		return nil
	}
	switch v := v.(type) {
	case string:
		if s := strings.TrimSpace(v); s != "" {
			return []APIError{{Description: clip(s, maxDescription)}}
		}
	case []any:
		var out []APIError
		for _, e := range v {
			out = append(out, errorsFrom(e, depth+1)...)
		}
		return out
	case map[string]any:
		desc := str(v, "description", "message", "msg", "detail", "title", "error_description")
		code := integer(v, "code", "status", "error_code", "status_code")
		if e, ok := v["error"].(string); ok && desc == "" {
			desc = strings.TrimSpace(e)
		}
		if desc != "" || code != 0 {
			return []APIError{{Code: code, Description: clip(desc, maxDescription)}}
		}
		for _, k := range []string{"errors", "error"} {
			if inner, ok := v[k]; ok {
				return errorsFrom(inner, depth+1)
			}
		}
		// {"field": ["is invalid"]}: name the field in the description.
		var out []APIError
		for _, k := range sortedKeys(v) {
			for _, msg := range strList(v[k], depth+1) {
				out = append(out, APIError{Description: clip(k+" "+msg, maxDescription)})
			}
		}
		return out
	}
	return nil
}

// parseDoc reads a JSON or XML body into a generic tree. An HTML page, an
// empty body and anything unparseable wrap ErrUnreadable.
func parseDoc(body []byte) (any, error) {
	t := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	if len(t) == 0 {
		return nil, fmt.Errorf("%w: empty answer", ErrUnreadable)
	}
	if LooksLikeHTML(t) {
		return nil, fmt.Errorf("%w: an HTML page, not an Open311 document", ErrUnreadable)
	}
	if t[0] == '<' {
		return parseXML(t)
	}
	return parseJSON(t)
}

// LooksLikeHTML reports whether a body is an HTML page (a captive portal's
// login page, a proxy's error page) rather than an Open311 document.
func LooksLikeHTML(body []byte) bool {
	head := bytes.TrimSpace(body)
	if len(head) > 512 {
		head = head[:512]
	}
	head = bytes.ToLower(head)
	return bytes.HasPrefix(head, []byte("<!doctype html")) || bytes.Contains(head, []byte("<html"))
}

func parseJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: not valid JSON: %v", ErrUnreadable, jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the JSON document", ErrUnreadable)
	}
	return normJSON(v, 0), nil
}

// jsonProblem says where JSON broke without quoting the data.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("unexpected %s at byte %d", te.Value, te.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "truncated"
	}
	return "unreadable"
}

// normJSON normalises the keys of every object. When two keys normalise to
// the same name, the first in sorted order of the original keys wins, so
// the result does not depend on map order.
func normJSON(v any, depth int) any {
	if depth > maxDepth {
		return nil
	}
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for _, k := range sortedKeys(v) {
			nk := normKey(k)
			if _, dup := m[nk]; !dup {
				m[nk] = normJSON(v[k], depth+1)
			}
		}
		return m
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = normJSON(e, depth+1)
		}
		return out
	}
	return v
}

// xmlNode is an element being built: its text and its children in order.
type xmlNode struct {
	name     string
	text     strings.Builder
	children []xmlChild
}

type xmlChild struct {
	name string
	val  any
}

// value is the element's text when it has no child elements, else an
// object whose repeated child names hold lists.
func (n *xmlNode) value() any {
	if len(n.children) == 0 {
		return n.text.String()
	}
	count := make(map[string]int, len(n.children))
	for _, c := range n.children {
		count[c.name]++
	}
	m := make(map[string]any, len(count))
	for _, c := range n.children {
		if count[c.name] == 1 {
			m[c.name] = c.val
			continue
		}
		l, _ := m[c.name].([]any)
		m[c.name] = append(l, c.val)
	}
	return m
}

func parseXML(data []byte) (any, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Entity = xml.HTMLEntity
	d.CharsetReader = charsetReader
	var stack []*xmlNode
	var root *xmlNode
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, _ := d.InputPos()
			return nil, fmt.Errorf("%w: not valid XML (line %d)", ErrUnreadable, line)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, fmt.Errorf("%w: more than one XML root element", ErrUnreadable)
			}
			if len(stack) >= maxDepth {
				return nil, fmt.Errorf("%w: XML nested too deeply", ErrUnreadable)
			}
			n := &xmlNode{name: normKey(t.Name.Local)}
			if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, xmlChild{n.name, n.value()})
			}
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, fmt.Errorf("%w: text outside the XML root element", ErrUnreadable)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("%w: no XML root element", ErrUnreadable)
	}
	if root.name == "html" {
		return nil, fmt.Errorf("%w: an HTML page, not an Open311 document", ErrUnreadable)
	}
	return root.value(), nil
}

// charsetReader reads the single-byte encodings some servers declare
// (ISO-8859-1, Windows-1252 as Latin-1) besides UTF-8 and ASCII.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(charset)) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "windows-1252", "cp1252":
		br := bufio.NewReader(input)
		var out bytes.Buffer
		for {
			c, err := br.ReadByte()
			if err == io.EOF {
				return &out, nil
			}
			if err != nil {
				return nil, err
			}
			out.WriteRune(rune(c))
		}
	}
	return nil, fmt.Errorf("unsupported XML encoding")
}

// normKey makes key and element names comparable: lower case, with "-",
// "." and spaces as "_" and camelCase split ("ServiceRequestId" ->
// "service_request_id").
func normKey(k string) string {
	var b strings.Builder
	var prev rune
	for i, r := range k {
		switch {
		case r == '-' || r == ' ' || r == '.':
			b.WriteByte('_')
		case unicode.IsUpper(r):
			if i > 0 && (unicode.IsLower(prev) || unicode.IsDigit(prev)) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
		prev = r
	}
	return b.String()
}

// wrappers are the plural names a list of records may sit under.
var wrappers = []string{"services", "service_requests", "requests", "errors", "items", "data", "results", "records"}

// records finds the list of records (objects) in a tree: a JSON array of
// objects; an object wrapping one list (<services><service>..., {"service_requests": [...]},
// {"request": {...}}); or a single object that is itself the record.
func records(v any, depth int) []map[string]any {
	if depth > maxDepth {
		return nil
	}
	switch v := v.(type) {
	case []any:
		var out []map[string]any
		for _, e := range v {
			m, ok := e.(map[string]any)
			if !ok {
				continue
			}
			if inner, ok := singleWrapped(m); ok {
				out = append(out, records(inner, depth+1)...)
				continue
			}
			if len(m) > 0 {
				out = append(out, m)
			}
		}
		return out
	case map[string]any:
		if len(v) == 0 {
			return nil
		}
		if inner, ok := singleWrapped(v); ok {
			return records(inner, depth+1)
		}
		for _, w := range wrappers {
			switch inner := v[w].(type) {
			case []any, map[string]any:
				return records(inner, depth+1)
			}
		}
		return []map[string]any{v}
	}
	return nil
}

// singleWrapped reports an object with one key holding an object or list:
// a wrapper, not a record (records hold scalars).
func singleWrapped(m map[string]any) (any, bool) {
	if len(m) != 1 {
		return nil, false
	}
	for _, v := range m {
		switch v.(type) {
		case []any, map[string]any:
			return v, true
		}
	}
	return nil, false
}

// unwrapTo finds the object holding key, looking through single-key
// wrappers and one-element lists ({"service_definition": {...}}, [{...}]).
func unwrapTo(v any, key string, depth int) map[string]any {
	if depth > maxDepth {
		return nil
	}
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v[key]; ok {
			return v
		}
		for _, k := range sortedKeys(v) {
			switch v[k].(type) {
			case map[string]any, []any:
				if m := unwrapTo(v[k], key, depth+1); m != nil {
					return m
				}
			}
		}
	case []any:
		for _, e := range v {
			if m := unwrapTo(e, key, depth+1); m != nil {
				return m
			}
		}
	}
	return nil
}

// str gives the first of keys present as a trimmed string: numbers as
// written, booleans as true/false, null and objects as "".
func str(m map[string]any, keys ...string) string {
	for _, k := range keys {
		v, ok := m[k]
		if !ok {
			continue
		}
		if s := scalar(v); s != "" {
			return s
		}
	}
	return ""
}

func scalar(v any) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// boolean reads true, "true", "1", "yes" (any case) as true and their
// opposites as false; def when missing, empty or unreadable.
func boolean(m map[string]any, def bool, keys ...string) bool {
	for _, k := range keys {
		switch v := m[k].(type) {
		case bool:
			return v
		case string, json.Number:
			switch strings.ToLower(scalar(v)) {
			case "true", "t", "yes", "y", "1":
				return true
			case "false", "f", "no", "n", "0":
				return false
			}
		}
	}
	return def
}

func integer(m map[string]any, keys ...string) int {
	for _, k := range keys {
		s := scalar(m[k])
		if s == "" {
			continue
		}
		if n, err := strconv.Atoi(s); err == nil {
			return n
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && f >= -1<<31 && f <= 1<<31 {
			return int(f)
		}
	}
	return 0
}

func float(m map[string]any, keys ...string) float64 {
	for _, k := range keys {
		if f, err := strconv.ParseFloat(scalar(m[k]), 64); err == nil {
			return f
		}
	}
	return 0
}

// keywords reads a comma-separated string or a list of strings.
func keywords(v any) string {
	if l := strList(v, 0); len(l) > 1 {
		return strings.Join(l, ", ")
	}
	return scalar(v)
}

// strList reads a list of strings: a JSON array, an XML element with
// repeated children (<formats><format>..</format></formats>), or one string.
func strList(v any, depth int) []string {
	if depth > maxDepth {
		return nil
	}
	switch v := v.(type) {
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, strList(e, depth+1)...)
		}
		return out
	case map[string]any:
		var out []string
		for _, k := range sortedKeys(v) {
			out = append(out, strList(v[k], depth+1)...)
		}
		return out
	default:
		if s := scalar(v); s != "" {
			return []string{s}
		}
	}
	return nil
}

// values reads the choices of a list attribute: records of key and name,
// or plain strings (key and name the same).
func values(v any) []Value {
	var out []Value
	add := func(k, n string) {
		if k == "" {
			k = n
		}
		if n == "" {
			n = k
		}
		if k != "" {
			out = append(out, Value{Key: k, Name: n})
		}
	}
	if l, ok := v.([]any); ok {
		for _, e := range l {
			if s := scalar(e); s != "" {
				add(s, s)
			}
		}
	}
	for _, r := range records(v, 0) {
		add(str(r, "key", "value", "code"), str(r, "name", "label", "description"))
	}
	return out
}

// parseTime reads the ISO 8601 forms servers write; a time without a zone
// is taken as UTC. It gives the zero time when it cannot read one.
func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999-07",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02 15:04:05.999999999 -0700 MST",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	time.RFC1123Z,
	time.RFC1123,
	time.DateOnly,
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// clip shortens s to at most n runes on one line.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
