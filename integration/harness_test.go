package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"

	"civicdesk/app/catalog"
	"civicdesk/app/store"
	"civicdesk/central"
	"civicdesk/sync/client"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

// centralEnv is a real central API on 127.0.0.1, optionally behind Toxiproxy.
type centralEnv struct {
	t     testing.TB
	srv   *central.Server
	addr  string // where the server listens
	http  *http.Server
	toxi  *toxiproxy.ApiServer
	proxy *toxiproxy.Proxy
	path  string // the server's data file
	// requests counts HTTP requests that reached the server.
	requests atomic.Int64
	mu       sync.Mutex
	wrap     func(http.Handler) http.Handler // set with setWrap
	// cutAfterCommit > 0: that many submissions are committed, then their
	// response is cut after cutBytes bytes (0: nothing is sent back).
	cutAfterCommit atomic.Int64
	cutBytes       int
}

// commitThenCut lets the server commit the batch, then sends back only the
// first cutBytes bytes of the response and closes the connection.
func (e *centralEnv) commitThenCut(h http.Handler, w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		e.t.Errorf("hijack: %v", err)
		return
	}
	defer conn.Close()
	var full bytes.Buffer
	fmt.Fprintf(&full, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", rec.Code, http.StatusText(rec.Code), rec.Body.Len())
	full.Write(rec.Body.Bytes())
	buf.Write(full.Bytes()[:min(e.cutBytes, full.Len())])
	buf.Flush()
}

func init() {
	// Toxiproxy logs every toxic's life through zerolog's global logger.
	zerolog.SetGlobalLevel(zerolog.Disabled)
}

func startCentral(t testing.TB) *centralEnv {
	t.Helper()
	path := filepath.Join(t.TempDir(), "central.db")
	srv, err := central.Open(central.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &centralEnv{t: t, srv: srv, addr: ln.Addr().String(), path: path}
	e.serve(ln)
	t.Cleanup(func() {
		if e.proxy != nil {
			e.proxy.Stop()
		}
		e.http.Close()
		e.srv.Close()
	})
	return e
}

// serve answers on ln with the server's handler, the request counter, the
// commit-then-cut fault and the test's wrapper.
func (e *centralEnv) serve(ln net.Listener) {
	srv := e.srv
	e.http = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.requests.Add(1)
		h := srv.Handler()
		e.mu.Lock()
		if e.wrap != nil {
			h = e.wrap(h)
		}
		e.mu.Unlock()
		if r.URL.Path == wire.PathSubmit && e.cutAfterCommit.Add(-1) >= 0 {
			e.commitThenCut(h, w, r)
			return
		}
		h.ServeHTTP(w, r)
	})}
	go e.http.Serve(ln)
}

// setWrap puts f around the server's handler for the requests that follow.
func (e *centralEnv) setWrap(f func(http.Handler) http.Handler) {
	e.mu.Lock()
	e.wrap = f
	e.mu.Unlock()
}

// restart stops the server (connections dropped) and starts it again on the
// same address and data file.
func (e *centralEnv) restart(t testing.TB) {
	t.Helper()
	e.http.Close()
	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}
	srv, err := central.Open(central.Options{Path: e.path})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	ln, err := net.Listen("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	e.serve(ln)
}

// URL is the server's address, without the proxy.
func (e *centralEnv) URL() string { return "http://" + e.addr }

// withProxy puts Toxiproxy between clients and the server and returns its URL.
func (e *centralEnv) withProxy() string {
	e.t.Helper()
	e.toxi = toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	e.proxy = toxiproxy.NewProxy(e.toxi, "central", "127.0.0.1:0", e.addr)
	if err := e.proxy.Start(); err != nil {
		e.t.Fatal(err)
	}
	return "http://" + e.proxy.Listen
}

// toxic adds a toxic given as JSON attributes.
func (e *centralEnv) toxic(name, typ, stream string, attrs map[string]any) {
	e.t.Helper()
	b, _ := json.Marshal(map[string]any{"name": name, "type": typ, "stream": stream, "attributes": attrs})
	if _, err := e.proxy.Toxics.AddToxicJson(strings.NewReader(string(b))); err != nil {
		e.t.Fatalf("toxic %s: %v", name, err)
	}
}

func (e *centralEnv) clearToxics() { e.proxy.Toxics.ResetToxics(context.Background()) }

// device is one enrolled civicdesk device: its store, client and engine.
type device struct {
	st  *store.Store
	cl  *client.Client
	eng *engine.Engine
	dir string
}

type deviceOpt struct {
	policy  store.Policy
	clock   func() time.Time
	batch   int
	timeout time.Duration
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (e *centralEnv) newDevice(t testing.TB, baseURL string, o deviceOpt) *device {
	t.Helper()
	if o.policy == "" {
		o.policy = store.PolicyKiosk
	}
	if o.timeout == 0 {
		o.timeout = 5 * time.Second
	}
	dir := t.TempDir()
	st, err := store.Open(store.Options{Dir: dir, Policy: o.policy, Clock: o.clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tr := &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute}
	if o.dial != nil {
		tr.DialContext = o.dial
	}
	hc := &http.Client{Transport: tr, Timeout: o.timeout}
	cl, err := client.New(baseURL, client.Options{HTTPClient: hc, RetryMax: 1, WaitMin: time.Millisecond, WaitMax: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	code, err := e.srv.MintEnrollCode(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// Enrol straight to the server: the toxics under test are for the sync.
	direct, err := client.New(e.URL(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := direct.Enroll(context.Background(), wire.EnrollRequest{Code: code, DeviceName: "test", Kind: "kiosk"})
	if err != nil {
		t.Fatal(err)
	}
	cl.SetToken(resp.Token)
	cfg := engine.Config{BatchItems: o.batch, NoCatalog: true}
	return &device{st: st, cl: cl, eng: engine.New(st, cl, cfg), dir: dir}
}

// submitN queues n valid applications and returns their ids.
func (d *device) submitN(t testing.TB, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		svc, values := sampleApplication(i)
		app, err := d.st.Submit(store.NewApplication{Service: svc.Code, ServiceVersion: svc.Version, Values: values})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = app.ID
	}
	return ids
}

// drain syncs until the queue is empty or tries run out.
func (d *device) drain(t testing.TB, tries int) {
	t.Helper()
	var last error
	for range tries {
		_, last = d.eng.SyncOnce(context.Background())
		st, err := d.st.Stats()
		if err != nil {
			t.Fatal(err)
		}
		if last == nil && st.Count == 0 {
			return
		}
	}
	t.Fatalf("queue not drained after %d syncs; last error: %v", tries, last)
}

// exactlyOnce checks that every id is on the server once and accepted locally
// with the server's tracking number.
func exactlyOnce(t testing.TB, e *centralEnv, d *device, ids []string) {
	t.Helper()
	for _, id := range ids {
		if n := e.srv.CountByID(id); n != 1 {
			t.Errorf("application %s is on the server %d times, want once", id, n)
		}
		app, err := d.st.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		if !app.State.Accepted() || app.Tracking == "" {
			t.Errorf("application %s: local state %s, tracking %q; want accepted with a tracking number", id, app.State, app.Tracking)
		}
	}
	if err := d.st.Check(); err != nil {
		t.Errorf("store integrity: %v", err)
	}
}

// counter counts bytes and connections through a dialer.
type counter struct {
	up, down, conns atomic.Int64
}

func (c *counter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	c.conns.Add(1)
	return &countedConn{Conn: conn, c: c}, nil
}

type countedConn struct {
	net.Conn
	c *counter
}

func (cc *countedConn) Read(p []byte) (int, error) {
	n, err := cc.Conn.Read(p)
	cc.c.down.Add(int64(n))
	return n, err
}

func (cc *countedConn) Write(p []byte) (int, error) {
	n, err := cc.Conn.Write(p)
	cc.c.up.Add(int64(n))
	return n, err
}

// sampleApplication is a valid application (the i-th varies the applicant).
func sampleApplication(i int) (*catalog.Service, catalog.Values) {
	svc := sampleSvc()
	var v catalog.Values
	if err := json.Unmarshal(sampleJSON(), &struct {
		Values *catalog.Values `json:"values"`
	}{&v}); err != nil {
		panic(err)
	}
	// Vary the applicant as real queues do, so that compression is not flattered.
	rng := rand.New(rand.NewPCG(uint64(i), 7))
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	districts := []string{"320302", "320303", "320305", "320311", "320312", "320321", "320322", "320324", "320381", "320382"}
	v[sampleIDField] = idNumber(fmt.Sprintf("%s19%02d%02d%02d%03d", pick(districts), 40+rng.IntN(60), 1+rng.IntN(12), 1+rng.IntN(28), rng.IntN(1000)))
	v["insured_name"] = pick([]string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙"}) +
		pick([]string{"秀英", "建国", "桂兰", "志强", "海燕", "明", "丽娟", "伟", "淑珍", "子涵", "浩然", "雨桐"})
	v["phone"] = fmt.Sprintf("1%d%09d", 3+rng.IntN(7), rng.IntN(1_000_000_000))
	v["district"] = pick(districts)
	v["address"] = fmt.Sprintf("江苏省徐州市%s%d号%d单元%d室", pick([]string{"中山北路", "淮海东路", "解放南路", "和平路", "建国西路", "复兴北路"}),
		1+rng.IntN(300), 1+rng.IntN(6), 101+rng.IntN(1800))
	return svc, v
}

// sampleSvc is the sample's service, from the embedded catalog decoded once.
var sampleSvc = sync.OnceValue(func() *catalog.Service {
	svc, ok := catalog.Default().Service(sampleService)
	if !ok {
		panic("sample service missing from the catalog")
	}
	return svc
})

// sampleJSON is the demo's sample application, also used by the tests.
var sampleJSON = sync.OnceValue(func() []byte {
	b, err := os.ReadFile(filepath.Join("..", "scripts", "sample-application.json"))
	if err != nil {
		panic(err)
	}
	return b
})

// idNumber adds the GB 11643 check character to 17 digits.
func idNumber(first17 string) string {
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(first17[i]-'0') * w
	}
	return first17 + string("10X98765432"[sum%11])
}

var errStop = errors.New("stop")

// The sample application of scripts/sample-application.json.
const (
	sampleService = "medical_insurance_enrolment"
	sampleIDField = "id_number"
)
