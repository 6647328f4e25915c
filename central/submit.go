package central

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/sync/wire"
)

// Field error codes the server adds to the catalog validator's codes.
const (
	fieldCodeServiceUnknown = "service.unknown"
	fieldCodeIDMissing      = "id.required"
	fieldCodeIDMalformed    = "id.malformed"
	fieldCodeItemMalformed  = "item.malformed"
)

// chinaTime dates tracking numbers: China Standard Time has no daylight
// saving, so a fixed offset is exact and needs no time zone database.
var chinaTime = time.FixedZone("CST", 8*60*60)

// rawBatch is the outer shape of a submission; items are decoded one by
// one so that one malformed item does not sink the batch.
type rawBatch struct {
	Items []json.RawMessage `json:"items"`
}

// trackingPrefix starts every tracking number: the city's division code
// (Xuzhou, 320300) shortened to 3203. Tracking numbers are digits only, so a
// resident can type one on a kiosk's numeric keypad: 3203 + YYYYMMDD (China
// time) + a 6-digit sequence of the day.
const trackingPrefix = "3203"

// readBatch reads a batch request (submissions, interactions) within the
// body and item limits; its items are decoded one by one later.
func (s *Server) readBatch(w http.ResponseWriter, r *http.Request) ([]json.RawMessage, error) {
	body, err := readBody(w, r, s.maxBody)
	if err != nil {
		return nil, err
	}
	var batch rawBatch
	if err := decodeStrict(body, &batch); err != nil {
		return nil, err
	}
	if len(batch.Items) > s.maxItems {
		return nil, errorf(http.StatusRequestEntityTooLarge, codeTooLarge,
			"the batch has %d items; the limit is %d: send at most %d items per request", len(batch.Items), s.maxItems, s.maxItems)
	}
	return batch.Items, nil
}

func (s *Server) handleSubmit(w http.ResponseWriter, r *http.Request, c caller) error {
	items, err := s.readBatch(w, r)
	if err != nil {
		return err
	}
	results, err := s.submit(c.device, items)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.SubmitResponse{Results: results, ServerTime: s.now()})
	return nil
}

// prepared is an item after the checks that need no storage.
type prepared struct {
	item   wire.SubmitItem
	fp     string
	result *wire.ItemResult // set when the item is already decided (invalid shape)
}

func invalid(id string, errs ...catalog.FieldError) *wire.ItemResult {
	return &wire.ItemResult{ID: id, Outcome: wire.Invalid, Errors: errs,
		Message: "the application was refused: correct the fields listed and submit it again"}
}

// prepare decodes one item and checks its shape.
func prepare(raw json.RawMessage) prepared {
	var p prepared
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p.item); err != nil {
		var idOnly struct {
			ID string `json:"id"`
		}
		json.Unmarshal(raw, &idOnly) // best effort, so that the client can match the result
		p.result = invalid(echoID(idOnly.ID), catalog.FieldError{Field: "item", Code: fieldCodeItemMalformed, Message: jsonError(err).body.Message})
		return p
	}
	it := &p.item
	switch {
	case it.ID == "":
		p.result = invalid("", catalog.FieldError{Field: "id", Code: fieldCodeIDMissing,
			Message: "the item has no id: give every application a UUID when it is created"})
		return p
	case !validID(it.ID):
		p.result = invalid(echoID(it.ID), catalog.FieldError{Field: "id", Code: fieldCodeIDMalformed,
			Message: "the id is not a UUID in canonical lowercase form: give every application a UUID when it is created"})
		return p
	}
	if p.fp = it.Fingerprint(); p.fp == "" {
		p.result = invalid("", catalog.FieldError{Field: "values", Code: fieldCodeItemMalformed,
			Message: "the values cannot be encoded: send plain JSON values"})
	}
	return p
}

// echoID is the id to name in the result of a refused item: what the client
// sent, so that it can match the result, unless it is too long or not text.
func echoID(id string) string {
	if len(id) > 64 || !utf8.ValidString(id) {
		return ""
	}
	return id
}

// validID reports whether id is a UUID in canonical (lowercase, hyphenated) form.
func validID(id string) bool {
	if len(id) != 36 {
		return false
	}
	u, err := uuid.Parse(id)
	return err == nil && u.String() == id
}

// check runs the catalog validator.
func (s *Server) check(it *wire.SubmitItem) []catalog.FieldError {
	svc, ok := s.cat.Service(it.Service)
	if !ok {
		return []catalog.FieldError{{Field: "service", Code: fieldCodeServiceUnknown,
			Message: "no such service in the catalog: refresh the catalog and choose a listed service"}}
	}
	return catalog.ValidateAt(svc, it.Values, s.now())
}

// submit stores a batch in one transaction and returns a result per item,
// in item order. Items are handled in order as if each had been sent alone,
// so an id the batch itself has just stored is a duplicate (same content)
// or a conflict (other content) for any later item; a refused item stores
// nothing and a later item with its id is judged on its own. Nothing is
// answered before the commit.
func (s *Server) submit(device string, raws []json.RawMessage) ([]wire.ItemResult, error) {
	items := make([]prepared, len(raws))
	for i, raw := range raws {
		items[i] = prepare(raw)
		if items[i].result == nil {
			if errs := s.check(&items[i].item); len(errs) > 0 {
				items[i].result = invalid(items[i].item.ID, errs...)
			}
		}
	}
	now := s.now()
	var results []wire.ItemResult
	err := s.db.Update(func(tx *bolt.Tx) error {
		results = make([]wire.ItemResult, len(items))
		apps := tx.Bucket(bucketApplications)
		for i := range items {
			p := &items[i]
			id := p.item.ID
			if p.fp == "" { // not even a well-formed item: nothing to look up
				results[i] = *p.result
				continue
			}
			var a appRecord
			ok, err := getJSON(apps, []byte(id), &a)
			if err != nil {
				return err
			}
			if ok {
				if a.Fingerprint != p.fp {
					results[i] = conflictResult(id, "an application with this id and different content exists")
					continue
				}
				if !a.hasDevice(device) {
					a.Devices = append(a.Devices, device) // hand-off: both devices follow it
					if err := putJSON(apps, []byte(id), a); err != nil {
						return err
					}
				}
				results[i] = a.result(true)
				continue
			}
			refs := s.attachmentRefs(&p.item)
			bad, missing, err := checkBlobs(tx, device, refs)
			if err != nil {
				return err
			}
			switch {
			case p.result != nil:
				r := *p.result
				r.Errors = append(slices.Clip(r.Errors), bad...)
				results[i] = r
				continue
			case len(bad) > 0:
				results[i] = *invalid(id, bad...)
				continue
			case len(missing) > 0:
				results[i] = wire.ItemResult{ID: id, Outcome: wire.Retry, Errors: missing,
					Message: "the server does not hold all the attached files yet: upload them (POST /v1/blobs, then PATCH), then send the application again"}
				continue
			}
			na, err := s.accept(tx, device, &p.item, p.fp, now)
			if err != nil {
				return err
			}
			for _, ref := range refs {
				if err := addBlobRef(tx, ref.sha, id); err != nil {
					return err
				}
			}
			results[i] = na.result(false)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

func conflictResult(id, why string) wire.ItemResult {
	return wire.ItemResult{ID: id, Outcome: wire.Conflict,
		Message: why + ": do not resend it; create a new application (new id) if this is a different one"}
}

// accept stores a new application with its tracking number, verification
// code, first status and first change.
func (s *Server) accept(tx *bolt.Tx, device string, it *wire.SubmitItem, fp string, now time.Time) (*appRecord, error) {
	ord, err := counter(tx, metaAppOrdinal)
	if err != nil {
		return nil, err
	}
	day := now.In(chinaTime).Format("20060102")
	n, err := counter(tx, []byte(metaTrackingPrefix+day))
	if err != nil {
		return nil, err
	}
	a := &appRecord{
		ID: it.ID, Ordinal: ord, Fingerprint: fp, Devices: []string{device},
		Service: it.Service, ServiceVersion: it.ServiceVersion, StaffID: it.StaffID,
		Values: it.Values, Attachments: it.Attachments,
		Tracking:   fmt.Sprintf("%s%s%06d", trackingPrefix, day, n),
		Code:       newVerificationCode(),
		AcceptedAt: now, DeviceCreatedAt: it.CreatedAt,
	}
	if err := tx.Bucket(bucketTracking).Put([]byte(a.Tracking), []byte(a.ID)); err != nil {
		return nil, err
	}
	if err := setStatus(tx, a, lifecycle.Received, nil, now); err != nil {
		return nil, err
	}
	return a, nil
}
