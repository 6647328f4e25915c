package central

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"civicdesk/sync/wire"
)

func TestEnroll(t *testing.T) {
	f := newFixture(t)
	enrollReq := func(code string) request {
		return request{method: "POST", path: wire.PathEnroll, body: wire.EnrollRequest{Code: code, DeviceName: "鼓楼区政务服务中心 kiosk 3", Kind: "kiosk"}}
	}

	t.Run("good code, then reused", func(t *testing.T) {
		code, err := f.srv.MintEnrollCode(time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		var er wire.EnrollResponse
		f.doJSON(enrollReq(code), 200, &er)
		if er.DeviceID == "" || !strings.HasPrefix(er.Token, deviceTokenPrefix) {
			t.Fatalf("answer %+v", er)
		}
		// The token works.
		f.doJSON(request{method: "GET", path: wire.PathChanges, token: er.Token}, 200, nil)
		f.wantError(enrollReq(code), 410, codeCodeUsed)
	})
	t.Run("code typed in lower case with spaces", func(t *testing.T) {
		code, _ := f.srv.MintEnrollCode(time.Hour)
		typed := strings.ToLower(strings.ReplaceAll(code, "-", " "))
		f.doJSON(enrollReq(typed), 200, nil)
	})
	t.Run("expired", func(t *testing.T) {
		code, _ := f.srv.MintEnrollCode(10 * time.Minute)
		f.clock.Advance(10 * time.Minute)
		f.wantError(enrollReq(code), 410, codeCodeExpired)
	})
	t.Run("just before expiry", func(t *testing.T) {
		code, _ := f.srv.MintEnrollCode(10 * time.Minute)
		f.clock.Advance(10*time.Minute - time.Second)
		f.doJSON(enrollReq(code), 200, nil)
	})
	t.Run("wrong code", func(t *testing.T) {
		f.wantError(enrollReq("ABCD-EFGH-JKMN"), 401, codeUnauthorized)
	})
	t.Run("long code", func(t *testing.T) {
		f.wantError(enrollReq(strings.Repeat("A", 100)), 401, codeUnauthorized)
	})
	t.Run("bad requests", func(t *testing.T) {
		for name, rq := range map[string]request{
			"empty code":    {method: "POST", path: wire.PathEnroll, body: wire.EnrollRequest{Kind: "phone"}},
			"bad kind":      {method: "POST", path: wire.PathEnroll, body: wire.EnrollRequest{Code: "X", Kind: "toaster"}},
			"long name":     {method: "POST", path: wire.PathEnroll, body: wire.EnrollRequest{Code: "X", DeviceName: strings.Repeat("n", 65)}},
			"unknown field": {method: "POST", path: wire.PathEnroll, raw: []byte(`{"code":"X","pin":"1234"}`)},
			"malformed":     {method: "POST", path: wire.PathEnroll, raw: []byte(`{"code":`)},
		} {
			t.Run(name, func(t *testing.T) {
				code := codeBadRequest
				if name == "unknown field" || name == "malformed" {
					code = codeMalformedJSON
				}
				f.wantError(rq, 400, code)
			})
		}
	})
	t.Run("mint refuses bad input", func(t *testing.T) {
		if _, err := f.srv.MintEnrollCode(0); !errors.Is(err, ErrBadTTL) {
			t.Fatalf("ttl 0: %v", err)
		}
		if _, err := f.srv.MintStaffToken("  "); !errors.Is(err, ErrBadName) {
			t.Fatalf("empty name: %v", err)
		}
	})
	t.Run("codes are distinct and typable", func(t *testing.T) {
		seen := map[string]bool{}
		for range 50 {
			c, _ := f.srv.MintEnrollCode(time.Hour)
			if len(c) != 14 || seen[c] || strings.ContainsAny(c, "01OIL") {
				t.Fatalf("code %q", c)
			}
			seen[c] = true
		}
	})
}

func TestStoredSecretsAreHashes(t *testing.T) {
	f := newFixture(t)
	code, _ := f.srv.MintEnrollCode(time.Hour)
	staff := f.staffToken()
	_, tok := f.enroll("phone")
	path := f.path
	f.close()
	raw := readFile(t, path)
	for _, secret := range []string{code, normalizeCode(code), staff, tok} {
		if strings.Contains(string(raw), secret) {
			t.Fatal("a token or code is stored in clear in the data file")
		}
	}
}

func TestAuthRequiredEverywhere(t *testing.T) {
	f := newFixture(t)
	_, devTok := f.enroll("kiosk")
	staffTok := f.staffToken()
	device := []request{
		{method: "GET", path: wire.PathCatalog},
		{method: "POST", path: wire.PathSubmit, body: wire.SubmitRequest{}},
		{method: "GET", path: wire.PathChanges},
		{method: "POST", path: wire.PathTrack, body: wire.TrackRequest{Tracking: "XZ", VerificationCode: "1"}},
		{method: "POST", path: wire.PathBlobs, body: wire.BlobCreate{SHA256: strings.Repeat("a", 64), Size: 1, Type: "image/png"}},
		{method: "HEAD", path: wire.PathBlobs + "/" + strings.Repeat("a", 64)},
		{method: "PATCH", path: wire.PathBlobs + "/" + strings.Repeat("a", 64), raw: []byte("x"), header: chunkHeaders(0, []byte("x"))},
	}
	staff := []request{
		{method: "GET", path: wire.PathBackoffice},
		{method: "POST", path: wire.PathBackoffice + "/XZ20260302000001/status", body: wire.StatusUpdate{Status: "in_review"}},
		{method: "GET", path: PathBackofficeBlobs + "/" + strings.Repeat("a", 64)},
	}
	tokens := map[string]string{
		"no token":    "",
		"wrong token": deviceTokenPrefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"garbage":     "not-a-token",
	}
	for _, group := range []struct {
		name     string
		reqs     []request
		wrongTok string // a real token of the other kind
	}{{"device endpoints", device, staffTok}, {"staff endpoints", staff, devTok}} {
		for _, rq := range group.reqs {
			for name, tok := range map[string]string{"no token": tokens["no token"], "wrong token": tokens["wrong token"],
				"garbage": tokens["garbage"], "other kind of token": group.wrongTok} {
				t.Run(group.name+"/"+rq.method+" "+rq.path+"/"+name, func(t *testing.T) {
					rq := rq
					rq.token = tok
					resp, b := f.do(rq)
					checkAuthError(t, name, rq.method, resp, b)
					if resp.Header.Get("WWW-Authenticate") == "" {
						t.Fatal("401 without WWW-Authenticate")
					}
				})
			}
		}
	}
	t.Run("every route but the public ones", func(t *testing.T) {
		public := map[string]bool{"GET " + wire.PathHealth: true, "GET " + PathOpenAPI: true, "POST " + wire.PathEnroll: true}
		for _, rt := range f.srv.routes() {
			key := rt.method + " " + rt.path
			if public[key] != (rt.auth == authNone) {
				t.Fatalf("%s: auth %d", key, rt.auth)
			}
			if rt.auth == authNone {
				continue
			}
			path := strings.ReplaceAll(rt.path, "{tracking}", "XZ20260302000001")
			path = strings.ReplaceAll(path, "{sha256}", strings.Repeat("a", 64))
			resp, b := f.do(request{method: rt.method, path: path, raw: []byte(`{}`)})
			checkAuthError(t, key, rt.method, resp, b)
		}
	})
	t.Run("basic auth is not a bearer token", func(t *testing.T) {
		f.wantError(request{method: "GET", path: wire.PathCatalog, header: map[string]string{"Authorization": "Basic " + devTok}}, 401, codeUnauthorized)
	})
	t.Run("no auth needed", func(t *testing.T) {
		for _, p := range []string{wire.PathHealth, PathOpenAPI} {
			f.doJSON(request{method: "GET", path: p}, 200, nil)
		}
	})
}

// checkAuthError checks a 401 answer: a wire.Error body, except for HEAD,
// whose answers have no body.
func checkAuthError(t *testing.T, what, method string, resp *http.Response, b []byte) {
	t.Helper()
	if method != http.MethodHead {
		checkError(t, what, resp, b, 401, codeUnauthorized)
		return
	}
	if resp.StatusCode != 401 || len(b) != 0 {
		t.Fatalf("%s: HEAD answered %d with %d bytes, want 401 without a body", what, resp.StatusCode, len(b))
	}
}

func TestCatalogETag(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("phone")
	resp, body := f.do(request{method: "GET", path: wire.PathCatalog, token: tok})
	if resp.StatusCode != 200 {
		t.Fatalf("catalog: %d", resp.StatusCode)
	}
	etag := resp.Header.Get("ETag")
	if len(etag) != 66 || etag[0] != '"' || etag[65] != '"' {
		t.Fatalf("ETag %q is not a quoted SHA-256", etag)
	}
	if sha := sha256Hex(body); etag != `"`+sha+`"` {
		t.Fatalf("ETag %s is not the hash of the body", etag)
	}
	var c struct {
		Version  string `json:"version"`
		Services []struct {
			Code string `json:"code"`
		} `json:"services"`
	}
	if err := jsonUnmarshal(body, &c); err != nil || c.Version != "test-1" || len(c.Services) != 1 {
		t.Fatalf("catalog body: %v %+v", err, c)
	}
	tests := []struct {
		name, inm string
		want      int
	}{
		{"same etag", etag, 304},
		{"weak form", "W/" + etag, 304},
		{"in a list", `"old", ` + etag, 304},
		{"star", "*", 304},
		{"other etag", `"0123"`, 200},
		{"unquoted", strings.Trim(etag, `"`), 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := f.do(request{method: "GET", path: wire.PathCatalog, token: tok, header: map[string]string{"If-None-Match": tc.inm}})
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
			if resp.Header.Get("ETag") != etag {
				t.Fatal("ETag missing")
			}
			if tc.want == 304 && len(b) != 0 {
				t.Fatal("304 with a body")
			}
		})
	}
}
