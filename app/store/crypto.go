package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeyEnv is the environment variable an operator may set to the store key
// (32 bytes, standard base64 or hex).
const KeyEnv = "CIVICDESK_KEY"

// KeyFileName is the key file created in the data directory when the
// operator supplies no key.
const KeyFileName = "store.key"

// keySize is the AES-256 key length.
const keySize = 32

// sealVersion prefixes every sealed value so the format can change later.
const sealVersion = 1

// keyCheckPlain is sealed under meta/key_check when a store is created, so a
// wrong key is noticed at Open rather than at the first record.
const keyCheckPlain = "civicdesk store key check v1"

// sealer encrypts personal data with AES-256-GCM. The additional data is the
// bucket name and the record key, so a sealed value cannot be moved to
// another record unnoticed.
type sealer struct {
	aead   cipher.AEAD
	source string // where the key came from, for error messages
	// macKey, derived from the key, makes digests of personal data that
	// may be stored in the clear (see digest).
	macKey []byte
}

func newSealer(key []byte, source string) (*sealer, error) {
	if len(key) != keySize {
		return nil, fmt.Errorf("%w: the key from %s is %d bytes, it must be %d (give 32 random bytes as base64 or hex)", ErrKey, source, len(key), keySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(macLabel))
	return &sealer{aead: aead, source: source, macKey: mac.Sum(nil)}, nil
}

// macLabel derives the digest key from the store key.
const macLabel = "civicdesk digest key v1"

// digest is a keyed hash (HMAC-SHA-256) of parts, each length-prefixed, in
// hex. Without the store key it tells nothing about personal data, even
// short guessable values, so it may be kept in plain records to recognise
// the same content again after the content itself was purged.
func (c *sealer) digest(parts ...[]byte) string {
	mac := hmac.New(sha256.New, c.macKey)
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		mac.Write(n[:])
		mac.Write(p)
	}
	return hex.EncodeToString(mac.Sum(nil))
}

func aad(bucket, key []byte) []byte {
	a := make([]byte, 0, len(bucket)+1+len(key))
	a = append(a, bucket...)
	a = append(a, '/')
	return append(a, key...)
}

// seal returns version || nonce || ciphertext.
func (c *sealer) seal(bucket, key, plain []byte) ([]byte, error) {
	ns := c.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plain)+c.aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("make a nonce: %w", err)
	}
	return c.aead.Seal(out, out[1:1+ns], plain, aad(bucket, key)), nil
}

// errOpen is returned by open; callers turn it into a message naming the record.
var errOpen = errors.New("does not decrypt")

func (c *sealer) open(bucket, key, sealed []byte) ([]byte, error) {
	return c.openTo(nil, bucket, key, sealed)
}

// openTo is open appending the plaintext to dst (which must not overlap sealed).
func (c *sealer) openTo(dst, bucket, key, sealed []byte) ([]byte, error) {
	ns := c.aead.NonceSize()
	if len(sealed) < 1+ns+c.aead.Overhead() || sealed[0] != sealVersion {
		return nil, errOpen
	}
	plain, err := c.aead.Open(dst, sealed[1:1+ns], sealed[1+ns:], aad(bucket, key))
	if err != nil {
		return nil, errOpen
	}
	return plain, nil
}

// keyMismatch is the error for a key that does not open this store's records.
func keyMismatch(source, what string) error {
	return fmt.Errorf("%w: %s cannot be decrypted: the key from %s does not match this store "+
		"(the operator supplied a different %s or key file, or %s was replaced) or the record was altered; "+
		"restore the original key, or move the store file aside to start an empty store",
		ErrKey, what, source, KeyEnv, KeyFileName)
}

// parseKey accepts 32 raw bytes, 64 hex digits or standard base64 of 32 bytes.
func parseKey(b []byte, source string) ([]byte, error) {
	if len(b) == keySize {
		return b, nil
	}
	s := strings.TrimSpace(string(b))
	if k, err := hex.DecodeString(s); err == nil && len(k) == keySize {
		return k, nil
	}
	if k, err := base64.StdEncoding.DecodeString(s); err == nil && len(k) == keySize {
		return k, nil
	}
	return nil, fmt.Errorf("%w: the key from %s is not 32 bytes in base64 or hex (make one with: head -c 32 /dev/urandom | base64)", ErrKey, source)
}

// keySource is where Open finds the key, in order of preference.
type keySource struct {
	key    []byte // nil when the default key file does not exist yet
	source string
	// defaultFile is set when the key comes (or will come) from <Dir>/store.key.
	defaultFile string
}

func findKey(o Options) (keySource, error) {
	switch {
	case len(o.Key) > 0:
		k, err := parseKey(o.Key, "the operator's key option")
		return keySource{key: k, source: "the operator's key option"}, err
	case o.KeyFile != "":
		src := "key file " + o.KeyFile
		b, err := os.ReadFile(o.KeyFile)
		if err != nil {
			return keySource{}, fmt.Errorf("%w: read %s: %v (check the path given for the key file)", ErrKey, src, err)
		}
		k, err := parseKey(b, src)
		return keySource{key: k, source: src}, err
	case os.Getenv(KeyEnv) != "":
		k, err := parseKey([]byte(os.Getenv(KeyEnv)), KeyEnv)
		return keySource{key: k, source: KeyEnv}, err
	}
	p := filepath.Join(o.Dir, KeyFileName)
	src := "key file " + p
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return keySource{source: src, defaultFile: p}, nil
	}
	if err != nil {
		return keySource{}, fmt.Errorf("%w: read %s: %v", ErrKey, src, err)
	}
	k, err := parseKey(b, src)
	return keySource{key: k, source: src, defaultFile: p}, err
}

// createKeyFile writes a new random key to path (0600), failing if it exists.
func createKeyFile(path string) ([]byte, error) {
	k := make([]byte, keySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("%w: make a key: %v", ErrKey, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%w: create %s: %v (check that the data directory is writable)", ErrKey, path, err)
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("%w: write %s: %v", ErrKey, path, err)
	}
	return k, nil
}
