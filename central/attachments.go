package central

import (
	"strconv"

	bolt "go.etcd.io/bbolt"

	"civicdesk/app/catalog"
	"civicdesk/sync/wire"
)

// fieldAttachments names an attachment no form field refers to.
const fieldAttachments = "attachments"

// attachmentRef is one file a submitted item names: an entry of its
// Attachments, or an attachment field's value those entries do not list.
type attachmentRef struct {
	field  string // the form field whose value names the file, else fieldAttachments
	sha    string
	typ    string
	size   int64
	listed bool // an entry of SubmitItem.Attachments, whose shape is checked here
}

// valueRef reads the AttachmentRef of an attachment field's value (the map
// JSON decodes it to, on the server).
func valueRef(v any) (sha, typ string, size int64, ok bool) {
	switch v := v.(type) {
	case catalog.AttachmentRef:
		return v.SHA256, v.Type, v.Size, true
	case *catalog.AttachmentRef:
		if v != nil {
			return v.SHA256, v.Type, v.Size, true
		}
	case map[string]any:
		sha, ok1 := v["sha256"].(string)
		typ, _ := v["type"].(string)
		n, ok2 := v["size"].(float64)
		return sha, typ, int64(n), ok1 && ok2
	}
	return "", "", 0, false
}

// attachmentRefs lists the files an item names, each with the form field
// that refers to it when there is one.
func (s *Server) attachmentRefs(it *wire.SubmitItem) []attachmentRef {
	var fromValues []attachmentRef
	fields := map[string]string{} // sha -> first field naming it
	if svc, ok := s.cat.Service(it.Service); ok {
		for _, f := range svc.Form.Fields {
			if f.Type != catalog.TypeAttachment {
				continue
			}
			raw, typ, size, ok := valueRef(it.Values[f.Name])
			sha, valid := lowerHex(raw)
			if !ok || !valid { // the catalog validator reports the value
				continue
			}
			if _, dup := fields[sha]; !dup {
				fields[sha] = f.Name
			}
			fromValues = append(fromValues, attachmentRef{field: f.Name, sha: sha, typ: typ, size: size})
		}
	}
	var refs []attachmentRef
	listed := map[string]bool{}
	for _, a := range it.Attachments {
		field, ok := fields[a.SHA256]
		if !ok {
			field = fieldAttachments
		}
		refs = append(refs, attachmentRef{field: field, sha: a.SHA256, typ: a.Type, size: a.Size, listed: true})
		listed[a.SHA256] = true
	}
	for _, r := range fromValues {
		if !listed[r.sha] {
			refs = append(refs, r)
			listed[r.sha] = true
		}
	}
	return refs
}

// checkBlobs checks an item's files against the blobs device owns (it
// uploaded all their bytes): bad are refusals (a malformed reference, or a
// size or type other than the blob's: Invalid), missing are files the
// device has not uploaded complete, whether or not another device did
// (Retry with wire.CodeBlobMissing: the client uploads them and sends the
// item again).
func checkBlobs(tx *bolt.Tx, device string, refs []attachmentRef) (bad, missing []catalog.FieldError, err error) {
	seen := map[string]bool{}
	for _, r := range refs {
		if r.listed {
			var fe *catalog.FieldError
			switch {
			case !validSHA(r.sha):
				fe = &catalog.FieldError{Code: catalog.CodeAttachmentInvalid,
					Message: "the attachment's sha256 is not 64 lower-case hex digits: attach the file again"}
			case mediaType(r.typ) == "":
				fe = &catalog.FieldError{Code: catalog.CodeAttachmentInvalid,
					Message: "the attachment's type is not a media type: attach the file again"}
			case r.size <= 0:
				fe = &catalog.FieldError{Code: catalog.CodeAttachmentInvalid,
					Message: "the attachment's size is not the file's length: attach the file again"}
			case r.size > wire.MaxBlob:
				fe = &catalog.FieldError{Code: catalog.CodeAttachmentTooLarge,
					Message: "the file is larger than the server takes: attach a smaller file",
					Params:  map[string]string{"max": strconv.Itoa(wire.MaxBlob)}}
			}
			if fe != nil {
				fe.Field = r.field
				bad = append(bad, *fe)
				continue
			}
		}
		rec, ok, err := ownedBlob(tx, device, r.sha)
		switch {
		case err != nil:
			return nil, nil, err
		case !ok:
			if !seen[r.sha] {
				missing = append(missing, catalog.FieldError{Field: r.field, Code: wire.CodeBlobMissing,
					Message: "the server does not hold this file complete: upload it, then send the application again"})
			}
		case rec.Size != r.size || !sameType(rec.Type, r.typ):
			bad = append(bad, catalog.FieldError{Field: r.field, Code: catalog.CodeAttachmentInvalid,
				Message: "the attachment's size or type does not match the uploaded file: attach the file again"})
		}
		seen[r.sha] = true
	}
	return bad, missing, nil
}
