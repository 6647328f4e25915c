//go:build !linux

package store

// releaseMapped is a no-op where madvise is not used.
func (s *Store) releaseMapped() {}
