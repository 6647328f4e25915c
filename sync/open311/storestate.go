package open311

import "civicdesk/app/store"

// StoreState is the adapter's State over a device's store: its memory in
// the store's settings (prefix "open311."), the applications to follow from
// the store's summaries.
func StoreState(st *store.Store) State { return storeState{st} }

type storeState struct{ st *store.Store }

const statePrefix = "open311."

func (s storeState) Get(key string) (string, error) { return s.st.Meta(statePrefix + key) }

func (s storeState) Set(key, value string) error { return s.st.SetMeta(statePrefix+key, value) }

// Tracked returns the accepted applications with a tracking number whose
// status may still change.
func (s storeState) Tracked() ([]Tracked, error) {
	var out []Tracked
	err := s.st.ForEach(func(sm store.Summary) error {
		if sm.State.Accepted() && !sm.State.Final() && sm.Tracking != "" {
			out = append(out, Tracked{ID: sm.ID, Tracking: sm.Tracking, Service: sm.Service, Status: sm.State})
		}
		return nil
	})
	return out, err
}
