package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"civicdesk/app/staff"
	"civicdesk/app/store"
	"civicdesk/central"
	"civicdesk/sync/open311/open311test"
	"civicdesk/sync/remote"
)

// hall is a data directory and a real central API on 127.0.0.1.
type hall struct {
	t    *testing.T
	data string
	srv  *central.Server
	api  string
}

func newHall(t *testing.T) *hall {
	t.Helper()
	t.Setenv("CIVICDESK_DATA", "")
	t.Setenv("CIVICDESK_API", "")
	t.Setenv("CIVICDESK_KEY", "")
	srv, err := central.Open(central.Options{Path: filepath.Join(t.TempDir(), "central.db")})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return &hall{t: t, data: t.TempDir(), srv: srv, api: hs.URL}
}

// hallctl runs the command in-process and returns exit code and outputs.
func (h *hall) hallctl(stdin string, args ...string) (int, string, string) {
	h.t.Helper()
	var out, errOut bytes.Buffer
	full := append([]string{"--data", h.data}, args...)
	code := run(context.Background(), full, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func (h *hall) enroll() {
	h.t.Helper()
	code, err := h.srv.MintEnrollCode(time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	if rc, out, errOut := h.hallctl("", "--api", h.api, "enroll", "--code", code); rc != exitOK {
		h.t.Fatalf("enroll: exit %d\n%s%s", rc, out, errOut)
	}
}

func sample(t *testing.T) string {
	b, err := os.ReadFile("../../scripts/sample-application.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLifeOfAnApplication(t *testing.T) {
	h := newHall(t)
	h.enroll()

	rc, out, errOut := h.hallctl(sample(t), "submit", "-")
	if rc != exitOK || !strings.Contains(out, "queued ") {
		t.Fatalf("submit: exit %d\n%s%s", rc, out, errOut)
	}
	if rc, out, _ := h.hallctl("", "queue"); rc != exitOK || !strings.Contains(out, "queued 1") {
		t.Fatalf("queue: exit %d\n%s", rc, out)
	}
	if rc, out, errOut := h.hallctl("", "sync"); rc != exitOK || !strings.Contains(out, "accepted 1") || !strings.Contains(out, "0 waiting") {
		t.Fatalf("sync: exit %d\n%s%s", rc, out, errOut)
	}
	if n, _ := h.srv.Count(); n != 1 {
		t.Fatalf("server holds %d applications, want 1", n)
	}

	rc, out, _ = h.hallctl("", "--json", "queue", "--all")
	var q struct {
		Rows []struct {
			ID       string
			Tracking string
		}
	}
	if err := json.Unmarshal([]byte(out), &q); err != nil || rc != exitOK || len(q.Rows) != 1 || q.Rows[0].Tracking == "" {
		t.Fatalf("queue --json: exit %d, %v\n%s", rc, err, out)
	}
	tracking := q.Rows[0].Tracking
	if rc, out, _ := h.hallctl("", "status", tracking); rc != exitOK || !strings.Contains(out, "central API says: received") {
		t.Fatalf("status: exit %d\n%s", rc, out)
	}

	// The back office moves it on; the next sync pulls the change.
	if _, err := h.srv.AdvanceDemo(); err != nil {
		t.Fatal(err)
	}
	if rc, out, _ := h.hallctl("", "sync"); rc != exitOK || !strings.Contains(out, "1 status change") {
		t.Fatalf("second sync: exit %d\n%s", rc, out)
	}
	if rc, out, _ := h.hallctl("", "status", "--local", q.Rows[0].ID); rc != exitOK || !strings.Contains(out, "state: in_review") {
		t.Fatalf("status after change: exit %d\n%s", rc, out)
	}

	// The export holds the receipt and no personal data.
	rc, out, _ = h.hallctl("", "export")
	if rc != exitOK || !strings.Contains(out, tracking) {
		t.Fatalf("export: exit %d\n%s", rc, out)
	}
	for _, personal := range []string{"王秀英", "320302199003070026", "13852012345"} {
		if strings.Contains(out, personal) {
			t.Fatalf("export contains personal data %q", personal)
		}
	}
	if rc, out, _ := h.hallctl("", "doctor"); rc != exitOK {
		t.Fatalf("doctor: exit %d\n%s", rc, out)
	}
}

func TestSubmitRefusesAnInvalidApplication(t *testing.T) {
	h := newHall(t)
	bad := strings.Replace(sample(t), "320302199003070026", "320302199003070027", 1)
	rc, out, errOut := h.hallctl(bad, "submit", "-")
	if rc != exitInvalid || !strings.Contains(out, "id_number.checksum") || !strings.Contains(errOut, "Nothing was queued") {
		t.Fatalf("want exit %d with the field error; got %d\n%s%s", exitInvalid, rc, out, errOut)
	}
	if strings.Contains(out+errOut, "320302199003070027") {
		t.Fatal("the error output repeats the ID number")
	}
	if rc, out, _ := h.hallctl("", "queue"); rc != exitOK || !strings.HasPrefix(out, "0 applications") {
		t.Fatalf("an invalid application was queued: %s", out)
	}
	if rc, _, errOut := h.hallctl("{not json", "submit", "-"); rc != exitInvalid || !strings.Contains(errOut, "not valid JSON") {
		t.Fatalf("malformed JSON: exit %d: %s", rc, errOut)
	}
}

func TestSyncOfflineKeepsTheQueue(t *testing.T) {
	h := newHall(t)
	h.enroll()
	if rc, _, errOut := h.hallctl(sample(t), "submit", "-"); rc != exitOK {
		t.Fatal(errOut)
	}
	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	rc, _, errOut := h.hallctl("", "--api", dead, "sync")
	if rc != exitOffline || !strings.Contains(errOut, "stay queued") {
		t.Fatalf("offline sync: exit %d: %s", rc, errOut)
	}
	if rc, out, _ := h.hallctl("", "queue"); rc != exitOK || !strings.Contains(out, "queued 1") {
		t.Fatalf("queue after offline sync: %s", out)
	}
}

func TestUsageAndState(t *testing.T) {
	h := newHall(t)
	cases := []struct {
		name string
		args []string
		want int
		msg  string
	}{
		{"no command", nil, exitUsage, "Usage"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "unknown command"},
		{"enroll without code", []string{"--api", h.api, "enroll"}, exitUsage, "--code is required"},
		{"sync before enrolment", []string{"sync"}, exitNotEnroled, "enroll"},
		{"bad policy", []string{"--policy", "forever", "queue"}, exitUsage, "kiosk or personal"},
		{"unknown state", []string{"queue", "--state", "lost"}, exitUsage, "unknown state"},
		{"status of nothing", []string{"status", "XZ0000"}, exitError, "no application"},
		{"wrong enrolment code", []string{"--api", h.api, "enroll", "--code", "nope"}, exitError, "enrolment failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc, out, errOut := h.hallctl("", tc.args...)
			if rc != tc.want || !strings.Contains(out+errOut, tc.msg) {
				t.Fatalf("exit %d (want %d), output lacks %q:\n%s%s", rc, tc.want, tc.msg, out, errOut)
			}
		})
	}
}

func TestStaffPIN(t *testing.T) {
	h := newHall(t)
	if rc, _, errOut := h.hallctl("12ab\n", "staff-pin"); rc != exitUsage || errOut == "" {
		t.Fatalf("a PIN with letters: exit %d: %s", rc, errOut)
	}
	if rc, out, errOut := h.hallctl("482913\n", "staff-pin"); rc != exitOK || !strings.Contains(out, "staff PIN set") {
		t.Fatalf("exit %d: %s%s", rc, out, errOut)
	}
	st, err := store.Open(store.Options{Dir: h.data})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g := staff.NewGuard(st, time.Now)
	if err := g.Check("482913"); err != nil {
		t.Fatalf("the PIN set by hallctl does not open staff mode: %v", err)
	}
}

func TestStoreInUse(t *testing.T) {
	h := newHall(t)
	st, err := store.Open(store.Options{Dir: h.data})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	rc, _, errOut := h.hallctl("", "queue")
	if rc != exitInUse || !strings.Contains(errOut, "already in use by another civicdesk process") {
		t.Fatalf("exit %d: %s", rc, errOut)
	}
	t.Logf("refused after %s", time.Since(start))
}

// With --no-attachments (data saver) an application waits for its scan;
// the next ordinary sync uploads it and sends the application.
func TestSyncWithoutAttachments(t *testing.T) {
	h := newHall(t)
	h.enroll()
	dir := t.TempDir()
	scan := append([]byte{0xff, 0xd8, 0xff, 0xe0}, make([]byte, 300_000)...)
	if err := os.WriteFile(filepath.Join(dir, "register.jpg"), scan, 0o600); err != nil {
		t.Fatal(err)
	}
	app := strings.Replace(sample(t), `"values": {`, `"files": {"household_register_scan": "register.jpg"}, "values": {`, 1)
	if err := os.WriteFile(filepath.Join(dir, "app.json"), []byte(app), 0o600); err != nil {
		t.Fatal(err)
	}
	if rc, out, errOut := h.hallctl("", "submit", filepath.Join(dir, "app.json")); rc != exitOK {
		t.Fatalf("submit with a scan: exit %d\n%s%s", rc, out, errOut)
	}
	rc, out, errOut := h.hallctl("", "sync", "--no-attachments")
	if rc != exitOK || !strings.Contains(out, "1 application(s) wait for their attachments") {
		t.Fatalf("data-saver sync: exit %d\n%s%s", rc, out, errOut)
	}
	if n, _ := h.srv.Count(); n != 0 {
		t.Fatalf("the server has %d applications before their scan", n)
	}
	rc, out, errOut = h.hallctl("", "sync")
	if rc != exitOK || !strings.Contains(out, "accepted 1") || !strings.Contains(out, "1 uploaded") {
		t.Fatalf("full sync: exit %d\n%s%s", rc, out, errOut)
	}
}

// hallctl syncs with an Open311 GeoReport v2 endpoint the same way: the
// city's catalog, a submission, its service_request_id as the tracking number.
func TestOpen311Endpoint(t *testing.T) {
	h := newHall(t)
	srv := open311test.NewServer(open311test.Options{})
	defer srv.Close()
	t.Setenv(remote.EnvOpen311Key, srv.APIKey())
	api := "open311+" + srv.URL()
	if rc, out, errOut := h.hallctl("", "--api", api, "catalog", "--refresh", "--lang", "en"); rc != exitOK || !strings.Contains(out, "pothole") {
		t.Fatalf("catalog from Open311: exit %d\n%s%s", rc, out, errOut)
	}
	if rc, _, errOut := h.hallctl("", "--api", api, "enroll", "--code", "x"); rc != exitUsage || !strings.Contains(errOut, "Open311") {
		t.Fatalf("enrolment with an Open311 endpoint: exit %d: %s", rc, errOut)
	}
	app := `{"service": "pothole", "values": {"address_string": "中山北路 18 号", "attribute_depth": 12, "attribute_size": "M",
		"attribute_hazards": ["water"], "attribute_near_by": "No. 18", "description": "a deep hole"}}`
	rc, out, errOut := h.hallctl(app, "--api", api, "submit", "-")
	if rc != exitOK {
		t.Fatalf("submit: exit %d\n%s%s", rc, out, errOut)
	}
	if rc, out, errOut := h.hallctl("", "--api", api, "sync"); rc != exitOK || !strings.Contains(out, "accepted 1") {
		t.Fatalf("sync with Open311: exit %d\n%s%s", rc, out, errOut)
	}
	if n := len(srv.Stored()); n != 1 {
		t.Fatalf("the Open311 server holds %d requests, want 1", n)
	}
}

// TestQueueCountsInteractions: `queue` also says how many tickets, ratings
// and feedback wait to be sent, in text and in --json.
func TestQueueCountsInteractions(t *testing.T) {
	h := newHall(t)
	st, err := store.Open(store.Options{Dir: h.data})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"01900000-0000-7000-8000-000000000001", "01900000-0000-7000-8000-000000000002"} {
		if _, err := st.QueueInteraction(id, "rating", []byte(`{"score":5}`)); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	if rc, out, _ := h.hallctl("", "queue"); rc != exitOK || !strings.Contains(out, "2 tickets, ratings and feedback waiting") {
		t.Fatalf("queue: exit %d\n%s", rc, out)
	}
	rc, out, _ := h.hallctl("", "--json", "queue")
	var q struct {
		Waiting int `json:"interactions_waiting"`
	}
	if err := json.Unmarshal([]byte(out), &q); err != nil || rc != exitOK || q.Waiting != 2 {
		t.Fatalf("queue --json: exit %d, %v\n%s", rc, err, out)
	}
}
