package central

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"unicode/utf8"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"

	"civicdesk/app/catalog"
	"civicdesk/sync/wire"
)

// Notice limits, in characters.
const (
	MaxNoticeTitle = 100
	MaxNoticeBody  = 1000
	MaxNoticeHall  = 64
)

// handleNotices answers the current notices of a hall (and of every hall),
// newest first, with an ETag over the body.
func (s *Server) handleNotices(w http.ResponseWriter, r *http.Request, _ caller) error {
	hall := r.URL.Query().Get("hall")
	if utf8.RuneCountInString(hall) > MaxNoticeHall {
		return errorf(http.StatusBadRequest, codeBadRequest, "hall is longer than %d characters: send the hall's code", MaxNoticeHall)
	}
	list, err := s.Notices(hall)
	if err != nil {
		return err
	}
	body, err := json.Marshal(wire.NoticesResponse{Notices: list})
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "no-cache")
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.Write(body)
	return nil
}

// Notices returns the notices current now for hall (those of hall and those
// for every hall), the newest first.
func (s *Server) Notices(hall string) ([]wire.Notice, error) {
	now := s.now()
	out := []wire.Notice{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketNotices).ForEach(func(_, v []byte) error {
			var n wire.Notice
			if err := jsonUnmarshal(v, &n); err != nil {
				return err
			}
			if (n.Hall == "" || n.Hall == hall) && n.Current(now) {
				out = append(out, n)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Published.Equal(out[j].Published) {
			return out[i].Published.After(out[j].Published)
		}
		return out[i].ID > out[j].ID
	})
	return out, nil
}

func (s *Server) handlePublishNotice(w http.ResponseWriter, r *http.Request, _ caller) error {
	body, err := readBody(w, r, smallBody)
	if err != nil {
		return err
	}
	var n wire.Notice
	if err := decodeStrict(body, &n); err != nil {
		return err
	}
	n, err = s.PublishNotice(n)
	if errors.Is(err, ErrBadNotice) {
		return errorf(http.StatusBadRequest, codeBadRequest, "%s", err.Error())
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, n)
	return nil
}

func (s *Server) handleWithdrawNotice(w http.ResponseWriter, r *http.Request, _ caller) error {
	err := s.WithdrawNotice(r.PathValue("id"))
	if errors.Is(err, ErrNoticeNotFound) {
		return errorf(http.StatusNotFound, codeNotFound, "no notice has this id: list the notices to find it")
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// PublishNotice checks and stores a notice, giving it a new ID and the
// server's time as Published (whatever n held); it returns the stored
// notice. A notice that fails the checks is an error wrapping ErrBadNotice.
func (s *Server) PublishNotice(n wire.Notice) (wire.Notice, error) {
	if err := checkNotice(n); err != nil {
		return wire.Notice{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return wire.Notice{}, err
	}
	n.ID = id.String()
	n.Published = s.now()
	n.Title, n.Body = cleanNote(n.Title), cleanNote(n.Body)
	err = s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketNotices), []byte(n.ID), n)
	})
	if err != nil {
		return wire.Notice{}, err
	}
	return n, nil
}

// WithdrawNotice deletes a notice; ErrNoticeNotFound when no notice has id.
func (s *Server) WithdrawNotice(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketNotices)
		if b.Get([]byte(id)) == nil {
			return ErrNoticeNotFound
		}
		return b.Delete([]byte(id))
	})
}

// checkNotice refuses a notice the clients could not show well. Messages
// name the field, never its value.
func checkNotice(n wire.Notice) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrBadNotice}, a...)...)
	}
	switch n.Kind {
	case wire.NoticeHours, wire.NoticeClosure, wire.NoticePolicy, wire.NoticeInfo:
	default:
		return bad("kind must be %q, %q, %q or %q", wire.NoticeHours, wire.NoticeClosure, wire.NoticePolicy, wire.NoticeInfo)
	}
	if utf8.RuneCountInString(n.Hall) > MaxNoticeHall {
		return bad("hall is longer than %d characters: use the hall's code, or none for every hall", MaxNoticeHall)
	}
	for _, f := range []struct {
		name     string
		text     catalog.Text
		max      int
		required bool
	}{{"title", n.Title, MaxNoticeTitle, true}, {"body", n.Body, MaxNoticeBody, false}} {
		for lang, v := range f.text {
			if lang != catalog.LangZh && lang != catalog.LangEn {
				return bad("%s has a language other than %s and %s: remove it", f.name, catalog.LangZh, catalog.LangEn)
			}
			if utf8.RuneCountInString(v) > f.max {
				return bad("%s in %s is longer than %d characters: shorten it", f.name, lang, f.max)
			}
		}
		if f.required && (f.text[catalog.LangZh] == "" || f.text[catalog.LangEn] == "") {
			return bad("%s needs both %s and %s: write it in both languages", f.name, catalog.LangZh, catalog.LangEn)
		}
	}
	if !n.From.IsZero() && !n.Until.IsZero() && !n.Until.After(n.From) {
		return bad("until must be after from: fix the dates")
	}
	return nil
}

// demoNotice is the notice demo mode publishes.
var demoNotice = wire.Notice{
	Kind:  wire.NoticeHours,
	Title: catalog.Text{catalog.LangZh: "办公时间", catalog.LangEn: "Opening hours"},
	Body: catalog.Text{
		catalog.LangZh: "周一至周五 9:00–17:00，周六 9:00–12:00，法定节假日休息。",
		catalog.LangEn: "Monday to Friday 9:00–17:00, Saturday 9:00–12:00; closed on public holidays.",
	},
}

// SeedDemoNotice publishes a sample notice about opening hours, for every
// hall, unless some notice is stored already; it reports whether it did.
func (s *Server) SeedDemoNotice() (bool, error) {
	empty := true
	err := s.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketNotices).Cursor().First()
		empty = k == nil
		return nil
	})
	if err != nil || !empty {
		return false, err
	}
	if _, err := s.PublishNotice(demoNotice); err != nil {
		return false, err
	}
	return true, nil
}
