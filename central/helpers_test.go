package central

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"civicdesk/app/catalog"
	"civicdesk/sync/wire"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func intp(n int) *int { return &n }

// testCatalog is a small catalog with the field types the server must
// validate: text, id_number, phone, select.
func testCatalog() *catalog.Catalog {
	t := func(zh, en string) catalog.Text { return catalog.Text{catalog.LangZh: zh, catalog.LangEn: en} }
	return &catalog.Catalog{
		Version: "test-1",
		Services: []catalog.Service{{
			Code: "residence_permit", Version: 2, Name: t("居住证申领", "Residence permit"),
			Description: t("申领居住证", "Apply for a residence permit"), Department: t("公安局", "Public Security"),
			Materials: []catalog.Text{t("居民身份证", "Resident ID card")}, ProcessingTime: t("15日", "up to 15 days"),
			Fee: t("首次免费", "first issue free"), InPerson: true,
			Form: catalog.Form{Fields: []catalog.Field{
				{Name: "name", Type: catalog.TypeText, Label: t("姓名", "Name"), Required: true, MaxLength: intp(30)},
				{Name: "id_number", Type: catalog.TypeIDNumber, Label: t("身份证号", "ID number"), Required: true},
				{Name: "phone", Type: catalog.TypePhone, Label: t("手机号", "Mobile"), Required: true},
				{Name: "district", Type: catalog.TypeSelect, Label: t("所在区县", "District"), Required: true,
					Options: []catalog.Option{{Value: "320302", Label: t("鼓楼区", "Gulou")}, {Value: "320311", Label: t("泉山区", "Quanshan")}}},
			}},
		}},
	}
}

// idNumber completes 17 digits with their GB 11643 check character.
func idNumber(first17 string) string {
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(first17[i]-'0') * w
	}
	return first17 + string("10X98765432"[sum%11])
}

func TestIDNumberHelper(t *testing.T) {
	if got := idNumber("11010519491231002"); got != "11010519491231002X" {
		t.Fatalf("idNumber = %s, want 11010519491231002X", got)
	}
}

// validValues are realistic answers for residence_permit.
func validValues() catalog.Values {
	return catalog.Values{
		"name":      "王晓梅",
		"id_number": idNumber("32030219880612342"),
		"phone":     "13852261234",
		"district":  "320302",
	}
}

func newItem(values catalog.Values) wire.SubmitItem {
	return wire.SubmitItem{ID: uuid.Must(uuid.NewV7()).String(), Service: "residence_permit", ServiceVersion: 2,
		Values: values, CreatedAt: time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// fixture is a server on a temporary file behind a real HTTP listener.
type fixture struct {
	t     *testing.T
	path  string
	clock *fakeClock
	srv   *Server
	ts    *httptest.Server
}

func newFixture(t *testing.T, mod ...func(*Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, path: filepath.Join(t.TempDir(), "central.db"), clock: newFakeClock()}
	f.open(mod...)
	t.Cleanup(f.close)
	return f
}

func (f *fixture) open(mod ...func(*Options)) {
	f.t.Helper()
	o := Options{Path: f.path, Catalog: testCatalog(), Clock: f.clock.Now}
	for _, m := range mod {
		m(&o)
	}
	srv, err := Open(o)
	if err != nil {
		f.t.Fatalf("Open: %v", err)
	}
	f.srv = srv
	f.ts = httptest.NewServer(srv.Handler())
}

func (f *fixture) close() {
	if f.ts != nil {
		f.ts.Close()
		f.ts = nil
	}
	if f.srv != nil {
		f.srv.Close()
		f.srv = nil
	}
}

// reopen closes the server and opens the same file again.
func (f *fixture) reopen() {
	f.t.Helper()
	f.close()
	f.open()
}

// request is one HTTP call of a test.
type request struct {
	method, path, token string
	body                any    // marshalled as JSON unless raw is set
	raw                 []byte // sent as is
	gzip                bool
	header              map[string]string
}

func (f *fixture) do(rq request) (*http.Response, []byte) {
	f.t.Helper()
	var payload []byte
	switch {
	case rq.raw != nil:
		payload = rq.raw
	case rq.body != nil:
		var err error
		if payload, err = json.Marshal(rq.body); err != nil {
			f.t.Fatal(err)
		}
	}
	if rq.gzip {
		payload = gzipBytes(payload)
	}
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequest(rq.method, f.ts.URL+rq.path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if rq.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if rq.token != "" {
		req.Header.Set("Authorization", "Bearer "+rq.token)
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", rq.method, rq.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp, b
}

// doJSON makes a call, checks the status and decodes the answer into out.
func (f *fixture) doJSON(rq request, want int, out any) *http.Response {
	f.t.Helper()
	resp, b := f.do(rq)
	if resp.StatusCode != want {
		f.t.Fatalf("%s %s: status %d, want %d; body %s", rq.method, rq.path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			f.t.Fatalf("%s %s: decode answer: %v; body %s", rq.method, rq.path, err, b)
		}
	}
	return resp
}

// wantError checks a status and a JSON wire.Error body with the given code.
func (f *fixture) wantError(rq request, status int, code string) wire.Error {
	f.t.Helper()
	resp, b := f.do(rq)
	return checkError(f.t, rq.method+" "+rq.path, resp, b, status, code)
}

func checkError(t *testing.T, what string, resp *http.Response, b []byte, status int, code string) wire.Error {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s: status %d, want %d; body %s", what, resp.StatusCode, status, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("%s: Content-Type %q, want JSON", what, ct)
	}
	var e wire.Error
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("%s: error body is not a wire.Error: %v; body %s", what, err, b)
	}
	if e.Code != code || e.Message == "" {
		t.Fatalf("%s: error %q (%q), want code %q with a message", what, e.Code, e.Message, code)
	}
	return e
}

// enroll mints a code and enrols a device with it.
func (f *fixture) enroll(kind string) (deviceID, token string) {
	f.t.Helper()
	code, err := f.srv.MintEnrollCode(time.Hour)
	if err != nil {
		f.t.Fatal(err)
	}
	var er wire.EnrollResponse
	f.doJSON(request{method: "POST", path: wire.PathEnroll, body: wire.EnrollRequest{Code: code, DeviceName: "hall-1", Kind: kind}}, 200, &er)
	if er.DeviceID == "" || er.Token == "" {
		f.t.Fatalf("enrol answer incomplete: %+v", er)
	}
	return er.DeviceID, er.Token
}

func (f *fixture) staffToken() string {
	f.t.Helper()
	tok, err := f.srv.MintStaffToken("counter-3")
	if err != nil {
		f.t.Fatal(err)
	}
	return tok
}

// submit sends a batch and returns its results.
func (f *fixture) submit(token string, items ...wire.SubmitItem) []wire.ItemResult {
	f.t.Helper()
	var sr wire.SubmitResponse
	f.doJSON(request{method: "POST", path: wire.PathSubmit, token: token, body: wire.SubmitRequest{Items: items}}, 200, &sr)
	if len(sr.Results) != len(items) {
		f.t.Fatalf("submit: %d results for %d items", len(sr.Results), len(items))
	}
	return sr.Results
}

// changes fetches one page of a device's changes feed.
func (f *fixture) changes(token, cursor string, limit int) wire.ChangesResponse {
	f.t.Helper()
	path := wire.PathChanges + "?cursor=" + cursor
	if limit > 0 {
		path += "&limit=" + strconv.Itoa(limit)
	}
	var cr wire.ChangesResponse
	f.doJSON(request{method: "GET", path: path, token: token}, 200, &cr)
	return cr
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
