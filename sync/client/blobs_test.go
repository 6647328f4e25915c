package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"civicdesk/sync/wire"
)

func shaHex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestCreateBlob(t *testing.T) {
	data := bytes.Repeat([]byte("scan"), 1000)
	sha := shaHex(data)
	tests := []struct {
		name    string
		status  int
		answer  any
		want    wire.BlobStatus
		wantErr error
	}{
		{"new", http.StatusCreated, wire.BlobStatus{SHA256: sha, Size: 4000}, wire.BlobStatus{SHA256: sha, Size: 4000}, nil},
		{"partly there", http.StatusOK, wire.BlobStatus{SHA256: sha, Size: 4000, Offset: 2400}, wire.BlobStatus{SHA256: sha, Size: 4000, Offset: 2400}, nil},
		{"complete", http.StatusOK, wire.BlobStatus{SHA256: sha, Size: 4000, Offset: 4000, Complete: true},
			wire.BlobStatus{SHA256: sha, Size: 4000, Offset: 4000, Complete: true}, nil},
		{"offset past the end", http.StatusOK, wire.BlobStatus{SHA256: sha, Size: 4000, Offset: 4001}, wire.BlobStatus{}, ErrBadResponse},
		{"another blob", http.StatusOK, wire.BlobStatus{SHA256: shaHex(nil), Size: 4000}, wire.BlobStatus{}, ErrBadResponse},
		{"portal page", http.StatusOK, nil, wire.BlobStatus{}, ErrCaptivePortal},
		{"too large", http.StatusRequestEntityTooLarge, wire.Error{Code: "too_large"}, wire.BlobStatus{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != wire.PathBlobs || r.Header.Get(wire.HeaderTusResumable) != wire.TusVersion ||
					r.Header.Get("Authorization") != "Bearer dev-token" {
					t.Errorf("request %s %s, Tus-Resumable %q", r.Method, r.URL.Path, r.Header.Get(wire.HeaderTusResumable))
				}
				var bc wire.BlobCreate
				if err := json.NewDecoder(r.Body).Decode(&bc); err != nil || bc != (wire.BlobCreate{SHA256: sha, Size: 4000, Type: "image/png"}) {
					t.Errorf("body = %+v, %v", bc, err)
				}
				w.Header().Set(wire.HeaderTusResumable, wire.TusVersion)
				if tt.answer == nil {
					w.Header().Set("Content-Type", "text/html")
					io.WriteString(w, "<html>log in</html>")
					return
				}
				writeJSON(w, tt.status, tt.answer)
			})
			c := newTestClient(t, ts.URL, fastOptions())
			got, err := c.CreateBlob(context.Background(), wire.BlobCreate{SHA256: sha, Size: 4000, Type: "image/png"})
			if tt.status >= 400 {
				var ae *APIError
				if !errors.As(err, &ae) || ae.Status != tt.status || Retryable(err) {
					t.Fatalf("err = %v, want final APIError %d", err, tt.status)
				}
				return
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("CreateBlob = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestBlobOffset(t *testing.T) {
	tests := []struct {
		name         string
		status       int
		offset, size string
		wantOff      int64
		wantSize     int64
		wantErr      error
	}{
		{"partial", http.StatusOK, "600", "1000", 600, 1000, nil},
		{"empty", http.StatusOK, "0", "1000", 0, 1000, nil},
		{"unknown", http.StatusNotFound, "", "", 0, 0, ErrNotFound},
		{"no offset header", http.StatusOK, "", "1000", 0, 0, ErrBadResponse},
		{"offset past length", http.StatusOK, "1001", "1000", 0, 0, ErrBadResponse},
		{"negative", http.StatusOK, "-1", "1000", 0, 0, ErrBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodHead || r.URL.Path != wire.PathBlobs+"/abc" || r.Header.Get(wire.HeaderTusResumable) != wire.TusVersion {
					t.Errorf("request %s %s", r.Method, r.URL.Path)
				}
				w.Header().Set(wire.HeaderTusResumable, wire.TusVersion)
				w.Header().Set("Cache-Control", "no-store")
				if tt.offset != "" {
					w.Header().Set(wire.HeaderUploadOffset, tt.offset)
				}
				if tt.size != "" {
					w.Header().Set(wire.HeaderUploadLength, tt.size)
				}
				w.WriteHeader(tt.status)
			})
			c := newTestClient(t, ts.URL, fastOptions())
			off, size, err := c.BlobOffset(context.Background(), "abc")
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || off != tt.wantOff || size != tt.wantSize {
				t.Fatalf("BlobOffset = %d, %d, %v; want %d, %d", off, size, err, tt.wantOff, tt.wantSize)
			}
		})
	}
}

func TestPatchBlob(t *testing.T) {
	chunk := bytes.Repeat([]byte{7, 1, 9}, 3000)
	sum := sha256.Sum256(chunk)
	wantChecksum := "sha256 " + base64.StdEncoding.EncodeToString(sum[:])
	tests := []struct {
		name     string
		status   int
		offset   string // Upload-Offset of the answer
		wantOff  int64
		wantErr  error
		mismatch int64 // OffsetMismatchError.Offset when status is 409
	}{
		{"stored", http.StatusNoContent, "109000", 109000, nil, 0},
		{"wrong offset", http.StatusConflict, "50000", 0, nil, 50000},
		{"wrong offset, server silent", http.StatusConflict, "", 0, nil, -1},
		{"damaged chunk", wire.StatusChecksumMismatch, "", 0, ErrChunkChecksum, 0},
		{"blob does not match its name", http.StatusUnprocessableEntity, "", 0, ErrBlobCorrupt, 0},
		{"unknown blob", http.StatusNotFound, "", 0, ErrNotFound, 0},
		{"chunk too large", http.StatusRequestEntityTooLarge, "", 0, ErrChunkTooLarge, 0},
		{"204 without offset", http.StatusNoContent, "", 0, ErrBadResponse, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if r.Method != http.MethodPatch || r.URL.Path != wire.PathBlobs+"/abc" ||
					r.Header.Get(wire.HeaderTusResumable) != wire.TusVersion ||
					r.Header.Get("Content-Type") != wire.ContentTypeChunk ||
					r.Header.Get(wire.HeaderUploadOffset) != "100000" ||
					r.Header.Get(wire.HeaderUploadChecksum) != wantChecksum ||
					r.Header.Get("Authorization") != "Bearer dev-token" ||
					r.ContentLength != int64(len(chunk)) || !bytes.Equal(body, chunk) {
					t.Errorf("request %s %s %v, %d body bytes", r.Method, r.URL.Path, r.Header, len(body))
				}
				w.Header().Set(wire.HeaderTusResumable, wire.TusVersion)
				if tt.offset != "" {
					w.Header().Set(wire.HeaderUploadOffset, tt.offset)
				}
				if tt.status == http.StatusNoContent {
					w.WriteHeader(tt.status)
					return
				}
				writeJSON(w, tt.status, wire.Error{Code: "x", Message: "what to do"})
			})
			c := newTestClient(t, ts.URL, fastOptions())
			off, err := c.PatchBlob(context.Background(), "abc", 100000, chunk)
			if got := ts.requests.Load(); got != 1 {
				t.Errorf("%d requests, want 1", got)
			}
			if tt.status == http.StatusConflict {
				var om *OffsetMismatchError
				var ae *APIError
				if !errors.As(err, &om) || om.Offset != tt.mismatch || !errors.As(err, &ae) || ae.Status != http.StatusConflict || Retryable(err) {
					t.Fatalf("err = %v, want *OffsetMismatchError{%d}", err, tt.mismatch)
				}
				return
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if errors.Is(tt.wantErr, ErrBadResponse) != Retryable(err) {
					t.Errorf("Retryable(%v) = %v", err, Retryable(err))
				}
				return
			}
			if err != nil || off != tt.wantOff {
				t.Fatalf("PatchBlob = %d, %v; want %d", off, err, tt.wantOff)
			}
		})
	}
	t.Run("larger than MaxChunk is not sent", func(t *testing.T) {
		ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { t.Error("a chunk over MaxChunk was sent") })
		c := newTestClient(t, ts.URL, fastOptions())
		if _, err := c.PatchBlob(context.Background(), "abc", 0, make([]byte, wire.MaxChunk+1)); !errors.Is(err, ErrChunkTooLarge) {
			t.Fatalf("err = %v, want ErrChunkTooLarge", err)
		}
	})
}

// A PATCH cut off by the network is never re-sent by the client: the server
// may hold the chunk or not, and only it can say which. A POST or HEAD cut
// off is retried as before, and a PATCH answered 503 is retried too (the
// server answered: it holds the chunk or not, and a wrong offset gets a 409).
func TestPatchIsNotResentAfterANetworkError(t *testing.T) {
	cut := func(w http.ResponseWriter, r *http.Request) {
		io.CopyN(io.Discard, r.Body, 1000) // part of the chunk arrives
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}
	tests := []struct {
		name     string
		first    http.HandlerFunc
		call     func(*Client) error
		requests int32
		ok       bool
	}{
		{"PATCH cut mid-body", cut, func(c *Client) error {
			_, err := c.PatchBlob(context.Background(), "abc", 0, make([]byte, 64<<10))
			return err
		}, 1, false},
		{"PATCH answered 503", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusServiceUnavailable, wire.Error{Code: "busy"})
		}, func(c *Client) error {
			_, err := c.PatchBlob(context.Background(), "abc", 0, make([]byte, 64<<10))
			return err
		}, 2, true},
		{"POST cut", cut, func(c *Client) error {
			_, err := c.CreateBlob(context.Background(), wire.BlobCreate{SHA256: "abc", Size: 65536})
			return err
		}, 2, true},
		{"HEAD cut", cut, func(c *Client) error {
			_, _, err := c.BlobOffset(context.Background(), "abc")
			return err
		}, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					tt.first(w, r)
					return
				}
				io.Copy(io.Discard, r.Body)
				w.Header().Set(wire.HeaderUploadOffset, "65536")
				w.Header().Set(wire.HeaderUploadLength, "65536")
				switch r.Method {
				case http.MethodPost:
					writeJSON(w, http.StatusOK, wire.BlobStatus{SHA256: "abc", Size: 65536})
				default:
					w.WriteHeader(http.StatusNoContent)
				}
			})
			c := newTestClient(t, ts.URL, fastOptions())
			err := tt.call(c)
			if got := ts.requests.Load(); got != tt.requests {
				t.Errorf("server saw %d requests, want %d", got, tt.requests)
			}
			if tt.ok && err != nil {
				t.Fatalf("err = %v, want success after a retry", err)
			}
			if !tt.ok && (!errors.Is(err, ErrOffline) || !Retryable(err)) {
				t.Fatalf("err = %v, want ErrOffline", err)
			}
		})
	}
}

// The server answers before reading the chunk; when PatchBlob returns, the
// caller overwrites the chunk at once (the engine reuses one buffer). The
// race detector fails this test if the transport still reads it.
func TestPatchBlobReleasesTheChunk(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(wire.HeaderUploadOffset, "0")
		writeJSON(w, http.StatusConflict, wire.Error{Code: "offset_mismatch"})
	})
	c := newTestClient(t, ts.URL, fastOptions())
	buf := make([]byte, wire.MaxChunk)
	for i := range 5 {
		_, err := c.PatchBlob(context.Background(), "abc", int64(i), buf)
		var om *OffsetMismatchError
		if !errors.As(err, &om) {
			// The server may also close the connection while the chunk
			// is still being sent; either way the chunk is ours again.
			if !errors.Is(err, ErrOffline) {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		for j := range buf {
			buf[j] = byte(i)
		}
	}
}
