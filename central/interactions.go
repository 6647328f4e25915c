package central

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"civicdesk/app/catalog"
	"civicdesk/sync/wire"
)

// Hall interactions: queue tickets, ratings and feedback that devices send
// (POST /v1/interactions), the back office's list of them and its replies,
// which reach the sending device through its changes feed.
//
// Ratings and feedback get a reference, "FK" + YYYYMMDD (China time, the
// day received) + "-" + a 4-digit sequence of that day (5 digits past
// 9999). Tickets get none: their number is their name. A ticket whose
// number the hall already holds that day under another id is refused as a
// Conflict and recorded as a clash (two kiosks set up with one prefix); the
// back office sees the count in the X-Ticket-Clashes header of its list.

// Interaction storage keys and limits.
const (
	referencePrefix        = "FK"
	metaInteractionOrdinal = "interaction_ordinal"
	metaReferencePrefix    = "reference_seq:" // + yyyymmdd
	maxFilterHall          = 64
)

// interactionRecord is one accepted interaction.
type interactionRecord struct {
	Interaction wire.Interaction  `json:"interaction"` // CreatedAt in UTC
	Ordinal     uint64            `json:"ordinal"`
	Fingerprint string            `json:"fingerprint"`
	Device      string            `json:"device"`
	Reference   string            `json:"reference,omitempty"`
	ReceivedAt  time.Time         `json:"received_at"`
	FollowUp    bool              `json:"follow_up"`
	Replies     []wire.ReplyEntry `json:"replies,omitempty"`
}

func (r *interactionRecord) result(duplicate bool) wire.InteractionResult {
	return wire.InteractionResult{ID: r.Interaction.ID, Outcome: wire.Accepted, Reference: r.Reference,
		FollowUp: r.FollowUp, AcceptedAt: r.ReceivedAt, Duplicate: duplicate}
}

func (r *interactionRecord) backoffice() wire.BackofficeInteraction {
	return wire.BackofficeInteraction{Interaction: r.Interaction, Device: r.Device, Reference: r.Reference,
		ReceivedAt: r.ReceivedAt, FollowUp: r.FollowUp, Replies: r.Replies}
}

// clashRecord is a ticket refused because another ticket held its number.
// It holds no personal data (tickets have none).
type clashRecord struct {
	ID     string    `json:"id"`      // the refused ticket's interaction id
	HeldBy string    `json:"held_by"` // the interaction id holding the number
	Hall   string    `json:"hall"`
	Day    string    `json:"day"`
	Number string    `json:"number"`
	Device string    `json:"device"`
	At     time.Time `json:"at"` // server time of the first refusal
}

// ticketKey names a ticket number in a hall and day: a JSON array, so that
// no hall code, however odd, makes two keys alike.
func ticketKey(hall, day, number string) []byte {
	b, _ := json.Marshal([3]string{hall, day, number}) // strings always encode
	return b
}

func (s *Server) handleInteractions(w http.ResponseWriter, r *http.Request, c caller) error {
	items, err := s.readBatch(w, r)
	if err != nil {
		return err
	}
	results, err := s.interact(c.device, items)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.InteractionsResponse{Results: results, ServerTime: s.now()})
	return nil
}

// preparedInteraction is an item after the checks that need no storage.
type preparedInteraction struct {
	in     wire.Interaction
	fp     string               // "" when the item cannot be fingerprinted
	idOK   bool                 // the id is well formed: worth looking up
	errs   []catalog.FieldError // Check's findings
	result *wire.InteractionResult
}

func invalidInteraction(id string, errs ...catalog.FieldError) *wire.InteractionResult {
	return &wire.InteractionResult{ID: id, Outcome: wire.Invalid, Errors: errs,
		Message: "the interaction was refused: the fields listed are wrong; do not resend it as it is"}
}

// prepareInteraction decodes one item strictly and checks it.
func prepareInteraction(raw json.RawMessage) preparedInteraction {
	var p preparedInteraction
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p.in); err != nil {
		var idOnly struct {
			ID string `json:"id"`
		}
		json.Unmarshal(raw, &idOnly) // best effort, so that the client can match the result
		p.result = invalidInteraction(echoID(idOnly.ID), catalog.FieldError{Field: "item", Code: fieldCodeItemMalformed, Message: jsonError(err).body.Message})
		return p
	}
	p.errs = p.in.Check()
	p.idOK = true
	for _, e := range p.errs {
		if e.Field == "id" {
			p.idOK = false
		}
	}
	p.in.CreatedAt = p.in.CreatedAt.UTC()
	fp, err := interactionFingerprint(p.in)
	if err != nil {
		p.errs = append(p.errs, catalog.FieldError{Field: "created_at", Code: catalog.CodeDateInvalid,
			Message: "the creation time is out of range: send the device's clock as an RFC 3339 time"})
	}
	p.fp = fp
	return p
}

// interactionFingerprint is the SHA-256 of the canonical JSON of an
// interaction (CreatedAt in UTC): every field the client can send counts,
// only the encoding (key order, spacing, null for absent, the time's
// offset) does not.
func interactionFingerprint(in wire.Interaction) (string, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// interact stores a batch in one transaction and returns a result per
// item, in item order. As for applications, items are handled in order as
// if each had been sent alone: an id the batch has just stored is a
// duplicate or a conflict for a later item, and so is a ticket number.
func (s *Server) interact(device string, raws []json.RawMessage) ([]wire.InteractionResult, error) {
	items := make([]preparedInteraction, len(raws))
	for i, raw := range raws {
		items[i] = prepareInteraction(raw)
	}
	now := s.now()
	var results []wire.InteractionResult
	var clashes int
	err := s.db.Update(func(tx *bolt.Tx) error {
		results = make([]wire.InteractionResult, len(items))
		clashes = 0
		stored := tx.Bucket(bucketInteractions)
		for i := range items {
			p := &items[i]
			id := p.in.ID
			if p.result != nil {
				results[i] = *p.result
				continue
			}
			if p.idOK {
				var rec interactionRecord
				ok, err := getJSON(stored, []byte(id), &rec)
				if err != nil {
					return err
				}
				if ok {
					if p.fp == "" || rec.Fingerprint != p.fp {
						results[i] = wire.InteractionResult{ID: id, Outcome: wire.Conflict,
							Message: "an interaction with this id and different content exists: do not resend it; make a new one (new id) if this is a different one"}
						continue
					}
					results[i] = rec.result(true)
					continue
				}
			}
			if len(p.errs) > 0 {
				results[i] = *invalidInteraction(echoID(id), p.errs...)
				continue
			}
			if t := p.in.Ticket; t != nil {
				key := ticketKey(p.in.Hall, t.Day, t.Number)
				tickets := tx.Bucket(bucketTickets)
				if holder := tickets.Get(key); holder != nil {
					fresh, err := recordClash(tx, clashRecord{ID: id, HeldBy: string(holder), Hall: p.in.Hall,
						Day: t.Day, Number: t.Number, Device: device, At: now})
					if err != nil {
						return err
					}
					if fresh {
						clashes++
					}
					results[i] = wire.InteractionResult{ID: id, Outcome: wire.Conflict,
						Message: "another ticket already holds this number in this hall today: two kiosks seem to share a prefix; check the kiosk prefixes in the kiosks' settings and give each kiosk its own"}
					continue
				}
				if err := tickets.Put(key, []byte(id)); err != nil {
					return err
				}
			}
			rec, err := s.acceptInteraction(tx, device, p, now)
			if err != nil {
				return err
			}
			results[i] = rec.result(false)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if clashes > 0 {
		s.log.Warn("ticket number clash: two kiosks seem to share a prefix", "device", device, "clashes", clashes)
	}
	return results, nil
}

// recordClash stores a clash once per refused ticket; fresh is false when
// the ticket had clashed before (a resend).
func recordClash(tx *bolt.Tx, c clashRecord) (fresh bool, err error) {
	b := tx.Bucket(bucketTicketClashes)
	if b.Get([]byte(c.ID)) != nil {
		return false, nil
	}
	return true, putJSON(b, []byte(c.ID), c)
}

// acceptInteraction stores a new interaction, with a reference for a
// rating or a feedback.
func (s *Server) acceptInteraction(tx *bolt.Tx, device string, p *preparedInteraction, now time.Time) (*interactionRecord, error) {
	ord, err := counter(tx, []byte(metaInteractionOrdinal))
	if err != nil {
		return nil, err
	}
	rec := &interactionRecord{Interaction: p.in, Ordinal: ord, Fingerprint: p.fp, Device: device,
		ReceivedAt: now, FollowUp: p.in.FollowUp()}
	if p.in.Kind != wire.KindTicket {
		day := now.In(chinaTime).Format("20060102")
		n, err := counter(tx, []byte(metaReferencePrefix+day))
		if err != nil {
			return nil, err
		}
		rec.Reference = fmt.Sprintf("%s%s-%04d", referencePrefix, day, n)
	}
	if err := putJSON(tx.Bucket(bucketInteractions), []byte(rec.Interaction.ID), rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// InteractionFilter narrows the back office's list; the zero value lists all.
type InteractionFilter struct {
	Kind string // wire.KindTicket, KindRating or KindFeedback; "" for all
	Hall string // the hall's code; "" for all
	// Day, YYYYMMDD, matches a ticket's own day or the day (China time)
	// the server received the interaction; "" for all.
	Day string
	// FollowUp, when set, keeps only the interactions whose follow-up flag
	// has this value.
	FollowUp *bool
}

// check refuses malformed filter values; the error wraps ErrBadFilter and
// names the parameter, never its value.
func (f InteractionFilter) check() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrBadFilter}, a...)...)
	}
	switch f.Kind {
	case "", wire.KindTicket, wire.KindRating, wire.KindFeedback:
	default:
		return bad("kind must be %s, %s or %s", wire.KindTicket, wire.KindRating, wire.KindFeedback)
	}
	if utf8.RuneCountInString(f.Hall) > maxFilterHall {
		return bad("hall is longer than %d characters: send the hall's code", maxFilterHall)
	}
	if f.Day != "" {
		if _, err := time.Parse("20060102", f.Day); err != nil || len(f.Day) != 8 {
			return bad("day must be a real date written YYYYMMDD")
		}
	}
	return nil
}

func (f InteractionFilter) matches(r *interactionRecord) bool {
	in := &r.Interaction
	switch {
	case f.Kind != "" && in.Kind != f.Kind,
		f.Hall != "" && in.Hall != f.Hall,
		f.FollowUp != nil && r.FollowUp != *f.FollowUp:
		return false
	case f.Day == "":
		return true
	}
	return in.Ticket != nil && in.Ticket.Day == f.Day || r.ReceivedAt.In(chinaTime).Format("20060102") == f.Day
}

// parseInteractionFilter reads kind, hall, day and follow_up (true or false).
func parseInteractionFilter(q url.Values) (InteractionFilter, error) {
	f := InteractionFilter{Kind: q.Get("kind"), Hall: q.Get("hall"), Day: q.Get("day")}
	switch v := q.Get("follow_up"); v {
	case "":
	case "true", "false":
		b := v == "true"
		f.FollowUp = &b
	default:
		return f, fmt.Errorf("%w: follow_up must be true or false", ErrBadFilter)
	}
	return f, f.check()
}

func (s *Server) handleBackofficeInteractions(w http.ResponseWriter, r *http.Request, _ caller) error {
	f, err := parseInteractionFilter(r.URL.Query())
	if err != nil {
		return errorf(http.StatusBadRequest, codeBadRequest, "%s: fix it or leave it out", strings.TrimPrefix(err.Error(), "central: "))
	}
	list, err := s.Interactions(f)
	if err != nil {
		return err
	}
	clashes, err := s.TicketClashes(f.Hall, f.Day)
	if err != nil {
		return err
	}
	w.Header().Set(wire.HeaderTicketClashes, strconv.Itoa(clashes))
	writeJSON(w, http.StatusOK, list)
	return nil
}

// Interactions lists the stored interactions that match f, newest first
// (by arrival). A malformed filter is an error wrapping ErrBadFilter.
func (s *Server) Interactions(f InteractionFilter) ([]wire.BackofficeInteraction, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	var recs []interactionRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketInteractions).ForEach(func(_, v []byte) error {
			var r interactionRecord
			if err := jsonUnmarshal(v, &r); err != nil {
				return err
			}
			if f.matches(&r) {
				recs = append(recs, r)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Ordinal > recs[j].Ordinal })
	out := make([]wire.BackofficeInteraction, len(recs))
	for i := range recs {
		out[i] = recs[i].backoffice()
	}
	return out, nil
}

// TicketClashes counts the tickets refused because another ticket held
// their number, for hall and day ("" for all; day matches the ticket's day).
func (s *Server) TicketClashes(hall, day string) (int, error) {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTicketClashes).ForEach(func(_, v []byte) error {
			var c clashRecord
			if err := jsonUnmarshal(v, &c); err != nil {
				return err
			}
			if (hall == "" || c.Hall == hall) && (day == "" || c.Day == day) {
				n++
			}
			return nil
		})
	})
	return n, err
}

func (s *Server) handleReply(w http.ResponseWriter, r *http.Request, _ caller) error {
	body, err := readBody(w, r, smallBody)
	if err != nil {
		return err
	}
	var rp wire.Reply
	if err := decodeStrict(body, &rp); err != nil {
		return err
	}
	bi, err := s.Reply(r.PathValue("id"), rp)
	switch {
	case errors.Is(err, ErrBadReply):
		return errorf(http.StatusBadRequest, codeBadRequest, "%s", strings.TrimPrefix(err.Error(), "central: "))
	case errors.Is(err, ErrInteractionNotFound):
		return errorf(http.StatusNotFound, codeNotFound, "no rating or feedback has this id: list the interactions to find it")
	case errors.Is(err, ErrNotReplyable):
		return errorf(http.StatusConflict, codeConflict, "this is a queue ticket, which cannot be replied to: reply to a rating or a feedback")
	case err != nil:
		return err
	}
	writeJSON(w, http.StatusOK, bi)
	return nil
}

// Reply records a staff reply to a rating or a feedback (server time) and
// puts it on the changes feed of the device that sent the interaction,
// Kind wire.ChangeReply. ErrBadReply for an empty or overlong text or
// another language than zh-Hans and en, ErrInteractionNotFound for an
// unknown id, ErrNotReplyable for a ticket.
func (s *Server) Reply(id string, rp wire.Reply) (wire.BackofficeInteraction, error) {
	text, err := checkReply(rp)
	if err != nil {
		return wire.BackofficeInteraction{}, err
	}
	var rec interactionRecord
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketInteractions)
		ok, err := getJSON(b, []byte(id), &rec)
		switch {
		case err != nil:
			return err
		case !ok:
			return ErrInteractionNotFound
		case rec.Interaction.Kind == wire.KindTicket:
			return ErrNotReplyable
		}
		now := s.now()
		rec.Replies = append(rec.Replies, wire.ReplyEntry{Text: text, At: now})
		if err := putJSON(b, []byte(id), rec); err != nil {
			return err
		}
		return appendChangeRecord(tx, changeRecord{Kind: wire.ChangeReply, AppID: id, Tracking: rec.Reference,
			DeviceIDs: []string{rec.Device}, At: now, Note: text})
	})
	if err != nil {
		return wire.BackofficeInteraction{}, err
	}
	return rec.backoffice(), nil
}

// checkReply returns the reply's text without empty translations, or an
// error wrapping ErrBadReply that names the problem, never the text.
func checkReply(rp wire.Reply) (catalog.Text, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrBadReply}, a...)...)
	}
	for lang, v := range rp.Text {
		if lang != catalog.LangZh && lang != catalog.LangEn {
			return nil, bad("the text has a language other than %s and %s: remove it", catalog.LangZh, catalog.LangEn)
		}
		if utf8.RuneCountInString(v) > wire.MaxReplyText {
			return nil, bad("the text in %s is longer than %d characters: shorten it", lang, wire.MaxReplyText)
		}
	}
	text := catalog.Text{}
	for lang, v := range rp.Text {
		if strings.TrimSpace(v) != "" {
			text[lang] = v
		}
	}
	if len(text) == 0 {
		return nil, bad("the text is empty: write the reply in %s, %s or both", catalog.LangZh, catalog.LangEn)
	}
	return text, nil
}
