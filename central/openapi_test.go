package central

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/sync/wire"
)

// schemaChecker checks JSON values against the subset of OpenAPI 3.0 schemas
// the document uses: $ref, type, required, properties, additionalProperties,
// items, enum and the date-time format.
type schemaChecker struct{ doc map[string]any }

func (c schemaChecker) resolve(s map[string]any) map[string]any {
	for i := 0; i < 10; i++ {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		var node any = c.doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			m, _ := node.(map[string]any)
			node = m[part]
		}
		next, ok := node.(map[string]any)
		if !ok {
			panic("unresolvable $ref " + ref)
		}
		s = next
	}
	panic("$ref loop")
}

func (c schemaChecker) check(v any, schema map[string]any, at string) []string {
	s := c.resolve(schema)
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, at+": "+fmt.Sprintf(format, args...)) }
	if enum, ok := s["enum"].([]any); ok && !slices.Contains(enum, v) {
		fail("%v is not one of %v", v, enum)
	}
	switch typ, _ := s["type"].(string); typ {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			fail("want an object, got %T", v)
			return errs
		}
		props, _ := s["properties"].(map[string]any)
		for _, r := range asStrings(s["required"]) {
			if _, ok := m[r]; !ok {
				fail("required property %q missing", r)
			}
		}
		for k, pv := range m {
			if ps, ok := props[k].(map[string]any); ok {
				errs = append(errs, c.check(pv, ps, at+"."+k)...)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					fail("property %q is not in the schema", k)
				}
			case map[string]any:
				errs = append(errs, c.check(pv, ap, at+"."+k)...)
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			fail("want an array, got %T", v)
			return errs
		}
		if items, ok := s["items"].(map[string]any); ok {
			for i, e := range a {
				errs = append(errs, c.check(e, items, at+"["+strconv.Itoa(i)+"]")...)
			}
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			fail("want a string, got %T", v)
		} else if s["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
				fail("not a date-time: %v", err)
			}
		}
	case "integer":
		if n, ok := v.(float64); !ok || n != math.Trunc(n) {
			fail("want an integer, got %v", v)
		}
	case "number":
		if _, ok := v.(float64); !ok {
			fail("want a number, got %T", v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			fail("want a boolean, got %T", v)
		}
	case "":
	default:
		fail("checker does not know type %q", typ)
	}
	return errs
}

func asStrings(v any) []string {
	var out []string
	a, _ := v.([]any)
	for _, e := range a {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

func TestCheckerCatchesMistakes(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	c := schemaChecker{doc}
	ref := map[string]any{"$ref": "#/components/schemas/Health"}
	good := map[string]any{"service": wire.HealthService, "ok": true, "api_version": 1.0, "server_time": "2026-03-02T01:30:00Z"}
	if errs := c.check(good, ref, "health"); len(errs) != 0 {
		t.Fatalf("good value refused: %v", errs)
	}
	for name, mutate := range map[string]func(m map[string]any){
		"missing required": func(m map[string]any) { delete(m, "ok") },
		"wrong type":       func(m map[string]any) { m["api_version"] = "1" },
		"not an integer":   func(m map[string]any) { m["api_version"] = 1.5 },
		"bad enum":         func(m map[string]any) { m["service"] = "portal" },
		"bad date-time":    func(m map[string]any) { m["server_time"] = "yesterday" },
	} {
		bad := map[string]any{}
		for k, v := range good {
			bad[k] = v
		}
		mutate(bad)
		if errs := c.check(bad, ref, "health"); len(errs) == 0 {
			t.Errorf("%s: not caught", name)
		}
	}
}

// operation is one path+method of the document.
type operation struct {
	path, method string
	op           map[string]any
}

func loadOperations(t *testing.T) (map[string]any, []operation) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.0.") {
		t.Fatalf("openapi version %q", v)
	}
	var ops []operation
	paths, _ := doc["paths"].(map[string]any)
	for p, item := range paths {
		for m, op := range item.(map[string]any) {
			ops = append(ops, operation{p, strings.ToUpper(m), op.(map[string]any)})
		}
	}
	return doc, ops
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	f := newFixture(t)
	_, ops := loadOperations(t)
	inDoc := map[string]bool{}
	for _, o := range ops {
		inDoc[o.method+" "+o.path] = true
	}
	served := map[string]bool{}
	for _, rt := range f.srv.routes() {
		served[rt.method+" "+rt.path] = true
		if !inDoc[rt.method+" "+rt.path] {
			t.Errorf("route %s %s is not in openapi.json", rt.method, rt.path)
		}
	}
	for _, o := range ops {
		key := o.method + " " + o.path
		if !served[key] {
			t.Errorf("openapi.json has %s but the handler has no such route", key)
		}
		// Probe the real handler: the route exists (no unknown_path, no 405).
		path := strings.ReplaceAll(o.path, "{tracking}", "XZ20260302000001")
		path = strings.ReplaceAll(path, "{sha256}", strings.Repeat("a", 64))
		path = strings.ReplaceAll(path, "{id}", "n1")
		resp, b := f.do(request{method: o.method, path: path})
		var e wire.Error
		json.Unmarshal(b, &e)
		// HEAD answers have no body: without a token, a routed HEAD is a 401.
		headMiss := o.method == http.MethodHead && resp.StatusCode == http.StatusNotFound
		if resp.StatusCode == http.StatusMethodNotAllowed || (resp.StatusCode == http.StatusNotFound && e.Code == codeUnknownPath) || headMiss {
			t.Errorf("%s is not routed: %d %s", key, resp.StatusCode, b)
		}
		if _, ok := o.op["responses"].(map[string]any); !ok {
			t.Errorf("%s has no responses", key)
		}
	}
}

func TestOpenAPIAgainstServer(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxItems = 3; o.MaxBody = 4096 })
	doc, ops := loadOperations(t)
	checker := schemaChecker{doc}
	byKey := map[string]map[string]any{}
	for _, o := range ops {
		byKey[o.method+" "+o.path] = o.op
	}
	code, _ := f.srv.MintEnrollCode(time.Hour)
	expired, _ := f.srv.MintEnrollCode(time.Second)
	staff := f.staffToken()
	var enrolled wire.EnrollResponse
	f.doJSON(request{method: "POST", path: wire.PathEnroll, body: wire.EnrollRequest{Code: code, Kind: "kiosk"}}, 200, &enrolled)
	tok := enrolled.Token
	res := f.submit(tok, newItem(validValues()), newItem(validValues()))
	f.clock.Advance(2 * time.Second)
	_, catBody := f.do(request{method: "GET", path: wire.PathCatalog, token: tok})
	etag := `"` + sha256Hex(catBody) + `"`
	statusPath := wire.PathBackoffice + "/{tracking}/status"
	bad := newItem(validValues())
	bad.Values["phone"] = "12345"

	// Blobs: one complete, one with 5 of its 10 bytes, one to create.
	done := []byte("a complete attachment")
	doneSHA := sha256Hex(done)
	f.uploadBlob(tok, done, "image/png", 8)
	// Devices that never uploaded it: to them the complete blob is unknown.
	_, tokOther := f.enroll("phone")
	_, tokThird := f.enroll("phone")
	donePath := wire.PathBlobs + "/" + doneSHA
	half := []byte("0123456789")
	halfSHA := sha256Hex(half)
	f.doJSON(request{method: "POST", path: wire.PathBlobs, token: tok, body: wire.BlobCreate{SHA256: halfSHA, Size: 10, Type: "image/png"}}, 201, nil)
	other := []byte("0123499999") // same length as half, other bytes
	fresh := wire.BlobCreate{SHA256: sha256Hex([]byte("new")), Size: 3, Type: "image/jpeg"}
	blobOp, headOp := "POST "+wire.PathBlobs, "HEAD "+wire.PathBlobs+"/{sha256}"
	patchOp, getBlobOp := "PATCH "+wire.PathBlobs+"/{sha256}", "GET "+PathBackofficeBlobs+"/{sha256}"
	halfPath, unknownPath := wire.PathBlobs+"/"+halfSHA, wire.PathBlobs+"/"+strings.Repeat("b", 64)
	patch := func(path string, off int64, chunk []byte, token string) request {
		return request{path: path, token: token, raw: chunk, header: chunkHeaders(off, chunk)}
	}
	badSum := chunkHeaders(5, half[5:])
	badSum[wire.HeaderUploadChecksum] = chunkHeaders(0, []byte("other"))[wire.HeaderUploadChecksum]
	oldTus := map[string]string{wire.HeaderTusResumable: "0.2.2"}
	patchTextPlain := chunkHeaders(5, half[5:])
	patchTextPlain["Content-Type"] = "text/plain"
	beatOp, devicesOp := "POST "+wire.PathHeartbeat, "GET "+wire.PathBackofficeDevices
	beat := wire.Heartbeat{Version: "1.4.0", Kind: "kiosk", QueueDepth: 2, OldestQueued: f.clock.Now().Add(-2 * time.Hour),
		LastSync: f.clock.Now().Add(-time.Minute), FreeDiskBytes: 1 << 20, PrinterState: "missing", DeviceTime: f.clock.Now()}
	negative := beat
	negative.QueueDepth = -1
	noticesOp, publishOp, withdrawOp := "GET "+wire.PathNotices, "POST "+wire.PathBackofficeNotices, "DELETE "+wire.PathBackofficeNotices+"/{id}"
	shown, err := f.srv.PublishNotice(sampleNotice("gulou", "Opening hours"))
	if err != nil {
		t.Fatal(err)
	}
	gone, err := f.srv.PublishNotice(sampleNotice("", "Closed"))
	if err != nil {
		t.Fatal(err)
	}
	_, noticesBody := f.do(request{method: "GET", path: wire.PathNotices + "?hall=gulou", token: tok})
	noticesTag := `"` + sha256Hex(noticesBody) + `"`
	untitled := sampleNotice("", "x")
	untitled.Title = nil
	interactOp, listIntOp, replyOp := "POST "+wire.PathInteractions, "GET "+wire.PathBackofficeInteractions, "POST "+wire.PathBackofficeInteractions+"/{id}/reply"
	complaint := feedbackItem(wire.FeedbackComplaint, "no seats")
	held := ticketItem("gulou", "20260302", "1", 1)
	f.interact(tok, complaint, held)
	f.interact(tok, ticketItem("gulou", "20260302", "1", 1)) // a clash
	lowNoComment := ratingItem(1, "")
	replyPath := func(id string) string { return wire.PathBackofficeInteractions + "/" + id + "/reply" }
	thanks := wire.Reply{Text: catalog.Text{catalog.LangZh: "已加椅子", catalog.LangEn: "Chairs added"}}

	// A tracking number past its limit of failed attempts.
	limited := wire.TrackRequest{Tracking: "XZ20260302999999", VerificationCode: "000000"}
	for range DefaultTrackMaxFailures {
		f.do(request{method: "POST", path: wire.PathTrack, token: tokThird, body: limited})
	}

	calls := []struct {
		op   string // "METHOD path-template"
		rq   request
		want int
	}{
		{"GET " + wire.PathHealth, request{path: wire.PathHealth}, 200},
		{"GET " + PathOpenAPI, request{path: PathOpenAPI}, 200},
		{"POST " + wire.PathEnroll, request{path: wire.PathEnroll, body: wire.EnrollRequest{Code: code}}, 410},
		{"POST " + wire.PathEnroll, request{path: wire.PathEnroll, body: wire.EnrollRequest{Code: expired}}, 410},
		{"POST " + wire.PathEnroll, request{path: wire.PathEnroll, body: wire.EnrollRequest{Code: "WRONG"}}, 401},
		{"POST " + wire.PathEnroll, request{path: wire.PathEnroll, raw: []byte("{")}, 400},
		{"POST " + wire.PathEnroll, request{path: wire.PathEnroll, raw: []byte("{}"), header: map[string]string{"Content-Type": "text/plain"}}, 415},
		{"GET " + wire.PathCatalog, request{path: wire.PathCatalog, token: tok}, 200},
		{"GET " + wire.PathCatalog, request{path: wire.PathCatalog, token: tok, header: map[string]string{"If-None-Match": etag}}, 304},
		{"GET " + wire.PathCatalog, request{path: wire.PathCatalog}, 401},
		{"POST " + wire.PathSubmit, request{path: wire.PathSubmit, token: tok, body: wire.SubmitRequest{Items: []wire.SubmitItem{newItem(validValues()), bad}}}, 200},
		{"POST " + wire.PathSubmit, request{path: wire.PathSubmit, token: tok, body: wire.SubmitRequest{Items: []wire.SubmitItem{newItem(validValues())}}, gzip: true}, 200},
		{"POST " + wire.PathSubmit, request{path: wire.PathSubmit, token: tok, raw: []byte(`{"items":[`)}, 400},
		{"POST " + wire.PathSubmit, request{path: wire.PathSubmit, token: tok, raw: []byte(`{"items":[` + strings.Repeat(`{},`, 2000) + `{}]}`)}, 413},
		{"POST " + wire.PathSubmit, request{path: wire.PathSubmit, token: tok, raw: []byte(`{"items":[{},{},{},{}]}`)}, 413},
		{"POST " + wire.PathSubmit, request{path: wire.PathSubmit, token: tok, raw: []byte(`{}`), header: map[string]string{"Content-Encoding": "br"}}, 415},
		{"POST " + wire.PathSubmit, request{path: wire.PathSubmit, body: wire.SubmitRequest{}}, 401},
		{"GET " + wire.PathChanges, request{path: wire.PathChanges + "?limit=1", token: tok}, 200},
		{"GET " + wire.PathChanges, request{path: wire.PathChanges + "?cursor=x", token: tok}, 400},
		{"GET " + wire.PathChanges, request{path: wire.PathChanges}, 401},
		{"POST " + wire.PathTrack, request{path: wire.PathTrack, token: tok, body: wire.TrackRequest{Tracking: res[0].Tracking, VerificationCode: res[0].VerificationCode}}, 200},
		{"POST " + wire.PathTrack, request{path: wire.PathTrack, token: tok, body: wire.TrackRequest{Tracking: res[0].Tracking, VerificationCode: "x"}}, 404},
		{"POST " + wire.PathTrack, request{path: wire.PathTrack, token: tokThird, body: limited}, 429},
		{"POST " + wire.PathTrack, request{path: wire.PathTrack, token: tok, raw: []byte(`[]`)}, 400},
		{"POST " + wire.PathTrack, request{path: wire.PathTrack, token: tok, raw: []byte(`{"tracking":"` + strings.Repeat("9", 70000) + `"}`)}, 413},
		{"POST " + wire.PathTrack, request{path: wire.PathTrack, token: tok, raw: []byte(`{}`), header: map[string]string{"Content-Type": "application/xml"}}, 415},
		{"POST " + wire.PathTrack, request{path: wire.PathTrack, body: wire.TrackRequest{}}, 401},
		{"GET " + wire.PathBackoffice, request{path: wire.PathBackoffice, token: staff}, 200},
		{"GET " + wire.PathBackoffice, request{path: wire.PathBackoffice + "?status=queued", token: staff}, 400},
		{"GET " + wire.PathBackoffice, request{path: wire.PathBackoffice, token: tok}, 401},
		{"POST " + statusPath, request{path: wire.PathBackoffice + "/" + res[0].Tracking + "/status", token: staff, body: wire.StatusUpdate{Status: lifecycle.Completed}}, 200},
		{"POST " + statusPath, request{path: wire.PathBackoffice + "/" + res[0].Tracking + "/status", token: staff, body: wire.StatusUpdate{Status: lifecycle.InReview}}, 409},
		{"POST " + statusPath, request{path: wire.PathBackoffice + "/XZ0/status", token: staff, body: wire.StatusUpdate{Status: lifecycle.InReview}}, 404},
		{"POST " + statusPath, request{path: wire.PathBackoffice + "/" + res[1].Tracking + "/status", token: staff, body: wire.StatusUpdate{Status: lifecycle.Draft}}, 400},
		{"POST " + statusPath, request{path: wire.PathBackoffice + "/" + res[1].Tracking + "/status", token: staff, raw: []byte(`{"status":"` + strings.Repeat("a", 70000) + `"}`)}, 413},
		{"POST " + statusPath, request{path: wire.PathBackoffice + "/" + res[1].Tracking + "/status", token: staff, raw: []byte(`{}`), header: map[string]string{"Content-Type": "text/csv"}}, 415},
		{"POST " + statusPath, request{path: wire.PathBackoffice + "/" + res[1].Tracking + "/status", token: tok, body: wire.StatusUpdate{Status: lifecycle.InReview}}, 401},
		{blobOp, request{path: wire.PathBlobs, token: tok, body: fresh}, 201},
		{blobOp, request{path: wire.PathBlobs, token: tok, body: fresh}, 200},
		{blobOp, request{path: wire.PathBlobs, token: tok, body: wire.BlobCreate{SHA256: doneSHA, Size: int64(len(done)), Type: "image/png"}}, 200},
		{blobOp, request{path: wire.PathBlobs, token: tok, body: wire.BlobCreate{SHA256: doneSHA, Size: 1, Type: "image/png"}}, 409},
		{blobOp, request{path: wire.PathBlobs, token: tokOther, body: wire.BlobCreate{SHA256: doneSHA, Size: int64(len(done)), Type: "image/png"}}, 201},
		{blobOp, request{path: wire.PathBlobs, token: tok, body: wire.BlobCreate{SHA256: strings.ToUpper(doneSHA), Size: 1, Type: "image/png"}}, 400},
		{blobOp, request{path: wire.PathBlobs, token: tok, body: wire.BlobCreate{SHA256: doneSHA, Size: wire.MaxBlob + 1, Type: "image/png"}}, 413},
		{blobOp, request{path: wire.PathBlobs, token: tok, raw: []byte(`{}`), header: map[string]string{"Content-Type": "image/png"}}, 415},
		{blobOp, request{path: wire.PathBlobs, token: tok, body: fresh, header: oldTus}, 412},
		{blobOp, request{path: wire.PathBlobs, body: fresh}, 401},
		{headOp, request{path: halfPath, token: tok}, 200},
		{headOp, request{path: unknownPath, token: tok}, 404},
		{headOp, request{path: donePath, token: tok}, 200},
		{headOp, request{path: donePath, token: tokOther}, 200}, // its own upload, at 0
		{headOp, request{path: donePath, token: tokThird}, 404},
		{headOp, request{path: wire.PathBlobs + "/abc", token: tok}, 400},
		{headOp, request{path: halfPath, token: tok, header: oldTus}, 412},
		{headOp, request{path: halfPath}, 401},
		{patchOp, patch(halfPath, 0, half[:5], tok), 204},
		{patchOp, patch(halfPath, 0, half[:5], tok), 409},
		{patchOp, request{path: halfPath, token: tok, raw: half[5:], header: badSum}, 460},
		{patchOp, patch(halfPath, 5, []byte("567890"), tok), 413}, // past the end
		{patchOp, patch(halfPath, 5, other[5:], tok), 422},
		{patchOp, patch(unknownPath, 0, half, tok), 404},
		{patchOp, patch(donePath, 0, done, tokThird), 404},
		{patchOp, patch(donePath, 0, done, tokOther), 204}, // completes its upload: now an owner
		{patchOp, patch(wire.PathBlobs+"/"+strings.Repeat("G", 64), 0, half, tok), 400},
		{patchOp, request{path: halfPath, token: tok, raw: half[5:], header: patchTextPlain}, 415},
		{patchOp, request{path: halfPath, token: tok, raw: half, header: oldTus}, 412},
		{patchOp, patch(halfPath, 0, half, ""), 401},
		{getBlobOp, request{path: PathBackofficeBlobs + "/" + doneSHA, token: staff}, 200},
		{getBlobOp, request{path: PathBackofficeBlobs + "/" + halfSHA, token: staff}, 404},
		{getBlobOp, request{path: PathBackofficeBlobs + "/xyz", token: staff}, 400},
		{getBlobOp, request{path: PathBackofficeBlobs + "/" + doneSHA, token: tok}, 401},
		{beatOp, request{path: wire.PathHeartbeat, token: tok, body: beat}, 204},
		{beatOp, request{path: wire.PathHeartbeat, token: tok, body: beat, gzip: true}, 204},
		{beatOp, request{path: wire.PathHeartbeat, token: tok, body: negative}, 400},
		{beatOp, request{path: wire.PathHeartbeat, token: tok, raw: []byte(`{"version":"` + strings.Repeat("v", 70000) + `"}`)}, 413},
		{beatOp, request{path: wire.PathHeartbeat, token: tok, raw: []byte(`{}`), header: map[string]string{"Content-Type": "text/plain"}}, 415},
		{beatOp, request{path: wire.PathHeartbeat, token: staff, body: beat}, 401},
		{devicesOp, request{path: wire.PathBackofficeDevices, token: staff}, 200},
		{devicesOp, request{path: wire.PathBackofficeDevices, token: tok}, 401},
		{noticesOp, request{path: wire.PathNotices + "?hall=gulou", token: tok}, 200},
		{noticesOp, request{path: wire.PathNotices + "?hall=gulou", token: tok, header: map[string]string{"If-None-Match": noticesTag}}, 304},
		{noticesOp, request{path: wire.PathNotices + "?hall=" + strings.Repeat("h", 65), token: tok}, 400},
		{noticesOp, request{path: wire.PathNotices, token: staff}, 401},
		{publishOp, request{path: wire.PathBackofficeNotices, token: staff, body: sampleNotice("gulou", "Policy")}, 201},
		{publishOp, request{path: wire.PathBackofficeNotices, token: staff, body: untitled}, 400},
		{publishOp, request{path: wire.PathBackofficeNotices, token: staff, raw: []byte(`{"kind":"` + strings.Repeat("k", 70000) + `"}`)}, 413},
		{publishOp, request{path: wire.PathBackofficeNotices, token: staff, raw: []byte(`{}`), header: map[string]string{"Content-Type": "text/plain"}}, 415},
		{publishOp, request{path: wire.PathBackofficeNotices, token: tok, body: sampleNotice("", "x")}, 401},
		{withdrawOp, request{path: wire.PathBackofficeNotices + "/" + gone.ID, token: staff}, 204},
		{withdrawOp, request{path: wire.PathBackofficeNotices + "/" + gone.ID, token: staff}, 404},
		{withdrawOp, request{path: wire.PathBackofficeNotices + "/" + shown.ID, token: tok}, 401},
		{interactOp, request{path: wire.PathInteractions, token: tok, body: wire.InteractionsRequest{Items: []wire.Interaction{ratingItem(5, ""), lowNoComment, complaint}}}, 200},
		{interactOp, request{path: wire.PathInteractions, token: tok, body: wire.InteractionsRequest{Items: []wire.Interaction{ticketItem("gulou", "20260302", "1", 1), ticketItem("gulou", "20260302", "1", 2)}}, gzip: true}, 200},
		{interactOp, request{path: wire.PathInteractions, token: tok, raw: []byte(`{"items":[`)}, 400},
		{interactOp, request{path: wire.PathInteractions, token: tok, raw: []byte(`{"items":[{},{},{},{}]}`)}, 413},
		{interactOp, request{path: wire.PathInteractions, token: tok, raw: []byte(`{}`), header: map[string]string{"Content-Type": "text/plain"}}, 415},
		{interactOp, request{path: wire.PathInteractions, token: staff, body: wire.InteractionsRequest{}}, 401},
		{replyOp, request{path: replyPath(complaint.ID), token: staff, body: thanks}, 200},
		{replyOp, request{path: replyPath(complaint.ID), token: staff, body: wire.Reply{}}, 400},
		{replyOp, request{path: replyPath(held.ID), token: staff, body: thanks}, 409},
		{replyOp, request{path: replyPath("n1"), token: staff, body: thanks}, 404},
		{replyOp, request{path: replyPath(complaint.ID), token: staff, raw: []byte(`{"text":{"en":"` + strings.Repeat("x", 70000) + `"}}`)}, 413},
		{replyOp, request{path: replyPath(complaint.ID), token: staff, raw: []byte(`{}`), header: map[string]string{"Content-Type": "text/plain"}}, 415},
		{replyOp, request{path: replyPath(complaint.ID), token: tok, body: thanks}, 401},
		{"GET " + wire.PathChanges, request{path: wire.PathChanges + "?limit=1000", token: tok}, 200}, // with the reply
		{listIntOp, request{path: wire.PathBackofficeInteractions, token: staff}, 200},
		{listIntOp, request{path: wire.PathBackofficeInteractions + "?kind=ticket&hall=gulou&day=20260302&follow_up=false", token: staff}, 200},
		{listIntOp, request{path: wire.PathBackofficeInteractions + "?day=yesterday", token: staff}, 400},
		{listIntOp, request{path: wire.PathBackofficeInteractions, token: tok}, 401},
	}
	exercised := map[string]bool{}
	for i, c := range calls {
		t.Run(fmt.Sprintf("%02d %s %d", i, c.op, c.want), func(t *testing.T) {
			op, ok := byKey[c.op]
			if !ok {
				t.Fatalf("operation %s not in the document", c.op)
			}
			exercised[c.op] = true
			rq := c.rq
			rq.method = strings.Fields(c.op)[0]
			resp, body := f.do(rq)
			if resp.StatusCode != c.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.want, body)
			}
			responses := op["responses"].(map[string]any)
			r, ok := responses[strconv.Itoa(resp.StatusCode)].(map[string]any)
			if !ok {
				t.Fatalf("status %d is not documented for %s", resp.StatusCode, c.op)
			}
			r = checker.resolve(r)
			headers, _ := r["headers"].(map[string]any)
			for name, h := range headers {
				if req, _ := checker.resolve(h.(map[string]any))["required"].(bool); req && resp.Header.Get(name) == "" {
					t.Errorf("documented header %s is missing", name)
				}
			}
			content, _ := r["content"].(map[string]any)
			if content == nil {
				if len(body) != 0 {
					t.Fatalf("documented without a body, got %s", body)
				}
				return
			}
			media, ok := content["application/json"].(map[string]any)
			if _, any := content["*/*"]; !ok && any {
				if len(body) == 0 || strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
					t.Fatalf("want the bytes of a file, got %q (%s)", resp.Header.Get("Content-Type"), body)
				}
				return
			}
			if !ok {
				t.Fatalf("response %d of %s has no application/json content", resp.StatusCode, c.op)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Fatalf("Content-Type %q", ct)
			}
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				t.Fatalf("body is not JSON: %v", err)
			}
			if errs := checker.check(v, media["schema"].(map[string]any), "body"); len(errs) != 0 {
				t.Fatalf("body does not match the schema:\n%s\nbody: %.500s", strings.Join(errs, "\n"), body)
			}
		})
	}
	for _, o := range ops {
		if !exercised[o.method+" "+o.path] {
			t.Errorf("%s %s is never exercised", o.method, o.path)
		}
	}
}
