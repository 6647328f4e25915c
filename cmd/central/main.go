// Command central runs the reference civicdesk central API server, and mints
// enrolment codes and staff tokens for scripts and tests.
//
//	central [--addr 127.0.0.1:8080] [--data ./central-data] [--demo] [--demo-every 10s]
//	        [--mint-codes N] [--mint-staff NAME] [--code-ttl 24h] [--partial-ttl 168h]
//	        [--track-max-failures 10] [--track-device-max-failures 30] [--track-window 1h]
//	central mint --data DIR [--codes N] [--staff NAME] [--code-ttl 24h]
//
// Once listening, the server prints one JSON line to stdout,
// {"addr":"127.0.0.1:PORT","enroll_codes":[...],"staff_token":"..."}, then
// serves until SIGINT or SIGTERM. Logs go to stderr.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"civicdesk/central"
)

// dataFile is the server's bbolt file inside the data directory.
const dataFile = "central.db"

// errUsage marks a command-line mistake (exit status 2).
var errUsage = errors.New("usage error")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "central:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// startLine is the JSON line printed once the server listens (and by mint,
// without addr).
type startLine struct {
	Addr        string   `json:"addr,omitempty"`
	EnrollCodes []string `json:"enroll_codes"`
	StaffToken  string   `json:"staff_token"`
}

// run is the whole program; main only wires in the signals and exit codes.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "mint" {
		return runMint(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("central", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	data := fs.String("data", "./central-data", "data directory (holds "+dataFile+")")
	demo := fs.Bool("demo", false, "advance application statuses by themselves, for demonstrations")
	demoEvery := fs.Duration("demo-every", 10*time.Second, "how often demo mode moves applications on")
	mintCodes := fs.Int("mint-codes", 0, "mint this many one-time device enrolment codes at start")
	mintStaff := fs.String("mint-staff", "", "mint a back-office token for this staff name at start")
	codeTTL := fs.Duration("code-ttl", 24*time.Hour, "how long minted enrolment codes stay valid")
	partialTTL := fs.Duration("partial-ttl", central.DefaultPartialTTL, "how long a partial attachment upload that receives no chunk, or a complete one that no application names, is kept before it is deleted")
	trackMax := fs.Int("track-max-failures", central.DefaultTrackMaxFailures, "failed status lookups (wrong code or unknown number) one tracking number may have within --track-window before it answers 429")
	trackDeviceMax := fs.Int("track-device-max-failures", central.DefaultTrackDeviceMaxFailures, "failed status lookups one device may have across all tracking numbers within --track-window before it answers 429")
	trackWindow := fs.Duration("track-window", central.DefaultTrackWindow, "the sliding window of --track-max-failures and --track-device-max-failures (counts are kept in memory: a restart forgets them)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v (see central -h)", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q: the only subcommand is mint (see central -h)", errUsage, fs.Arg(0))
	}
	if err := checkMintFlags(*mintCodes, *codeTTL); err != nil {
		return err
	}
	if *demo && *demoEvery <= 0 {
		return fmt.Errorf("%w: --demo-every must be positive", errUsage)
	}
	if *partialTTL <= 0 {
		return fmt.Errorf("%w: --partial-ttl must be positive, such as 168h", errUsage)
	}
	if *trackMax <= 0 || *trackDeviceMax <= 0 {
		return fmt.Errorf("%w: --track-max-failures and --track-device-max-failures must be positive, such as 10 and 30", errUsage)
	}
	if *trackWindow <= 0 {
		return fmt.Errorf("%w: --track-window must be positive, such as 1h", errUsage)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	srv, err := open(*data, central.Options{Logger: log, PartialTTL: *partialTTL,
		TrackMaxFailures: *trackMax, TrackDeviceMaxFailures: *trackDeviceMax, TrackWindow: *trackWindow})
	if errors.Is(err, central.ErrLocked) {
		return fmt.Errorf("data directory %s is in use by another central server: stop it, or pick another --data (%w)", *data, err)
	}
	if err != nil {
		return err
	}
	defer srv.Close()
	if *demo {
		if _, err := srv.SeedDemoNotice(); err != nil {
			return fmt.Errorf("publish the demo notice: %w", err)
		}
	}
	line, err := mint(srv, *mintCodes, *mintStaff, *codeTTL)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (pick another --addr, or stop what uses it)", *addr, err)
	}
	line.Addr = ln.Addr().String()
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	if err := printLine(stdout, line); err != nil {
		hs.Close()
		return err
	}
	log.Info("central API listening", "addr", line.Addr, "data", *data, "demo", *demo)

	demoCtx, stopDemo := context.WithCancel(ctx)
	demoDone := make(chan struct{})
	go func() {
		defer close(demoDone)
		if *demo {
			srv.RunDemo(demoCtx, *demoEvery)
		}
	}()
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err = <-served:
		err = fmt.Errorf("serve: %w", err)
	}
	stopDemo()
	<-demoDone
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if serr := hs.Shutdown(shutCtx); serr != nil && err == nil {
		err = fmt.Errorf("shut down: %w", serr)
	}
	if cerr := srv.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close data file: %w", cerr)
	}
	return err
}

// runMint mints codes and a staff token while the server is not running.
func runMint(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("central mint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./central-data", "data directory of the (stopped) server")
	codes := fs.Int("codes", 0, "number of one-time device enrolment codes to mint")
	staff := fs.String("staff", "", "mint a back-office token for this staff name")
	codeTTL := fs.Duration("code-ttl", 24*time.Hour, "how long the codes stay valid")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v (see central mint -h)", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q (see central mint -h)", errUsage, fs.Arg(0))
	}
	if err := checkMintFlags(*codes, *codeTTL); err != nil {
		return err
	}
	if *codes == 0 && *staff == "" {
		return fmt.Errorf("%w: nothing to mint: give --codes N and/or --staff NAME", errUsage)
	}
	srv, err := open(*data, central.Options{Logger: slog.New(slog.NewTextHandler(stderr, nil))})
	if err != nil {
		if errors.Is(err, central.ErrLocked) {
			return fmt.Errorf("the server is running on %s: mint at its start with --mint-codes N / --mint-staff NAME, or stop it and run mint again (%w)", *data, err)
		}
		return err
	}
	defer srv.Close()
	line, err := mint(srv, *codes, *staff, *codeTTL)
	if err != nil {
		return err
	}
	if err := srv.Close(); err != nil {
		return fmt.Errorf("close data file: %w", err)
	}
	return printLine(stdout, line)
}

func checkMintFlags(codes int, ttl time.Duration) error {
	switch {
	case codes < 0 || codes > 10000:
		return fmt.Errorf("%w: the number of codes must be 0 to 10000", errUsage)
	case ttl <= 0:
		return fmt.Errorf("%w: --code-ttl must be positive, such as 24h", errUsage)
	}
	return nil
}

// open opens the server on the data directory, creating it if needed,
// with options o (its Path is set here; zero fields are the defaults).
func open(dir string, o central.Options) (*central.Server, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w (pick another --data)", err)
	}
	o.Path = filepath.Join(dir, dataFile)
	return central.Open(o)
}

func mint(srv *central.Server, codes int, staff string, ttl time.Duration) (startLine, error) {
	line := startLine{EnrollCodes: []string{}}
	for range codes {
		c, err := srv.MintEnrollCode(ttl)
		if err != nil {
			return line, err
		}
		line.EnrollCodes = append(line.EnrollCodes, c)
	}
	if staff != "" {
		tok, err := srv.MintStaffToken(staff)
		if err != nil {
			return line, fmt.Errorf("%w (--mint-staff / --staff)", err)
		}
		line.StaffToken = tok
	}
	return line, nil
}

func printLine(w io.Writer, line startLine) error {
	b, err := json.Marshal(line)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
