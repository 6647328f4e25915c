package client

import (
	"context"
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
