package central

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/sync/wire"
)

var trackingRE = regexp.MustCompile(`^320320260302\d{6}$`)

func hasFieldError(errs []catalog.FieldError, field, code string) bool {
	for _, e := range errs {
		if e.Field == field && e.Code == code {
			return true
		}
	}
	return false
}

func TestSubmitMixedBatch(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")

	// An application the server already has, to conflict with and to duplicate.
	earlier := newItem(validValues())
	first := f.submit(tok, earlier)[0]
	if first.Outcome != wire.Accepted {
		t.Fatalf("first submission: %+v", first)
	}

	good := newItem(validValues())
	badID := newItem(validValues())
	badID.Values["id_number"] = "110105194912310021" // wrong check character
	missing := newItem(catalog.Values{"name": "李强", "id_number": idNumber("32031119750304211"), "district": "320311"})
	unknownSvc := newItem(validValues())
	unknownSvc.Service = "time_travel_permit"
	conflicting := earlier
	conflicting.Values = validValues()
	conflicting.Values["phone"] = "13952260000"
	noID := newItem(validValues())
	noID.ID = ""
	upperID := newItem(validValues())
	upperID.ID = strings.ToUpper(upperID.ID)
	inBatchDup := good // the same item twice in one batch
	inBatchOther := newItem(validValues())
	inBatchOther.ID = good.ID
	inBatchOther.Values["district"] = "320311"
	withAttachment := newItem(validValues())
	withAttachment.Attachments = []wire.Attachment{{SHA256: strings.Repeat("0", 64), Type: "image/jpeg", Size: 4}}

	items := []wire.SubmitItem{good, badID, missing, unknownSvc, conflicting, earlier, noID, upperID, inBatchDup, inBatchOther, withAttachment}
	res := f.submit(tok, items...)

	check := func(i int, want wire.Outcome) wire.ItemResult {
		t.Helper()
		if res[i].Outcome != want {
			t.Fatalf("item %d: outcome %q, want %q (%+v)", i, res[i].Outcome, want, res[i])
		}
		return res[i]
	}
	t.Run("valid item accepted", func(t *testing.T) {
		r := check(0, wire.Accepted)
		if r.ID != good.ID || !trackingRE.MatchString(r.Tracking) || len(r.VerificationCode) != 6 ||
			r.Status != lifecycle.Received || !r.AcceptedAt.Equal(f.clock.Now()) || r.Duplicate {
			t.Fatalf("result %+v", r)
		}
		if r.Tracking == first.Tracking {
			t.Fatal("tracking number reused")
		}
	})
	t.Run("checksum error", func(t *testing.T) {
		r := check(1, wire.Invalid)
		if r.ID != badID.ID || !hasFieldError(r.Errors, "id_number", catalog.CodeIDNumberChecksum) || r.Tracking != "" {
			t.Fatalf("result %+v", r)
		}
	})
	t.Run("required field missing", func(t *testing.T) {
		if r := check(2, wire.Invalid); !hasFieldError(r.Errors, "phone", catalog.CodeRequired) {
			t.Fatalf("result %+v", r)
		}
	})
	t.Run("unknown service", func(t *testing.T) {
		if r := check(3, wire.Invalid); !hasFieldError(r.Errors, "service", "service.unknown") {
			t.Fatalf("result %+v", r)
		}
	})
	t.Run("same id other content conflicts", func(t *testing.T) {
		if r := check(4, wire.Conflict); r.ID != earlier.ID || r.Tracking != "" {
			t.Fatalf("result %+v", r)
		}
	})
	t.Run("replay returns the original result", func(t *testing.T) {
		r := check(5, wire.Accepted)
		if !r.Duplicate || r.Tracking != first.Tracking || r.VerificationCode != first.VerificationCode || !r.AcceptedAt.Equal(first.AcceptedAt) {
			t.Fatalf("result %+v, first %+v", r, first)
		}
	})
	t.Run("empty id", func(t *testing.T) {
		if r := check(6, wire.Invalid); !hasFieldError(r.Errors, "id", "id.required") {
			t.Fatalf("result %+v", r)
		}
	})
	t.Run("non-canonical id", func(t *testing.T) {
		if r := check(7, wire.Invalid); !hasFieldError(r.Errors, "id", "id.malformed") || r.ID != upperID.ID {
			t.Fatalf("result %+v", r)
		}
	})
	t.Run("same item twice in the batch", func(t *testing.T) {
		r := check(8, wire.Accepted)
		if !r.Duplicate || r.Tracking != res[0].Tracking {
			t.Fatalf("result %+v", r)
		}
	})
	t.Run("same id, other content, in the batch", func(t *testing.T) {
		check(9, wire.Conflict)
	})
	t.Run("attachment whose blob the server lacks", func(t *testing.T) {
		if r := check(10, wire.Retry); !hasFieldError(r.Errors, "attachments", wire.CodeBlobMissing) || r.Tracking != "" {
			t.Fatalf("result %+v", r)
		}
	})
	t.Run("stored exactly once", func(t *testing.T) {
		if n, err := f.srv.Count(); err != nil || n != 2 {
			t.Fatalf("Count = %d, %v; want 2", n, err)
		}
		for _, it := range []wire.SubmitItem{earlier, good} {
			if f.srv.CountByID(it.ID) != 1 {
				t.Fatal("accepted item not stored")
			}
		}
		for _, it := range []wire.SubmitItem{badID, missing, unknownSvc} {
			if f.srv.CountByID(it.ID) != 0 {
				t.Fatal("refused item stored")
			}
		}
	})
}

func TestSubmitReplayIsIdempotent(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("phone")
	items := []wire.SubmitItem{newItem(validValues()), newItem(validValues()), newItem(validValues())}
	first := f.submit(tok, items...)
	// The device's clock and CreatedAt do not enter the fingerprint.
	for i := range items {
		items[i].CreatedAt = items[i].CreatedAt.AddDate(0, 0, 3)
	}
	f.clock.Advance(36 * 60 * 60 * 1e9) // the next day: tracking numbers must not change
	for round := range 3 {
		again := f.submit(tok, items...)
		for i := range items {
			if again[i].Outcome != wire.Accepted || !again[i].Duplicate || again[i].Tracking != first[i].Tracking ||
				again[i].VerificationCode != first[i].VerificationCode {
				t.Fatalf("round %d item %d: %+v, first %+v", round, i, again[i], first[i])
			}
		}
	}
	if n, _ := f.srv.Count(); n != 3 {
		t.Fatalf("Count = %d, want 3", n)
	}
	// Tracking numbers are distinct and sequential within the day.
	seen := map[string]bool{}
	for _, r := range first {
		if seen[r.Tracking] {
			t.Fatal("duplicate tracking number")
		}
		seen[r.Tracking] = true
	}
	if first[0].Tracking != "320320260302000001" || first[2].Tracking != "320320260302000003" {
		t.Fatalf("tracking numbers %s..%s", first[0].Tracking, first[2].Tracking)
	}
	next := f.submit(tok, newItem(validValues()))[0]
	if next.Tracking != "320320260303000001" {
		t.Fatalf("next day's first tracking number %s", next.Tracking)
	}
}

func TestSubmitMalformedItemOnlyFailsItself(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	good := newItem(validValues())
	goodJSON, _ := json.Marshal(good)
	badTypeID := `{"id":"0192d6f0-7b1a-7cc4-8e4c-3a8f4b2d1e90","service":"residence_permit","service_version":"two","values":{}}`
	numberID := `{"id":42,"service":"residence_permit","values":{}}`
	extraField := `{"id":"0192d6f0-7b1a-7cc4-8e4c-3a8f4b2d1e91","service":"residence_permit","values":{},"secret":1}`
	body := fmt.Sprintf(`{"items":[%s,%s,%s,%s,"just a string",null]}`, goodJSON, badTypeID, numberID, extraField)
	var sr wire.SubmitResponse
	f.doJSON(request{method: "POST", path: wire.PathSubmit, token: tok, raw: []byte(body)}, 200, &sr)
	if len(sr.Results) != 6 {
		t.Fatalf("%d results", len(sr.Results))
	}
	if sr.Results[0].Outcome != wire.Accepted {
		t.Fatalf("good item: %+v", sr.Results[0])
	}
	wantIDs := []string{"0192d6f0-7b1a-7cc4-8e4c-3a8f4b2d1e90", "", "0192d6f0-7b1a-7cc4-8e4c-3a8f4b2d1e91", "", ""}
	// A malformed id is named back, so that the client can match the result, unless it is huge.
	long := newItem(validValues())
	long.ID = strings.Repeat("a", 65)
	if r := f.submit(tok, long)[0]; r.Outcome != wire.Invalid || r.ID != "" {
		t.Fatalf("long id: %+v", r)
	}
	for i, r := range sr.Results[1:] {
		if r.Outcome != wire.Invalid || r.ID != wantIDs[i] || len(r.Errors) == 0 {
			t.Fatalf("item %d: %+v", i+1, r)
		}
	}
	if !strings.Contains(sr.Results[3].Errors[0].Message, `"secret"`) {
		t.Fatalf("unknown field message %q does not name the field", sr.Results[3].Errors[0].Message)
	}
}

func TestSubmitBodies(t *testing.T) {
	const maxBody = 64 << 10
	f := newFixture(t, func(o *Options) { o.MaxBody = maxBody; o.MaxItems = 5 })
	_, tok := f.enroll("kiosk")
	validBatch, _ := json.Marshal(wire.SubmitRequest{Items: []wire.SubmitItem{newItem(validValues())}})

	t.Run("gzip body", func(t *testing.T) {
		var sr wire.SubmitResponse
		f.doJSON(request{method: "POST", path: wire.PathSubmit, token: tok, raw: validBatch, gzip: true}, 200, &sr)
		if len(sr.Results) != 1 || sr.Results[0].Outcome != wire.Accepted {
			t.Fatalf("%+v", sr)
		}
	})
	t.Run("gzip bomb", func(t *testing.T) {
		// 64 MiB of spaces inside a JSON string compress to about 64 KiB... use zeros
		// in a padded JSON value: tiny on the wire, huge when inflated.
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write([]byte(`{"items":[],"pad":"`))
		chunk := bytes.Repeat([]byte{'a'}, 1<<20)
		for range 64 {
			zw.Write(chunk)
		}
		zw.Write([]byte(`"}`))
		zw.Close()
		if buf.Len() > maxBody {
			t.Fatalf("bomb is %d bytes compressed, over the raw limit", buf.Len())
		}
		rq := request{method: "POST", path: wire.PathSubmit, token: tok, raw: buf.Bytes(), header: map[string]string{"Content-Encoding": "gzip"}}
		f.wantError(rq, 413, codeTooLarge)
	})
	t.Run("oversize", func(t *testing.T) {
		big := newItem(validValues())
		big.Values["name"] = strings.Repeat("王", maxBody)
		f.wantError(request{method: "POST", path: wire.PathSubmit, token: tok, body: wire.SubmitRequest{Items: []wire.SubmitItem{big}}}, 413, codeTooLarge)
	})
	t.Run("too many items", func(t *testing.T) {
		items := make([]wire.SubmitItem, 6)
		for i := range items {
			items[i] = newItem(validValues())
		}
		f.wantError(request{method: "POST", path: wire.PathSubmit, token: tok, body: wire.SubmitRequest{Items: items}}, 413, codeTooLarge)
		for _, it := range items {
			if f.srv.CountByID(it.ID) != 0 {
				t.Fatal("an item of a refused batch was stored")
			}
		}
	})
	errorCases := []struct {
		name   string
		rq     request
		status int
		code   string
	}{
		{"malformed JSON", request{raw: []byte(`{"items":[`)}, 400, codeMalformedJSON},
		{"syntax error", request{raw: []byte(`{"items":[}]}`)}, 400, codeMalformedJSON},
		{"empty body", request{raw: []byte{}}, 400, codeMalformedJSON},
		{"not an object", request{raw: []byte(`[1,2]`)}, 400, codeMalformedJSON},
		{"unknown top-level field", request{raw: []byte(`{"items":[],"batch_id":1}`)}, 400, codeMalformedJSON},
		{"trailing data", request{raw: []byte(`{"items":[]} {"items":[]}`)}, 400, codeMalformedJSON},
		{"items not an array", request{raw: []byte(`{"items":{}}`)}, 400, codeMalformedJSON},
		{"broken gzip", request{raw: []byte("not gzip at all"), header: map[string]string{"Content-Encoding": "gzip"}}, 400, codeBadRequest},
		{"truncated gzip", request{raw: gzipBytes(validBatch)[:20], header: map[string]string{"Content-Encoding": "gzip"}}, 400, codeBadRequest},
		{"wrong content type", request{raw: validBatch, header: map[string]string{"Content-Type": "text/plain"}}, 415, codeUnsupportedMedia},
		{"form content type", request{raw: validBatch, header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, codeUnsupportedMedia},
		{"brotli", request{raw: validBatch, header: map[string]string{"Content-Encoding": "br"}}, 415, codeUnsupportedMedia},
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			rq := tc.rq
			rq.method, rq.path, rq.token = "POST", wire.PathSubmit, tok
			e := f.wantError(rq, tc.status, tc.code)
			if !strings.Contains(e.Message, ":") {
				t.Fatalf("message %q does not say what to do", e.Message)
			}
		})
	}
	t.Run("charset parameter is fine", func(t *testing.T) {
		f.doJSON(request{method: "POST", path: wire.PathSubmit, token: tok, raw: []byte(`{"items":[]}`),
			header: map[string]string{"Content-Type": "application/json; charset=utf-8"}}, 200, nil)
	})
}
