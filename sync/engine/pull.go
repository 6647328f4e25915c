package engine

import (
	"context"
	"fmt"

	"civicdesk/app/catalog"
	"civicdesk/app/store"
	"civicdesk/sync/wire"
)

// pull reads the changes feed from the stored cursor until it says no more,
// applying each page and its cursor in one store transaction. Times are the
// server's, as they come. A change of Kind wire.ChangeReply is a staff
// reply to an interaction: it is stored as such and published as
// ReplyReceived; the others are status changes of applications.
func (e *Engine) pull(ctx context.Context, rep *Report) error {
	cursor, err := e.q.Cursor()
	if err != nil {
		return fmt.Errorf("reading the changes cursor: %w", err)
	}
	for {
		resp, err := e.api.Changes(ctx, cursor, e.cfg.ChangesLimit)
		if err != nil {
			return err
		}
		next := resp.Cursor
		if next == "" {
			next = cursor // an empty cursor never rewinds the feed
		}
		changes := make([]store.StatusChange, len(resp.Changes))
		for i, c := range resp.Changes {
			if c.Kind == wire.ChangeReply {
				changes[i] = store.StatusChange{Kind: store.ChangeReply, ID: c.ID, Tracking: c.Tracking, At: c.At, Note: c.Note}
				continue
			}
			changes[i] = store.StatusChange{ID: c.ID, Tracking: c.Tracking, Status: c.Status, At: c.At, Note: c.Note}
		}
		if len(changes) > 0 || next != cursor {
			if err := e.q.ApplyChanges(changes, next); err != nil {
				return fmt.Errorf("applying status changes: %w", err)
			}
		}
		rep.Changes += len(changes)
		for _, c := range resp.Changes {
			if c.Kind == wire.ChangeReply {
				rep.Replies++
				e.publish(Event{Kind: ReplyReceived, ID: c.ID, Tracking: c.Tracking, At: c.At, Note: c.Note})
				continue
			}
			e.publish(Event{Kind: ApplicationUpdated, ID: c.ID, Tracking: c.Tracking, AppStatus: c.Status, At: c.At, Note: c.Note})
		}
		if !resp.More {
			return nil
		}
		if next == cursor {
			return ErrStuckCursor
		}
		cursor = next
	}
}

// refreshCatalog fetches the catalog unless the cached one's ETag still holds.
func (e *Engine) refreshCatalog(ctx context.Context, rep *Report) error {
	etag, _, err := e.q.CachedCatalog()
	if err != nil {
		return fmt.Errorf("reading the cached catalog: %w", err)
	}
	body, newETag, notModified, err := e.api.Catalog(ctx, etag)
	if err != nil {
		return err
	}
	if notModified {
		return nil
	}
	if _, err := catalog.Decode(body); err != nil {
		// Keep the catalog the screens work with; the operator must fix the server's.
		return fmt.Errorf("%w: %v", ErrBadCatalog, err)
	}
	if err := e.q.PutCatalog(newETag, body); err != nil {
		return fmt.Errorf("caching the catalog: %w", err)
	}
	rep.CatalogUpdated = true
	e.publish(Event{Kind: CatalogUpdated})
	return nil
}
