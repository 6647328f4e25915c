package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"civicdesk/app/catalog"
	"civicdesk/sync/wire"
)

// Health asks whether the central API is really there. A 200 that is not the
// API's health body (a captive portal's page, a proxy's JSON) is
// ErrCaptivePortal. A health body with OK false is returned without error:
// the caller decides.
func (c *Client) Health(ctx context.Context) (wire.Health, error) {
	r, err := c.do(ctx, call{op: "health", method: http.MethodGet, path: wire.PathHealth})
	if err != nil {
		return wire.Health{}, err
	}
	var h wire.Health
	if err := decode("health", r, &h); err != nil {
		if errors.Is(err, ErrBadResponse) {
			return wire.Health{}, fmt.Errorf("central API health: HTTP %d without the API's health answer: %w", r.status, ErrCaptivePortal)
		}
		return wire.Health{}, err
	}
	if h.Service != wire.HealthService {
		return wire.Health{}, fmt.Errorf("central API health: HTTP %d from a service that is not the central API: %w", r.status, ErrCaptivePortal)
	}
	return h, nil
}

// Enroll trades a one-time enrolment code for a device token. It does not
// set the token on c; call SetToken with the answer.
func (c *Client) Enroll(ctx context.Context, req wire.EnrollRequest) (wire.EnrollResponse, error) {
	r, err := c.do(ctx, call{op: "enroll", method: http.MethodPost, path: wire.PathEnroll, body: req})
	if err != nil {
		return wire.EnrollResponse{}, err
	}
	var out wire.EnrollResponse
	if err := decode("enroll", r, &out); err != nil {
		return wire.EnrollResponse{}, err
	}
	if out.Token == "" {
		return wire.EnrollResponse{}, fmt.Errorf("central API enroll: answer without a token: %w", ErrBadResponse)
	}
	return out, nil
}

// Catalog fetches the service catalog unless it is still etag. On 304
// notModified is true, body is nil and newETag is etag. A 200 body must be a
// JSON catalog (a portal's page is never returned as a catalog).
func (c *Client) Catalog(ctx context.Context, etag string) (body []byte, newETag string, notModified bool, err error) {
	r, err := c.do(ctx, call{op: "catalog", method: http.MethodGet, path: wire.PathCatalog, auth: c.bearer(), etag: etag})
	if err != nil {
		return nil, "", false, err
	}
	if r.status == http.StatusNotModified {
		if e := r.header.Get("ETag"); e != "" {
			etag = e
		}
		return nil, etag, true, nil
	}
	var cat catalog.Catalog
	if err := decode("catalog", r, &cat); err != nil {
		return nil, "", false, err
	}
	if cat.Services == nil {
		return nil, "", false, fmt.Errorf("central API catalog: HTTP %d with JSON that is not a catalog (no services): %w", r.status, ErrBadResponse)
	}
	return r.body, r.header.Get("ETag"), false, nil
}

// Submit sends a batch of applications, gzip-compressed. The answer must
// name every item sent and only those: otherwise the error wraps
// ErrBadResponse (retryable) and the parsed answer is still returned, so a
// caller can keep the results it does hold. An empty batch sends nothing.
func (c *Client) Submit(ctx context.Context, items []wire.SubmitItem) (wire.SubmitResponse, error) {
	if len(items) == 0 {
		return wire.SubmitResponse{}, nil
	}
	return postBatch(ctx, c, "submit", wire.PathSubmit, wire.SubmitRequest{Items: items},
		ids(items, func(it wire.SubmitItem) string { return it.ID }),
		func(out wire.SubmitResponse) []string {
			return ids(out.Results, func(r wire.ItemResult) string { return r.ID })
		})
}

// postBatch posts a batch gzip-compressed with the device token, decodes
// the answer into R and checks that its results (named by got) name every
// id sent and only those: otherwise the error wraps ErrBadResponse and the
// parsed answer is still returned.
func postBatch[R any](ctx context.Context, c *Client, op, path string, body any, sent []string, got func(R) []string) (R, error) {
	var out R
	r, err := c.do(ctx, call{op: op, method: http.MethodPost, path: path, body: body, gzip: true, auth: c.bearer()})
	if err != nil {
		return out, err
	}
	if err := decode(op, r, &out); err != nil {
		var zero R
		return zero, err
	}
	return out, namesEvery(op, sent, got(out))
}

// ids lists the ids of items.
func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

// namesEvery checks that an answer's results name every id sent and only
// those; otherwise the error wraps ErrBadResponse.
func namesEvery(op string, sent, got []string) error {
	named := make(map[string]bool, len(sent))
	for _, id := range sent {
		named[id] = false
	}
	unknown := 0
	for _, id := range got {
		if _, ok := named[id]; ok {
			named[id] = true
		} else {
			unknown++
		}
	}
	missing := 0
	for _, ok := range named {
		if !ok {
			missing++
		}
	}
	if missing > 0 || unknown > 0 {
		return fmt.Errorf("central API %s: answer names %d of %d items sent and %d not sent: %w",
			op, len(named)-missing, len(named), unknown, ErrBadResponse)
	}
	return nil
}

// Changes fetches one page of the device's changes feed after cursor.
func (c *Client) Changes(ctx context.Context, cursor string, limit int) (wire.ChangesResponse, error) {
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	r, err := c.do(ctx, call{op: "changes", method: http.MethodGet, path: wire.PathChanges, query: q, auth: c.bearer()})
	if err != nil {
		return wire.ChangesResponse{}, err
	}
	var out wire.ChangesResponse
	if err := decode("changes", r, &out); err != nil {
		return wire.ChangesResponse{}, err
	}
	if out.More && out.Cursor == "" {
		return wire.ChangesResponse{}, fmt.Errorf("central API changes: more pages announced without a cursor: %w", ErrBadResponse)
	}
	return out, nil
}

// Track looks an application up by its receipt's tracking number and
// verification code (sent in a POST body, never in the URL). An unknown pair
// wraps ErrNotFound.
func (c *Client) Track(ctx context.Context, tracking, code string) (wire.TrackResponse, error) {
	r, err := c.do(ctx, call{op: "track", method: http.MethodPost, path: wire.PathTrack,
		body: wire.TrackRequest{Tracking: tracking, VerificationCode: code}, auth: c.bearer(), noRetryLimit: true})
	if err != nil {
		return wire.TrackResponse{}, err
	}
	var out wire.TrackResponse
	if err := decode("track", r, &out); err != nil {
		return wire.TrackResponse{}, err
	}
	return out, nil
}

// Interact sends a batch of hall interactions (queue tickets, ratings,
// feedback), gzip-compressed, with the device token; retries as Submit
// does (the ids make a resend harmless). The answer must name every item
// sent and only those: otherwise the error wraps ErrBadResponse (retryable)
// and the parsed answer is still returned, so a caller can keep the results
// it does hold. An empty batch sends nothing.
func (c *Client) Interact(ctx context.Context, items []wire.Interaction) (wire.InteractionsResponse, error) {
	if len(items) == 0 {
		return wire.InteractionsResponse{}, nil
	}
	return postBatch(ctx, c, "interactions", wire.PathInteractions, wire.InteractionsRequest{Items: items},
		ids(items, func(it wire.Interaction) string { return it.ID }),
		func(out wire.InteractionsResponse) []string {
			return ids(out.Results, func(r wire.InteractionResult) string { return r.ID })
		})
}
