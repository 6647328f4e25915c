package engine

import (
	"context"
	"fmt"

	"civicdesk/sync/client"
)

// batchSender sends one kind of batch (applications, interactions) with
// the rules both share: a result per item, matched by id; a whole-batch
// refusal that one bad item can cause split in halves until that item
// stands alone; a batch that fails as a whole otherwise (an outage) marks
// none of its items.
type batchSender[T, R any] struct {
	noun     string                                            // "applications", for errors
	send     func(ctx context.Context, batch []T) ([]R, error) // one request
	itemID   func(T) string                                    // an item's id
	resultID func(R) string                                    // the id a result names
	// alone records the refusal of the one item a whole-batch refusal came
	// down to.
	alone func(T, *client.APIError) error
	// each records one item's answer (named: the answer had a result for
	// it); stays says the item is still queued.
	each func(it T, r R, named bool) (stays bool, err error)
	// outage counts the items of a batch that failed as a whole.
	outage func(n int)
}

// sendHalving sends batch and records every item's outcome. It returns the
// items still queued after the server answered about them, and an error
// when the sending must stop.
func (b *batchSender[T, R]) sendHalving(ctx context.Context, batch []T) (left []T, err error) {
	results, serr := b.send(ctx, batch)
	if serr != nil && len(results) == 0 {
		if ctx.Err() != nil {
			return nil, serr
		}
		if ae, ok := splittable(serr); ok {
			if len(batch) > 1 {
				mid := len(batch) / 2
				l1, err := b.sendHalving(ctx, batch[:mid])
				if err != nil {
					return l1, err
				}
				l2, err := b.sendHalving(ctx, batch[mid:])
				return append(l1, l2...), err
			}
			return nil, b.alone(batch[0], ae)
		}
		b.outage(len(batch))
		return nil, fmt.Errorf("sending %d %s: %w", len(batch), b.noun, serr)
	}
	byID := make(map[string]R, len(results))
	for _, r := range results {
		if _, dup := byID[b.resultID(r)]; !dup {
			byID[b.resultID(r)] = r
		}
	}
	for _, it := range batch {
		r, named := byID[b.itemID(it)]
		stays, err := b.each(it, r, named)
		if stays {
			left = append(left, it)
		}
		if err != nil {
			return left, err
		}
	}
	if serr != nil {
		return left, fmt.Errorf("sending %d %s: %w", len(batch), b.noun, serr)
	}
	return left, nil
}
