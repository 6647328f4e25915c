package central

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"civicdesk/sync/wire"
)

// PathBackofficeBlobs + "/{sha256}" serves a complete blob's bytes to the
// back office (staff token).
const PathBackofficeBlobs = "/v1/backoffice/blobs"

// chunkReadTime is how long the body of one PATCH may take to arrive: a
// full chunk (1 MiB) at 16 kbit/s, so that a slow link finishes a chunk
// rather than being cut by the HTTP server's read timeout.
const chunkReadTime = 10 * time.Minute

// isTusPath reports whether a route path is one of the tus-style blob
// endpoints, whose every answer carries Tus-Resumable.
func isTusPath(p string) bool {
	return p == wire.PathBlobs || strings.HasPrefix(p, wire.PathBlobs+"/")
}

func errBadSHA() error {
	return errorf(http.StatusBadRequest, codeBadRequest,
		"the blob name is not a SHA-256: send the file's SHA-256 as 64 lower-case hex digits")
}

// errUnknownBlob answers a device that has no upload of a blob and does not
// own it: the same answer whether or not another device uploaded it, so
// that the answer says nothing of other devices' files.
func errUnknownBlob() error {
	return errorf(http.StatusNotFound, codeNotFound,
		"this device has no upload with this sha256 (never created, or dropped after days without a chunk): create it (POST /v1/blobs) and upload it from offset 0")
}

// setOffset sets the tus headers of a blob's state.
func setOffset(h http.Header, offset, size int64) {
	h.Set(wire.HeaderUploadOffset, strconv.FormatInt(offset, 10))
	if size >= 0 {
		h.Set(wire.HeaderUploadLength, strconv.FormatInt(size, 10))
	}
	h.Set("Cache-Control", "no-store")
}

func (s *Server) handleBlobCreate(w http.ResponseWriter, r *http.Request, who caller) error {
	body, err := readBody(w, r, smallBody)
	if err != nil {
		return err
	}
	var c wire.BlobCreate
	if err := decodeStrict(body, &c); err != nil {
		return err
	}
	switch {
	case !validSHA(c.SHA256):
		return errorf(http.StatusBadRequest, codeBadRequest,
			"sha256 is not a SHA-256: send the file's SHA-256 as 64 lower-case hex digits")
	case c.Size <= 0:
		return errorf(http.StatusBadRequest, codeBadRequest,
			"size must be the file's length in bytes, at least 1: an empty file cannot be attached")
	case c.Size > wire.MaxBlob:
		return errorf(http.StatusRequestEntityTooLarge, codeTooLarge,
			"the file is %d bytes; the server takes files of at most %d bytes: attach a smaller file", c.Size, wire.MaxBlob)
	case mediaType(c.Type) == "":
		return errorf(http.StatusBadRequest, codeBadRequest,
			"type is not a media type (such as image/jpeg): send the file's sniffed media type")
	}
	s.maybeSweep()
	st, created, err := s.createBlob(who.device, c)
	if errors.Is(err, ErrBlobConflict) {
		return errorf(http.StatusConflict, codeConflict,
			"this device uploaded a complete file with this sha256 and another size or type: compute the sha256, size and type from the file again")
	}
	if err != nil {
		return err
	}
	h := w.Header()
	setOffset(h, st.Offset, st.Size)
	h.Set("Location", wire.PathBlobs+"/"+c.SHA256)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, st)
	return nil
}

func (s *Server) handleBlobHead(w http.ResponseWriter, r *http.Request, who caller) error {
	sha := r.PathValue("sha256")
	if !validSHA(sha) {
		return errBadSHA()
	}
	rec, ok, err := s.blobState(who.device, sha)
	if err != nil {
		return err
	}
	if !ok {
		return errUnknownBlob()
	}
	setOffset(w.Header(), rec.Offset, rec.Size)
	w.WriteHeader(http.StatusOK)
	return nil
}

// patchRequest is what the headers of a PATCH say about its chunk.
type patchRequest struct {
	sha    string
	offset int64
	sum    []byte // the SHA-256 the chunk must have
}

// parsePatch checks the path and headers of a PATCH, before its body is read.
func parsePatch(r *http.Request) (patchRequest, error) {
	p := patchRequest{sha: r.PathValue("sha256")}
	if !validSHA(p.sha) {
		return p, errBadSHA()
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != wire.ContentTypeChunk {
		return p, errorf(http.StatusUnsupportedMediaType, codeUnsupportedMedia,
			"a chunk must be sent with Content-Type: %s", wire.ContentTypeChunk)
	}
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	default:
		return p, errorf(http.StatusUnsupportedMediaType, codeUnsupportedMedia,
			"a chunk must be sent as is: drop the Content-Encoding header")
	}
	v := r.Header.Get(wire.HeaderUploadOffset)
	off, err := strconv.ParseInt(v, 10, 64)
	if err != nil || off < 0 || strings.Trim(v, "0123456789") != "" {
		return p, errorf(http.StatusBadRequest, codeBadRequest,
			"Upload-Offset must be the chunk's start in the file, a non-negative decimal integer: ask the offset with HEAD")
	}
	p.offset = off
	alg, b64, _ := strings.Cut(strings.TrimSpace(r.Header.Get(wire.HeaderUploadChecksum)), " ")
	switch {
	case alg == "":
		return p, errorf(http.StatusBadRequest, codeBadRequest,
			"Upload-Checksum is required: send \"sha256 \" and the base64 of the chunk's SHA-256")
	case alg != "sha256":
		return p, errorf(http.StatusBadRequest, codeBadRequest,
			"the checksum algorithm is not supported: send Upload-Checksum: sha256 <base64 of the chunk's SHA-256>")
	}
	sum, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil || len(sum) != sha256.Size {
		return p, errorf(http.StatusBadRequest, codeBadRequest,
			"Upload-Checksum is not sha256 and a base64 SHA-256 (44 characters): send \"sha256 \" and the base64 of the chunk's SHA-256")
	}
	p.sum = sum
	if r.ContentLength > wire.MaxChunk {
		return p, errChunkTooLarge()
	}
	return p, nil
}

func errChunkTooLarge() error {
	return errorf(http.StatusRequestEntityTooLarge, codeTooLarge,
		"the chunk is larger than %d bytes: send smaller chunks", wire.MaxChunk)
}

func errPastEnd(offset, size int64) error {
	return errorf(http.StatusRequestEntityTooLarge, codeTooLarge,
		"the chunk goes past the end of the file (%d bytes, %d held): send only the %d bytes that remain", size, offset, size-offset)
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// readChunk reads a PATCH body of at most wire.MaxChunk bytes; a body cut
// short is an error, never a shorter chunk.
func readChunk(w http.ResponseWriter, r *http.Request, cr *countingReader) ([]byte, error) {
	cr.r = http.MaxBytesReader(w, r.Body, wire.MaxChunk)
	var (
		b   []byte
		err error
	)
	if n := r.ContentLength; n >= 0 {
		b = make([]byte, n)
		_, err = io.ReadFull(cr, b)
	} else {
		b, err = io.ReadAll(cr)
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, errChunkTooLarge()
	case err != nil:
		return nil, errorf(http.StatusBadRequest, codeBadRequest,
			"the chunk arrived incomplete and was not stored: ask the offset with HEAD and send the chunk again")
	}
	return b, nil
}

func (s *Server) handleBlobPatch(w http.ResponseWriter, r *http.Request, who caller) (err error) {
	var cr countingReader
	defer func() {
		s.uploads.received.Add(cr.n)
		if err != nil {
			s.uploads.refused.Add(1)
		}
		if done := s.patchDone.Load(); done != nil {
			(*done)()
		}
	}()
	p, err := parsePatch(r)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	// Check the offset before reading the body, so that a client on a slow
	// link does not send a chunk the server would refuse anyway.
	rec, ok, err := s.blobState(who.device, p.sha)
	switch {
	case err != nil:
		return err
	case !ok:
		return errUnknownBlob()
	case p.offset != rec.Offset:
		setOffset(h, rec.Offset, rec.Size)
		return errorf(http.StatusConflict, codeOffsetMismatch,
			"the chunk starts at byte %d but the server holds %d bytes: resume from Upload-Offset", p.offset, rec.Offset)
	case r.ContentLength > rec.Size-rec.Offset:
		setOffset(h, rec.Offset, rec.Size)
		return errPastEnd(rec.Offset, rec.Size)
	}
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(chunkReadTime)) // unsupported in tests: fine
	chunk, err := readChunk(w, r, &cr)
	if err != nil {
		setOffset(h, rec.Offset, rec.Size)
		return err
	}
	if sum := sha256.Sum256(chunk); !bytes.Equal(sum[:], p.sum) {
		setOffset(h, rec.Offset, rec.Size)
		return errorf(wire.StatusChecksumMismatch, codeChecksumMismatch,
			"the chunk does not match its Upload-Checksum and was not stored: send it again")
	}
	off, err := s.appendChunk(who.device, p.sha, p.offset, chunk)
	var oe *OffsetError
	switch {
	case errors.As(err, &oe): // another PATCH of the same blob got there first
		setOffset(h, oe.Offset, rec.Size)
		return errorf(http.StatusConflict, codeOffsetMismatch,
			"the chunk starts at byte %d but the server holds %d bytes: resume from Upload-Offset", p.offset, oe.Offset)
	case errors.Is(err, ErrBlobNotFound):
		return errUnknownBlob()
	case errors.Is(err, ErrChunkPastEnd):
		return errPastEnd(rec.Offset, rec.Size)
	case errors.Is(err, ErrBlobCorrupt):
		return errorf(http.StatusUnprocessableEntity, codeBlobCorrupt,
			"the uploaded bytes do not match the file's sha256, so the server dropped them: upload the file again from offset 0 (POST /v1/blobs)")
	case err != nil:
		return err
	}
	s.uploads.stored.Add(int64(len(chunk)))
	setOffset(h, off, rec.Size)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleBackofficeBlob(w http.ResponseWriter, r *http.Request, _ caller) error {
	sha := r.PathValue("sha256")
	if !validSHA(sha) {
		return errBadSHA()
	}
	rec, ok, err := s.storedBlob(sha)
	if err != nil {
		return err
	}
	if !ok {
		return errorf(http.StatusNotFound, codeNotFound,
			"the server holds no complete file with this sha256: check the application's attachments")
	}
	h := w.Header()
	ct := mediaType(rec.Type)
	if ct == "" {
		ct = "application/octet-stream"
	}
	// The bytes come from a device: never let a browser run them.
	h.Set("Content-Type", ct)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	h.Set("Content-Disposition", "attachment")
	h.Set("Content-Length", strconv.FormatInt(rec.Size, 10))
	h.Set("ETag", `"`+sha+`"`)
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(chunkReadTime))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	if _, err := s.WriteBlob(sha, w); err != nil {
		// The status is sent: the answer ends short of its Content-Length,
		// which the client sees as a broken download.
		s.log.Warn("blob download cut short", "err", err)
	}
	return nil
}
