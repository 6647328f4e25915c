package central

import (
	"compress/gzip"
	"net/http"
	"strings"
)

// compressMin is the smallest answer worth compressing: below it gzip's
// framing costs more than it saves.
const compressMin = 1024

// compressed gzips answers of compressMin bytes or more for clients that
// accept gzip (Go's transport does so by default and decompresses for the
// caller). On a 2G link the submission results and the catalog are most of
// the bytes coming down.
func compressed(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Accept-Encoding")
		gw := &gzipWriter{ResponseWriter: w}
		defer gw.close()
		h.ServeHTTP(gw, r)
	})
}

// gzipWriter holds the status back until the first write, when the size of
// the (single-write) JSON answer decides whether to compress.
type gzipWriter struct {
	http.ResponseWriter
	status  int
	decided bool
	gz      *gzip.Writer
}

func (g *gzipWriter) WriteHeader(status int) {
	if g.status == 0 {
		g.status = status
	}
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	if !g.decided {
		g.decided = true
		if g.status == 0 {
			g.status = http.StatusOK
		}
		h := g.Header()
		if len(b) >= compressMin && h.Get("Content-Encoding") == "" && g.status != http.StatusNotModified && compressible(h.Get("Content-Type")) {
			h.Set("Content-Encoding", "gzip")
			h.Del("Content-Length")
			g.gz, _ = gzip.NewWriterLevel(g.ResponseWriter, gzip.DefaultCompression)
		}
		g.ResponseWriter.WriteHeader(g.status)
	}
	if g.gz != nil {
		return g.gz.Write(b)
	}
	return g.ResponseWriter.Write(b)
}

// compressible reports whether an answer of this Content-Type is worth
// compressing: JSON and text (or no type set yet), not the attachments'
// images and PDFs, which are compressed already.
func compressible(ct string) bool {
	return ct == "" || strings.HasPrefix(ct, "application/json") || strings.HasPrefix(ct, "text/")
}

// close flushes the compressed stream, or sends a status that had no body.
func (g *gzipWriter) close() {
	switch {
	case g.gz != nil:
		g.gz.Close()
	case !g.decided && g.status != 0:
		g.ResponseWriter.WriteHeader(g.status)
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }
