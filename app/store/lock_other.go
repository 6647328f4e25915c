//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package store

import (
	"errors"
	"os"
	"time"
)

var errLockTimeout = errors.New("lock timeout")

// lockFile is a no-op where flock does not exist; bbolt locks the file itself
// while the store is open, and a file in use cannot be renamed there anyway.
func lockFile(*os.File, time.Duration) error { return nil }

// unlockFile is a no-op where lockFile is one.
func unlockFile(*os.File) {}
