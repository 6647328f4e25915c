package open311

import (
	"maps"
	"slices"
	"strings"
	"sync"

	"civicdesk/app/lifecycle"
)

// State is what the adapter remembers across runs: a small key-value map
// and the list of accepted applications to follow. The program implements
// it over the local store; MemState is the in-memory twin for tests.
// Implementations must be safe for concurrent use.
//
// Keys the adapter writes (values are short ASCII, never personal data):
//
//	device_id          the device_id sent with every POST (random, made once)
//	catalog.map        how catalog codes and field names map to Open311 codes (JSON)
//	pending.<app id>   a POST of the application may have arrived (unknown outcome): time of the first attempt
//	done.<app id>      the definite answer to the application's POST (JSON), so it is never posted twice
//	token.<token>      the service_request_id a token resolved to
//	seen.<request id>  the status and status_notes last reported for a request (JSON)
type State interface {
	// Get returns the value of key, "" and nil when it is not set.
	Get(key string) (string, error)
	// Set stores value under key; an empty value unsets the key.
	Set(key, value string) error
	// Tracked lists the accepted applications whose status is followed.
	Tracked() ([]Tracked, error)
}

// Tracked is one accepted application to follow.
type Tracked struct {
	ID       string // the application id
	Tracking string // service_request_id, "token:<token>" or "blackbox:<...>"
	Service  string // catalog service code
	Status   lifecycle.Status
}

// Tracking prefixes: an application accepted with a token but no id yet,
// and one accepted by a blackbox service (nothing to follow).
const (
	TokenPrefix    = "token:"
	BlackboxPrefix = "blackbox:"
)

// MemState is a State in memory, for tests and tools.
type MemState struct {
	mu      sync.Mutex
	kv      map[string]string
	tracked []Tracked
}

// NewMemState returns an empty MemState.
func NewMemState() *MemState { return &MemState{kv: make(map[string]string)} }

// Get implements State.
func (m *MemState) Get(key string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.kv[key], nil
}

// Set implements State.
func (m *MemState) Set(key, value string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.kv == nil {
		m.kv = make(map[string]string)
	}
	if value == "" {
		delete(m.kv, key)
		return nil
	}
	m.kv[key] = value
	return nil
}

// Tracked implements State.
func (m *MemState) Tracked() ([]Tracked, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.tracked), nil
}

// Track adds applications to follow, replacing those with the same ID.
func (m *MemState) Track(ts ...Tracked) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, t := range ts {
		i := slices.IndexFunc(m.tracked, func(o Tracked) bool { return o.ID == t.ID })
		if i >= 0 {
			m.tracked[i] = t
		} else {
			m.tracked = append(m.tracked, t)
		}
	}
}

// Untrack stops following an application.
func (m *MemState) Untrack(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tracked = slices.DeleteFunc(m.tracked, func(o Tracked) bool { return o.ID == id })
}

// Keys returns the keys set with the given prefix, sorted.
func (m *MemState) Keys(prefix string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for k := range maps.Keys(m.kv) {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
