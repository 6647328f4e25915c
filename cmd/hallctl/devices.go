package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"civicdesk/sync/remote"
	"civicdesk/sync/wire"
)

// envStaffToken is where devices finds the staff token without --staff-token.
const envStaffToken = "CIVICDESK_STAFF_TOKEN"

func cmdDevices(ctx context.Context, g *globals, args []string) error {
	fs := flag.NewFlagSet("devices", flag.ContinueOnError)
	token := staffFlags(fs, g)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return withCode(exitUsage, "devices takes no arguments (run 'hallctl help')")
	}
	bo, done, err := g.staffClient(*token)
	if err != nil {
		return err
	}
	defer done()
	list, err := bo.Devices(ctx)
	if err != nil {
		return staffErr(err, "list devices")
	}
	if list == nil {
		list = []wire.DeviceHealth{}
	}
	stale, unhealthy := 0, 0
	for _, d := range list {
		if d.Stale {
			stale++
		}
		if d.Unhealthy {
			unhealthy++
		}
	}
	now := time.Now()
	_ = g.out(list, func(w io.Writer) {
		fmt.Fprintf(w, "%d devices: %d stale, %d unhealthy\n", len(list), stale, unhealthy)
		if len(list) == 0 {
			return
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DEVICE\tKIND\tLAST SEEN\tQUEUE\tOLDEST\tFREE DISK\tPRINTER\tFLAGS")
		for _, d := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", deviceLabel(d), dash(d.Kind), lastSeen(now, d),
				queueDepth(d), oldestQueued(d), freeDisk(d), printer(d), flags(d))
		}
		tw.Flush()
	})
	if stale+unhealthy > 0 {
		return withCode(exitUnhealthy, "%d stale and %d unhealthy device(s)", stale, unhealthy)
	}
	return nil
}

// devicesAPI is --api, else the URL this device enrolled with. A staff
// machine need not be enrolled; it then passes --api.
func (g *globals) devicesAPI() (string, error) {
	u := g.api
	if u == "" {
		s, err := g.openStore(true)
		if err != nil {
			return "", withCode(exitUsage, "no central API given and no device store to read it from (%v): pass --api URL", err)
		}
		u, err = g.apiURL(s)
		s.Close()
		if err != nil {
			return "", err
		}
	}
	if remote.IsOpen311(u) {
		return "", withCode(exitUsage, "%v", remote.ErrNotNative)
	}
	return u, nil
}

// deviceLabel is the device's name with the start of its id.
func deviceLabel(d wire.DeviceHealth) string {
	id := d.DeviceID
	if len(id) > 8 {
		id = id[:8]
	}
	if d.Name == "" {
		return id
	}
	return d.Name + " (" + id + ")"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func lastSeen(now time.Time, d wire.DeviceHealth) string {
	if d.LastSeen.IsZero() {
		return "never"
	}
	return age(now, d.LastSeen) + " ago"
}

func queueDepth(d wire.DeviceHealth) string {
	if d.Heartbeat == nil {
		return "-"
	}
	return strconv.Itoa(d.Heartbeat.QueueDepth)
}

// oldestQueued is the age of the oldest queued item when the heartbeat was
// sent, by the device's own clock.
func oldestQueued(d wire.DeviceHealth) string {
	if d.Heartbeat == nil || d.Heartbeat.OldestQueued.IsZero() {
		return "-"
	}
	return age(d.Heartbeat.DeviceTime, d.Heartbeat.OldestQueued)
}

func freeDisk(d wire.DeviceHealth) string {
	if d.Heartbeat == nil {
		return "-"
	}
	return bytesHuman(d.Heartbeat.FreeDiskBytes)
}

// bytesHuman prints a byte count in binary units: 512 B, 1.5 GiB.
func bytesHuman(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func printer(d wire.DeviceHealth) string {
	switch {
	case d.Heartbeat == nil:
		return "-"
	case d.Heartbeat.PrinterState == "":
		return "none"
	}
	return d.Heartbeat.PrinterState
}

func flags(d wire.DeviceHealth) string {
	var f []string
	if d.Stale {
		f = append(f, "STALE")
	}
	if d.Unhealthy {
		f = append(f, "UNHEALTHY: "+strings.Join(d.Problems, ","))
	}
	if len(f) == 0 {
		return "ok"
	}
	return strings.Join(f, " ")
}
