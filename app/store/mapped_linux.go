package store

import (
	"os"

	"golang.org/x/sys/unix"
)

// releaseMapped tells the kernel this process no longer needs the pages of
// the database file it has mapped. bbolt reads through a shared read-only
// mmap; a long listing touches pages all over the file (one application per
// transaction scatters them), and the kernel maps their cached neighbours
// too, so without this the listing's resident set grows towards the file
// size. The pages stay in the page cache and fault back in when read again,
// so it is safe at any time, even inside a read transaction.
func (s *Store) releaseMapped() {
	fi, err := os.Stat(s.path)
	if err != nil || fi.Size() == 0 || s.db == nil {
		return
	}
	info := s.db.Info()
	if info == nil || info.Data == 0 {
		return
	}
	// The raw call takes the address as bbolt reports it; an error (ENOMEM
	// for a range past the mapping) still applies the advice to what is mapped.
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, info.Data, uintptr(fi.Size()), unix.MADV_DONTNEED)
}
