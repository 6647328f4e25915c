package open311

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"civicdesk/sync/wire"
)

// Config configures a Backend.
type Config struct {
	// Endpoint is the GeoReport v2 base URL, ending in "/" (one is added
	// when missing), e.g. https://city.example/open311/v2/.
	Endpoint string
	// JurisdictionID is sent with every request when set (needed only where
	// one endpoint serves several jurisdictions).
	JurisdictionID string
	// APIKey is sent with every POST as api_key when set (never in URLs).
	APIKey string
	// Format is "json" (default) or "xml". Discovery may switch it to what
	// the server offers.
	Format string
	// HTTPClient defaults to a client with a 30 s timeout.
	HTTPClient *http.Client
	// State is required: what the adapter remembers across runs.
	State State
	// Clock is the device clock, default time.Now.
	Clock func() time.Time
	// Lang is the language the city's texts are in ("zh-Hans", "en", ...).
	// Its texts go to both catalog languages; Lang is sent as
	// Accept-Language when set.
	Lang string
	// Logger defaults to discarding. Bodies and form values are never logged.
	Logger *slog.Logger

	// TokenPolls is how many times Submit asks tokens/{token} for the id of
	// a request answered with a token (default 3; negative: none). The
	// Changes pull resolves the tokens still open later.
	TokenPolls int
	// TokenWait is the wait between two polls (default 1 s).
	TokenWait time.Duration
	// After is the timer the token polls wait on, default time.After;
	// tests inject one that fires at once.
	After func(time.Duration) <-chan time.Time
}

// Defaults.
const (
	DefaultTokenPolls = 3
	DefaultTokenWait  = time.Second
	// MaxBatchIDs is how many ids one GET requests asks for.
	MaxBatchIDs = 50
	// MaxDescription is the spec's limit on the description of a request.
	MaxDescription = 4000
	// maxBody bounds what is read of one answer.
	maxBody = 16 << 20
	// maxLookupPages bounds the pages read when looking for a request.
	maxLookupPages = 20
	lookupPageSize = 100
)

// Backend speaks Open311 GeoReport v2 to one city's server with the sync
// engine's interface (engine.API). It is safe for concurrent use.
type Backend struct {
	cfg  Config
	hc   *http.Client
	log  *slog.Logger
	base *url.URL // configured endpoint

	mu         sync.Mutex
	discovered bool     // discovery was read (or found absent)
	api        *url.URL // endpoint in use (discovery may pick another)
	format     string   // json or xml
	formatOK   bool     // a GET in the format in use has succeeded
	skew       time.Duration
	haveSkew   bool
	submitMu   sync.Mutex // one Submit at a time: markers and lookups stay consistent

	// What the last Changes answer reported, stored in State when the
	// engine comes back with its cursor.
	cursorSeq     uint64
	pendingCursor string
	pendingSeen   map[string]seenRecord
}

// New checks cfg and returns a Backend. It does no I/O.
func New(cfg Config) (*Backend, error) {
	raw := strings.TrimSpace(cfg.Endpoint)
	if raw != "" && !strings.HasSuffix(raw, "/") {
		raw += "/"
	}
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return nil, fmt.Errorf("%w: no endpoint: give the GeoReport v2 base URL, e.g. https://city.example/open311/v2/", ErrConfig)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "":
		return nil, fmt.Errorf("%w: the endpoint is not an http(s) URL: give one like https://city.example/open311/v2/", ErrConfig)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("%w: the endpoint must not carry a user, query or fragment", ErrConfig)
	}
	cfg.Format = strings.ToLower(strings.TrimSpace(cfg.Format))
	switch cfg.Format {
	case "":
		cfg.Format = "json"
	case "json", "xml":
	default:
		return nil, fmt.Errorf("%w: format must be json or xml", ErrConfig)
	}
	if cfg.State == nil {
		return nil, fmt.Errorf("%w: no State to remember submissions in", ErrConfig)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.TokenPolls == 0 {
		cfg.TokenPolls = DefaultTokenPolls
	}
	if cfg.TokenWait <= 0 {
		cfg.TokenWait = DefaultTokenWait
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Backend{cfg: cfg, hc: hc, log: cfg.Logger, base: u, api: u, format: cfg.Format}, nil
}

// Endpoint returns the base URL in use and the format (after discovery).
func (b *Backend) Endpoint() (string, string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.api.String(), b.format
}

// answer is one HTTP answer, read whole.
type answer struct {
	status int
	body   []byte
	header http.Header
	date   time.Time // the Date header, zero when missing
}

// serverNow is the server's time per the answer's Date header, or the
// device clock corrected by the last known skew.
func (b *Backend) serverNow(a answer) time.Time {
	if !a.date.IsZero() {
		return a.date.UTC()
	}
	b.mu.Lock()
	skew := b.skew
	b.mu.Unlock()
	return b.cfg.Clock().Add(skew).UTC()
}

// url builds the URL of a resource in the format in use, from its path
// segments (raw: "services", code), with jurisdiction_id and the query q.
func (b *Backend) url(q url.Values, segs ...string) string {
	b.mu.Lock()
	format := b.format
	b.mu.Unlock()
	return b.urlIn(format, q, segs...)
}

// tryXML reports whether a 404 should be asked again in XML: the format in
// use is JSON and no JSON answer has succeeded yet.
func (b *Backend) tryXML() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.format == "json" && !b.formatOK
}

// urlIn is url in the given format.
func (b *Backend) urlIn(format string, q url.Values, segs ...string) string {
	b.mu.Lock()
	base := b.api
	b.mu.Unlock()
	if q == nil {
		q = url.Values{}
	}
	if b.cfg.JurisdictionID != "" {
		q.Set("jurisdiction_id", b.cfg.JurisdictionID)
	}
	escaped := make([]string, len(segs))
	for i, s := range segs {
		escaped[i] = url.PathEscape(s)
	}
	u := *base
	u.Path = strings.TrimSuffix(base.Path, "/") + "/" + strings.Join(segs, "/") + "." + format
	u.RawPath = strings.TrimSuffix(base.EscapedPath(), "/") + "/" + strings.Join(escaped, "/") + "." + format
	u.RawQuery = q.Encode()
	return u.String()
}

// do sends one request and reads the answer whole. Transport failures and
// a connection cut while reading wrap ErrOffline; the caller's
// cancellation is returned as the context's error.
func (b *Backend) do(ctx context.Context, op, method, target string, form []byte) (answer, error) {
	var body io.Reader
	if form != nil {
		body = bytes.NewReader(form)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return answer{}, fmt.Errorf("Open311 %s: %w: cannot build the request", op, ErrConfig)
	}
	req.Header.Set("User-Agent", "civicdesk-open311/1")
	req.Header.Set("Accept", "application/json, text/xml;q=0.9, application/xml;q=0.9, */*;q=0.1")
	if b.cfg.Lang != "" {
		req.Header.Set("Accept-Language", b.cfg.Lang)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		return answer{}, b.netError(ctx, op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return answer{}, b.netError(ctx, op, err)
	}
	if len(data) > maxBody {
		return answer{}, fmt.Errorf("Open311 %s: %w: the answer is larger than %d MiB", op, ErrUnreadable, maxBody>>20)
	}
	a := answer{status: resp.StatusCode, body: data, header: resp.Header}
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		a.date = d
		b.mu.Lock()
		b.skew, b.haveSkew = d.Sub(b.cfg.Clock()), true
		b.mu.Unlock()
	}
	return a, nil
}

func (b *Backend) netError(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("Open311 %s: %w", op, ctxErr)
	}
	var ne net.Error
	kind := "the connection failed"
	if errors.As(err, &ne) && ne.Timeout() {
		kind = "timed out"
	}
	return fmt.Errorf("Open311 %s: %s: %w", op, kind, ErrOffline)
}

// isHTML reports a captive portal's (or a proxy's) page.
func isHTML(a answer) bool {
	ct := strings.ToLower(a.header.Get("Content-Type"))
	return strings.HasPrefix(ct, "text/html") || LooksLikeHTML(a.body)
}

// get fetches resource and returns the answer of a 2xx; other statuses
// give a *statusError (ErrForbidden, ErrNotFound, ErrServer), an HTML 2xx
// gives ErrCaptivePortal.
func (b *Backend) get(ctx context.Context, op string, q url.Values, segs ...string) (answer, error) {
	if err := b.discover(ctx); err != nil {
		return answer{}, err
	}
	a, err := b.do(ctx, op, http.MethodGet, b.url(q, segs...), nil)
	if err != nil {
		return a, err
	}
	if a.status == http.StatusNotFound && b.tryXML() {
		// XML is the spec's mandatory format, JSON optional: a server that
		// has never answered in JSON and says 404 may speak only XML.
		x, err := b.do(ctx, op, http.MethodGet, b.urlIn("xml", q, segs...), nil)
		if err != nil {
			return x, err
		}
		if x.status != http.StatusNotFound {
			b.mu.Lock()
			b.format = "xml"
			b.mu.Unlock()
			b.log.Info("open311: the server answers JSON with 404 and XML without: using XML")
			a = x
		}
	}
	if a.status >= 200 && a.status <= 299 && !isHTML(a) {
		b.mu.Lock()
		b.formatOK = true
		b.mu.Unlock()
	}
	if a.status < 200 || a.status > 299 {
		return a, newStatusError(op, a.status)
	}
	if isHTML(a) {
		return a, fmt.Errorf("Open311 %s: %w", op, ErrCaptivePortal)
	}
	return a, nil
}

// discover reads discovery.{fmt} once (in the preferred format, then in
// the other). Its absence (any non-2xx, an
// unreadable body) is fine and remembered; a network failure is returned
// and discovery is tried again next time. When the document lists a
// GeoReport v2 endpoint on the configured host (see pickEndpoint), that
// endpoint is used and its formats pick the format when the configured
// one is not offered.
func (b *Backend) discover(ctx context.Context) error {
	b.mu.Lock()
	done := b.discovered
	b.mu.Unlock()
	if done {
		return nil
	}
	var a answer
	for _, format := range []string{b.cfg.Format, other(b.cfg.Format)} {
		u := *b.base
		u.Path = strings.TrimSuffix(b.base.Path, "/") + "/discovery." + format
		u.RawPath = ""
		var err error
		if a, err = b.do(ctx, "discovery", http.MethodGet, u.String(), nil); err != nil {
			return err
		}
		if a.status >= 200 && a.status <= 299 && !isHTML(a) {
			break
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.discovered = true
	if a.status < 200 || a.status > 299 || isHTML(a) {
		b.log.Debug("open311: no discovery document", "status", a.status)
		return nil
	}
	d, err := DecodeDiscovery(a.body)
	if err != nil {
		b.log.Info("open311: discovery document unreadable, using the configured endpoint")
		return nil
	}
	ep, ok := pickEndpoint(d, b.base)
	if !ok {
		return nil
	}
	if eu, err := url.Parse(ep.URL); err == nil {
		if !strings.HasSuffix(eu.Path, "/") {
			eu.Path += "/"
			eu.RawPath = ""
		}
		b.api = eu
	}
	b.format = pickFormat(ep.Formats, b.cfg.Format)
	b.log.Debug("open311: discovery read", "endpoint", b.api.Redacted(), "format", b.format)
	return nil
}

// pickEndpoint chooses the GeoReport v2 endpoint to use from a discovery
// document: the configured one when listed, else a production one on the
// same host, else any on the same host. It never moves to another host:
// the api_key goes only where the settings say.
func pickEndpoint(d Discovery, configured *url.URL) (Endpoint, bool) {
	var v2 []Endpoint
	for _, e := range d.Endpoints {
		spec := strings.ToLower(e.Specification)
		if spec != "" && !strings.Contains(spec, "georeport_v2") && !strings.Contains(spec, "georeport/v2") {
			continue
		}
		u, err := url.Parse(e.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.EqualFold(u.Host, configured.Host) {
			continue
		}
		v2 = append(v2, e)
	}
	norm := func(s string) string { return strings.TrimSuffix(strings.ToLower(s), "/") }
	for _, e := range v2 {
		if norm(e.URL) == norm(configured.String()) {
			return e, true
		}
	}
	for _, e := range v2 {
		if e.Type == "production" {
			return e, true
		}
	}
	if len(v2) > 0 {
		return v2[0], true
	}
	return Endpoint{}, false
}

func other(format string) string {
	if format == "json" {
		return "xml"
	}
	return "json"
}

func pickFormat(formats []string, preferred string) string {
	if len(formats) == 0 {
		return preferred
	}
	has := func(f string) bool {
		for _, m := range formats {
			if strings.Contains(strings.ToLower(m), f) {
				return true
			}
		}
		return false
	}
	if has(preferred) {
		return preferred
	}
	if has("xml") {
		return "xml"
	}
	if has("json") {
		return "json"
	}
	return preferred
}

// Health checks that the Open311 server answers GET services with a
// readable list. An HTML page gives ErrCaptivePortal, no connection
// ErrOffline (both match sync/client's sentinels).
func (b *Backend) Health(ctx context.Context) (wire.Health, error) {
	a, err := b.get(ctx, "health check", nil, "services")
	if err != nil {
		return wire.Health{}, err
	}
	if _, err := DecodeServices(a.body); err != nil {
		return wire.Health{}, fmt.Errorf("Open311 health check: %w", err)
	}
	return wire.Health{Service: wire.HealthService, OK: true, APIVersion: 2, ServerTime: b.serverNow(a)}, nil
}

// CreateBlob fails with ErrNoUploads: Open311 has no uploads.
func (b *Backend) CreateBlob(context.Context, wire.BlobCreate) (wire.BlobStatus, error) {
	return wire.BlobStatus{}, fmt.Errorf("Open311 attachment upload: %w", ErrNoUploads)
}

// BlobOffset fails with ErrNoUploads: Open311 has no uploads.
func (b *Backend) BlobOffset(context.Context, string) (int64, int64, error) {
	return 0, 0, fmt.Errorf("Open311 attachment upload: %w", ErrNoUploads)
}

// PatchBlob fails with ErrNoUploads: Open311 has no uploads.
func (b *Backend) PatchBlob(context.Context, string, int64, []byte) (int64, error) {
	return 0, fmt.Errorf("Open311 attachment upload: %w", ErrNoUploads)
}

// deviceID returns the device_id sent with POSTs, made once and kept in State.
func (b *Backend) deviceID() (string, error) {
	id, err := b.cfg.State.Get(keyDeviceID)
	if err != nil {
		return "", fmt.Errorf("%w: reading the device id: %v", ErrState, err)
	}
	if id != "" {
		return id, nil
	}
	var raw [12]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("%w: making a device id: %v", ErrState, err)
	}
	id = "civicdesk-" + hex.EncodeToString(raw[:])
	if err := b.cfg.State.Set(keyDeviceID, id); err != nil {
		return "", fmt.Errorf("%w: storing the device id: %v", ErrState, err)
	}
	return id, nil
}

// State keys (see State).
const (
	keyDeviceID   = "device_id"
	keyCatalogMap = "catalog.map"
	prefixPending = "pending."
	prefixDone    = "done."
	prefixToken   = "token."
	prefixSeen    = "seen."
)
