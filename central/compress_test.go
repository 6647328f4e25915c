package central

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCompressedAnswers(t *testing.T) {
	big := strings.Repeat(`{"tracking":"XZ20261127000001"}`, 100)
	h := compressed(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, big)
		case "/small":
			io.WriteString(w, `{"ok":true}`)
		case "/none":
			w.WriteHeader(http.StatusNotModified)
		case "/image": // an attachment's bytes: compressed already
			w.Header().Set("Content-Type", "image/jpeg")
			io.WriteString(w, big)
		case "/json":
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			io.WriteString(w, big)
		}
	}))
	cases := []struct {
		path, accept string
		status       int
		gzipped      bool
		body         string
	}{
		{"/big", "gzip, deflate", http.StatusCreated, true, big},
		{"/big", "", http.StatusCreated, false, big},
		{"/small", "gzip", http.StatusOK, false, `{"ok":true}`},
		{"/none", "gzip", http.StatusNotModified, false, ""},
		{"/image", "gzip", http.StatusOK, false, big},
		{"/json", "gzip", http.StatusOK, true, big},
	}
	for _, tc := range cases {
		t.Run(tc.path+" "+tc.accept, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			if tc.accept != "" {
				req.Header.Set("Accept-Encoding", tc.accept)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			var body io.Reader = rec.Body
			if got := rec.Header().Get("Content-Encoding") == "gzip"; got != tc.gzipped {
				t.Fatalf("gzipped %v, want %v", got, tc.gzipped)
			}
			if tc.gzipped {
				zr, err := gzip.NewReader(rec.Body)
				if err != nil {
					t.Fatal(err)
				}
				body = zr
				if rec.Body.Len() >= len(big)/4 {
					t.Fatalf("compressed to %d bytes from %d", rec.Body.Len(), len(big))
				}
			}
			b, err := io.ReadAll(body)
			if err != nil || string(b) != tc.body {
				t.Fatalf("body %q (%v), want %q", b, err, tc.body)
			}
		})
	}
}
