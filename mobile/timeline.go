package mobile

import (
	"slices"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/sync/wire"
)

// step is one entry of an application's history as the phone shows it.
type step struct {
	Status lifecycle.Status
	At     time.Time
	Note   catalog.Text
}

// timeline is an application's history, oldest first: the phone's own
// record (queued, sent, and the changes the sync engine pulled) or, when
// the central API's history is at hand, the phone's own steps (queued)
// followed by the central API's, which is the authority on the rest.
// Drafts are not steps; the same status at the same time shows once.
func timeline(a store.Application, server []wire.StatusEntry) []step {
	var out []step
	for _, t := range a.History {
		if t.To == lifecycle.Draft || (len(server) > 0 && t.Source == "server") {
			continue
		}
		out = append(out, step{Status: t.To, At: t.At, Note: t.Note})
	}
	for _, e := range server {
		out = append(out, step{Status: e.Status, At: e.At, Note: e.Note})
	}
	slices.SortStableFunc(out, func(x, y step) int { return x.At.Compare(y.At) })
	return slices.CompactFunc(out, func(x, y step) bool { return x.Status == y.Status && x.At.Equal(y.At) })
}
