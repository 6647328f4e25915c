package central

import (
	"net/http"
	"sort"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"civicdesk/sync/wire"
)

// Device health limits and thresholds.
const (
	// DefaultStaleAfter is Options.StaleAfter's default: a device silent for
	// longer is stale.
	DefaultStaleAfter = 15 * time.Minute
	// QueueOldAfter: an outbox whose oldest item is older than this, by the
	// device's own clock, is a problem ("queue_old").
	QueueOldAfter = time.Hour
	// SyncFailingAfter: a device with a queue and no successful sync for
	// longer than this, by its own clock, is failing to sync ("sync_failing").
	SyncFailingAfter = time.Hour
	// MaxClockSkew: a device clock further than this from the server's at
	// receipt is a problem ("clock_skew").
	MaxClockSkew = 5 * time.Minute
	// DiskLowBytes: less free disk than this is a problem ("disk_low").
	DiskLowBytes = 500 << 20

	maxHeartbeatVersion = 64
	maxHeartbeatError   = 500
	maxHeartbeatPrinter = 200
)

// Problems a device's last heartbeat can show (wire.DeviceHealth.Problems).
const (
	ProblemQueueOld    = "queue_old"
	ProblemDiskLow     = "disk_low"
	ProblemPrinter     = "printer"
	ProblemClockSkew   = "clock_skew"
	ProblemSyncFailing = "sync_failing"
)

// healthRecord is the latest heartbeat of a device and when it arrived
// (server time). It holds no personal data.
type healthRecord struct {
	Heartbeat  wire.Heartbeat `json:"heartbeat"`
	ReceivedAt time.Time      `json:"received_at"`
}

func (s *Server) handleHeartbeat(w http.ResponseWriter, r *http.Request, c caller) error {
	body, err := readBody(w, r, smallBody)
	if err != nil {
		return err
	}
	var hb wire.Heartbeat
	if err := decodeStrict(body, &hb); err != nil {
		return err
	}
	if err := checkHeartbeat(hb); err != nil {
		return err
	}
	rec := healthRecord{Heartbeat: hb, ReceivedAt: s.now()}
	err = s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketDeviceHealth), []byte(c.device), rec)
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// checkHeartbeat refuses a heartbeat with fields out of bounds. Messages
// name the field, never its value (last_error comes from a device).
func checkHeartbeat(hb wire.Heartbeat) error {
	bad := func(format string, a ...any) error {
		return errorf(http.StatusBadRequest, codeBadRequest, format, a...)
	}
	switch {
	case utf8.RuneCountInString(hb.Version) > maxHeartbeatVersion:
		return bad("version is longer than %d characters: shorten it", maxHeartbeatVersion)
	case hb.Kind != "" && hb.Kind != KindKiosk && hb.Kind != KindPhone:
		return bad("kind must be %q, %q or empty", KindKiosk, KindPhone)
	case hb.QueueDepth < 0:
		return bad("queue_depth is negative: send the number of queued items (0 or more)")
	case hb.FreeDiskBytes < 0:
		return bad("free_disk_bytes is negative: send the free bytes (0 or more)")
	case utf8.RuneCountInString(hb.LastError) > maxHeartbeatError:
		return bad("last_error is longer than %d characters: shorten it", maxHeartbeatError)
	case utf8.RuneCountInString(hb.PrinterState) > maxHeartbeatPrinter:
		return bad("printer_state is longer than %d characters: shorten it", maxHeartbeatPrinter)
	case hb.DeviceTime.IsZero():
		return bad("device_time is required: send the device's clock (RFC 3339)")
	}
	return nil
}

func (s *Server) handleBackofficeDevices(w http.ResponseWriter, r *http.Request, _ caller) error {
	list, err := s.Devices()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

// Devices lists every enrolled device with its last heartbeat, stale and
// unhealthy flags as of now, sorted by name then id. A device that never
// sent a heartbeat is stale.
func (s *Server) Devices() ([]wire.DeviceHealth, error) {
	now := s.now()
	out := []wire.DeviceHealth{}
	err := s.db.View(func(tx *bolt.Tx) error {
		health := tx.Bucket(bucketDeviceHealth)
		return tx.Bucket(bucketDevices).ForEach(func(_, v []byte) error {
			var d deviceRecord
			if err := jsonUnmarshal(v, &d); err != nil {
				return err
			}
			var rec healthRecord
			ok, err := getJSON(health, []byte(d.ID), &rec)
			if err != nil {
				return err
			}
			dh := wire.DeviceHealth{DeviceID: d.ID, Name: d.Name, Kind: d.Kind, Stale: true}
			if ok {
				hb := rec.Heartbeat
				dh.Heartbeat = &hb
				dh.LastSeen = rec.ReceivedAt
				dh.Stale = now.Sub(rec.ReceivedAt) > s.staleAfter
				dh.Problems = problems(rec)
				dh.Unhealthy = len(dh.Problems) > 0
				if dh.Kind == "" {
					dh.Kind = hb.Kind
				}
			}
			out = append(out, dh)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].DeviceID < out[j].DeviceID
	})
	return out, nil
}

// problems says what is wrong in a heartbeat. Ages of the queue and of the
// last sync are measured on the device's own clock, so a skewed clock does
// not make them wrong; the skew is a problem of its own.
func problems(rec healthRecord) []string {
	hb := rec.Heartbeat
	var p []string
	if !hb.OldestQueued.IsZero() && hb.DeviceTime.Sub(hb.OldestQueued) > QueueOldAfter {
		p = append(p, ProblemQueueOld)
	}
	if hb.FreeDiskBytes < DiskLowBytes {
		p = append(p, ProblemDiskLow)
	}
	if hb.PrinterState != "" && hb.PrinterState != "ok" {
		p = append(p, ProblemPrinter)
	}
	if skew := hb.DeviceTime.Sub(rec.ReceivedAt); skew > MaxClockSkew || skew < -MaxClockSkew {
		p = append(p, ProblemClockSkew)
	}
	if hb.QueueDepth > 0 && (hb.LastSync.IsZero() || hb.DeviceTime.Sub(hb.LastSync) > SyncFailingAfter) {
		p = append(p, ProblemSyncFailing)
	}
	return p
}
