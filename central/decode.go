package central

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"time"

	"civicdesk/sync/wire"
)

// smallBody is the body limit of the endpoints that take a few short fields.
const smallBody = 64 << 10

// Stable error codes of wire.Error.
const (
	codeBadRequest       = "bad_request"
	codeMalformedJSON    = "malformed_json"
	codeUnauthorized     = "unauthorized"
	codeNotFound         = "not_found"
	codeUnknownPath      = "unknown_path"
	codeMethodNotAllowed = "method_not_allowed"
	codeConflict         = "conflict"
	codeCodeUsed         = "code_used"
	codeCodeExpired      = "code_expired"
	codeTooLarge         = "too_large"
	codeUnsupportedMedia = "unsupported_media_type"
	codeInternal         = "internal"
	codeUnavailable      = "unavailable"
	// codeTooManyAttempts: POST /v1/track past its limit of failed attempts.
	codeTooManyAttempts = wire.CodeTooManyAttempts
	// Codes of the blob endpoints.
	codeOffsetMismatch     = "offset_mismatch"
	codeChecksumMismatch   = "checksum_mismatch"
	codeBlobCorrupt        = "blob_corrupt"
	codeUnsupportedVersion = "unsupported_version"
)

// apiError is an error with the HTTP answer it deserves.
type apiError struct {
	status int
	body   wire.Error
}

func (e *apiError) Error() string { return e.body.Message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, body: wire.Error{Code: code, Message: fmt.Sprintf(format, args...)}}
}

// writeJSON writes v as the JSON answer with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(wire.Error{Code: codeInternal, Message: "the server could not encode its answer: try again later"})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeError writes err as a wire.Error; errors that are not *apiError become 500.
func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = errorf(http.StatusInternalServerError, codeInternal, "the server failed to handle the request: try again later")
	}
	if ae.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="civicdesk"`)
	}
	writeJSON(w, ae.status, ae.body)
}

// readBody checks the content type and encoding and returns the request body,
// decompressed, never longer than limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != "application/json" {
		return nil, errorf(http.StatusUnsupportedMediaType, codeUnsupportedMedia,
			"the body must be JSON: send it with Content-Type: application/json")
	}
	var gz bool
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		gz = true
	default:
		return nil, errorf(http.StatusUnsupportedMediaType, codeUnsupportedMedia,
			"content encoding is not supported: send the body uncompressed or with Content-Encoding: gzip")
	}
	tooLarge := errorf(http.StatusRequestEntityTooLarge, codeTooLarge,
		"the request body is larger than %d bytes (after decompression): send fewer or smaller items per request", limit)
	var body io.Reader = http.MaxBytesReader(w, r.Body, limit)
	if gz {
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, bodyReadError(err, true, tooLarge)
		}
		defer zr.Close()
		body = zr
	}
	b, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, bodyReadError(err, gz, tooLarge)
	}
	if int64(len(b)) > limit {
		return nil, tooLarge
	}
	return b, nil
}

func bodyReadError(err error, gz bool, tooLarge *apiError) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return tooLarge
	case gz:
		return errorf(http.StatusBadRequest, codeBadRequest,
			"the body is not valid gzip data: compress it with gzip or drop the Content-Encoding header")
	default:
		return errorf(http.StatusBadRequest, codeBadRequest, "the request body could not be read completely: send it again")
	}
}

// decodeStrict decodes one JSON value from b into v, refusing unknown
// fields and trailing data.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errorf(http.StatusBadRequest, codeMalformedJSON,
			"the body has data after the JSON object: send exactly one JSON object")
	}
	return nil
}

// jsonError explains a decoding error without echoing the input's values.
func jsonError(err error) *apiError {
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	switch {
	case errors.Is(err, io.EOF):
		return errorf(http.StatusBadRequest, codeMalformedJSON, "the body is empty: send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(http.StatusBadRequest, codeMalformedJSON, "the JSON body ends too early: send the complete object")
	case errors.As(err, &se):
		return errorf(http.StatusBadRequest, codeMalformedJSON, "the body is not valid JSON (syntax error at byte %d): fix the JSON and send it again", se.Offset)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return errorf(http.StatusBadRequest, codeMalformedJSON, "the body must be a JSON object of the documented shape (got a JSON %s): see /v1/openapi.json", te.Value)
		}
		return errorf(http.StatusBadRequest, codeMalformedJSON, "field %q has the wrong type (got a JSON %s, want a JSON %s): see /v1/openapi.json", clip(field), te.Value, jsonKind(te.Type))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return errorf(http.StatusBadRequest, codeMalformedJSON, "unknown field %s: remove it (see /v1/openapi.json for the fields)", clip(name))
	default:
		return errorf(http.StatusBadRequest, codeMalformedJSON, "the body is not valid JSON of the documented shape: see /v1/openapi.json")
	}
}

// jsonKind names the JSON kind a Go type decodes from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "value"
	}
	if t == reflect.TypeFor[time.Time]() {
		return "string (RFC 3339 time)"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "string (base64)"
		}
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "value"
}

// clip shortens a client-supplied name before it goes into a message.
func clip(s string) string {
	const max = 40
	r := []rune(s)
	if len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}
