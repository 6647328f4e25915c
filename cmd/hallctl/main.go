// Command hallctl is the headless admin tool of a civicdesk device, for hall IT
// staff and scripts: enrol the device, submit and inspect applications, sync,
// export receipts, purge personal data, check the installation, and, for the
// back office, list devices, feedback and tickets, reply and publish notices.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"civicdesk/app/store"
)

// Exit codes, stable for scripts.
const (
	exitOK         = 0
	exitError      = 1 // anything not listed below
	exitUsage      = 2 // bad command line
	exitInvalid    = 3 // the application fails validation
	exitOffline    = 4 // the central API could not be reached
	exitInUse      = 5 // the store is held by another civicdesk process
	exitUnhealthy  = 6 // doctor found a problem; devices found a stale or unhealthy device; tickets found a clash
	exitNotEnroled = 7 // the device has no token yet
)

// exitErr carries an exit code with the message a person can act on.
type exitErr struct {
	code int
	err  error
}

func (e *exitErr) Error() string { return e.err.Error() }
func (e *exitErr) Unwrap() error { return e.err }

func withCode(code int, format string, a ...any) error {
	return &exitErr{code: code, err: fmt.Errorf(format, a...)}
}

const usage = `hallctl: admin tool of a civicdesk device

Usage: hallctl [global flags] <command> [flags] [args]

Commands:
  enroll  --code CODE [--name NAME] [--kind kiosk|phone]   enrol this device with the central API
  catalog [--refresh] [SERVICE]        list services, or show one service's form
  submit  [--staff ID] [--sync] [FILE|-]  validate and queue an application (JSON: {"service":..,"values":{..}})
  queue   [--state STATE] [--limit N]  queued, sent and refused applications with their ages
  sync    [--watch] [--interval D] [--no-attachments]
                                       send the queue and pull status changes, once or continuously
  status  TRACKING|ID                  an application's status and history
  retry   ID                           queue an application that needs attention again
  export  [--out FILE]                 receipts as CSV (no personal data)
  purge                                delete personal data of every accepted application
  doctor                               check the store, the key and the connection
  staff-pin                            set the kiosk's staff PIN (4-8 digits, read from standard input)

Back office (staff token: --staff-token TOKEN or env CIVICDESK_STAFF_TOKEN; --api URL
if this machine is not an enrolled device; --json also after the command):
  devices                              the hall's devices with their health, flagging the stale and unhealthy
  feedback [--follow-up] [--kind rating|feedback|ticket] [--hall H] [--day YYYYMMDD]
                                       ratings, feedback and tickets the central API holds, newest first
                                       (--day: a ticket's day or the day received; the table never shows
                                       a contact number, --json shows everything)
  reply   ID --zh TEXT [--en TEXT]     reply to a rating or feedback; the resident's device gets it at its next sync
  tickets [--day YYYYMMDD] [--hall H]  queue tickets recorded on the central API, and how many clashed
                                       (two kiosks sharing a prefix)
  notice publish --kind hours|closure|policy|info --title-zh T --title-en T [--hall H]
                 [--body-zh B] [--body-en B] [--from RFC3339] [--until RFC3339]
                                       publish a notice (no --hall: every hall)
  notice withdraw ID                   withdraw a notice

Global flags (before the command):
  --data DIR     data directory (env CIVICDESK_DATA; default ~/.local/share/civicdesk)
  --api URL      central API base URL (env CIVICDESK_API; default: the one used at enrolment)
  --policy P     kiosk (purge personal data once accepted, default) or personal
  --json         machine-readable output

Exit codes: 0 ok, 1 error, 2 usage, 3 invalid application, 4 offline,
5 store in use, 6 doctor found a problem, devices found a stale or
unhealthy device, or tickets found a clash, 7 device not enrolled.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// globals are the flags every command shares.
type globals struct {
	data   string
	api    string
	policy string
	json   bool
	// noAttachments: sync --no-attachments (data saver).
	noAttachments bool
	stdin         io.Reader
	stdout        io.Writer
	stderr        io.Writer
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	fs := flag.NewFlagSet("hallctl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&g.data, "data", os.Getenv("CIVICDESK_DATA"), "")
	fs.StringVar(&g.api, "api", os.Getenv("CIVICDESK_API"), "")
	fs.StringVar(&g.policy, "policy", string(store.PolicyKiosk), "")
	fs.BoolVar(&g.json, "json", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return exitOK
		}
		fmt.Fprintf(stderr, "hallctl: %v\n\n%s", err, usage)
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	if g.data == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			fmt.Fprintln(stderr, "hallctl: no home directory; pass --data DIR")
			return exitUsage
		}
		g.data = filepath.Join(home, ".local", "share", "civicdesk")
	}
	if g.policy != string(store.PolicyKiosk) && g.policy != string(store.PolicyPersonal) {
		fmt.Fprintf(stderr, "hallctl: --policy must be kiosk or personal, not %q\n", g.policy)
		return exitUsage
	}
	cmds := map[string]func(context.Context, *globals, []string) error{
		"enroll":    cmdEnroll,
		"catalog":   cmdCatalog,
		"submit":    cmdSubmit,
		"queue":     cmdQueue,
		"sync":      cmdSync,
		"status":    cmdStatus,
		"retry":     cmdRetry,
		"export":    cmdExport,
		"purge":     cmdPurge,
		"doctor":    cmdDoctor,
		"devices":   cmdDevices,
		"staff-pin": cmdStaffPIN,
		"feedback":  cmdFeedback,
		"reply":     cmdReply,
		"tickets":   cmdTickets,
		"notice":    cmdNotice,
	}
	name := fs.Arg(0)
	if name == "help" {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	cmd, ok := cmds[name]
	if !ok {
		fmt.Fprintf(stderr, "hallctl: unknown command %q\n\n%s", name, usage)
		return exitUsage
	}
	err := cmd(ctx, g, fs.Args()[1:])
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "hallctl %s: %v\n", name, err)
	var ee *exitErr
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, store.ErrInUse):
		return exitInUse
	case errors.Is(err, flag.ErrHelp):
		return exitUsage
	}
	return exitError
}

// parseFlags parses a command's flags, turning errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return withCode(exitUsage, "%v (run 'hallctl help')", err)
	}
	return nil
}

// openStore opens the device's store with the global settings.
func (g *globals) openStore(readOnly bool) (*store.Store, error) {
	s, err := store.Open(store.Options{Dir: g.data, Policy: store.Policy(g.policy), ReadOnly: readOnly})
	if err != nil {
		return nil, err
	}
	if p := s.Recovered(); p != "" {
		fmt.Fprintf(g.stderr, "hallctl: the store file was unreadable; it was moved to %s and a fresh store was started\n", p)
	}
	return s, nil
}

// trimSpace is strings.TrimSpace, kept short for table code.
var trimSpace = strings.TrimSpace
