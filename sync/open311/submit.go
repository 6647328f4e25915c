package open311

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/sync/wire"
)

// Field error codes of Open311 refusals.
const (
	// CodeInvalid: the Open311 server refused the request (HTTP 400); the
	// FieldError's Message has the server's description.
	CodeInvalid = "open311.invalid"
	// CodeServiceUnknown: the server does not offer the service (HTTP 404,
	// or a code the catalog map does not know).
	CodeServiceUnknown = "service.unknown"
)

// Reference is what Submit appends to the description of every request
// so that it can find the request again after an unknown outcome:
// "[civicdesk:<application id>]".
func Reference(appID string) string { return "[civicdesk:" + appID + "]" }

// doneRecord is the definite answer to one application's POST.
type doneRecord struct {
	Tracking string    `json:"tracking"`
	At       time.Time `json:"at"`
}

// Submit posts each item as one POST requests.{fmt}. See the package
// documentation for how answers map to outcomes. It stops early, returning
// the results so far (and Retry for the items not sent) with an error, on
// a network failure, a captive portal, a 5xx, a 429 or an unexpected
// status; on a refused api_key (401/403) it returns the results so far and
// an error wrapping ErrForbidden.
func (b *Backend) Submit(ctx context.Context, items []wire.SubmitItem) (wire.SubmitResponse, error) {
	b.submitMu.Lock()
	defer b.submitMu.Unlock()
	var resp wire.SubmitResponse
	if err := b.discover(ctx); err != nil {
		return resp, err
	}
	s := &submission{b: b}
	for i, it := range items {
		r, stop := s.one(ctx, it)
		if r.ID != "" {
			resp.Results = append(resp.Results, r)
		}
		if stop != nil {
			if !errors.Is(stop, ErrForbidden) {
				for _, rest := range items[i+1:] {
					resp.Results = append(resp.Results, retry(rest.ID, "not sent this round: an earlier application met a network or server failure"))
				}
			}
			resp.ServerTime = b.serverNow(answer{})
			return resp, stop
		}
	}
	resp.ServerTime = b.serverNow(answer{})
	return resp, nil
}

// submission is the state of one Submit call.
type submission struct {
	b        *Backend
	cmap     catalogMap
	loaded   bool
	refetch  bool // the catalog map was fetched again during this call
	services map[string]bool
}

func retry(id, msg string) wire.ItemResult {
	return wire.ItemResult{ID: id, Outcome: wire.Retry, Message: msg}
}

func invalid(id, msg string, fes ...catalog.FieldError) wire.ItemResult {
	return wire.ItemResult{ID: id, Outcome: wire.Invalid, Message: msg, Errors: fes}
}

// service finds the mapping of a catalog service, fetching the catalog
// again (once per call) when it is not known.
func (s *submission) service(ctx context.Context, code string) (serviceMap, bool, error) {
	if !s.loaded {
		m, err := s.b.loadMap()
		if err != nil {
			return serviceMap{}, false, err
		}
		s.cmap, s.loaded = m, true
	}
	if sm, ok := s.cmap[code]; ok {
		return sm, true, nil
	}
	if s.refetch {
		return serviceMap{}, false, nil
	}
	s.refetch = true
	_, m, err := s.b.buildCatalog(ctx)
	if err != nil {
		return serviceMap{}, false, err
	}
	s.cmap = m
	sm, ok := m[code]
	return sm, ok, nil
}

// one submits one item. A non-nil error stops the batch; the result is
// then the item's (Retry) unless its ID is empty.
func (s *submission) one(ctx context.Context, it wire.SubmitItem) (wire.ItemResult, error) {
	b := s.b
	st := b.cfg.State
	if err := ctx.Err(); err != nil {
		return retry(it.ID, "not sent: cancelled"), err
	}
	if it.ID == "" {
		return wire.ItemResult{}, nil // nothing to answer for
	}
	if r, ok, err := s.done(it.ID); err != nil || ok {
		return r, err
	}
	sm, ok, err := s.service(ctx, it.Service)
	if err != nil {
		return retry(it.ID, "the Open311 catalog could not be read: sent again later"), err
	}
	if !ok {
		return invalid(it.ID, "the Open311 server does not offer this service (any more): refresh the catalog and choose another",
			catalog.FieldError{Field: "service", Code: CodeServiceUnknown, Message: "the Open311 server does not offer this service"}), nil
	}
	if len(it.Attachments) > 0 {
		return invalid(it.ID, "the Open311 server takes no attachments",
			catalog.FieldError{Field: "attachments", Code: CodeInvalid, Message: "Open311 takes no file uploads"}), nil
	}
	device, err := b.deviceID()
	if err != nil {
		return retry(it.ID, "local state unavailable"), err
	}
	form, fes := encodeForm(it, sm, b.cfg.APIKey, b.cfg.JurisdictionID, device)
	if len(fes) > 0 {
		return invalid(it.ID, "the application cannot be sent to the Open311 server as it is", fes...), nil
	}

	// Look before posting again: an earlier attempt may have arrived.
	marker, err := st.Get(prefixPending + it.ID)
	if err != nil {
		return retry(it.ID, "local state unavailable"), fmt.Errorf("%w: %v", ErrState, err)
	}
	if marker != "" {
		since, perr := time.Parse(time.RFC3339Nano, marker)
		if perr != nil {
			since = it.CreatedAt
		}
		found, ok, err := b.lookup(ctx, sm.Code, it.ID, since)
		switch {
		case errors.Is(err, ErrForbidden):
			return wire.ItemResult{}, err
		case err != nil:
			return retry(it.ID, "an earlier attempt may have reached the Open311 server; it could not be checked yet, so nothing was posted"), err
		case ok:
			at := found.Requested
			if at.IsZero() {
				at = b.serverNow(answer{})
			}
			b.log.Info("open311: adopted a request an earlier attempt had created", "id", it.ID)
			return s.accept(it.ID, found.ID, at, true)
		}
		b.log.Info("open311: an earlier attempt is not on the server; posting again", "id", it.ID)
	} else if err := st.Set(prefixPending+it.ID, b.cfg.Clock().UTC().Format(time.RFC3339Nano)); err != nil {
		return retry(it.ID, "local state unavailable"), fmt.Errorf("%w: %v", ErrState, err)
	}

	a, err := b.do(ctx, "submit", http.MethodPost, b.url(nil, "requests"), form)
	if err != nil {
		return retry(it.ID, "the connection failed while sending: the adapter looks for the request before sending it again"), err
	}
	return s.answer(ctx, it, sm, a)
}

// done returns the stored definite answer of an application, if any.
func (s *submission) done(id string) (wire.ItemResult, bool, error) {
	raw, err := s.b.cfg.State.Get(prefixDone + id)
	if err != nil {
		return retry(id, "local state unavailable"), false, fmt.Errorf("%w: %v", ErrState, err)
	}
	if raw == "" {
		return wire.ItemResult{}, false, nil
	}
	var d doneRecord
	if err := json.Unmarshal([]byte(raw), &d); err != nil || d.Tracking == "" {
		return wire.ItemResult{}, false, nil
	}
	return wire.ItemResult{ID: id, Outcome: wire.Accepted, Tracking: d.Tracking, Status: lifecycle.Received, AcceptedAt: d.At, Duplicate: true}, true, nil
}

// accept records a definite acceptance (done, pending cleared) and returns it.
func (s *submission) accept(id, tracking string, at time.Time, dup bool) (wire.ItemResult, error) {
	st := s.b.cfg.State
	rec, _ := json.Marshal(doneRecord{Tracking: tracking, At: at})
	r := wire.ItemResult{ID: id, Outcome: wire.Accepted, Tracking: tracking, Status: lifecycle.Received, AcceptedAt: at, Duplicate: dup}
	if err := st.Set(prefixDone+id, string(rec)); err != nil {
		// The result still goes back; only a crash before the engine
		// stores it could now lead to a second POST (after a lookup).
		s.b.log.Warn("open311: could not remember an accepted application", "id", id)
		return r, nil
	}
	if err := st.Set(prefixPending+id, ""); err != nil {
		s.b.log.Warn("open311: could not clear a pending marker", "id", id)
	}
	return r, nil
}

// definite clears the pending marker after an answer that says the request
// was not created.
func (s *submission) definite(id string) {
	if err := s.b.cfg.State.Set(prefixPending+id, ""); err != nil {
		s.b.log.Warn("open311: could not clear a pending marker", "id", id)
	}
}

// answer maps the answer of a POST.
func (s *submission) answer(ctx context.Context, it wire.SubmitItem, sm serviceMap, a answer) (wire.ItemResult, error) {
	b := s.b
	status := a.status
	var apiErrs []APIError
	if status >= 200 && status <= 299 {
		if isHTML(a) {
			return retry(it.ID, "a web page answered instead of the Open311 server: sent again later"), fmt.Errorf("Open311 submit: %w", ErrCaptivePortal)
		}
		reqs, err := DecodeRequests(a.body)
		if err != nil {
			b.log.Warn("open311: unreadable answer to a POST; the request is looked for before it is sent again", "id", it.ID)
			return retry(it.ID, "the Open311 server's answer could not be read: the adapter looks for the request before sending it again"), nil
		}
		at := b.serverNow(a)
		for _, r := range reqs {
			if r.ID != "" {
				return s.accept(it.ID, r.ID, at, false)
			}
		}
		for _, r := range reqs {
			if r.Token != "" {
				id := b.pollToken(ctx, r.Token)
				if id != "" {
					return s.accept(it.ID, id, at, false)
				}
				return s.accept(it.ID, TokenPrefix+r.Token, at, false)
			}
		}
		// Neither id nor token: an error body sent with 200, or a blackbox.
		if errs, _ := DecodeErrors(a.body); len(errs) > 0 && errs[0].Code >= 400 {
			status, apiErrs = errs[0].Code, errs
		} else {
			if sm.Type != "blackbox" {
				b.log.Info("open311: a service that is not blackbox answered without id or token; nothing to follow", "id", it.ID)
			}
			return s.accept(it.ID, BlackboxPrefix+shortID(it.ID), at, false)
		}
	} else {
		apiErrs, _ = DecodeErrors(a.body)
	}

	switch {
	case status == 400 || status == 409 || status == 413 || status == 422:
		s.definite(it.ID)
		return invalid(it.ID, fmt.Sprintf("the Open311 server refused this request (HTTP %d)%s", status, describe(apiErrs)),
			fieldErrors(apiErrs, sm, status)...), nil
	case status == 401 || status == 403:
		s.definite(it.ID)
		return wire.ItemResult{}, fmt.Errorf("Open311 submit: HTTP %d: %w", status, ErrForbidden)
	case status == 404:
		known, err := s.serviceListed(ctx, sm.Code)
		if err != nil {
			return retry(it.ID, "the Open311 server answered 404; whether it still offers the service could not be checked"), err
		}
		if known {
			// The service exists: the 404 is about the endpoint (a wrong
			// address or a proxy), not this application.
			return retry(it.ID, "the Open311 server answered 404 for a service it lists: check the endpoint"), fmt.Errorf("Open311 submit: %w", newStatusError("submit", status))
		}
		s.definite(it.ID)
		return invalid(it.ID, "the Open311 server does not offer this service (any more): refresh the catalog and choose another",
			catalog.FieldError{Field: "service", Code: CodeServiceUnknown, Message: "the Open311 server does not offer this service"}), nil
	}
	// 5xx, 429, 408 and the rest: maybe processed (5xx), so the marker stays.
	return retry(it.ID, fmt.Sprintf("the Open311 server answered HTTP %d: sent again later (after looking for it)", status)),
		fmt.Errorf("Open311 submit: %w", newStatusError("submit", status))
}

// serviceListed asks GET services whether code is offered (once per call).
func (s *submission) serviceListed(ctx context.Context, code string) (bool, error) {
	if s.services == nil {
		a, err := s.b.get(ctx, "services", nil, "services")
		if err != nil {
			return false, err
		}
		list, err := DecodeServices(a.body)
		if err != nil {
			return false, fmt.Errorf("Open311 services: %w", err)
		}
		s.services = make(map[string]bool, len(list))
		for _, sv := range list {
			s.services[sv.Code] = true
		}
	}
	return s.services[code], nil
}

func shortID(id string) string {
	id = strings.ReplaceAll(id, "-", "")
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func describe(errs []APIError) string {
	var d []string
	for _, e := range errs {
		if e.Description != "" {
			d = append(d, e.Description)
		}
	}
	if len(d) == 0 {
		return ""
	}
	return ": " + clip(strings.Join(d, "; "), maxDescription)
}

// fieldErrors turns an error body into field errors: each names the form
// field its description mentions (an attribute code, attribute[CODE], or
// an Open311 parameter name), else "service".
func fieldErrors(errs []APIError, sm serviceMap, status int) []catalog.FieldError {
	if len(errs) == 0 {
		return []catalog.FieldError{{Field: "service", Code: CodeInvalid,
			Message: fmt.Sprintf("the Open311 server refused the request (HTTP %d) without saying why", status)}}
	}
	out := make([]catalog.FieldError, 0, len(errs))
	for _, e := range errs {
		msg := e.Description
		if msg == "" {
			msg = fmt.Sprintf("the Open311 server refused the request (HTTP %d)", status)
		}
		out = append(out, catalog.FieldError{Field: fieldFor(e.Description, sm), Code: CodeInvalid, Message: msg})
	}
	return out
}

// paramFields are the Open311 parameter names a description may mention,
// in the order they are tried, and the form field each means.
var paramFields = []struct{ word, field string }{
	{"address_string", FieldAddress}, {"address", FieldAddress},
	{"email", FieldEmail}, {"first_name", FieldFirstName}, {"last_name", FieldLastName},
	{"phone", FieldPhone}, {"description", FieldDescription},
	{"latitude", FieldLat}, {"longitude", FieldLong},
	{"service_code", "service"},
}

func fieldFor(desc string, sm serviceMap) string {
	lower := strings.ToLower(desc)
	for _, at := range sm.Attrs {
		if strings.Contains(lower, "attribute["+strings.ToLower(at.Code)+"]") {
			return at.Field
		}
	}
	for _, at := range sm.Attrs {
		if hasWord(desc, at.Code) {
			return at.Field
		}
	}
	for _, p := range paramFields {
		if hasWord(lower, p.word) {
			return p.field
		}
	}
	// "lat" and "long" alone are common words ("too long"): only together.
	if hasWord(lower, "lat") && hasWord(lower, "long") {
		return FieldLat
	}
	return "service"
}

// hasWord reports whether w occurs in s not touching letters, digits or "_".
func hasWord(s, w string) bool {
	if w == "" {
		return false
	}
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(w)
		before, _ := utf8.DecodeLastRuneInString(s[:start])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if !wordRune(before) && !wordRune(after) {
			return true
		}
		i = start + 1
	}
}

func wordRune(r rune) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// pollToken asks tokens/{token} for the service_request_id a few times.
// It gives "" when the id is not there yet, the endpoint is missing (404)
// or anything fails: the Changes pull resolves the token later.
func (b *Backend) pollToken(ctx context.Context, token string) string {
	for i := range max(b.cfg.TokenPolls, 0) {
		if i > 0 {
			select {
			case <-ctx.Done():
				return ""
			case <-b.cfg.After(b.cfg.TokenWait):
			}
		}
		id, err := b.resolveToken(ctx, token)
		if id != "" {
			return id
		}
		if err != nil {
			return ""
		}
	}
	return ""
}

// resolveToken asks tokens/{token} once and remembers an id it gives.
func (b *Backend) resolveToken(ctx context.Context, token string) (string, error) {
	if id, err := b.cfg.State.Get(prefixToken + token); err != nil {
		return "", fmt.Errorf("%w: %v", ErrState, err)
	} else if id != "" {
		return id, nil
	}
	a, err := b.get(ctx, "token", nil, "tokens", token)
	if err != nil {
		return "", err
	}
	reqs, err := DecodeRequests(a.body)
	if err != nil {
		return "", fmt.Errorf("Open311 token: %w", err)
	}
	for _, r := range reqs {
		if r.ID != "" && (r.Token == "" || r.Token == token) {
			if err := b.cfg.State.Set(prefixToken+token, r.ID); err != nil {
				b.log.Warn("open311: could not remember a resolved token")
			}
			return r.ID, nil
		}
	}
	return "", nil
}

// lookup looks for the request of application appID among the requests of
// the service since an earlier attempt (an hour of margin, corrected by
// the server's clock skew), page by page, matching Reference(appID) in the
// description. A 4xx to the date-filtered query is asked again without
// dates; a 4xx then means the server cannot be searched (not found, nil).
func (b *Backend) lookup(ctx context.Context, serviceCode, appID string, since time.Time) (Request, bool, error) {
	ref := Reference(appID)
	b.mu.Lock()
	skew := b.skew
	b.mu.Unlock()
	start := since.Add(skew).Add(-time.Hour).UTC()
	end := b.cfg.Clock().Add(skew).Add(time.Hour).UTC()
	dated := true
	seen := map[string]bool{}
	for page := 1; page <= maxLookupPages; page++ {
		q := url.Values{}
		q.Set("service_code", serviceCode)
		if dated {
			q.Set("start_date", start.Format(time.RFC3339))
			q.Set("end_date", end.Format(time.RFC3339))
		}
		q.Set("page", strconv.Itoa(page))
		q.Set("page_size", strconv.Itoa(lookupPageSize))
		a, err := b.get(ctx, "lookup", q, "requests")
		var se *statusError
		if errors.As(err, &se) && se.status >= 400 && se.status < 500 && se.status != 401 && se.status != 403 && se.status != 429 {
			if dated && page == 1 {
				dated = false
				page = 0
				continue
			}
			b.log.Warn("open311: the server cannot be searched for an earlier attempt; posting again may duplicate it", "status", se.status)
			return Request{}, false, nil
		}
		if err != nil {
			return Request{}, false, err
		}
		reqs, err := DecodeRequests(a.body)
		if err != nil {
			return Request{}, false, fmt.Errorf("Open311 lookup: %w", err)
		}
		fresh := 0
		for _, r := range reqs {
			key := r.ID + "\x00" + r.Description
			if seen[key] {
				continue
			}
			seen[key] = true
			fresh++
			if r.ID != "" && strings.Contains(r.Description, ref) {
				return r, true, nil
			}
		}
		if fresh == 0 {
			return Request{}, false, nil
		}
	}
	b.log.Warn("open311: gave up looking for an earlier attempt after many pages; posting again may duplicate it")
	return Request{}, false, nil
}

// encodeForm encodes an item as the body of POST requests, exactly as the
// spec says, in this order: api_key, jurisdiction_id, service_code,
// address_string, lat, long, attribute[CODE]=v (attribute[CODE][]=v once
// per value of a multivaluelist) in catalog order, first_name, last_name,
// email, phone, device_id, description (the resident's text, a newline and
// Reference(id)). Empty values are left out (the spec treats them as
// missing). Keys and values are application/x-www-form-urlencoded (UTF-8,
// percent-encoded, space as "+", brackets as %5B %5D). It returns field
// errors instead when the item cannot be sent: no location, half a
// coordinate pair, a description too long to carry the reference, a value
// of a type the field cannot hold.
func encodeForm(it wire.SubmitItem, sm serviceMap, apiKey, jurisdiction, deviceID string) ([]byte, []catalog.FieldError) {
	var b strings.Builder
	var fes []catalog.FieldError
	add := func(k, v string) {
		if v == "" {
			return
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(v))
	}
	one := func(field string) string {
		vs, ok := valueStrings(it.Values[field])
		if !ok {
			fes = append(fes, catalog.FieldError{Field: field, Code: catalog.CodeType, Message: "the value has the wrong type for this field"})
			return ""
		}
		return strings.Join(vs, ",")
	}
	add("api_key", apiKey)
	add("jurisdiction_id", jurisdiction)
	add("service_code", sm.Code)
	addr, lat, long := strings.TrimSpace(one(FieldAddress)), one(FieldLat), one(FieldLong)
	switch {
	case lat != "" && long == "":
		fes = append(fes, catalog.FieldError{Field: FieldLong, Code: catalog.CodeRequired, Message: "give the longitude with the latitude"})
	case long != "" && lat == "":
		fes = append(fes, catalog.FieldError{Field: FieldLat, Code: catalog.CodeRequired, Message: "give the latitude with the longitude"})
	case addr == "" && lat == "":
		fes = append(fes, catalog.FieldError{Field: FieldAddress, Code: catalog.CodeRequired, Message: "give an address, or the latitude and longitude"})
	}
	add("address_string", addr)
	add("lat", lat)
	add("long", long)
	for _, at := range sm.Attrs {
		vs, ok := valueStrings(it.Values[at.Field])
		if !ok {
			fes = append(fes, catalog.FieldError{Field: at.Field, Code: catalog.CodeType, Message: "the value has the wrong type for this field"})
			continue
		}
		if at.Datatype == "multivaluelist" {
			for _, v := range vs {
				add("attribute["+at.Code+"][]", v)
			}
			continue
		}
		add("attribute["+at.Code+"]", strings.Join(vs, ","))
	}
	add("first_name", one(FieldFirstName))
	add("last_name", one(FieldLastName))
	add("email", one(FieldEmail))
	add("phone", one(FieldPhone))
	add("device_id", deviceID)
	desc := strings.TrimRight(one(FieldDescription), " \t\r\n")
	ref := Reference(it.ID)
	if desc != "" {
		desc += "\n"
	}
	desc += ref
	if utf8.RuneCountInString(desc) > MaxDescription {
		fes = append(fes, catalog.FieldError{Field: FieldDescription, Code: catalog.CodeMaxLength,
			Message: "too long: enter at most " + strconv.Itoa(DescriptionLimit) + " characters",
			Params:  map[string]string{"max": strconv.Itoa(DescriptionLimit)}})
	}
	add("description", desc)
	if len(fes) > 0 {
		return nil, fes
	}
	return []byte(b.String()), nil
}

// valueStrings gives the strings a value is sent as: a text as is, a
// number in its shortest decimal form, a list element by element. ok is
// false for a value of another kind.
func valueStrings(v any) ([]string, bool) {
	switch v := v.(type) {
	case nil:
		return nil, true
	case string:
		if v == "" {
			return nil, true
		}
		return []string{v}, true
	case bool:
		return []string{strconv.FormatBool(v)}, true
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, false
		}
		return []string{strconv.FormatFloat(v, 'f', -1, 64)}, true
	case float32:
		return valueStrings(float64(v))
	case int:
		return []string{strconv.Itoa(v)}, true
	case int64:
		return []string{strconv.FormatInt(v, 10)}, true
	case json.Number:
		return []string{v.String()}, true
	case []string:
		var out []string
		for _, s := range v {
			if s != "" {
				out = append(out, s)
			}
		}
		return out, true
	case []any:
		var out []string
		for _, e := range v {
			vs, ok := valueStrings(e)
			if !ok {
				return nil, false
			}
			out = append(out, vs...)
		}
		return out, true
	}
	return nil, false
}
