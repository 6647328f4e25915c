package client

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"civicdesk/sync/wire"
)

// Resumable attachment uploads (tus 1.0 core semantics, see wire/blobs.go).
// A chunk is sent once per call: after a network error the server may hold
// the chunk or not, so the caller asks (BlobOffset, or CreateBlob again)
// and resumes from what the server holds.

// tusHeaders go with every blob request.
func tusHeaders(extra ...string) map[string]string {
	h := map[string]string{wire.HeaderTusResumable: wire.TusVersion}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

func blobPath(sha string) string { return wire.PathBlobs + "/" + url.PathEscape(sha) }

// CreateBlob announces a blob (POST). The answer says how much of it the
// server already holds (Offset; Complete when it holds all of it and it
// matched its SHA-256): send from there.
func (c *Client) CreateBlob(ctx context.Context, b wire.BlobCreate) (wire.BlobStatus, error) {
	r, err := c.do(ctx, call{op: "blob create", method: http.MethodPost, path: wire.PathBlobs,
		body: b, auth: c.bearer(), header: tusHeaders()})
	if err != nil {
		return wire.BlobStatus{}, err
	}
	var st wire.BlobStatus
	if err := decode("blob create", r, &st); err != nil {
		return wire.BlobStatus{}, err
	}
	if st.SHA256 != "" && st.SHA256 != b.SHA256 {
		return wire.BlobStatus{}, fmt.Errorf("central API blob create: answer names another blob: %w", ErrBadResponse)
	}
	if st.Offset < 0 || st.Offset > b.Size {
		return wire.BlobStatus{}, fmt.Errorf("central API blob create: offset %d outside the blob's %d bytes: %w", st.Offset, b.Size, ErrBadResponse)
	}
	if st.Size == 0 {
		st.Size = b.Size
	}
	st.SHA256 = b.SHA256
	return st, nil
}

// BlobOffset asks how many bytes of blob sha the server holds (HEAD): offset
// from Upload-Offset, size from Upload-Length. An unknown blob wraps
// ErrNotFound.
func (c *Client) BlobOffset(ctx context.Context, sha string) (offset, size int64, err error) {
	r, err := c.do(ctx, call{op: "blob offset", method: http.MethodHead, path: blobPath(sha),
		auth: c.bearer(), header: tusHeaders()})
	if err != nil {
		return 0, 0, err
	}
	offset, ok := headerInt(r.header, wire.HeaderUploadOffset)
	if !ok {
		if isHTML(r.header, r.body) {
			return 0, 0, fmt.Errorf("central API blob offset: HTTP %d with an HTML page: %w", r.status, ErrCaptivePortal)
		}
		return 0, 0, fmt.Errorf("central API blob offset: HTTP %d without a usable %s: %w", r.status, wire.HeaderUploadOffset, ErrBadResponse)
	}
	size, ok = headerInt(r.header, wire.HeaderUploadLength)
	if !ok || offset > size {
		return 0, 0, fmt.Errorf("central API blob offset: HTTP %d without a usable %s: %w", r.status, wire.HeaderUploadLength, ErrBadResponse)
	}
	return offset, size, nil
}

// PatchBlob sends chunk, which starts at offset of blob sha, and returns the
// server's new offset. It sends the chunk once: after a network error
// (ErrOffline) ask BlobOffset and resume from the answer. A chunk that
// did not start at the server's offset gets *OffsetMismatchError (resume
// from its Offset); a damaged chunk ErrChunkChecksum (send it again); a
// completed blob that does not match its SHA-256 ErrBlobCorrupt (the server
// dropped it). When PatchBlob returns (unless ctx ended), the transport no
// longer reads chunk: the caller may reuse it.
func (c *Client) PatchBlob(ctx context.Context, sha string, offset int64, chunk []byte) (newOffset int64, err error) {
	if len(chunk) > wire.MaxChunk {
		return 0, fmt.Errorf("central API blob upload: chunk of %d bytes, at most %d: %w", len(chunk), wire.MaxChunk, ErrChunkTooLarge)
	}
	sum := sha256.Sum256(chunk)
	r, err := c.do(ctx, call{op: "blob upload", method: http.MethodPatch, path: blobPath(sha),
		raw: chunk, contentType: wire.ContentTypeChunk, auth: c.bearer(), noResend: true,
		header: tusHeaders(
			wire.HeaderUploadOffset, strconv.FormatInt(offset, 10),
			wire.HeaderUploadChecksum, "sha256 "+base64.StdEncoding.EncodeToString(sum[:]),
		)})
	var ae *APIError
	switch {
	case err == nil:
	case errors.As(err, &ae) && ae.Status == http.StatusConflict:
		e := &OffsetMismatchError{Offset: -1, api: ae}
		if off, ok := headerInt(r.header, wire.HeaderUploadOffset); ok {
			e.Offset = off
		}
		return 0, e
	case errors.As(err, &ae) && ae.Status == wire.StatusChecksumMismatch:
		ae.kind = ErrChunkChecksum
		return 0, err
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		ae.kind = ErrBlobCorrupt
		return 0, err
	case errors.As(err, &ae) && ae.Status == http.StatusRequestEntityTooLarge:
		return 0, fmt.Errorf("%w: %w", err, ErrChunkTooLarge)
	default:
		return 0, err
	}
	newOffset, ok := headerInt(r.header, wire.HeaderUploadOffset)
	if !ok {
		if isHTML(r.header, r.body) {
			return 0, fmt.Errorf("central API blob upload: HTTP %d with an HTML page: %w", r.status, ErrCaptivePortal)
		}
		return 0, fmt.Errorf("central API blob upload: HTTP %d without a usable %s: %w", r.status, wire.HeaderUploadOffset, ErrBadResponse)
	}
	return newOffset, nil
}

// headerInt parses a non-negative integer header.
func headerInt(h http.Header, name string) (int64, bool) {
	v := h.Get(name)
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}
