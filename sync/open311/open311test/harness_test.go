package open311test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/app/store"
	"civicdesk/sync/client"
	"civicdesk/sync/engine"
	"civicdesk/sync/open311"
)

var _ engine.API = (*open311.Backend)(nil)

// env is one civicdesk device syncing with one Open311 test server through
// the real engine and a real store.
type env struct {
	t       *testing.T
	srv     *Server
	st      *store.Store
	be      *open311.Backend
	eng     *engine.Engine
	offline atomic.Bool // the device's network is down
	tr      *http.Transport
	hc      *http.Client
	format  string
}

// newEnv starts a server with o and a device speaking format to it.
func newEnv(t *testing.T, o Options, format string) *env {
	t.Helper()
	e := &env{t: t, srv: NewServer(o), format: format}
	t.Cleanup(e.srv.Close)
	st, err := store.Open(store.Options{Dir: t.TempDir(), Policy: store.PolicyPersonal})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if e.offline.Load() {
			return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
		}
		return (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	e.tr = tr
	e.hc = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	e.connect(e.srv.APIKey())
	return e
}

// connect makes a backend and an engine with api_key key.
func (e *env) connect(key string) {
	e.t.Helper()
	be, err := open311.New(open311.Config{
		Endpoint:       e.srv.URL(),
		JurisdictionID: e.srv.opts.JurisdictionID,
		APIKey:         key,
		Format:         e.format,
		HTTPClient:     e.hc,
		State:          open311.StoreState(e.st),
		Clock:          time.Now,
		Lang:           catalog.LangEn,
		Logger:         slog.New(slog.DiscardHandler),
		After:          now, // token polls do not wait
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.be = be
	e.eng = engine.New(e.st, be, engine.Config{})
}

// setOffline takes the device's network down (kept connections too) or up.
func (e *env) setOffline(down bool) {
	e.offline.Store(down)
	e.tr.CloseIdleConnections()
}

// now is a timer that fires at once.
func now(time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	ch <- time.Now()
	return ch
}

// sync runs one round.
func (e *env) sync() (engine.Report, error) {
	return e.eng.SyncOnce(context.Background())
}

// mustSync runs one round that must succeed.
func (e *env) mustSync() engine.Report {
	e.t.Helper()
	rep, err := e.sync()
	if err != nil {
		e.t.Fatalf("sync: %v (report %+v)", err, rep)
	}
	return rep
}

// catalog is the catalog the engine cached, decoded.
func (e *env) catalog() *catalog.Catalog {
	e.t.Helper()
	_, body, err := e.st.CachedCatalog()
	if err != nil {
		e.t.Fatal(err)
	}
	if body == nil {
		e.t.Fatal("no catalog cached: the sync did not fetch one")
	}
	c, err := catalog.Decode(body)
	if err != nil {
		e.t.Fatalf("the Open311 catalog does not decode: %v", err)
	}
	return c
}

// submit queues an application (not validated: the server decides).
func (e *env) submit(service string, v catalog.Values) string {
	e.t.Helper()
	app, err := e.st.Submit(store.NewApplication{Service: service, ServiceVersion: 1, Values: v})
	if err != nil {
		e.t.Fatal(err)
	}
	return app.ID
}

func (e *env) app(id string) store.Application {
	e.t.Helper()
	a, err := e.st.Get(id)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// reference is what the adapter puts into a description to find a request again.
func reference(id string) string { return "[civicdesk:" + id + "]" }

// posted is the recorded POST whose description carries id's reference.
func (e *env) posted(id string) []Recorded {
	var out []Recorded
	for _, r := range e.srv.Requests() {
		if r.Form != nil && strings.Contains(r.Form.Get("description"), reference(id)) {
			out = append(out, r)
		}
	}
	return out
}

// fieldName is the form field the adapter made for attribute code: its
// name is "attribute_" plus the code in snake case (perhaps with a suffix
// that keeps it unique).
func fieldName(t *testing.T, svc *catalog.Service, code string) string {
	t.Helper()
	want := "attribute_" + snake(code)
	var found []string
	for _, f := range svc.Form.Fields {
		if f.Name == want {
			return f.Name
		}
		if strings.HasPrefix(f.Name, want) {
			found = append(found, f.Name)
		}
	}
	if len(found) != 1 {
		t.Fatalf("service %s: no single field for attribute %s (fields %v)", svc.Code, code, fieldNames(svc))
	}
	return found[0]
}

func snake(code string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(code) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func fieldNames(svc *catalog.Service) []string {
	var out []string
	for _, f := range svc.Form.Fields {
		out = append(out, f.Name)
	}
	return out
}

func mustService(t *testing.T, c *catalog.Catalog, code string) *catalog.Service {
	t.Helper()
	svc, ok := c.Service(code)
	if !ok {
		t.Fatalf("service %s is not in the catalog", code)
	}
	return svc
}

// isOffline reports whether err is "no network" as the engine classifies it.
func isOffline(err error) bool { return errors.Is(err, client.ErrOffline) }
