package client

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"civicdesk/sync/wire"
)

func TestNotices(t *testing.T) {
	const body = `{"notices":[{"id":"n1","title":{"zh-Hans":"办公时间","en":"Opening hours"},"kind":"hours"}]}`
	tests := []struct {
		name      string
		etag      string
		answer    func(w http.ResponseWriter)
		wantBody  string
		wantETag  string
		wantNotMd bool
		wantErr   error
	}{
		{"fresh", "", func(w http.ResponseWriter) {
			w.Header().Set("ETag", `"v2"`)
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(body))
		}, body, `"v2"`, false, nil},
		{"not modified", `"v1"`, func(w http.ResponseWriter) {
			w.Header().Set("ETag", `"v1"`)
			w.WriteHeader(http.StatusNotModified)
		}, "", `"v1"`, true, nil},
		{"portal page", "", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>login</html>"))
		}, "", "", false, ErrCaptivePortal},
		{"other JSON", "", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"ok":true}`))
		}, "", "", false, ErrBadResponse},
		{"token refused", "", func(w http.ResponseWriter) {
			writeJSON(w, 401, wire.Error{Code: "unauthorized", Message: "no"})
		}, "", "", false, ErrUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet || r.URL.Path != wire.PathNotices || r.URL.Query().Get("hall") != "gulou 1" {
					t.Errorf("%s %s, want GET %s?hall=gulou+1", r.Method, r.URL, wire.PathNotices)
				}
				if got := r.Header.Get("If-None-Match"); got != tc.etag {
					t.Errorf("If-None-Match = %q, want %q", got, tc.etag)
				}
				if got := r.Header.Get("Authorization"); got != "Bearer dev-token" {
					t.Errorf("Authorization = %q, want the device token", got)
				}
				tc.answer(w)
			})
			c := newTestClient(t, ts.URL, fastOptions())
			b, etag, nm, err := c.Notices(context.Background(), "gulou 1", tc.etag)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil || string(b) != tc.wantBody || etag != tc.wantETag || nm != tc.wantNotMd {
				t.Fatalf("got %q %q %v %v", b, etag, nm, err)
			}
		})
	}
}
