package central

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Count returns how many applications the server stores.
func (s *Server) Count() (int, error) {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketApplications).Stats().KeyN
		return nil
	})
	return n, err
}

// CountByID returns 1 if the server stores the application with this id, else 0.
func (s *Server) CountByID(id string) int {
	n := 0
	s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketApplications).Get([]byte(id)) != nil {
			n = 1
		}
		return nil
	})
	return n
}

func jsonUnmarshal(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("central: corrupt record in the data file: %w (restore the file from a backup)", err)
	}
	return nil
}
