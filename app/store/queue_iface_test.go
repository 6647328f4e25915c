package store_test

import (
	"civicdesk/app/store"
	"civicdesk/sync/engine"
)

// *store.Store is the sync engine's queue.
var _ engine.Queue = (*store.Store)(nil)
