// Package central is the reference implementation of the civicdesk central API
// (real HTTP, bbolt storage) that clients sync with in the demo, tests and staging.
package central

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"civicdesk/app/catalog"
	"civicdesk/sync/wire"
)

// APIVersion is reported by the health endpoint.
const APIVersion = 1

// Defaults of Options.
const (
	DefaultMaxBody  = 8 << 20
	DefaultMaxItems = 500
	lockTimeout     = time.Second
)

// openAPIDoc is the OpenAPI 3 contract of the server, served at PathOpenAPI.
//
//go:embed openapi.json
var openAPIDoc []byte

// PathOpenAPI is where the OpenAPI document is served (no authentication).
const PathOpenAPI = "/v1/openapi.json"

// Options configure a Server.
type Options struct {
	Path     string           // bbolt file of the server (created if missing)
	Catalog  *catalog.Catalog // default catalog.Default()
	Clock    func() time.Time // default time.Now
	MaxBody  int64            // max request body after gzip decompression, default 8 MiB
	MaxItems int              // max items per submission or interactions batch, default 500
	Logger   *slog.Logger     // default discards; never logs personal data
	// StaleAfter: a device without a heartbeat for longer is listed as
	// stale; default DefaultStaleAfter (15 min).
	StaleAfter time.Duration
	// PartialTTL: a partial upload of an attachment that receives no chunk
	// for longer is deleted (its device starts again); default
	// DefaultPartialTTL (7 days).
	PartialTTL time.Duration
	// Limits of failed POST /v1/track attempts (a wrong verification code
	// or an unknown tracking number), kept in memory (see tracklimit.go):
	// TrackMaxFailures per tracking number and TrackDeviceMaxFailures per
	// device across all numbers, within a sliding TrackWindow; past them
	// the endpoint answers 429 with Retry-After. Zero or negative means the
	// default (DefaultTrackMaxFailures 10, DefaultTrackDeviceMaxFailures
	// 30, DefaultTrackWindow 1h).
	TrackMaxFailures       int
	TrackDeviceMaxFailures int
	TrackWindow            time.Duration
}

// Server is the central API: its storage and its HTTP handler.
type Server struct {
	db          *bolt.DB
	cat         *catalog.Catalog
	catalogJSON []byte
	catalogETag string
	clock       func() time.Time
	maxBody     int64
	maxItems    int
	staleAfter  time.Duration
	log         *slog.Logger
	closed      atomic.Bool
	handler     http.Handler
	uploads     uploadCounters
	// patchDone, when set (tests only), is called when a PATCH of a blob
	// has been handled, whatever its outcome.
	patchDone atomic.Pointer[func()]
	// partialTTL: how long a partial upload without a chunk is kept.
	partialTTL time.Duration
	// lastSweep is when the blob sweeps last ran (UnixNano of the clock).
	lastSweep atomic.Int64
	// trackLimit counts failed POST /v1/track attempts.
	trackLimit *attemptLimiter
}

// Open opens (or creates) the server's data file and prepares its handler.
func Open(o Options) (*Server, error) {
	if o.Path == "" {
		return nil, errors.New("central: Options.Path is empty: give the path of the server's data file")
	}
	s := &Server{cat: o.Catalog, clock: o.Clock, maxBody: o.MaxBody, maxItems: o.MaxItems, log: o.Logger, staleAfter: o.StaleAfter, partialTTL: o.PartialTTL}
	if s.cat == nil {
		s.cat = catalog.Default()
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBody
	}
	if s.maxItems <= 0 {
		s.maxItems = DefaultMaxItems
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.staleAfter <= 0 {
		s.staleAfter = DefaultStaleAfter
	}
	if s.partialTTL <= 0 {
		s.partialTTL = DefaultPartialTTL
	}
	s.trackLimit = newAttemptLimiter(positive(o.TrackMaxFailures, DefaultTrackMaxFailures),
		positive(o.TrackDeviceMaxFailures, DefaultTrackDeviceMaxFailures),
		positive(o.TrackWindow, DefaultTrackWindow), trackLimitEntries)
	b, err := json.Marshal(s.cat)
	if err != nil {
		return nil, fmt.Errorf("central: encode catalog: %w", err)
	}
	sum := sha256.Sum256(b)
	s.catalogJSON = b
	s.catalogETag = `"` + hex.EncodeToString(sum[:]) + `"`
	if dir := filepath.Dir(o.Path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("central: create data directory: %w", err)
		}
	}
	if s.db, err = openDB(o.Path); err != nil {
		return nil, err
	}
	if err := s.db.Update(adoptLegacyBlobs); err != nil {
		s.db.Close()
		return nil, err
	}
	if _, err := s.SweepPartialUploads(); err != nil {
		s.db.Close()
		return nil, err
	}
	if _, err := s.SweepUnreferencedBlobs(); err != nil {
		s.db.Close()
		return nil, err
	}
	s.handler = s.buildHandler()
	return s, nil
}

// positive returns v, or def when v is not positive.
func positive[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Close closes the data file. The handler answers 503 afterwards.
func (s *Server) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.db.Close()
}

// Handler returns the HTTP handler of the API.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) now() time.Time { return s.clock().UTC() }

func isTimeout(err error) bool { return errors.Is(err, berrors.ErrTimeout) }

// authKind says which bearer token an endpoint needs.
type authKind int

const (
	authNone authKind = iota
	authDevice
	authStaff
)

// caller is who made an authenticated request.
type caller struct {
	device string // device id, for authDevice
	staff  string // staff name, for authStaff
}

// route is one endpoint of the API.
type route struct {
	method string
	path   string // http.ServeMux path syntax
	auth   authKind
	handle func(w http.ResponseWriter, r *http.Request, c caller) error
}

// routes lists every endpoint the handler serves.
func (s *Server) routes() []route {
	return []route{
		{http.MethodGet, wire.PathHealth, authNone, s.handleHealth},
		{http.MethodGet, PathOpenAPI, authNone, s.handleOpenAPI},
		{http.MethodPost, wire.PathEnroll, authNone, s.handleEnroll},
		{http.MethodGet, wire.PathCatalog, authDevice, s.handleCatalog},
		{http.MethodPost, wire.PathSubmit, authDevice, s.handleSubmit},
		{http.MethodGet, wire.PathChanges, authDevice, s.handleChanges},
		{http.MethodPost, wire.PathTrack, authDevice, s.handleTrack},
		{http.MethodGet, wire.PathBackoffice, authStaff, s.handleBackofficeList},
		{http.MethodPost, wire.PathBackoffice + "/{tracking}/status", authStaff, s.handleBackofficeStatus},
		{http.MethodPost, wire.PathBlobs, authDevice, s.handleBlobCreate},
		{http.MethodHead, wire.PathBlobs + "/{sha256}", authDevice, s.handleBlobHead},
		{http.MethodPatch, wire.PathBlobs + "/{sha256}", authDevice, s.handleBlobPatch},
		{http.MethodGet, PathBackofficeBlobs + "/{sha256}", authStaff, s.handleBackofficeBlob},
		{http.MethodPost, wire.PathHeartbeat, authDevice, s.handleHeartbeat},
		{http.MethodGet, wire.PathBackofficeDevices, authStaff, s.handleBackofficeDevices},
		{http.MethodGet, wire.PathNotices, authDevice, s.handleNotices},
		{http.MethodPost, wire.PathBackofficeNotices, authStaff, s.handlePublishNotice},
		{http.MethodDelete, wire.PathBackofficeNotices + "/{id}", authStaff, s.handleWithdrawNotice},
		{http.MethodPost, wire.PathInteractions, authDevice, s.handleInteractions},
		{http.MethodGet, wire.PathBackofficeInteractions, authStaff, s.handleBackofficeInteractions},
		{http.MethodPost, wire.PathBackofficeInteractions + "/{id}/reply", authStaff, s.handleReply},
	}
}

// requestInfo collects what the access log may say about a request.
type requestInfo struct{ device string }

type infoKey struct{}

func (s *Server) buildHandler() http.Handler {
	mux := http.NewServeMux()
	allowed := map[string][]string{}
	var paths []string
	for _, rt := range s.routes() {
		mux.Handle(rt.method+" "+rt.path, s.endpoint(rt))
		if _, ok := allowed[rt.path]; !ok {
			paths = append(paths, rt.path)
		}
		allowed[rt.path] = append(allowed[rt.path], rt.method)
	}
	for _, p := range paths {
		methods := allowed[p]
		for _, m := range methods {
			if m == http.MethodGet {
				methods = append(methods, http.MethodHead)
				break
			}
		}
		sort.Strings(methods)
		allow := strings.Join(methods, ", ")
		tus := isTusPath(p)
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			if tus {
				w.Header().Set(wire.HeaderTusResumable, wire.TusVersion)
			}
			w.Header().Set("Allow", allow)
			writeError(w, errorf(http.StatusMethodNotAllowed, codeMethodNotAllowed,
				"method %s is not allowed on this path: use %s", clip(r.Method), allow))
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errUnknownPath())
	})
	return compressed(s.middleware(mux))
}

func errUnknownPath() error {
	return errorf(http.StatusNotFound, codeUnknownPath,
		"there is no such endpoint: see /v1/openapi.json for the paths of the API")
}

// endpoint wraps a route with its authentication.
func (s *Server) endpoint(rt route) http.Handler {
	tus := isTusPath(rt.path)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tus {
			w.Header().Set(wire.HeaderTusResumable, wire.TusVersion)
			if v := r.Header.Get(wire.HeaderTusResumable); v != "" && v != wire.TusVersion {
				w.Header().Set("Tus-Version", wire.TusVersion)
				writeError(w, errorf(http.StatusPreconditionFailed, codeUnsupportedVersion,
					"this server speaks tus %s only: send Tus-Resumable: %s", wire.TusVersion, wire.TusVersion))
				return
			}
		}
		var c caller
		if rt.auth != authNone {
			tok, ok := bearer(r)
			var err error
			switch rt.auth {
			case authDevice:
				if ok {
					c.device, err = s.deviceForToken(tok)
				}
				if err == nil && c.device == "" {
					err = errorf(http.StatusUnauthorized, codeUnauthorized,
						"this endpoint needs a device token: enrol the device (POST /v1/devices/enroll) and send Authorization: Bearer <token>")
				}
				if info, _ := r.Context().Value(infoKey{}).(*requestInfo); info != nil {
					info.device = c.device
				}
			case authStaff:
				if ok {
					c.staff, err = s.staffForToken(tok)
				}
				if err == nil && c.staff == "" {
					err = errorf(http.StatusUnauthorized, codeUnauthorized,
						"this endpoint needs a staff token: ask the operator to mint one (central --mint-staff NAME) and send Authorization: Bearer <token>")
				}
			}
			if err != nil {
				writeError(w, s.storageError(err))
				return
			}
		}
		if err := rt.handle(w, r, c); err != nil {
			writeError(w, s.storageError(err))
		}
	})
}

// storageError turns a storage failure into an answer the client can act on.
func (s *Server) storageError(err error) error {
	var ae *apiError
	if errors.As(err, &ae) {
		return err
	}
	if s.closed.Load() || errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return errorf(http.StatusServiceUnavailable, codeUnavailable, "the server is shutting down: try again later")
	}
	s.log.Error("storage failure", "err", err)
	return errorf(http.StatusInternalServerError, codeInternal, "the server could not read or write its data: try again later")
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const p = "bearer "
	if len(h) <= len(p) || !strings.EqualFold(h[:len(p)], p) {
		return "", false
	}
	return strings.TrimSpace(h[len(p):]), true
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (sr *statusRecorder) WriteHeader(code int) {
	if sr.status == 0 {
		sr.status = code
	}
	sr.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection.
func (sr *statusRecorder) Unwrap() http.ResponseWriter { return sr.ResponseWriter }

func (sr *statusRecorder) Write(b []byte) (int, error) {
	if sr.status == 0 {
		sr.status = http.StatusOK
	}
	return sr.ResponseWriter.Write(b)
}

// middleware recovers panics (500 JSON, input never echoed) and writes the
// access log: method, path pattern, status, duration and device id only.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{}
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panic", "method", r.Method, "pattern", r.Pattern, "stack", string(debug.Stack()))
				if rec.status == 0 {
					writeError(rec, errorf(http.StatusInternalServerError, codeInternal,
						"the server hit an internal error: try again later, and tell the operator if it persists"))
				}
			}
			s.log.Info("request", "method", r.Method, "pattern", r.Pattern, "status", rec.status,
				"duration", time.Since(start), "device", info.device)
		}()
		if p := r.URL.Path; p == "" || path.Clean(p) != p {
			// ServeMux would answer a 3xx redirect with a text body; no
			// path of the API is unclean, so say so in JSON.
			writeError(rec, errUnknownPath())
			return
		}
		next.ServeHTTP(rec, r)
	})
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request, _ caller) error {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, wire.Health{Service: wire.HealthService, OK: !s.closed.Load(), APIVersion: APIVersion, ServerTime: s.now()})
	return nil
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request, _ caller) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(openAPIDoc)
	return nil
}

func (s *Server) handleCatalog(w http.ResponseWriter, r *http.Request, _ caller) error {
	h := w.Header()
	h.Set("ETag", s.catalogETag)
	h.Set("Cache-Control", "no-cache")
	if etagMatch(r.Header.Get("If-None-Match"), s.catalogETag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.Write(s.catalogJSON)
	return nil
}

// etagMatch reports whether an If-None-Match header matches etag (weak comparison).
func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}
