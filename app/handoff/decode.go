package handoff

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// IsCode reports whether text looks like a hand-off code of any version
// ("CDH<n>:"), so that a scanner can route it here rather than elsewhere.
func IsCode(text string) bool {
	_, ok := codeVersion(strings.TrimSpace(text))
	return ok
}

// codeVersion reads the version of a "CDH<n>:" prefix.
func codeVersion(text string) (int, bool) {
	rest, ok := strings.CutPrefix(text, "CDH")
	if !ok {
		return 0, false
	}
	digits, _, ok := strings.Cut(rest, ":")
	if !ok || digits == "" || len(digits) > 4 {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 1 || strconv.Itoa(n) != digits {
		return 0, false
	}
	return n, true
}

// Decode reads a hand-off code. It never panics and its work is bounded
// (at most MaxText characters read, MaxUnpacked bytes unpacked). Errors:
// ErrNotHandoff for a text that is not a hand-off code, ErrVersion for a
// code of a newer format, ErrMalformed for a damaged or truncated one,
// ErrTampered when the checksum does not match.
func Decode(text string) (Payload, error) {
	text = strings.TrimSpace(text)
	v, ok := codeVersion(text)
	switch {
	case strings.HasPrefix(Prefix, text) && text != Prefix:
		return Payload{}, fmt.Errorf("%w: it is cut short before its content", ErrMalformed)
	case !ok:
		return Payload{}, ErrNotHandoff
	case v > Version:
		return Payload{}, fmt.Errorf("%w (format %d; this device reads format %d)", ErrVersion, v, Version)
	case len(text) > MaxText:
		return Payload{}, fmt.Errorf("%w: it is longer than any hand-off code (%d characters, at most %d)", ErrMalformed, len(text), MaxText)
	}
	body := text[len(Prefix):]
	for i := 0; i < len(body); i++ {
		if !base64URL(body[i]) {
			return Payload{}, fmt.Errorf("%w: it holds a character that a hand-off code never has (position %d)", ErrMalformed, len(Prefix)+i+1)
		}
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(body)
	if err != nil {
		return Payload{}, fmt.Errorf("%w: it ends in the middle of a character group (cut short?)", ErrMalformed)
	}
	if len(raw) <= sumLen {
		return Payload{}, fmt.Errorf("%w: it is too short to hold an application (cut short?)", ErrMalformed)
	}
	packed, sum := raw[:len(raw)-sumLen], raw[len(raw)-sumLen:]
	want := sha256.Sum256(packed)
	if subtle.ConstantTimeCompare(sum, want[:sumLen]) != 1 {
		return Payload{}, ErrTampered
	}
	js, err := unpack(packed)
	if err != nil {
		return Payload{}, err
	}
	return parse(js)
}

// base64URL reports whether c is in the unpadded base64url alphabet.
func base64URL(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// unpack inflates packed, refusing more than MaxUnpacked bytes and bytes
// after the end of the compressed stream.
func unpack(packed []byte) ([]byte, error) {
	in := bytes.NewReader(packed)
	fr := flate.NewReader(in)
	defer fr.Close()
	js, err := io.ReadAll(io.LimitReader(fr, MaxUnpacked+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: its compressed data is broken", ErrMalformed)
	case len(js) > MaxUnpacked:
		return nil, fmt.Errorf("%w: it unpacks to more than %d KiB, far more than any application", ErrMalformed, MaxUnpacked>>10)
	case in.Len() != 0:
		return nil, fmt.Errorf("%w: it has data after its end", ErrMalformed)
	}
	return js, nil
}

// parse reads and checks the JSON document.
func parse(js []byte) (Payload, error) {
	var head struct {
		V json.RawMessage `json:"v"`
	}
	if err := json.Unmarshal(js, &head); err != nil {
		return Payload{}, fmt.Errorf("%w: its content is not a JSON object", ErrMalformed)
	}
	var v int
	if err := json.Unmarshal(head.V, &v); err != nil || v < 1 {
		return Payload{}, fmt.Errorf("%w: its format version is missing or wrong", ErrMalformed)
	}
	if v > Version {
		return Payload{}, fmt.Errorf("%w (format %d; this device reads format %d)", ErrVersion, v, Version)
	}
	var doc document
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return Payload{}, fmt.Errorf("%w: its content does not have the hand-off format", ErrMalformed)
	}
	if dec.More() {
		return Payload{}, fmt.Errorf("%w: it has data after its content", ErrMalformed)
	}
	switch {
	case !canonicalID(doc.ID):
		return Payload{}, fmt.Errorf("%w: its application id is not a canonical UUID", ErrMalformed)
	case !plainName(doc.Service):
		return Payload{}, fmt.Errorf("%w: it names no valid service code", ErrMalformed)
	case doc.ServiceVersion < 0:
		return Payload{}, fmt.Errorf("%w: its service version is negative", ErrMalformed)
	case doc.Values == nil:
		return Payload{}, fmt.Errorf("%w: it has no form values", ErrMalformed)
	}
	for _, v := range doc.Values {
		if isAttachmentRef(v) {
			return Payload{}, fmt.Errorf("%w: it carries an attachment, which a hand-off code never does", ErrMalformed)
		}
	}
	p := Payload{ID: doc.ID, Service: doc.Service, ServiceVersion: doc.ServiceVersion,
		Values: doc.Values, CreatedAt: doc.CreatedAt}
	seen := map[string]bool{}
	for _, x := range doc.LeftOut {
		_, answered := doc.Values[x.Field]
		if !plainName(x.Field) || seen[x.Field] || answered || x.Size < 0 {
			return Payload{}, fmt.Errorf("%w: its list of left-out attachments is wrong", ErrMalformed)
		}
		seen[x.Field] = true
		p.MissingAttachments = append(p.MissingAttachments, x.Field)
	}
	return p, nil
}
