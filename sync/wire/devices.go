package wire

import "time"

// Device health: kiosks report a heartbeat when online; the back office
// lists devices and flags the stale and the unhealthy.
//
//	POST /v1/devices/heartbeat                (device token) Heartbeat -> 204
//	GET  /v1/backoffice/devices               (staff token)  -> []DeviceHealth
const (
	PathHeartbeat         = "/v1/devices/heartbeat"
	PathBackofficeDevices = "/v1/backoffice/devices"
)

// Heartbeat is what a device says about itself. It holds no personal data.
type Heartbeat struct {
	Version       string    `json:"version"`
	Kind          string    `json:"kind"` // "kiosk" or "phone"
	QueueDepth    int       `json:"queue_depth"`
	OldestQueued  time.Time `json:"oldest_queued,omitzero"` // device clock
	LastSync      time.Time `json:"last_sync,omitzero"`     // device clock
	LastError     string    `json:"last_error,omitempty"`
	FreeDiskBytes int64     `json:"free_disk_bytes"`
	PrinterState  string    `json:"printer_state,omitempty"` // "ok", "missing", "error: ...", "" when none configured
	DeviceTime    time.Time `json:"device_time"`
}

// DeviceHealth is one row of the back office's device list.
type DeviceHealth struct {
	DeviceID  string     `json:"device_id"`
	Name      string     `json:"name"`
	Kind      string     `json:"kind"`
	LastSeen  time.Time  `json:"last_seen,omitzero"` // server time of the last heartbeat
	Heartbeat *Heartbeat `json:"heartbeat,omitempty"`
	Stale     bool       `json:"stale"`              // no heartbeat for longer than the server's stale limit
	Unhealthy bool       `json:"unhealthy"`          // a reason below
	Problems  []string   `json:"problems,omitempty"` // e.g. "queue_old", "disk_low", "printer", "clock_skew", "sync_failing"
}
