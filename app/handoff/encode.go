package handoff

import (
	"bytes"
	"cmp"
	"compress/flate"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"civicdesk/app/catalog"
	"civicdesk/app/store"
)

// Encode makes the hand-off code of a (draft or queued) application: a text
// for a QR code in byte mode. svc is the application's service, used to
// know its attachment fields; with a nil svc, attachments are recognised by
// their shape. Attachment values and files are left out and named, so that
// Decode can report them. The error is ErrTooLarge when the code would be
// longer than MaxText, ErrInvalid when a has no canonical id or service or
// its form data is gone.
func Encode(a store.Application, svc *catalog.Service) (string, error) {
	switch {
	case !canonicalID(a.ID):
		return "", fmt.Errorf("%w: its id is not a canonical UUID (applications made by civicdesk have one)", ErrInvalid)
	case !plainName(a.Service):
		return "", fmt.Errorf("%w: it names no valid service code", ErrInvalid)
	case svc != nil && svc.Code != a.Service:
		return "", fmt.Errorf("%w: it belongs to service %s, not %s", ErrInvalid, a.Service, svc.Code)
	case a.Purged:
		return "", fmt.Errorf("%w: its form data has been deleted from this device", ErrInvalid)
	case a.ServiceVersion < 0:
		return "", fmt.Errorf("%w: its service version is negative", ErrInvalid)
	}
	doc := document{V: Version, ID: a.ID, Service: a.Service, ServiceVersion: a.ServiceVersion,
		Values: catalog.Values{}, CreatedAt: a.CreatedAt}
	left := map[string]leftOut{}
	for name, v := range a.Values {
		if isAttachmentField(svc, name) || isAttachmentRef(v) {
			ref, _ := attachmentRef(v)
			left[name] = leftOut{Field: name, Type: ref.Type, Size: ref.Size}
			continue
		}
		doc.Values[name] = v
	}
	for _, x := range a.Attachments {
		if _, ok := left[x.Field]; !ok && x.Field != "" {
			left[x.Field] = leftOut{Field: x.Field, Type: x.Ref.Type, Size: x.Ref.Size}
		}
	}
	for name := range left {
		if !plainName(name) {
			return "", fmt.Errorf("%w: an attachment names no valid form field", ErrInvalid)
		}
		doc.LeftOut = append(doc.LeftOut, left[name])
	}
	slices.SortFunc(doc.LeftOut, func(x, y leftOut) int {
		if c := fieldIndex(svc, x.Field) - fieldIndex(svc, y.Field); c != 0 {
			return c
		}
		return cmp.Compare(x.Field, y.Field)
	})
	js, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("%w: its form values are not plain JSON values (%v)", ErrInvalid, errKind(err))
	}
	var z bytes.Buffer
	fw, err := flate.NewWriter(&z, flate.BestCompression)
	if err != nil {
		return "", err // only for a bad level
	}
	fw.Write(js) // writes to a bytes.Buffer do not fail
	fw.Close()
	sum := sha256.Sum256(z.Bytes())
	raw := append(z.Bytes(), sum[:sumLen]...)
	text := Prefix + base64.RawURLEncoding.EncodeToString(raw)
	if len(text) > MaxText {
		return "", fmt.Errorf("%w (%d characters, the limit is %d)", ErrTooLarge, len(text), MaxText)
	}
	return text, nil
}

// isAttachmentField reports whether svc has an attachment field name.
func isAttachmentField(svc *catalog.Service, name string) bool {
	if svc == nil {
		return false
	}
	f, ok := svc.Field(name)
	return ok && f.Type == catalog.TypeAttachment
}

// isAttachmentRef reports whether v is an attachment reference, as the
// form holds it or as JSON decoding (the store) gives it back.
func isAttachmentRef(v any) bool {
	_, ok := attachmentRef(v)
	return ok
}

func attachmentRef(v any) (catalog.AttachmentRef, bool) {
	switch r := v.(type) {
	case catalog.AttachmentRef:
		return r, true
	case *catalog.AttachmentRef:
		if r != nil {
			return *r, true
		}
	case map[string]any:
		sha, ok := r["sha256"].(string)
		if !ok {
			return catalog.AttachmentRef{}, false
		}
		ref := catalog.AttachmentRef{SHA256: sha}
		ref.Type, _ = r["type"].(string)
		if n, ok := r["size"].(float64); ok && n >= 0 && n < 1<<53 {
			ref.Size = int64(n)
		}
		return ref, true
	}
	return catalog.AttachmentRef{}, false
}

// fieldIndex is name's position in svc's form (after every field when
// svc lacks it), so that left-out attachments are listed in form order.
func fieldIndex(svc *catalog.Service, name string) int {
	if svc != nil {
		for i, f := range svc.Form.Fields {
			if f.Name == name {
				return i
			}
		}
		return len(svc.Form.Fields)
	}
	return 0
}

// errKind names what kind of JSON problem err is, without the value that
// caused it (an UnsupportedValueError would quote it).
func errKind(err error) string {
	var ut *json.UnsupportedTypeError
	var uv *json.UnsupportedValueError
	switch {
	case errors.As(err, &ut):
		return "unsupported type " + ut.Type.String()
	case errors.As(err, &uv):
		return "an unsupported value such as NaN or infinity"
	}
	return "not encodable"
}
