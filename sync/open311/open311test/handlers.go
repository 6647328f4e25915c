package open311test

import (
	"net/http"
	"strings"
)

// Formats (the file extension of every call).
const (
	JSON = "json"
	XML  = "xml"
)

// exchange is one call being answered.
type exchange struct {
	w      http.ResponseWriter
	r      *http.Request
	format string
	hit    int // index in Server.hits
	post   int // index in Server.posts, -1 unless a POST of a request
}

// serve routes a call by its path below the base path.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, s.opts.BasePath)
	s.mu.Lock()
	s.hits = append(s.hits, Hit{Method: r.Method, Path: rest, Query: r.URL.Query()})
	x := &exchange{w: w, r: r, format: XML, hit: len(s.hits) - 1, post: -1}
	s.mu.Unlock()
	if !ok {
		s.fail(x, http.StatusNotFound, "no Open311 endpoint at this path")
		return
	}
	dot := strings.LastIndexByte(rest, '.')
	if dot < 0 {
		s.fail(x, http.StatusNotFound, "no format given: end the path in .xml or .json")
		return
	}
	name, format := rest[:dot], rest[dot+1:]
	switch {
	case format == XML:
	case format == JSON && !s.opts.XMLOnly:
		x.format = JSON
	default:
		s.fail(x, http.StatusNotFound, "format "+format+" is not offered")
		return
	}
	dir, arg, sub := strings.Cut(name, "/")
	if sub && (arg == "" || strings.Contains(arg, "/")) {
		s.fail(x, http.StatusNotFound, "no Open311 resource at this path")
		return
	}
	method := http.MethodGet
	if dir == "requests" && !sub {
		method = "" // GET lists, POST creates
	}
	if method != "" && r.Method != method {
		x.w.Header().Set("Allow", method)
		s.fail(x, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed here")
		return
	}
	if dir == "requests" && !sub && r.Method == http.MethodPost {
		s.create(x) // checks jurisdiction_id in the body it records
		return
	}
	if dir != "discovery" && !s.jurisdictionOK(x, x.r.URL.Query().Get("jurisdiction_id")) {
		return
	}
	switch {
	case dir == "discovery" && !sub:
		s.discovery(x)
	case dir == "services" && !sub:
		s.serviceList(x)
	case dir == "services":
		s.definition(x, arg)
	case dir == "requests" && !sub && r.Method == http.MethodGet:
		s.list(x)
	case dir == "requests" && !sub:
		x.w.Header().Set("Allow", "GET, POST")
		s.fail(x, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed here")
	case dir == "requests":
		s.one(x, arg)
	case dir == "tokens" && sub:
		s.poll(x, arg)
	default:
		s.fail(x, http.StatusNotFound, "no Open311 resource at this path")
	}
}

// jurisdictionOK checks jurisdiction_id when the server wants one; it
// answers the error itself.
func (s *Server) jurisdictionOK(x *exchange, got string) bool {
	want := s.opts.JurisdictionID
	if want == "" {
		return true
	}
	switch {
	case got == "":
		s.fail(x, http.StatusBadRequest, "jurisdiction_id is required")
		return false
	case got != want:
		s.fail(x, http.StatusNotFound, "jurisdiction_id not found")
		return false
	}
	return true
}

// reply writes an answer in the call's format.
func (s *Server) reply(x *exchange, status int, d document) {
	var body []byte
	if x.format == JSON {
		x.w.Header().Set("Content-Type", "application/json; charset=utf-8")
		body = renderJSON(d, s.opts.BoolsAsStrings)
	} else {
		x.w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		body = renderXML(d)
	}
	s.mu.Lock()
	s.hits[x.hit].Status = status
	if x.post >= 0 {
		s.posts[x.post].Status = status
	}
	s.mu.Unlock()
	x.w.WriteHeader(status)
	_, _ = x.w.Write(body)
}

// fail answers an error with one description per problem, in the spec's
// shape or, under OtherErrorShape, the other one.
func (s *Server) fail(x *exchange, status int, descriptions ...string) {
	if s.opts.OtherErrorShape {
		msg := strings.Join(descriptions, "; ")
		if x.format == JSON {
			s.reply(x, status, document{body: object{{"error", msg}}})
		} else {
			s.reply(x, status, document{root: "error", body: msg})
		}
		return
	}
	errs := list{item: "error"}
	for _, d := range descriptions {
		errs.elems = append(errs.elems, object{{"code", status}, {"description", d}})
	}
	s.reply(x, status, document{root: "errors", body: errs})
}

// optional is v, or nothing under OmitOptional when v is empty (null otherwise).
func (s *Server) optional(o object, key, v string) object {
	switch {
	case v != "":
		return append(o, field{key, v})
	case s.opts.OmitOptional:
		return o
	}
	return append(o, field{key, null{}})
}

// id writes a service_request_id or token, as a number under IDsAsNumbers.
func (s *Server) id(x *exchange, v string) any {
	if s.opts.IDsAsNumbers && x.format == JSON {
		return number(v)
	}
	return v
}

// idKey is the name of the service_request_id member.
func (s *Server) idKey(x *exchange) string {
	if s.opts.XMLElementVariant && x.format == XML {
		return "id"
	}
	return "service_request_id"
}

// requestsRoot is the XML root of a list of requests.
func (s *Server) requestsRoot() string {
	if s.opts.XMLElementVariant {
		return "requests"
	}
	return "service_requests"
}

// discovery answers GET discovery.{fmt}.
func (s *Server) discovery(x *exchange) {
	if s.opts.NoDiscovery {
		s.fail(x, http.StatusNotFound, "discovery is not offered")
		return
	}
	formats := list{item: "format", elems: []any{"text/xml"}}
	if !s.opts.XMLOnly {
		formats.elems = append(formats.elems, "application/json")
	}
	const changeset = "2011-04-05T17:48:34Z"
	ep := object{
		{"specification", "http://wiki.open311.org/GeoReport_v2"},
		{"url", s.URL()},
		{"changeset", changeset},
		{"type", "production"},
		{"formats", formats},
	}
	s.reply(x, http.StatusOK, document{root: "discovery", body: object{
		{"changeset", changeset},
		{"contact", "Open311 test server, not a real city"},
		{"key_service", "Ask the test for Server.APIKey"},
		{"endpoints", list{item: "endpoint", elems: []any{ep}}},
	}})
}

// serviceList answers GET services.{fmt}.
func (s *Server) serviceList(x *exchange) {
	out := list{item: "service"}
	for _, sv := range s.services {
		o := object{{"service_code", sv.Code}, {"service_name", sv.Name}}
		if !s.opts.OmitOptional {
			o = append(o, field{"description", sv.Description})
		}
		o = append(o, field{"metadata", boolean(sv.hasDefinition())}, field{"type", sv.Type})
		if !s.opts.OmitOptional {
			o = append(o, field{"keywords", sv.Keywords}, field{"group", sv.Group})
		}
		out.elems = append(out.elems, o)
	}
	s.reply(x, http.StatusOK, document{root: "services", body: out})
}

// definition answers GET services/{code}.{fmt}. A service without a
// definition answers one with no attributes.
func (s *Server) definition(x *exchange, code string) {
	sv, ok := s.service(code)
	if !ok {
		s.fail(x, http.StatusNotFound, "service_code "+code+" not found")
		return
	}
	attrs := list{item: "attribute"}
	for _, a := range sv.Attributes {
		o := object{
			{"variable", boolean(a.Variable)},
			{"code", a.Code},
			{"datatype", a.Datatype},
			{"required", boolean(a.Required)},
		}
		if !s.opts.OmitOptional || a.DatatypeDescription != "" {
			o = append(o, field{"datatype_description", a.DatatypeDescription})
		}
		o = append(o, field{"order", a.Order}, field{"description", a.Description})
		vals := list{item: "value"}
		for _, v := range a.Values {
			vals.elems = append(vals.elems, object{{"key", v.Key}, {"name", v.Name}})
		}
		if !s.opts.OmitOptional || len(vals.elems) > 0 {
			o = append(o, field{"values", vals})
		}
		attrs.elems = append(attrs.elems, o)
	}
	s.reply(x, http.StatusOK, document{root: "service_definition", body: object{
		{"service_code", sv.Code},
		{"attributes", attrs},
	}})
}
