package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"civicdesk/sync/wire"
)

// InteractionFilter narrows the back office's list of interactions; the
// zero value lists them all.
type InteractionFilter struct {
	Kind string // wire.KindTicket, wire.KindRating or wire.KindFeedback; "" for all
	Hall string // the hall's code; "" for all
	// Day, YYYYMMDD, matches a ticket's own day or the day the server
	// received the interaction; "" for all.
	Day string
	// FollowUpOnly keeps only what the hall must follow up (a low rating,
	// a complaint, a question).
	FollowUpOnly bool
}

func (f InteractionFilter) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"kind": f.Kind, "hall": f.Hall, "day": f.Day} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.FollowUpOnly {
		q.Set("follow_up", "true")
	}
	return q
}

// InteractionList is the back office's list with the clash count.
type InteractionList struct {
	Items []wire.BackofficeInteraction // newest first
	// TicketClashes counts the tickets refused because another ticket held
	// their number, for the filter's hall and day: more than 0 means two
	// kiosks share a prefix. -1 when the server did not say.
	TicketClashes int
}

// Interactions lists the tickets, ratings and feedback the central API
// holds that match f, newest first. A filter value the server refuses is
// an *APIError with status 400.
func (b *Backoffice) Interactions(ctx context.Context, f InteractionFilter) ([]wire.BackofficeInteraction, error) {
	l, err := b.InteractionList(ctx, f)
	return l.Items, err
}

// InteractionList is Interactions with the count of ticket clashes.
func (b *Backoffice) InteractionList(ctx context.Context, f InteractionFilter) (InteractionList, error) {
	r, err := b.c.do(ctx, call{op: "backoffice interactions", method: http.MethodGet, path: wire.PathBackofficeInteractions,
		query: f.query(), auth: b.token})
	if err != nil {
		return InteractionList{}, err
	}
	out := InteractionList{Items: []wire.BackofficeInteraction{}, TicketClashes: -1}
	if err := decode("backoffice interactions", r, &out.Items); err != nil {
		return InteractionList{}, err
	}
	if n, err := strconv.Atoi(r.header.Get(wire.HeaderTicketClashes)); err == nil && n >= 0 {
		out.TicketClashes = n
	}
	return out, nil
}

// Reply sends a staff reply to the rating or feedback with this id; the
// central API records it and passes it to the sending device through its
// changes feed. It is never re-sent after a network error (a second copy
// would reach the resident twice): on ErrOffline, list the interaction to
// see whether the reply arrived. An unknown id wraps ErrNotFound; a ticket
// (which takes no reply) or a bad text is an *APIError with status 409 or
// 400 and the server's message.
func (b *Backoffice) Reply(ctx context.Context, id string, r wire.Reply) (wire.BackofficeInteraction, error) {
	if id == "" {
		return wire.BackofficeInteraction{}, errors.New("backoffice reply: the interaction id is empty: give the id from the list")
	}
	resp, err := b.c.do(ctx, call{op: "backoffice reply", method: http.MethodPost,
		path: wire.PathBackofficeInteractions + "/" + url.PathEscape(id) + "/reply", body: r, auth: b.token, noResend: true})
	if err != nil {
		return wire.BackofficeInteraction{}, err
	}
	var out wire.BackofficeInteraction
	if err := decode("backoffice reply", resp, &out); err != nil {
		return wire.BackofficeInteraction{}, err
	}
	if out.ID != id {
		return out, fmt.Errorf("central API backoffice reply: the answer names another interaction: %w", ErrBadResponse)
	}
	return out, nil
}
