package client

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"

	"civicdesk/app/lifecycle"
	"civicdesk/sync/wire"
)

// Backoffice calls the back-office endpoints with a staff token.
type Backoffice struct {
	c     *Client
	token string
}

// Backoffice returns a view of the client that authenticates with a staff
// token instead of the device token.
func (c *Client) Backoffice(staffToken string) *Backoffice {
	return &Backoffice{c: c, token: staffToken}
}

// ListApplications lists the applications the server holds, optionally only
// those in status ("" for all). The server may answer with a JSON array or
// an object {"applications": [...]}.
func (b *Backoffice) ListApplications(ctx context.Context, status lifecycle.Status) ([]wire.BackofficeApplication, error) {
	q := url.Values{}
	if status != "" {
		q.Set("status", string(status))
	}
	r, err := b.c.do(ctx, call{op: "backoffice list", method: http.MethodGet, path: wire.PathBackoffice, query: q, auth: b.token})
	if err != nil {
		return nil, err
	}
	var list []wire.BackofficeApplication
	if t := bytes.TrimLeft(r.body, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		var obj struct {
			Applications []wire.BackofficeApplication `json:"applications"`
		}
		if err := decode("backoffice list", r, &obj); err != nil {
			return nil, err
		}
		return obj.Applications, nil
	}
	if err := decode("backoffice list", r, &list); err != nil {
		return nil, err
	}
	return list, nil
}

// SetStatus moves the application with tracking number tracking on to u.Status.
func (b *Backoffice) SetStatus(ctx context.Context, tracking string, u wire.StatusUpdate) error {
	if tracking == "" {
		return fmt.Errorf("backoffice set status: the tracking number is empty: give the one on the receipt")
	}
	_, err := b.c.do(ctx, call{op: "backoffice set status", method: http.MethodPost,
		path: wire.PathBackoffice + "/" + url.PathEscape(tracking) + "/status", body: u, auth: b.token})
	return err
}
