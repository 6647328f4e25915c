package store

import (
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// Meta returns a plain setting ("" when unset).
func (s *Store) Meta(key string) (string, error) {
	if key == "" {
		return "", fmt.Errorf("%w: empty setting name", ErrInvalid)
	}
	var v string
	err := s.view(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketMeta); b != nil {
			v = string(b.Get([]byte(prefixSetting + key)))
		}
		return nil
	})
	return v, err
}

// SetMeta stores a plain setting; "" deletes it. Never put personal data here.
func (s *Store) SetMeta(key, value string) error {
	if key == "" {
		return fmt.Errorf("%w: empty setting name", ErrInvalid)
	}
	return s.update(func(tx *bolt.Tx) error {
		k := []byte(prefixSetting + key)
		if value == "" {
			return tx.Bucket(bucketMeta).Delete(k)
		}
		return tx.Bucket(bucketMeta).Put(k, []byte(value))
	})
}

// Secret returns an encrypted setting such as the device token ("" when unset).
func (s *Store) Secret(key string) (string, error) {
	if key == "" {
		return "", fmt.Errorf("%w: empty secret name", ErrInvalid)
	}
	var v string
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta)
		if b == nil {
			return nil
		}
		k := []byte(prefixSecret + key)
		sealed := b.Get(k)
		if sealed == nil {
			return nil
		}
		if s.seal == nil {
			return s.keyErr
		}
		plain, err := s.seal.open(bucketMeta, k, sealed)
		if err != nil {
			return keyMismatch(s.seal.source, "the stored secret "+key)
		}
		v = string(plain)
		return nil
	})
	return v, err
}

// SetSecret stores an encrypted setting; "" deletes it.
func (s *Store) SetSecret(key, value string) error {
	if key == "" {
		return fmt.Errorf("%w: empty secret name", ErrInvalid)
	}
	return s.update(func(tx *bolt.Tx) error {
		k := []byte(prefixSecret + key)
		if value == "" {
			return tx.Bucket(bucketMeta).Delete(k)
		}
		sealed, err := s.seal.seal(bucketMeta, k, []byte(value))
		if err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(k, sealed)
	})
}

// Increment adds one to the counter setting key (0 when unset) and returns
// the new value, in one transaction: two callers never get the same number.
// Counters survive restarts; the caller picks keys that roll over (a day in
// the key, say).
func (s *Store) Increment(key string) (uint64, error) {
	if key == "" {
		return 0, fmt.Errorf("%w: empty counter name", ErrInvalid)
	}
	var n uint64
	err := s.update(func(tx *bolt.Tx) error {
		k := []byte(prefixSetting + key)
		if v := tx.Bucket(bucketMeta).Get(k); v != nil {
			var err error
			if n, err = strconv.ParseUint(string(v), 10, 64); err != nil {
				return fmt.Errorf("%w: counter %s holds %q, not a number", ErrCorrupt, key, v)
			}
		}
		n++
		return tx.Bucket(bucketMeta).Put(k, []byte(strconv.FormatUint(n, 10)))
	})
	return n, err
}
