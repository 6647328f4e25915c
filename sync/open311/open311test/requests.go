package open311test

import (
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxDescription is the longest description the spec allows, in characters.
const MaxDescription = 4000

// maxBody bounds a POST body.
const maxBody = 1 << 20

// create answers POST requests.{fmt}: it records the raw form, checks it as
// the spec says, stores the request and answers its id, its token (batch)
// or only a notice (blackbox). Under DropAfterStore it stores the request
// and then cuts the connection.
func (s *Server) create(x *exchange) {
	raw, err := io.ReadAll(io.LimitReader(x.r.Body, maxBody+1))
	ct := x.r.Header.Get("Content-Type")
	s.mu.Lock()
	x.post = len(s.posts)
	s.posts = append(s.posts, Recorded{At: s.opts.Clock(), Path: x.r.URL.Path, ContentType: ct, Body: string(raw)})
	s.mu.Unlock()
	switch {
	case err != nil:
		s.fail(x, http.StatusBadRequest, "the request body could not be read")
		return
	case len(raw) > maxBody:
		s.fail(x, http.StatusRequestEntityTooLarge, "the request body is too large")
		return
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/x-www-form-urlencoded" {
		s.fail(x, http.StatusBadRequest, "the body must be application/x-www-form-urlencoded")
		return
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		s.fail(x, http.StatusBadRequest, "the form is not valid application/x-www-form-urlencoded")
		return
	}
	s.mu.Lock()
	s.posts[x.post].Form = form
	s.mu.Unlock()

	if form.Get("api_key") != s.opts.APIKey {
		s.fail(x, http.StatusForbidden, "api_key is missing or not valid")
		return
	}
	if !s.jurisdictionOK(x, form.Get("jurisdiction_id")) {
		return
	}
	code := form.Get("service_code")
	if code == "" {
		s.fail(x, http.StatusBadRequest, "service_code is required")
		return
	}
	sv, ok := s.service(code)
	if !ok {
		s.fail(x, http.StatusNotFound, "service_code "+code+" not found")
		return
	}
	req, problems := s.check(sv, form)
	if len(problems) > 0 {
		s.fail(x, http.StatusBadRequest, problems...)
		return
	}

	s.mu.Lock()
	req.ID = strconv.Itoa(s.nextID)
	s.nextID++
	if sv.Type == Batch {
		req.Token = strconv.Itoa(s.nextTok)
		s.nextTok++
		s.tokens[req.Token] = &token{id: req.ID}
	}
	req.Requested = s.now()
	req.Updated = req.Requested
	s.reqs = append(s.reqs, req)
	s.byID[req.ID] = req
	s.posts[x.post].StoredID = req.ID
	drop := s.drops > 0
	if drop {
		s.drops--
		s.posts[x.post].Dropped = true
	}
	s.mu.Unlock()
	if drop {
		s.cut(x)
		return
	}

	answer := object{}
	switch sv.Type {
	case Batch:
		answer = append(answer, field{"token", s.id(x, req.Token)})
	case Blackbox:
	default:
		answer = append(answer, field{s.idKey(x), s.id(x, req.ID)})
	}
	answer = s.optional(answer, "service_notice", sv.Notice)
	answer = s.optional(answer, "account_id", req.AccountID)
	out := list{item: "request", elems: []any{answer}}
	if sv.Type == Blackbox && s.opts.OmitOptional {
		out.elems = nil
	}
	s.reply(x, http.StatusOK, document{root: s.requestsRoot(), body: out})
}

// cut closes the connection without an answer.
func (s *Server) cut(x *exchange) {
	hj, ok := x.w.(http.Hijacker)
	if !ok {
		panic("open311test: the connection cannot be taken over to drop it")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic("open311test: taking over the connection: " + err.Error())
	}
	_ = conn.Close()
}

// check validates a POST form for service sv and returns the request it
// describes, or one description per problem.
func (s *Server) check(sv *Service, form url.Values) (*ServiceRequest, []string) {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	req := &ServiceRequest{
		ServiceCode: sv.Code, ServiceType: sv.Type, Status: StatusOpen,
		Description: form.Get("description"), Attributes: make(map[string][]string),
		AddressString: form.Get("address_string"), AddressID: form.Get("address_id"),
		Email: form.Get("email"), DeviceID: form.Get("device_id"), AccountID: form.Get("account_id"),
		FirstName: form.Get("first_name"), LastName: form.Get("last_name"), Phone: form.Get("phone"),
		MediaURL: form.Get("media_url"), JurisdictionID: form.Get("jurisdiction_id"),
		listed: sv.Type != Blackbox,
	}

	// Location: lat and long together, or address_string, or address_id.
	lat, long := form.Get("lat"), form.Get("long")
	switch {
	case lat != "" && long != "":
		la, err1 := strconv.ParseFloat(lat, 64)
		lo, err2 := strconv.ParseFloat(long, 64)
		if err1 != nil || err2 != nil || math.Abs(la) > 90 || math.Abs(lo) > 180 {
			bad("lat and long must be decimal degrees (lat -90 to 90, long -180 to 180)")
		}
		req.Lat, req.Long, req.HasLatLong = la, lo, true
	case lat != "" || long != "":
		bad("lat and long must be given together")
	case req.AddressString == "" && req.AddressID == "":
		bad("a location is required: address_string, lat and long, or address_id")
	}
	if n := utf8.RuneCountInString(req.Description); n > MaxDescription {
		bad("description is longer than %d characters", MaxDescription)
	}
	if req.Email != "" && !strings.Contains(req.Email, "@") {
		bad("email is not an email address")
	}

	// Attributes: attribute[CODE]=v, attribute[CODE][]=v for each value of
	// a multivaluelist. An empty value is the same as none.
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		rest, ok := strings.CutPrefix(k, "attribute[")
		if !ok {
			continue
		}
		code, multi := strings.CutSuffix(rest, "][]")
		if !multi {
			var closed bool
			code, closed = strings.CutSuffix(rest, "]")
			if !closed || strings.ContainsAny(code, "[]") {
				bad("%s is not a valid attribute parameter: use attribute[CODE] or attribute[CODE][]", k)
				continue
			}
		}
		a, ok := sv.attribute(code)
		switch {
		case !ok:
			bad("attribute[%s] is not an attribute of service %s", code, sv.Code)
			continue
		case !a.Variable:
			bad("attribute[%s] is information to show, not a question: do not send it", code)
			continue
		case multi && a.Datatype != MultiValueList:
			bad("attribute[%s] takes one value: send attribute[%s], not attribute[%s][]", code, code, code)
			continue
		case !multi && a.Datatype == MultiValueList:
			bad("attribute[%s] is a multivaluelist: send attribute[%s][] once per value", code, code)
			continue
		}
		var vals []string
		for _, v := range form[k] {
			if v != "" {
				vals = append(vals, v)
			}
		}
		if len(vals) == 0 {
			continue
		}
		if !multi && len(vals) > 1 {
			bad("attribute[%s] was given more than once", code)
			continue
		}
		if p := checkValue(a, vals); p != "" {
			bad("attribute[%s] %s", code, p)
			continue
		}
		req.Attributes[code] = vals
	}
	for _, a := range sv.Attributes {
		if a.Variable && a.Required && len(req.Attributes[a.Code]) == 0 {
			bad("attribute[%s] is required", a.Code)
		}
	}
	return req, problems
}

// checkValue checks an attribute's values against its datatype.
func checkValue(a *Attribute, vals []string) string {
	switch a.Datatype {
	case Number:
		if _, err := strconv.ParseFloat(vals[0], 64); err != nil {
			return "must be a number"
		}
	case Datetime:
		if _, ok := parseTime(vals[0]); !ok {
			return "must be an ISO 8601 date or date and time"
		}
	case SingleValueList, MultiValueList:
		for _, v := range vals {
			if !a.hasKey(v) {
				return "has a value that is not one of the keys of its values"
			}
		}
	}
	return ""
}

// timeLayouts are the ISO 8601 forms the server reads.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02"}

func parseTime(s string) (time.Time, bool) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// zone is the server's local time zone in the answers.
var zone = time.FixedZone("UTC-8", -8*60*60)

func stamp(t time.Time) string { return t.In(zone).Format(time.RFC3339) }

// list answers GET requests.{fmt}.
func (s *Server) list(x *exchange) {
	q := x.r.URL.Query()
	var ids []string
	for _, v := range q["service_request_id"] {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
	}
	page, size := 1, s.opts.PageSize
	for _, p := range []struct {
		name string
		to   *int
	}{{"page", &page}, {"page_size", &size}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				s.fail(x, http.StatusBadRequest, p.name+" must be a whole number from 1")
				return
			}
			*p.to = n
		}
	}
	size = min(size, s.opts.PageSize)

	var match func(r *ServiceRequest) bool
	if len(ids) > 0 {
		// service_request_id overrides every other filter.
		match = func(r *ServiceRequest) bool { return slices.Contains(ids, r.ID) }
	} else {
		var codes, statuses []string
		if v := q.Get("service_code"); v != "" {
			codes = strings.Split(v, ",")
		}
		if v := q.Get("status"); v != "" {
			statuses = strings.Split(v, ",")
		}
		var start, end time.Time
		for _, p := range []struct {
			name string
			to   *time.Time
		}{{"start_date", &start}, {"end_date", &end}} {
			if v := q.Get(p.name); v != "" {
				t, ok := parseTime(v)
				if !ok {
					s.fail(x, http.StatusBadRequest, p.name+" must be an ISO 8601 date and time")
					return
				}
				*p.to = t
			}
		}
		if start.IsZero() && end.IsZero() {
			end = s.now()
			start = end.Add(-DefaultWindow)
		}
		match = func(r *ServiceRequest) bool {
			return (codes == nil || slices.Contains(codes, r.ServiceCode)) &&
				(statuses == nil || slices.Contains(statuses, r.Status)) &&
				(start.IsZero() || !r.Requested.Before(start)) &&
				(end.IsZero() || !r.Requested.After(end))
		}
	}
	s.mu.Lock()
	var found []ServiceRequest
	for _, r := range s.reqs {
		if r.listed && match(r) {
			found = append(found, r.clone())
		}
	}
	s.mu.Unlock()
	from := min((page-1)*size, len(found))
	s.replyRequests(x, found[from:min(from+size, len(found))])
}

// one answers GET requests/{id}.{fmt}: a list of one.
func (s *Server) one(x *exchange, id string) {
	s.mu.Lock()
	r, ok := s.byID[id]
	var c ServiceRequest
	if ok && r.listed {
		c = r.clone()
	}
	s.mu.Unlock()
	if !ok || !r.listed {
		s.fail(x, http.StatusNotFound, "service_request_id "+id+" not found")
		return
	}
	s.replyRequests(x, []ServiceRequest{c})
}

// replyRequests writes requests with every member the spec lists.
func (s *Server) replyRequests(x *exchange, rs []ServiceRequest) {
	out := list{item: "request"}
	for _, r := range rs {
		sv, _ := s.service(r.ServiceCode)
		o := object{{s.idKey(x), s.id(x, r.ID)}, {"status", r.Status}}
		o = s.optional(o, "status_notes", r.StatusNotes)
		o = append(o, field{"service_name", sv.Name}, field{"service_code", r.ServiceCode})
		o = s.optional(o, "description", r.Description)
		o = s.optional(o, "agency_responsible", "")
		o = s.optional(o, "service_notice", sv.Notice)
		o = append(o, field{"requested_datetime", stamp(r.Requested)})
		if !s.opts.OmitOptional || !r.Updated.Equal(r.Requested) {
			o = append(o, field{"updated_datetime", stamp(r.Updated)})
		}
		o = s.optional(o, "expected_datetime", "")
		o = s.optional(o, "address", r.AddressString)
		o = s.optional(o, "address_id", r.AddressID)
		o = s.optional(o, "zipcode", "")
		if r.HasLatLong {
			o = append(o, field{"lat", coordinate(r.Lat)}, field{"long", coordinate(r.Long)})
		} else {
			o = s.optional(o, "lat", "")
			o = s.optional(o, "long", "")
		}
		o = s.optional(o, "media_url", r.MediaURL)
		out.elems = append(out.elems, o)
	}
	s.reply(x, http.StatusOK, document{root: s.requestsRoot(), body: out})
}

func coordinate(f float64) number { return number(strconv.FormatFloat(f, 'f', -1, 64)) }

// poll answers GET tokens/{token}.{fmt}: the token alone until it has been
// polled TokenPolls times (or ResolveTokens), then with its id.
func (s *Server) poll(x *exchange, tok string) {
	if s.opts.NoTokens {
		s.fail(x, http.StatusNotFound, "tokens are not offered")
		return
	}
	s.mu.Lock()
	t, ok := s.tokens[tok]
	var id string
	if ok {
		t.polls++
		if t.polls > s.opts.TokenPolls {
			t.resolved = true
		}
		if t.resolved {
			id = t.id
		}
	}
	s.mu.Unlock()
	if !ok {
		s.fail(x, http.StatusNotFound, "token "+tok+" not found")
		return
	}
	o := object{}
	switch {
	case id != "":
		o = append(o, field{s.idKey(x), s.id(x, id)})
	case !s.opts.OmitOptional:
		o = append(o, field{s.idKey(x), null{}})
	}
	o = append(o, field{"token", s.id(x, tok)})
	s.reply(x, http.StatusOK, document{root: s.requestsRoot(), body: list{item: "request", elems: []any{o}}})
}
