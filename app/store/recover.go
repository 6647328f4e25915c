package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"time"

	bolterrors "go.etcd.io/bbolt/errors"
)

// bbolt's on-disk meta page, as far as inspectFile needs it (bbolt
// internal/common/meta.go and page.go): a 16-byte page header, then magic,
// version, page size, flags, root bucket (root, sequence), freelist, high
// water mark, txid and an FNV-64a checksum over the preceding 56 bytes.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	boltPageHeader = 16
	boltMetaSize   = 64
)

type boltMeta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	hwm      uint64 // first page id past the end of the data
	txid     uint64
}

// readMeta decodes and validates one meta page at off.
func readMeta(f io.ReaderAt, off int64) (boltMeta, error) {
	var b [boltPageHeader + boltMetaSize]byte
	if _, err := f.ReadAt(b[:], off); err != nil {
		return boltMeta{}, fmt.Errorf("meta page at %d unreadable: %w", off, err)
	}
	m := b[boltPageHeader:]
	le := binary.LittleEndian
	if le.Uint32(m[0:]) != boltMagic {
		return boltMeta{}, errors.New("not a bbolt file (bad magic)")
	}
	if le.Uint32(m[4:]) != boltVersion {
		return boltMeta{}, errors.New("unknown bbolt version")
	}
	h := fnv.New64a()
	h.Write(m[:56])
	if h.Sum64() != le.Uint64(m[56:]) {
		return boltMeta{}, errors.New("meta page checksum mismatch")
	}
	return boltMeta{
		pageSize: le.Uint32(m[8:]),
		root:     le.Uint64(m[16:]),
		freelist: le.Uint64(m[32:]),
		hwm:      le.Uint64(m[40:]),
		txid:     le.Uint64(m[48:]),
	}, nil
}

// inspectFile looks at a store file without bbolt, which would crash on a
// truncated file (pages mapped past the end of the file fault on access).
// It returns nil for a missing, empty or plausibly sound file, and an error
// naming the problem for one that must be moved aside.
func inspectFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return nil // permission problems etc.: let bbolt.Open report them as they are
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil
	}
	size := st.Size()
	if size == 0 {
		return nil // bbolt initialises an empty file
	}
	// Find the page size from whichever meta page is valid, as bbolt does.
	m0, err0 := readMeta(f, 0)
	ps := int64(m0.pageSize)
	if err0 != nil {
		for i := 0; i <= 14; i++ {
			off := int64(1024) << i
			if off+boltPageHeader+boltMetaSize > size {
				break
			}
			if m, err := readMeta(f, off); err == nil && int64(m.pageSize) == off {
				ps = off
				break
			}
		}
		if ps == 0 {
			return fmt.Errorf("not a civicdesk store: %v", err0)
		}
	}
	if ps < 512 || ps > 1<<24 || ps&(ps-1) != 0 {
		return fmt.Errorf("implausible page size %d", ps)
	}
	if size < 2*ps {
		return fmt.Errorf("file is %d bytes, shorter than its two header pages (truncated)", size)
	}
	// bbolt uses the valid meta page with the higher transaction id.
	m1, err1 := readMeta(f, ps)
	var m boltMeta
	switch {
	case err0 == nil && err1 == nil:
		m = m0
		if m1.txid > m0.txid {
			m = m1
		}
	case err0 == nil:
		m = m0
	case err1 == nil:
		m = m1
	default:
		return fmt.Errorf("both header pages are invalid: %v; %v", err0, err1)
	}
	if int64(m.pageSize) != ps {
		return errors.New("header pages disagree on the page size")
	}
	if m.hwm < 4 || m.root >= m.hwm || (m.freelist >= m.hwm && m.freelist != ^uint64(0)) {
		return errors.New("header page points outside the data")
	}
	if need := int64(m.hwm) * ps; need > size || need/ps != int64(m.hwm) {
		return fmt.Errorf("file is %d bytes but its header says %d (truncated)", size, need)
	}
	return nil
}

// isFormatError reports whether bbolt.Open failed because of the file's
// contents (as opposed to permissions, a full disk or a lock).
func isFormatError(err error) bool {
	return errors.Is(err, bolterrors.ErrInvalid) || errors.Is(err, bolterrors.ErrChecksum) ||
		errors.Is(err, bolterrors.ErrVersionMismatch) || errors.Is(err, bolterrors.ErrInvalidMapping) ||
		errors.Is(err, errCorruptPanic)
}

// errCorruptPanic stands for a panic bbolt raised while reading a damaged file.
var errCorruptPanic = errors.New("damaged pages")

// corruptName is where a damaged store file is moved.
func corruptName(path string, now time.Time) string {
	return path + ".corrupt-" + now.UTC().Format("20060102T150405Z")
}

// moveAside renames a damaged store file out of the way, holding the file's
// lock so that a file another process is using is never moved. It re-checks
// the file under the lock when the damage was found without it.
func moveAside(path string, now time.Time, timeout time.Duration, recheck bool) (string, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return "", fmt.Errorf("move the damaged store %s aside: %w", path, err)
	}
	defer f.Close()
	if err := lockFile(f, timeout); err != nil {
		if errors.Is(err, errLockTimeout) {
			return "", fmt.Errorf("%w: %s", ErrInUse, path)
		}
		return "", fmt.Errorf("lock %s: %w", path, err)
	}
	if recheck {
		if err := inspectFile(path); err == nil {
			return "", nil // it was being written; it is fine now
		}
	}
	dst := corruptName(path, now)
	for i := 1; ; i++ {
		if _, err := os.Lstat(dst); errors.Is(err, os.ErrNotExist) {
			break
		}
		dst = fmt.Sprintf("%s.%d", corruptName(path, now), i)
	}
	if err := os.Rename(path, dst); err != nil {
		return "", fmt.Errorf("move the damaged store %s aside: %w (move it away by hand, then start again)", path, err)
	}
	return dst, nil
}
