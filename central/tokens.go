package central

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// Token prefixes make a leaked token recognisable (and tell the two kinds apart).
const (
	deviceTokenPrefix = "cdd_"
	staffTokenPrefix  = "cds_"
	// codeAlphabet leaves out characters people confuse (0/O, 1/I/L).
	codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
	codeLength   = 12
	maxNameLen   = 64
)

// hashSecret is the key under which a token or code is stored: the secret
// itself never reaches the disk.
func hashSecret(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

func newToken(prefix string) string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand panics rather than return weak bytes)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// newEnrollCode makes a code a person can type: 12 characters in groups of four.
func newEnrollCode() string {
	var sb strings.Builder
	max := big.NewInt(int64(len(codeAlphabet)))
	for i := 0; i < codeLength; i++ {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		sb.WriteByte(codeAlphabet[n.Int64()])
	}
	return sb.String()
}

// normalizeCode makes "abcd efgh-jkmn" and "ABCD-EFGH-JKMN" the same code.
func normalizeCode(s string) string {
	s = strings.ToUpper(s)
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, s)
}

// newVerificationCode returns 6 random digits.
func newVerificationCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// MintEnrollCode creates a one-time device enrolment code valid for ttl.
func (s *Server) MintEnrollCode(ttl time.Duration) (string, error) {
	if ttl <= 0 {
		return "", ErrBadTTL
	}
	code := newEnrollCode()
	now := s.now()
	err := s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketEnrollCodes), hashSecret(normalizeCode(code)),
			codeRecord{CreatedAt: now, ExpiresAt: now.Add(ttl)})
	})
	if err != nil {
		return "", fmt.Errorf("central: store enrolment code: %w", err)
	}
	return code, nil
}

// MintStaffToken creates a back-office bearer token for the named staff member.
func (s *Server) MintStaffToken(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > maxNameLen {
		return "", ErrBadName
	}
	tok := newToken(staffTokenPrefix)
	err := s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketStaffTokens), hashSecret(tok), staffRecord{Name: name, CreatedAt: s.now()})
	})
	if err != nil {
		return "", fmt.Errorf("central: store staff token: %w", err)
	}
	return tok, nil
}

// enrollResult says what became of an enrolment attempt.
type enrollResult int

const (
	enrollOK enrollResult = iota
	enrollUnknown
	enrollUsed
	enrollExpired
)

// enroll trades a code for a new device and its token, in one transaction.
func (s *Server) enroll(code, name, kind string) (enrollResult, string, string, error) {
	key := hashSecret(normalizeCode(code))
	now := s.now()
	var (
		res    enrollResult
		devID  string
		devTok string
	)
	err := s.db.Update(func(tx *bolt.Tx) error {
		codes := tx.Bucket(bucketEnrollCodes)
		var c codeRecord
		ok, err := getJSON(codes, key, &c)
		switch {
		case err != nil:
			return err
		case !ok:
			res = enrollUnknown
			return nil
		case !c.UsedAt.IsZero():
			res = enrollUsed
			return nil
		case !now.Before(c.ExpiresAt):
			res = enrollExpired
			return nil
		}
		devID = uuid.NewString()
		devTok = newToken(deviceTokenPrefix)
		c.UsedAt, c.DeviceID = now, devID
		if err := putJSON(codes, key, c); err != nil {
			return err
		}
		res = enrollOK
		return putJSON(tx.Bucket(bucketDevices), hashSecret(devTok),
			deviceRecord{ID: devID, Name: name, Kind: kind, EnrolledAt: now})
	})
	if err != nil {
		return 0, "", "", err
	}
	return res, devID, devTok, nil
}

// deviceForToken returns the device id a bearer token belongs to ("" if none).
func (s *Server) deviceForToken(tok string) (string, error) {
	if !strings.HasPrefix(tok, deviceTokenPrefix) {
		return "", nil
	}
	var d deviceRecord
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		ok, err = getJSON(tx.Bucket(bucketDevices), hashSecret(tok), &d)
		return err
	})
	if err != nil || !ok {
		return "", err
	}
	return d.ID, nil
}

// staffForToken returns the staff name a bearer token belongs to ("" if none).
func (s *Server) staffForToken(tok string) (string, error) {
	if !strings.HasPrefix(tok, staffTokenPrefix) {
		return "", nil
	}
	var st staffRecord
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		ok, err = getJSON(tx.Bucket(bucketStaffTokens), hashSecret(tok), &st)
		return err
	})
	if err != nil || !ok {
		return "", err
	}
	return st.Name, nil
}
