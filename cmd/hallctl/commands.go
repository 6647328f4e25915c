package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/app/staff"
	"civicdesk/app/store"
	"civicdesk/sync/client"
	"civicdesk/sync/engine"
	"civicdesk/sync/remote"
	"civicdesk/sync/wire"
)

// Keys of the store's meta and secret records that hallctl owns.
const (
	metaAPI      = "api_url"
	metaDeviceID = "device_id"
	secretToken  = "device_token"
)

// out writes v as JSON with --json, else calls text.
func (g *globals) out(v any, text func(w io.Writer)) error {
	if g.json {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(g.stdout)
	return nil
}

// apiURL is --api, else the URL stored at enrolment.
func (g *globals) apiURL(s *store.Store) (string, error) {
	if g.api != "" {
		return g.api, nil
	}
	u, err := s.Meta(metaAPI)
	if err != nil {
		return "", err
	}
	if u == "" {
		return "", withCode(exitNotEnroled, "no central API configured: pass --api URL or run 'hallctl --api URL enroll --code CODE' first")
	}
	return u, nil
}

// newClient makes a civicdesk central API client with the device's token
// (enrolment and receipt lookups need the native API).
func (g *globals) newClient(s *store.Store, needToken bool) (*client.Client, error) {
	u, err := g.apiURL(s)
	if err != nil {
		return nil, err
	}
	if remote.IsOpen311(u) {
		return nil, withCode(exitUsage, "%v", remote.ErrNotNative)
	}
	tok, err := s.Secret(secretToken)
	if err != nil {
		return nil, err
	}
	if needToken && tok == "" {
		return nil, withCode(exitNotEnroled, "this device is not enrolled: ask the central API's operator for an enrolment code and run 'hallctl enroll --code CODE'")
	}
	return client.New(u, client.Options{Token: tok, UserAgent: "hallctl"})
}

// backend is what this device syncs with: the civicdesk central API (with
// the device token) or an Open311 endpoint (--api open311+https://...).
func (g *globals) backend(s *store.Store) (*remote.Backend, error) {
	u, err := g.apiURL(s)
	if err != nil {
		return nil, err
	}
	if remote.IsOpen311(u) {
		return remote.Open(u, s, remote.Options{UserAgent: "hallctl"})
	}
	c, err := g.newClient(s, true)
	if err != nil {
		return nil, err
	}
	return &remote.Backend{API: c, Native: c}, nil
}

// loadCatalog is the cached catalog from the last sync, else the embedded one.
func loadCatalog(s *store.Store) (*catalog.Catalog, string, error) {
	_, body, err := s.CachedCatalog()
	if err != nil {
		return nil, "", err
	}
	if len(body) == 0 {
		return catalog.Default(), "embedded", nil
	}
	c, err := catalog.Decode(body)
	if err != nil {
		return catalog.Default(), "embedded (the cached catalog is unreadable: " + err.Error() + ")", nil
	}
	return c, "cached from the central API", nil
}

// netErr turns a network failure into the offline exit code.
func netErr(err error, what string) error {
	if errors.Is(err, client.ErrOffline) || errors.Is(err, client.ErrCaptivePortal) || client.Retryable(err) {
		return withCode(exitOffline, "%s: %v", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func cmdEnroll(ctx context.Context, g *globals, args []string) error {
	fs := flag.NewFlagSet("enroll", flag.ContinueOnError)
	code := fs.String("code", "", "one-time enrolment code")
	name := fs.String("name", "", "device name shown to the back office")
	kind := fs.String("kind", "kiosk", "kiosk or phone")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *code == "" {
		return withCode(exitUsage, "--code is required: ask the central API's operator for a one-time enrolment code")
	}
	if *kind != "kiosk" && *kind != "phone" {
		return withCode(exitUsage, "--kind must be kiosk or phone")
	}
	if *name == "" {
		*name, _ = os.Hostname()
	}
	s, err := g.openStore(false)
	if err != nil {
		return err
	}
	defer s.Close()
	if g.api == "" {
		if u, _ := s.Meta(metaAPI); u == "" {
			return withCode(exitUsage, "--api URL is required the first time (the central API to enrol with)")
		}
	}
	c, err := g.newClient(s, false)
	if err != nil {
		return err
	}
	resp, err := c.Enroll(ctx, wire.EnrollRequest{Code: *code, DeviceName: *name, Kind: *kind})
	if err != nil {
		return netErr(err, "enrolment failed")
	}
	if err := s.SetSecret(secretToken, resp.Token); err != nil {
		return err
	}
	if err := s.SetMeta(metaAPI, c.BaseURL()); err != nil {
		return err
	}
	if err := s.SetMeta(metaDeviceID, resp.DeviceID); err != nil {
		return err
	}
	return g.out(map[string]string{"device_id": resp.DeviceID, "api": c.BaseURL()}, func(w io.Writer) {
		fmt.Fprintf(w, "enrolled as device %s with %s\n", resp.DeviceID, c.BaseURL())
	})
}

func cmdCatalog(ctx context.Context, g *globals, args []string) error {
	fs := flag.NewFlagSet("catalog", flag.ContinueOnError)
	refresh := fs.Bool("refresh", false, "fetch the catalog from the central API first")
	lang := fs.String("lang", catalog.LangZh, "language: zh-Hans or en")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	s, err := g.openStore(!*refresh)
	if err != nil {
		return err
	}
	defer s.Close()
	if *refresh {
		c, err := g.backend(s)
		if err != nil {
			return err
		}
		etag, _, err := s.CachedCatalog()
		if err != nil {
			return err
		}
		body, newTag, notModified, err := c.Catalog(ctx, etag)
		if err != nil {
			return netErr(err, "catalog refresh failed")
		}
		if !notModified {
			if _, err := catalog.Decode(body); err != nil {
				return fmt.Errorf("the central API sent a catalog this version cannot read (%v); the cached one was kept", err)
			}
			if err := s.PutCatalog(newTag, body); err != nil {
				return err
			}
		}
	}
	cat, source, err := loadCatalog(s)
	if err != nil {
		return err
	}
	if code := fs.Arg(0); code != "" {
		svc, ok := cat.Service(code)
		if !ok {
			return withCode(exitUsage, "no service %q in the catalog; run 'hallctl catalog' for the list", code)
		}
		return g.out(svc, func(w io.Writer) { printService(w, svc, *lang) })
	}
	return g.out(cat, func(w io.Writer) {
		fmt.Fprintf(w, "catalog %s (%s), %d services\n", cat.Version, source, len(cat.Services))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CODE\tVERSION\tFIELDS\tNAME")
		for _, svc := range cat.Services {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", svc.Code, svc.Version, len(svc.Form.Fields), svc.Name.In(*lang))
		}
		tw.Flush()
	})
}

func printService(w io.Writer, svc *catalog.Service, lang string) {
	fmt.Fprintf(w, "%s (v%d): %s\n%s\n", svc.Code, svc.Version, svc.Name.In(lang), svc.Description.In(lang))
	fmt.Fprintf(w, "department: %s\nprocessing time: %s\nfee: %s\nin person: %v\n", svc.Department.In(lang), svc.ProcessingTime.In(lang), svc.Fee.In(lang), svc.InPerson)
	fmt.Fprintln(w, "materials:")
	for _, m := range svc.Materials {
		fmt.Fprintf(w, "  - %s\n", m.In(lang))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FIELD\tTYPE\tREQUIRED\tSHOWN IF\tLABEL")
	for _, f := range svc.Form.Fields {
		cond := ""
		if f.ShowIf != nil {
			cond = f.ShowIf.Field + "=" + f.ShowIf.Value
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\n", f.Name, f.Type, f.Required, cond, f.Label.In(lang))
	}
	tw.Flush()
}

// submission is the JSON hallctl submit reads.
type submission struct {
	ID      string         `json:"id,omitempty"`
	Service string         `json:"service"`
	Values  catalog.Values `json:"values"`
	// Files maps attachment fields to file paths, relative to the JSON file.
	Files   map[string]string `json:"files,omitempty"`
	StaffID string            `json:"staff_id,omitempty"`
}

func cmdSubmit(ctx context.Context, g *globals, args []string) error {
	fs := flag.NewFlagSet("submit", flag.ContinueOnError)
	staff := fs.String("staff", "", "staff member's id for an assisted application")
	syncNow := fs.Bool("sync", false, "try to send it right away")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var in io.Reader = g.stdin
	base := "."
	if p := fs.Arg(0); p != "" && p != "-" {
		f, err := os.Open(p)
		if err != nil {
			return withCode(exitUsage, "cannot read the application file: %v", err)
		}
		defer f.Close()
		in, base = f, filepath.Dir(p)
	}
	var sub submission
	dec := json.NewDecoder(io.LimitReader(in, 32<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sub); err != nil {
		return withCode(exitInvalid, "the application is not valid JSON of the form {\"service\": CODE, \"values\": {...}}: %v", err)
	}
	if *staff != "" {
		sub.StaffID = *staff
	}
	s, err := g.openStore(false)
	if err != nil {
		return err
	}
	defer s.Close()
	cat, _, err := loadCatalog(s)
	if err != nil {
		return err
	}
	svc, ok := cat.Service(sub.Service)
	if !ok {
		return withCode(exitInvalid, "no service %q in the catalog; run 'hallctl catalog' for the list", sub.Service)
	}
	if sub.Values == nil {
		sub.Values = catalog.Values{}
	}
	atts, err := readAttachments(base, sub.Files, sub.Values)
	if err != nil {
		return err
	}
	if errs := catalog.Validate(svc, sub.Values); len(errs) > 0 {
		_ = g.out(map[string]any{"errors": errs}, func(w io.Writer) {
			for _, e := range errs {
				fmt.Fprintf(w, "  %s: %s (%s)\n", e.Field, e.Message, e.Code)
			}
		})
		return withCode(exitInvalid, "the application has %d problem(s); fix the fields listed and submit again. Nothing was queued", len(errs))
	}
	app, err := s.Submit(store.NewApplication{ID: sub.ID, Service: svc.Code, ServiceVersion: svc.Version,
		Values: sub.Values, Attachments: atts, StaffID: sub.StaffID})
	if err != nil {
		return fmt.Errorf("could not queue the application: %w", err)
	}
	if err := g.out(map[string]string{"id": app.ID, "state": string(app.State)}, func(w io.Writer) {
		fmt.Fprintf(w, "queued %s (%s); it will be sent on the next sync\n", app.ID, svc.Code)
	}); err != nil {
		return err
	}
	if *syncNow {
		return syncOnce(ctx, g, s)
	}
	return nil
}

// readAttachments reads the files named in files and puts their references
// into values. Types come from the content, not the file name.
func readAttachments(base string, files map[string]string, values catalog.Values) ([]store.Attachment, error) {
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	sort.Strings(names)
	var atts []store.Attachment
	for _, field := range names {
		p := files[field]
		if !filepath.IsAbs(p) {
			p = filepath.Join(base, p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, withCode(exitInvalid, "attachment for field %q: %v", field, err)
		}
		sum := sha256.Sum256(data)
		ref := catalog.AttachmentRef{Name: filepath.Base(p), Type: http.DetectContentType(data),
			Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
		values[field] = ref
		atts = append(atts, store.Attachment{Field: field, Ref: ref, Data: data})
	}
	return atts, nil
}

func cmdQueue(ctx context.Context, g *globals, args []string) error {
	fs := flag.NewFlagSet("queue", flag.ContinueOnError)
	state := fs.String("state", "", "only this state (queued, sent, needs_attention, conflict, ...)")
	all := fs.Bool("all", false, "list every application, not only those waiting or needing attention")
	limit := fs.Int("limit", 50, "list at most N rows (0: no limit)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *state != "" && !lifecycle.Status(*state).Valid() {
		return withCode(exitUsage, "unknown state %q; states are %v", *state, lifecycle.All)
	}
	s, err := g.openStore(true)
	if err != nil {
		return err
	}
	defer s.Close()
	now := time.Now()
	counts := map[lifecycle.Status]int{}
	var rows []store.Summary
	var oldest time.Time
	err = s.ForEach(func(sm store.Summary) error {
		counts[sm.State]++
		if sm.State == lifecycle.Queued && (oldest.IsZero() || sm.CreatedAt.Before(oldest)) {
			oldest = sm.CreatedAt
		}
		show := *all || sm.State == lifecycle.Queued || sm.State == lifecycle.NeedsAttention || sm.State == lifecycle.Conflict
		if *state != "" {
			show = sm.State == lifecycle.Status(*state)
		}
		if show && (*limit == 0 || len(rows) < *limit) {
			rows = append(rows, sm)
		}
		return nil
	})
	if err != nil {
		return err
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	// Tickets, ratings and feedback wait in their own queue.
	inter, err := s.InteractionStats()
	if err != nil {
		return err
	}
	type row struct {
		store.Summary
		AgeSeconds int64 `json:"age_seconds"`
	}
	jrows := make([]row, len(rows))
	for i, r := range rows {
		jrows[i] = row{r, int64(now.Sub(r.CreatedAt).Seconds())}
	}
	return g.out(map[string]any{"total": total, "counts": counts, "rows": jrows,
		"interactions_waiting": inter.Count, "interactions_oldest": inter.Oldest}, func(w io.Writer) {
		fmt.Fprintf(w, "%d applications:", total)
		for _, st := range lifecycle.All {
			if counts[st] > 0 {
				fmt.Fprintf(w, " %s %d", st, counts[st])
			}
		}
		fmt.Fprintln(w)
		if !oldest.IsZero() {
			fmt.Fprintf(w, "oldest waiting: %s\n", age(now, oldest))
		}
		if inter.Count > 0 {
			fmt.Fprintf(w, "%d tickets, ratings and feedback waiting, the oldest %s\n", inter.Count, age(now, inter.Oldest))
		}
		if len(rows) == 0 {
			return
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSERVICE\tSTATE\tAGE\tTRIES\tTRACKING\tLAST ERROR")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.ID, r.Service, r.State, age(now, r.CreatedAt), r.Attempts, r.Tracking, r.LastError)
		}
		tw.Flush()
		if *limit > 0 && len(rows) == *limit {
			fmt.Fprintf(w, "(first %d rows; --limit 0 for all)\n", *limit)
		}
	})
}

// age prints a duration the way staff read it: 3m, 2h5m, 4d3h.
func age(now, t time.Time) string {
	d := now.Sub(t)
	if d < 0 {
		return "0s"
	}
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m"
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}

func cmdSync(ctx context.Context, g *globals, args []string) error {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	watch := fs.Bool("watch", false, "keep syncing and print what happens, until interrupted")
	interval := fs.Duration("interval", 30*time.Second, "time between syncs with --watch")
	forDur := fs.Duration("for", 0, "with --watch, stop after this long")
	fs.BoolVar(&g.noAttachments, "no-attachments", false, "data saver: send form data only; attachments wait for a sync without this flag")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	s, err := g.openStore(false)
	if err != nil {
		return err
	}
	defer s.Close()
	if !*watch {
		return syncOnce(ctx, g, s)
	}
	b, err := g.backend(s)
	if err != nil {
		return err
	}
	eng := engine.New(s, b, g.engineConfig(*interval))
	if *forDur > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *forDur)
		defer cancel()
	}
	events, cancel := eng.Subscribe(64)
	defer cancel()
	p := &eventPrinter{g: g}
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	for {
		select {
		case ev := <-events:
			p.print(ev)
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			return nil
		}
	}
}

// eventPrinter prints what a person watching a sync wants to see: what
// happened to applications, and when the device goes on- or offline.
type eventPrinter struct {
	g         *globals
	lastState engine.State
}

func (p *eventPrinter) print(ev engine.Event) {
	g := p.g
	ts := time.Now().Format("15:04:05")
	if g.json {
		_ = json.NewEncoder(g.stdout).Encode(map[string]any{"time": ts, "event": ev})
		return
	}
	switch ev.Kind {
	case engine.StatusChanged:
		st := ev.Status
		if st.State == engine.Syncing || st.State == p.lastState {
			return
		}
		p.lastState = st.State
		line := fmt.Sprintf("%s  %s, %d waiting", ts, st.State, st.Pending)
		if st.LastError != "" {
			line += "; last error: " + st.LastError
		}
		fmt.Fprintln(g.stdout, line)
	case engine.SyncFinished:
		if r := ev.Report; r != nil && r.Sent > 0 {
			fmt.Fprintf(g.stdout, "%s  sent %d, accepted %d, %d waiting\n", ts, r.Sent, r.Accepted, ev.Status.Pending)
		}
	case engine.CatalogUpdated:
		fmt.Fprintf(g.stdout, "%s  catalog updated\n", ts)
	default:
		line := fmt.Sprintf("%s  %s %s: %s", ts, ev.ID, ev.Tracking, ev.AppStatus)
		if n := ev.Note.In(catalog.LangEn); n != "" {
			line += " (" + n + ")"
		}
		if ev.Message != "" {
			line += ": " + ev.Message
		}
		fmt.Fprintln(g.stdout, line)
	}
}

// engineConfig is the sync engine's configuration for this command line.
func (g *globals) engineConfig(interval time.Duration) engine.Config {
	cfg := engine.Config{Interval: interval}
	if g.noAttachments {
		cfg.Attachments = func() bool { return false }
	}
	return cfg
}

// syncOnce runs one full sync and prints the report.
func syncOnce(ctx context.Context, g *globals, s *store.Store) error {
	b, err := g.backend(s)
	if err != nil {
		return err
	}
	eng := engine.New(s, b, g.engineConfig(0))
	rep, err := eng.SyncOnce(ctx)
	st := eng.Status()
	if err != nil {
		_ = g.out(map[string]any{"report": rep, "status": st, "error": err.Error()}, func(io.Writer) {})
		return netErr(err, fmt.Sprintf("sync did not finish; %d application(s) stay queued and will be sent on the next sync", st.Pending))
	}
	return g.out(map[string]any{"report": rep, "status": st}, func(w io.Writer) {
		fmt.Fprintf(w, "sent %d (accepted %d, already there %d, refused %d, conflicts %d, to retry %d); %d status change(s) pulled; %d waiting\n",
			rep.Sent, rep.Accepted, rep.Duplicates, rep.Refused, rep.Conflicts, rep.Transient, rep.Changes, st.Pending)
		if rep.BlobsUploaded > 0 || rep.Waiting > 0 {
			fmt.Fprintf(w, "attachments: %d uploaded (%d bytes sent); %d application(s) wait for their attachments\n",
				rep.BlobsUploaded, rep.BlobBytes, rep.Waiting)
		}
		if rep.CatalogUpdated {
			fmt.Fprintln(w, "catalog updated")
		}
	})
}

// findApp finds an application by id or tracking number.
func findApp(s *store.Store, key string) (store.Application, error) {
	if app, err := s.Get(key); err == nil {
		return app, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.Application{}, err
	}
	id := ""
	errFound := errors.New("found")
	err := s.ForEach(func(sm store.Summary) error {
		if sm.Tracking == key {
			id = sm.ID
			return errFound
		}
		return nil
	})
	if err != nil && !errors.Is(err, errFound) {
		return store.Application{}, err
	}
	if id == "" {
		return store.Application{}, withCode(exitError, "no application with id or tracking number %q on this device; 'hallctl queue --all' lists them", key)
	}
	return s.Get(id)
}

func cmdStatus(ctx context.Context, g *globals, args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	local := fs.Bool("local", false, "do not ask the central API")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return withCode(exitUsage, "give one tracking number or application id")
	}
	s, err := g.openStore(true)
	if err != nil {
		return err
	}
	defer s.Close()
	app, err := findApp(s, fs.Arg(0))
	if err != nil {
		return err
	}
	var remote *wire.TrackResponse
	remoteErr := ""
	if !*local && app.Tracking != "" && app.VerificationCode != "" {
		if c, err := g.newClient(s, true); err == nil {
			tr, err := c.Track(ctx, app.Tracking, app.VerificationCode)
			if err == nil {
				remote = &tr
			} else {
				remoteErr = err.Error()
			}
		}
	}
	type view struct {
		ID, Service, Tracking, VerificationCode string
		State                                   lifecycle.Status
		History                                 []store.Transition
		Server                                  *wire.TrackResponse `json:",omitempty"`
		ServerError                             string              `json:",omitempty"`
		FieldErrors                             []catalog.FieldError
		LastError                               string
	}
	v := view{app.ID, app.Service, app.Tracking, app.VerificationCode, app.State, app.History, remote, remoteErr, app.FieldErrors, app.LastError}
	return g.out(v, func(w io.Writer) {
		fmt.Fprintf(w, "application %s (%s)\nstate: %s\n", app.ID, app.Service, app.State)
		if app.Tracking != "" {
			fmt.Fprintf(w, "tracking number: %s  verification code: %s\n", app.Tracking, app.VerificationCode)
		}
		for _, e := range app.FieldErrors {
			fmt.Fprintf(w, "  problem: %s %s (%s)\n", e.Field, e.Message, e.Code)
		}
		if app.LastError != "" {
			fmt.Fprintf(w, "last error: %s\n", app.LastError)
		}
		fmt.Fprintln(w, "history (this device):")
		for _, t := range app.History {
			fmt.Fprintf(w, "  %s  %-16s (%s)\n", t.At.Local().Format("2006-01-02 15:04:05"), t.To, t.Source)
		}
		if remote != nil {
			fmt.Fprintf(w, "central API says: %s\n", remote.Status)
			for _, h := range remote.History {
				fmt.Fprintf(w, "  %s  %-16s %s\n", h.At.Local().Format("2006-01-02 15:04:05"), h.Status, h.Note.In(catalog.LangEn))
			}
		} else if remoteErr != "" {
			fmt.Fprintf(w, "(could not ask the central API: %s)\n", remoteErr)
		}
	})
}

func cmdRetry(ctx context.Context, g *globals, args []string) error {
	fs := flag.NewFlagSet("retry", flag.ContinueOnError)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return withCode(exitUsage, "give the id of one application that needs attention")
	}
	s, err := g.openStore(false)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Retry(fs.Arg(0)); err != nil {
		return err
	}
	return g.out(map[string]string{"id": fs.Arg(0), "state": string(lifecycle.Queued)}, func(w io.Writer) {
		fmt.Fprintf(w, "%s queued again\n", fs.Arg(0))
	})
}

func cmdExport(ctx context.Context, g *globals, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	outPath := fs.String("out", "", "write to this file instead of standard output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	s, err := g.openStore(true)
	if err != nil {
		return err
	}
	defer s.Close()
	w := g.stdout
	if *outPath != "" {
		f, err := os.OpenFile(*outPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "service", "state", "tracking", "created_at", "accepted_at", "updated_at", "staff_id"})
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	n := 0
	err = s.ForEach(func(sm store.Summary) error {
		n++
		return cw.Write([]string{sm.ID, sm.Service, string(sm.State), sm.Tracking, ts(sm.CreatedAt), ts(sm.AcceptedAt), ts(sm.UpdatedAt), sm.StaffID})
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	if err != nil {
		return err
	}
	if *outPath != "" {
		fmt.Fprintf(g.stderr, "exported %d receipts to %s\n", n, *outPath)
	}
	return nil
}

func cmdPurge(ctx context.Context, g *globals, args []string) error {
	fs := flag.NewFlagSet("purge", flag.ContinueOnError)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	s, err := g.openStore(false)
	if err != nil {
		return err
	}
	defer s.Close()
	n, err := s.PurgeAccepted()
	if err != nil {
		return err
	}
	return g.out(map[string]int{"purged": n}, func(w io.Writer) {
		fmt.Fprintf(w, "deleted the personal data of %d accepted application(s); their receipts stay\n", n)
	})
}

// check is one line of the doctor's report.
type check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

func cmdDoctor(ctx context.Context, g *globals, args []string) error {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var checks []check
	add := func(name string, ok bool, format string, a ...any) {
		checks = append(checks, check{name, ok, fmt.Sprintf(format, a...)})
	}
	s, err := g.openStore(true)
	if err != nil {
		add("store", false, "%v", err)
	} else {
		defer s.Close()
		add("store", true, "%s (schema %d, policy %s)", s.Path(), s.SchemaVersion(), s.Policy())
		if err := s.Check(); err != nil {
			add("integrity and key", false, "%v", err)
		} else {
			add("integrity and key", true, "every record readable with this key")
		}
		if st, err := s.Stats(); err == nil {
			detail := fmt.Sprintf("%d waiting, %d bytes", st.Count, st.Bytes)
			if !st.Oldest.IsZero() {
				detail += ", oldest " + age(time.Now(), st.Oldest)
			}
			add("queue", true, "%s", detail)
		}
		doctorNetwork(ctx, g, s, add)
	}
	failed := 0
	for _, c := range checks {
		if !c.OK {
			failed++
		}
	}
	_ = g.out(checks, func(w io.Writer) {
		for _, c := range checks {
			mark := "ok  "
			if !c.OK {
				mark = "FAIL"
			}
			fmt.Fprintf(w, "%s %-18s %s\n", mark, c.Name, c.Detail)
		}
	})
	if failed > 0 {
		return withCode(exitUnhealthy, "%d check(s) failed", failed)
	}
	return nil
}

func doctorNetwork(ctx context.Context, g *globals, s *store.Store, add func(string, bool, string, ...any)) {
	u, err := g.apiURL(s)
	if err != nil {
		add("central API", false, "%v", err)
		return
	}
	var health func(context.Context) (wire.Health, error)
	base := u
	if remote.IsOpen311(u) {
		b, err := remote.Open(u, s, remote.Options{UserAgent: "hallctl"})
		if err != nil {
			add("Open311 endpoint", false, "%v", err)
			return
		}
		health = b.Health
	} else {
		c, err := g.newClient(s, false)
		if err != nil {
			add("central API", false, "%v", err)
			return
		}
		base, health = c.BaseURL(), c.Health
		tok, _ := s.Secret(secretToken)
		add("enrolment", tok != "", "%s", map[bool]string{true: "device token present", false: "not enrolled: run 'hallctl enroll --code CODE'"}[tok != ""])
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	h, err := health(ctx)
	switch {
	case errors.Is(err, client.ErrCaptivePortal):
		add("connectivity", false, "%s answers, but not as the central API: a captive portal or proxy is in the way (log in to the network, or check the URL)", base)
	case err != nil:
		add("connectivity", false, "%s not reachable: %v", base, err)
	default:
		skew := time.Until(h.ServerTime).Round(time.Second)
		add("connectivity", true, "%s answers (API v%d)", base, h.APIVersion)
		ok := skew < 5*time.Minute && skew > -5*time.Minute
		add("clock", ok, "server clock minus device clock: %s%s", skew, map[bool]string{true: "", false: " (statuses use server time, but fix the device clock)"}[ok])
	}
}

func cmdStaffPIN(ctx context.Context, g *globals, args []string) error {
	fs := flag.NewFlagSet("staff-pin", flag.ContinueOnError)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	line, err := bufio.NewReader(io.LimitReader(g.stdin, 256)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	pin := trimSpace(line)
	if err := staff.ValidPIN(pin); err != nil {
		return withCode(exitUsage, "%v", err)
	}
	s, err := g.openStore(false)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := staff.NewGuard(s, time.Now).SetPIN(pin); err != nil {
		return err
	}
	return g.out(map[string]bool{"pin_set": true}, func(w io.Writer) {
		fmt.Fprintln(w, "staff PIN set (stored hashed); staff mode on this kiosk now asks for it")
	})
}
