// Command civicdesk is the Fyne program of a civicdesk device: the
// self-service kiosk of a service hall, or, on a phone (or built with
// -tags mobile, which simulates one), the residents' phone app. With no --api
// it starts the reference central API in-process on 127.0.0.1 in demo mode and
// enrols itself, so one command shows everything; with --api it talks to a
// real central API.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"golang.org/x/sys/unix"

	"civicdesk/app/catalog"
	"civicdesk/app/escpos"
	"civicdesk/app/i18n"
	"civicdesk/app/staff"
	"civicdesk/app/store"
	"civicdesk/app/ui"
	"civicdesk/central"
	"civicdesk/kiosk"
	"civicdesk/mobile"
	"civicdesk/sync/client"
	"civicdesk/sync/engine"
	"civicdesk/sync/remote"
	"civicdesk/sync/wire"
)

// Keys the device keeps in its store, shared with hallctl.
const (
	metaAPI     = "api_url"
	metaDevice  = "device_id"
	secretToken = "device_token"
)

// version is the program's version, as in FyneApp.toml; devices report it.
const version = "0.3.0"

// demoPIN is the staff PIN a demo kiosk gets when none is set.
const demoPIN = "2468"

type options struct {
	api        string
	enrollCode string
	data       string
	window     bool
	policy     string
	idle       time.Duration
	demoEvery  time.Duration
	lang       string
	attachDir  string
	prefix     string
	hallCode   string
	printer    string
	paper      string
}

func main() {
	var o options
	flag.StringVar(&o.api, "api", os.Getenv("CIVICDESK_API"), "central API base URL, or open311+https://... for an Open311 GeoReport v2 endpoint (api_key in $CIVICDESK_OPEN311_KEY); empty: run the reference central API in-process (demo)")
	flag.StringVar(&o.enrollCode, "enroll-code", "", "one-time enrolment code, the first time with --api")
	flag.StringVar(&o.data, "data", os.Getenv("CIVICDESK_DATA"), "data directory (default ~/.local/share/civicdesk)")
	flag.BoolVar(&o.window, "window", false, "run in a window (development) instead of fullscreen")
	flag.StringVar(&o.policy, "policy", "", "kiosk or personal (default: kiosk on a kiosk, personal on a phone)")
	flag.DurationVar(&o.idle, "idle", kiosk.DefaultIdleAfter, "guest session: time without input before the countdown")
	flag.DurationVar(&o.demoEvery, "demo-every", 20*time.Second, "demo: how often the in-process central API moves applications on")
	flag.StringVar(&o.lang, "lang", i18n.Zh, "start language: zh-Hans or en")
	flag.StringVar(&o.prefix, "kiosk-prefix", "", "queue numbers: this kiosk's prefix, unique in the hall (1-2 of 0-9, A-Z without I and O); empty: no queue numbers (demo: 1)")
	flag.StringVar(&o.hallCode, "hall", "320302-01", "the hall's code, on queue tickets")
	flag.StringVar(&o.printer, "printer", "", "ESC/POS receipt printer: a device such as /dev/usb/lp0, or a file (demo: <data>/demo-printer.escpos)")
	flag.StringVar(&o.paper, "paper", "80", "receipt paper width: 58 or 80 (mm)")
	flag.StringVar(&o.attachDir, "attach-dir", "", "staff mode: folder scanned documents are picked from (document camera output, removable medium)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "civicdesk:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if o.data == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return errors.New("no home directory: pass --data DIR")
		}
		o.data = filepath.Join(home, ".local", "share", "civicdesk")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	a := app.NewWithID("cn.gov.xuzhou.civicdesk")
	phone := fyne.CurrentDevice().IsMobile()
	if o.policy == "" {
		o.policy = string(store.PolicyKiosk)
		if phone {
			o.policy = string(store.PolicyPersonal) // a resident's own device keeps their data
		}
	}
	st, err := store.Open(store.Options{Dir: o.data, Policy: store.Policy(o.policy)})
	if err != nil {
		return err
	}
	defer st.Close()
	if p := st.Recovered(); p != "" {
		log.Warn("the store file was unreadable; it was moved aside and a fresh store started", "moved_to", p)
	}

	demo := o.api == ""
	freshDemo := false
	if demo {
		dir := filepath.Join(o.data, "demo-central")
		_, statErr := os.Stat(filepath.Join(dir, "central.db"))
		freshDemo = statErr != nil
		url, srv, err := startDemoCentral(ctx, dir, o.demoEvery)
		if err != nil {
			return err
		}
		defer srv.Close()
		o.api = url
		if o.enrollCode, err = srv.MintEnrollCode(time.Hour); err != nil {
			return err
		}
		log.Info("demo: reference central API in-process", "addr", url, "every", o.demoEvery)
	}
	// The backend: the civicdesk central API (enrolled, with receipt
	// lookups), or an Open311 endpoint (--api open311+https://...).
	var backend engine.API
	var track func(ctx context.Context, tracking, code string) (wire.TrackResponse, error)
	if remote.IsOpen311(o.api) {
		b, err := remote.Open(o.api, st, remote.Options{UserAgent: "civicdesk"})
		if err != nil {
			return err
		}
		backend = b
	} else {
		cl, err := enrol(ctx, st, o, demo, freshDemo)
		if err != nil {
			return err
		}
		backend, track = cl, cl.Track
	}
	guard := staff.NewGuard(st, time.Now)
	if demo && !guard.HasPIN() {
		if err := guard.SetPIN(demoPIN); err != nil {
			return err
		}
		log.Info("demo: staff PIN set", "pin", demoPIN)
	}

	// Attachments may wait (the phone's data saver); form data never does.
	var attachments atomic.Pointer[func() bool]
	// The printer's state for the heartbeat, once the kiosk exists.
	var printerState atomic.Pointer[func() string]
	kind := "kiosk"
	if phone {
		kind = "phone"
	}
	var eng *engine.Engine
	eng = engine.New(st, backend, engine.Config{Logger: log, Hall: o.hallCode, NoticesCache: st, Attachments: func() bool {
		if f := attachments.Load(); f != nil {
			return (*f)()
		}
		return true
	}, Heartbeat: func() (wire.Heartbeat, bool) {
		printer := ""
		if f := printerState.Load(); f != nil {
			printer = (*f)()
		}
		return engine.HeartbeatFrom(eng.Status(), version, kind, freeDisk(o.data), printer, time.Now()), true
	}})
	go eng.Run(ctx)

	cat := newCatalogHolder(st, eng, log)
	loc := i18n.New()
	loc.SetLang(o.lang)
	d := &ui.Deps{
		Store:    st,
		Sync:     eng,
		Loc:      loc,
		Catalog:  cat.get,
		Now:      time.Now,
		Track:    track,
		TrackURL: ui.TrackLink,
	}

	// Tickets, ratings and feedback go only to a backend that takes them
	// (the central API); with another (Open311) the screens offer none, so
	// none waits on the device for ever.
	noInteractions := !takesInteractions(backend)
	if noInteractions {
		log.Info("the backend takes no queue tickets, ratings or feedback: the device offers none")
	}

	w := a.NewWindow("civicdesk")
	if phone {
		sh := mobile.New(d, mobile.Config{NoInteractions: noInteractions})
		allowed := sh.AttachmentsAllowed
		attachments.Store(&allowed)
		w.SetContent(sh.Object())
		sh.Attach(w)
		w.ShowAndRun()
		sh.Close()
		return nil
	}
	kcfg := kiosk.Config{IdleAfter: o.idle, Staff: guard, AttachDir: o.attachDir,
		KioskPrefix: o.prefix, HallCode: o.hallCode, Printer: o.printer, NoInteractions: noInteractions}
	if demo && kcfg.KioskPrefix == "" {
		kcfg.KioskPrefix = "1"
	}
	if demo && kcfg.Printer == "" {
		kcfg.Printer = filepath.Join(o.data, "demo-printer.escpos")
	}
	if kcfg.Paper, err = escpos.ParsePaper(o.paper); err != nil {
		return err
	}
	if err := kcfg.Check(); err != nil {
		return err
	}
	k := kiosk.New(d, kcfg)
	ps := k.PrinterState
	printerState.Store(&ps)
	w.SetContent(k.Object())
	k.Attach(w)
	if o.window {
		w.Resize(fyne.NewSize(720, 1280))
	} else {
		w.SetFullScreen(true)
		w.SetCloseIntercept(func() {}) // a kiosk is closed by staff, not by a resident
		a.Driver().SetDisableScreenBlanking(true)
	}
	w.ShowAndRun()
	k.Close()
	return nil
}

// takesInteractions reports whether api takes queue tickets, ratings and
// feedback: whether it is an engine.Interactor, as the sync engine checks
// before it sends them.
func takesInteractions(api engine.API) bool {
	_, ok := api.(engine.Interactor)
	return ok
}

// startDemoCentral runs the reference central API on 127.0.0.1 with demo
// status changes, for a kiosk that has no real API to talk to.
func startDemoCentral(ctx context.Context, dir string, every time.Duration) (string, *central.Server, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, err
	}
	srv, err := central.Open(central.Options{Path: filepath.Join(dir, "central.db")})
	if err != nil {
		return "", nil, err
	}
	if _, err := srv.SeedDemoNotice(); err != nil {
		srv.Close()
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return "", nil, err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	go srv.RunDemo(ctx, every)
	go func() { <-ctx.Done(); hs.Close() }()
	return "http://" + ln.Addr().String(), srv, nil
}

// enrol returns a client with the device's token, enrolling first when the
// device has none, when it was enrolled with another API, or when the demo's
// in-process API is new (its port changes at every start, its data does not).
func enrol(ctx context.Context, st *store.Store, o options, demo, freshDemo bool) (*client.Client, error) {
	tok, err := st.Secret(secretToken)
	if err != nil {
		return nil, err
	}
	api, _ := st.Meta(metaAPI)
	if freshDemo || (!demo && api != o.api) {
		tok = ""
	}
	cl, err := client.New(o.api, client.Options{Token: tok, UserAgent: "civicdesk-kiosk"})
	if err != nil {
		return nil, err
	}
	if tok != "" {
		return cl, nil
	}
	if o.enrollCode == "" {
		return nil, fmt.Errorf("this device is not enrolled with %s: pass --enroll-code CODE (ask the central API's operator for one)", o.api)
	}
	name, _ := os.Hostname()
	resp, err := cl.Enroll(ctx, wire.EnrollRequest{Code: o.enrollCode, DeviceName: name, Kind: "kiosk"})
	if err != nil {
		return nil, fmt.Errorf("enrolment with %s failed: %w", o.api, err)
	}
	for k, v := range map[string]string{metaAPI: cl.BaseURL(), metaDevice: resp.DeviceID} {
		if err := st.SetMeta(k, v); err != nil {
			return nil, err
		}
	}
	if err := st.SetSecret(secretToken, resp.Token); err != nil {
		return nil, err
	}
	cl.SetToken(resp.Token)
	return cl, nil
}

// catalogHolder keeps the catalog in use: the one cached from the central
// API, else the embedded one, reloaded when the engine fetches a new one.
type catalogHolder struct {
	st  *store.Store
	cur atomic.Pointer[catalog.Catalog]
}

func newCatalogHolder(st *store.Store, eng *engine.Engine, log *slog.Logger) *catalogHolder {
	h := &catalogHolder{st: st}
	h.reload(log)
	events, _ := eng.Subscribe(8)
	go func() {
		for ev := range events {
			if ev.Kind == engine.CatalogUpdated {
				h.reload(log)
			}
		}
	}()
	return h
}

func (h *catalogHolder) reload(log *slog.Logger) {
	c := catalog.Default()
	if _, body, err := h.st.CachedCatalog(); err == nil && len(body) > 0 {
		if cached, err := catalog.Decode(body); err == nil {
			c = cached
		} else {
			log.Warn("the cached catalog is unreadable; using the embedded one", "err", err)
		}
	}
	h.cur.Store(c)
}

func (h *catalogHolder) get() *catalog.Catalog { return h.cur.Load() }

// freeDisk is the space left for the store, in bytes (0 when unknown).
func freeDisk(dir string) int64 {
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		return 0
	}
	return int64(fs.Bavail) * int64(fs.Bsize)
}
