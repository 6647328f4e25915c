package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"civicdesk/sync/wire"
)

// Notices fetches the current notices of hall (and of every hall) unless
// they are still etag. On 304 notModified is true, body is nil and newETag
// is etag. A 200 body must be a JSON notices answer (a portal's page is
// never returned as notices).
func (c *Client) Notices(ctx context.Context, hall, etag string) (body []byte, newETag string, notModified bool, err error) {
	r, err := c.do(ctx, call{op: "notices", method: http.MethodGet, path: wire.PathNotices,
		query: url.Values{"hall": {hall}}, auth: c.bearer(), etag: etag})
	if err != nil {
		return nil, "", false, err
	}
	if r.status == http.StatusNotModified {
		if e := r.header.Get("ETag"); e != "" {
			etag = e
		}
		return nil, etag, true, nil
	}
	var out struct {
		Notices *[]wire.Notice `json:"notices"`
	}
	if err := decode("notices", r, &out); err != nil {
		return nil, "", false, err
	}
	if out.Notices == nil {
		return nil, "", false, fmt.Errorf("central API notices: HTTP %d with JSON that is not a notices answer (no notices): %w", r.status, ErrBadResponse)
	}
	return r.body, r.header.Get("ETag"), false, nil
}

// PublishNotice publishes a notice with the staff token and returns it as
// stored (the server sets ID and Published). It is never re-sent after a
// network error (the server would publish it twice): on ErrOffline, check
// the notices before publishing again. A notice the server refuses is an
// *APIError with status 400 and the server's message.
func (b *Backoffice) PublishNotice(ctx context.Context, n wire.Notice) (wire.Notice, error) {
	r, err := b.c.do(ctx, call{op: "backoffice publish notice", method: http.MethodPost, path: wire.PathBackofficeNotices,
		body: n, auth: b.token, noResend: true})
	if err != nil {
		return wire.Notice{}, err
	}
	var out wire.Notice
	if err := decode("backoffice publish notice", r, &out); err != nil {
		return wire.Notice{}, err
	}
	if out.ID == "" {
		return wire.Notice{}, fmt.Errorf("central API backoffice publish notice: answer without an id: %w", ErrBadResponse)
	}
	return out, nil
}

// WithdrawNotice withdraws the notice with this id. An unknown id (never
// published, or withdrawn already) wraps ErrNotFound.
func (b *Backoffice) WithdrawNotice(ctx context.Context, id string) error {
	if id == "" {
		return errors.New("backoffice withdraw notice: the notice id is empty: give the id printed when it was published")
	}
	_, err := b.c.do(ctx, call{op: "backoffice withdraw notice", method: http.MethodDelete,
		path: wire.PathBackofficeNotices + "/" + url.PathEscape(id), auth: b.token})
	return err
}
