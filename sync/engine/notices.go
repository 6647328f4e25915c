package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"civicdesk/sync/client"
	"civicdesk/sync/wire"
)

// Keys of the cached notices in Config.NoticesCache.
const (
	NoticesETagKey = "notices.etag"
	NoticesBodyKey = "notices.body" // the central API's NoticesResponse JSON, as it came
)

// noticesTimeout bounds one notices fetch, retries included, so that a
// slow answer does not hold the round back for long.
const noticesTimeout = 30 * time.Second

// NoticesFetcher is the optional part of an API that serves the hall's
// notices; *client.Client implements it.
type NoticesFetcher interface {
	Notices(ctx context.Context, hall, etag string) (body []byte, newETag string, notModified bool, err error)
}

var _ NoticesFetcher = (*client.Client)(nil)

// NoticesCache is where the engine keeps the notices between rounds and
// runs; *store.Store implements it. The notices are public: no personal data.
type NoticesCache interface {
	Meta(key string) (string, error)
	SetMeta(key, value string) error
}

// refreshNotices fetches the hall's notices unless the cached ETag still
// holds, caches them and publishes NoticesUpdated when they changed. It
// never fails the round: a failure is logged and the cache stays as it was.
func (e *Engine) refreshNotices(ctx context.Context, rep *Report) {
	api, ok := e.api.(NoticesFetcher)
	if e.cfg.Hall == "" || e.cfg.NoticesCache == nil || !ok {
		return
	}
	if err := e.fetchNotices(ctx, api, rep); err != nil {
		e.log.Info("refreshing the notices failed; the cached ones stay", "err", err)
	}
}

func (e *Engine) fetchNotices(ctx context.Context, api NoticesFetcher, rep *Report) error {
	cache := e.cfg.NoticesCache
	etag, err := cache.Meta(NoticesETagKey)
	if err != nil {
		return fmt.Errorf("reading the cached notices' ETag: %w", err)
	}
	old, err := cache.Meta(NoticesBodyKey)
	if err != nil {
		return fmt.Errorf("reading the cached notices: %w", err)
	}
	if old == "" {
		etag = "" // no body to fall back on: never ask for a 304
	}
	ctx, cancel := context.WithTimeout(ctx, noticesTimeout)
	defer cancel()
	body, newETag, notModified, err := api.Notices(ctx, e.cfg.Hall, etag)
	if err != nil {
		return err
	}
	if notModified {
		return nil
	}
	var resp wire.NoticesResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		return fmt.Errorf("%w: %v", ErrBadNotices, err)
	}
	// The body first: a crash between the two writes leaves an old ETag,
	// which only costs one full answer next time.
	if err := cache.SetMeta(NoticesBodyKey, string(body)); err != nil {
		return fmt.Errorf("caching the notices: %w", err)
	}
	if err := cache.SetMeta(NoticesETagKey, newETag); err != nil {
		return fmt.Errorf("caching the notices' ETag: %w", err)
	}
	if string(body) != old {
		rep.NoticesUpdated = true
		e.publish(Event{Kind: NoticesUpdated})
	}
	return nil
}

// CachedNotices returns the cached notices that are current at now (From
// and Until respected, offline too), in the central API's order (newest
// first); none when nothing is cached. Damaged cached notices are an error
// wrapping ErrBadNotices.
func CachedNotices(m interface{ Meta(string) (string, error) }, now time.Time) ([]wire.Notice, error) {
	raw, err := m.Meta(NoticesBodyKey)
	if err != nil || raw == "" {
		return nil, err
	}
	var resp wire.NoticesResponse
	if err := json.Unmarshal([]byte(raw), &resp); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadNotices, err)
	}
	var out []wire.Notice
	for _, n := range resp.Notices {
		if n.Current(now) {
			out = append(out, n)
		}
	}
	return out, nil
}
