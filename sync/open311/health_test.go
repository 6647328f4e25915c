package open311

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"civicdesk/sync/client"
	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

var _ engine.API = (*Backend)(nil)

func TestHealth(t *testing.T) {
	f := newFakeServer(t)
	b := newBackend(t, f, NewMemState())
	h, err := b.Health(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if h != (wire.Health{Service: wire.HealthService, OK: true, APIVersion: 2, ServerTime: f.now}) {
		t.Errorf("health = %+v", h)
	}
}

func TestHealthFailures(t *testing.T) {
	tests := []struct {
		name string
		hook func(w http.ResponseWriter, r *http.Request) bool
		want []error
	}{
		{"captive portal with text/html", func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, "Please log in")
			return true
		}, []error{ErrCaptivePortal, client.ErrCaptivePortal}},
		{"captive portal page sent as text/plain", func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "\n<!DOCTYPE html><html><body>Wi-Fi</body></html>")
			return true
		}, []error{ErrCaptivePortal, client.ErrCaptivePortal}},
		{"503", func(w http.ResponseWriter, r *http.Request) bool { w.WriteHeader(503); return true }, []error{ErrServer}},
		{"403", func(w http.ResponseWriter, r *http.Request) bool { w.WriteHeader(403); return true }, []error{ErrForbidden}},
		{"garbage 200", func(w http.ResponseWriter, r *http.Request) bool { io.WriteString(w, "{oops"); return true }, []error{ErrUnreadable, client.ErrBadResponse}},
		{"cut", func(w http.ResponseWriter, r *http.Request) bool { drop(w); return true }, []error{ErrOffline, client.ErrOffline}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			f.set(func(f *fakeServer) { f.hook = tt.hook })
			b := newBackend(t, f, NewMemState())
			_, err := b.Health(context.Background())
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("err = %v, want %v", err, w)
				}
			}
		})
	}
	t.Run("nothing listening", func(t *testing.T) {
		f := newFakeServer(t)
		f.srv.Close()
		b := newBackend(t, f, NewMemState())
		if _, err := b.Health(context.Background()); !errors.Is(err, client.ErrOffline) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		f := newFakeServer(t)
		b := newBackend(t, f, NewMemState())
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := b.Health(ctx); !errors.Is(err, context.Canceled) || errors.Is(err, client.ErrOffline) {
			t.Errorf("err = %v, want context.Canceled only", err)
		}
	})
}

// TestDiscovery: a discovery document on the endpoint that offers only
// XML switches the format; one listing another host is not followed.
func TestDiscovery(t *testing.T) {
	f := newFakeServer(t)
	var paths []string
	f.set(func(f *fakeServer) {
		f.hook = func(w http.ResponseWriter, r *http.Request) bool {
			paths = append(paths, r.URL.Path)
			switch r.URL.Path {
			case "/v2/discovery.json":
				fmt.Fprintf(w, `{"changeset":"2025-01-01T00:00:00Z","endpoints":[
					{"specification":"http://wiki.open311.org/GeoReport_v2","url":"https://elsewhere.example/v2/","type":"production","formats":["application/json"]},
					{"specification":"http://wiki.open311.org/GeoReport_v2","url":%q,"type":"production","formats":["text/xml"]}]}`, f.base)
			case "/v2/services.xml":
				io.WriteString(w, specServicesXML)
			default:
				w.WriteHeader(404)
			}
			return true
		}
	})
	b := newBackend(t, f, NewMemState())
	if _, err := b.Health(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Health(context.Background()); err != nil {
		t.Fatal(err)
	}
	ep, format := b.Endpoint()
	if ep != f.base || format != "xml" {
		t.Errorf("endpoint %s %s", ep, format)
	}
	if got := strings.Join(paths, " "); got != "/v2/discovery.json /v2/services.xml /v2/services.xml" {
		t.Errorf("requests: %s (discovery is read once)", got)
	}
}

func TestNoUploads(t *testing.T) {
	b := newBackend(t, newFakeServer(t), NewMemState())
	ctx := context.Background()
	_, err1 := b.CreateBlob(ctx, wire.BlobCreate{})
	_, _, err2 := b.BlobOffset(ctx, "x")
	_, err3 := b.PatchBlob(ctx, "x", 0, nil)
	for _, err := range []error{err1, err2, err3} {
		if !errors.Is(err, ErrNoUploads) {
			t.Errorf("err = %v", err)
		}
	}
}

func TestNewConfig(t *testing.T) {
	st := NewMemState()
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"ok", Config{Endpoint: "https://city.example/open311/v2/", State: st}, true},
		{"slash added", Config{Endpoint: "https://city.example/open311/v2", State: st, Format: "XML"}, true},
		{"no endpoint", Config{State: st}, false},
		{"not http", Config{Endpoint: "ftp://city.example/", State: st}, false},
		{"query", Config{Endpoint: "https://city.example/v2/?key=1", State: st}, false},
		{"bad format", Config{Endpoint: "https://city.example/v2/", State: st, Format: "csv"}, false},
		{"no state", Config{Endpoint: "https://city.example/v2/"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := New(tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v", err)
			}
			if err != nil && !errors.Is(err, ErrConfig) {
				t.Errorf("err = %v, want ErrConfig", err)
			}
			if err == nil {
				if ep, _ := b.Endpoint(); !strings.HasSuffix(ep, "/v2/") {
					t.Errorf("endpoint = %s", ep)
				}
			}
		})
	}
}

// TestURLEscaping: codes and ids are one path segment each, escaped once.
func TestURLEscaping(t *testing.T) {
	st := NewMemState()
	b, err := New(Config{Endpoint: "https://city.example/open%20311/v2/", JurisdictionID: "a&b", State: st})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		segs []string
		want string
	}{
		{[]string{"services"}, "https://city.example/open%20311/v2/services.json?jurisdiction_id=a%26b"},
		{[]string{"services", "a/b c%路灯"}, "https://city.example/open%20311/v2/services/a%2Fb%20c%25%E8%B7%AF%E7%81%AF.json?jurisdiction_id=a%26b"},
		{[]string{"tokens", "T 1"}, "https://city.example/open%20311/v2/tokens/T%201.json?jurisdiction_id=a%26b"},
	}
	for _, tt := range tests {
		if got := b.url(nil, tt.segs...); got != tt.want {
			t.Errorf("url(%q) =\n %s\nwant %s", tt.segs, got, tt.want)
		}
	}
}

// TestXMLOnlyServer: JSON answers 404 everywhere (discovery included);
// XML is the spec's mandatory format, so the backend falls back to it.
func TestXMLOnlyServer(t *testing.T) {
	f := newFakeServer(t)
	var paths []string
	f.set(func(f *fakeServer) {
		f.hook = func(w http.ResponseWriter, r *http.Request) bool {
			paths = append(paths, r.URL.Path)
			if r.URL.Path == "/v2/services.xml" {
				io.WriteString(w, specServicesXML)
				return true
			}
			w.WriteHeader(404)
			return true
		}
	})
	b := newBackend(t, f, NewMemState())
	for range 2 {
		if _, err := b.Health(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if _, format := b.Endpoint(); format != "xml" {
		t.Errorf("format = %s, want xml", format)
	}
	want := "/v2/discovery.json /v2/discovery.xml /v2/services.json /v2/services.xml /v2/services.xml"
	if got := strings.Join(paths, " "); got != want {
		t.Errorf("requests:\n got %s\nwant %s", got, want)
	}
}
