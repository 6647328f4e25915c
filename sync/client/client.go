// Package client is the HTTP client of the civicdesk central API: retries with
// full-jitter backoff, gzip request bodies, one keep-alive connection, and
// answers that count as success only when they are really the API's.
package client

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"

	"civicdesk/sync/wire"
)

// Defaults for Options.
const (
	DefaultRetryMax = 4
	DefaultWaitMin  = 500 * time.Millisecond
	DefaultWaitMax  = 30 * time.Second
	// MaxResponseBytes bounds what the client reads of one answer.
	MaxResponseBytes = 32 << 20
)

var errTooManyRedirects = errors.New("too many redirects")

// Options configure a Client. The zero value is usable.
type Options struct {
	Token      string       // device bearer token ("" for health/enroll)
	HTTPClient *http.Client // default: pooled keep-alive client with sane timeouts
	RetryMax   int          // retries after the first attempt; default 4, negative means none
	// Backoff bounds, default 500ms and 30s; full jitter; Retry-After is
	// honoured but capped at WaitMax.
	WaitMin, WaitMax time.Duration
	Logger           *slog.Logger // default discard; bodies are never logged
	UserAgent        string       // default "civicdesk-sync/1"
	// Rand is the jitter source, a number in [0, 1); default math/rand/v2.
	// Tests inject a fixed one.
	Rand func() float64
}

// Client talks to one central API. It is safe for concurrent use.
type Client struct {
	base  *url.URL
	rc    *retryablehttp.Client
	hc    *http.Client
	log   *slog.Logger
	ua    string
	rand  func() float64
	tokMu sync.RWMutex
	token string
}

// New returns a client of the central API at baseURL (for example
// "https://central.example.gov.cn" or "http://127.0.0.1:8080").
func New(baseURL string, o Options) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		return nil, fmt.Errorf("central API address %q is not a URL: give one like https://central.example.org", baseURL)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("central API address %q must start with http:// or https://", baseURL)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("central API address %q has no host: give one like https://central.example.org", baseURL)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("central API address %q must not carry a user, query or fragment: give only scheme, host and path", u.Redacted())
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""

	if o.RetryMax == 0 {
		o.RetryMax = DefaultRetryMax
	} else if o.RetryMax < 0 {
		o.RetryMax = 0
	}
	if o.WaitMin <= 0 {
		o.WaitMin = DefaultWaitMin
	}
	if o.WaitMax <= 0 {
		o.WaitMax = DefaultWaitMax
	}
	if o.WaitMax < o.WaitMin {
		o.WaitMax = o.WaitMin
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.UserAgent == "" {
		o.UserAgent = "civicdesk-sync/1"
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = defaultHTTPClient()
	}
	c := &Client{base: u, hc: hc, log: o.Logger, ua: o.UserAgent, rand: o.Rand, token: o.Token}
	c.rc = &retryablehttp.Client{
		HTTPClient:     hc,
		Logger:         retryLogger{o.Logger},
		RetryWaitMin:   o.WaitMin,
		RetryWaitMax:   o.WaitMax,
		RetryMax:       o.RetryMax,
		CheckRetry:     checkRetry,
		RequestLogHook: countAttempt,
		Backoff:        c.backoff,
		// Keep the last response so its status reaches the caller.
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	return c, nil
}

// defaultHTTPClient is cleanhttp's pooled (keep-alive) client with timeouts
// fit for a slow link: headers within a minute of sending the body, a whole
// exchange within five minutes (a 256 KiB batch over 2G takes about one).
func defaultHTTPClient() *http.Client {
	t := cleanhttp.DefaultPooledTransport()
	t.ResponseHeaderTimeout = time.Minute
	t.MaxIdleConnsPerHost = 4
	return &http.Client{
		Transport: t,
		Timeout:   5 * time.Minute,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errTooManyRedirects
			}
			return nil
		},
	}
}

// SetToken replaces the device bearer token (after enrolment).
func (c *Client) SetToken(tok string) {
	c.tokMu.Lock()
	c.token = tok
	c.tokMu.Unlock()
}

func (c *Client) bearer() string {
	c.tokMu.RLock()
	defer c.tokMu.RUnlock()
	return c.token
}

// BaseURL is the API address the client was made with, without a trailing slash.
func (c *Client) BaseURL() string { return c.base.String() }

// CloseIdleConnections closes kept-alive connections (when the app goes to
// the background, say).
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// call describes one API request.
type call struct {
	op     string // for errors and logs: "submit", "health", ...
	method string
	path   string // escaped
	query  url.Values
	body   any  // JSON-encoded when non-nil
	gzip   bool // gzip the request body
	auth   string
	etag   string // If-None-Match
	// raw is a body sent as it is, with Content-Type contentType (an
	// attachment chunk); do returns only once the transport has let go of
	// it, so the caller may reuse the slice.
	raw         []byte
	contentType string
	header      map[string]string // extra request headers
	// noResend: never send the request again after a network error, when the
	// server may have received part of it (a PATCH); answers with a status
	// are retried as usual.
	noResend bool
	// noRetryLimit: a 429 is final, not retried (a resident waits at the
	// screen: the answer says how long to wait, see ErrTooManyAttempts).
	noRetryLimit bool
}

// reply is a received answer, read in full.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// do sends a call with retries and reads the whole answer. It returns an
// *APIError for a final non-2xx status (other than 304) and wraps ErrOffline
// for network failures.
func (c *Client) do(ctx context.Context, k call) (reply, error) {
	var body []byte
	if k.body != nil {
		b, err := json.Marshal(k.body)
		if err != nil {
			return reply{}, fmt.Errorf("central API %s: encoding the request: %w", k.op, err)
		}
		body = b
		if k.gzip {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			if _, err := zw.Write(b); err != nil {
				return reply{}, fmt.Errorf("central API %s: compressing the request: %w", k.op, err)
			}
			if err := zw.Close(); err != nil {
				return reply{}, fmt.Errorf("central API %s: compressing the request: %w", k.op, err)
			}
			body = buf.Bytes()
		}
	}
	u := *c.base
	// k.path is already escaped (a tracking number in it is PathEscaped).
	plain, err := url.PathUnescape(k.path)
	if err != nil {
		return reply{}, fmt.Errorf("central API %s: bad path: %w", k.op, err)
	}
	u.RawPath = c.base.EscapedPath() + k.path
	u.Path += plain
	if len(k.query) > 0 {
		u.RawQuery = k.query.Encode()
	}
	// A []byte body: retryablehttp re-reads it on every attempt.
	var raw any
	var inUse *sync.WaitGroup // readers of k.raw the transport has not closed
	switch {
	case k.raw != nil:
		inUse = new(sync.WaitGroup)
		raw = retryablehttp.ReaderFunc(func() (io.Reader, error) {
			inUse.Add(1)
			return &releasingReader{Reader: bytes.NewReader(k.raw), release: inUse.Done}, nil
		})
		// net/http may close a request body after RoundTrip returns: wait
		// for it, so the chunk is the caller's again when do returns.
		defer waitReleased(ctx, inUse)
	case body != nil:
		raw = body
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, k.method, u.String(), raw)
	if err != nil {
		return reply{}, fmt.Errorf("central API %s: building the request: %w", k.op, err)
	}
	req.Header.Set("User-Agent", c.ua)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		if k.gzip {
			req.Header.Set("Content-Encoding", "gzip")
		}
	}
	if k.raw != nil {
		req.Header.Set("Content-Type", k.contentType)
	}
	for h, v := range k.header {
		req.Header.Set(h, v)
	}
	if k.auth != "" {
		req.Header.Set("Authorization", "Bearer "+k.auth)
	}
	if k.etag != "" {
		req.Header.Set("If-None-Match", k.etag)
	}

	attempts := 0
	rctx := context.WithValue(ctx, attemptsKey{}, &attempts)
	if k.noResend {
		rctx = context.WithValue(rctx, noResendKey{}, true)
	}
	if k.noRetryLimit {
		rctx = context.WithValue(rctx, noRetryLimitKey{}, true)
	}
	req = req.WithContext(rctx)
	start := time.Now()
	resp, err := c.rc.Do(req)
	if err != nil && resp != nil {
		resp.Body.Close() // only a cancelled context hands back both
	}
	if err != nil {
		if ctx.Err() != nil {
			return reply{}, fmt.Errorf("central API %s: %w", k.op, ctx.Err())
		}
		c.log.Debug("central API unreachable", "op", k.op, "attempts", attempts, "err", err)
		if isCertError(err) {
			return reply{}, fmt.Errorf("central API %s: the server's TLS certificate is not trusted (a network that intercepts traffic, or a wrong address): %w: %w", k.op, ErrOffline, err)
		}
		return reply{}, fmt.Errorf("central API %s: %w: %w", k.op, ErrOffline, err)
	}
	defer resp.Body.Close()
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	c.log.Debug("central API answered", "op", k.op, "status", resp.StatusCode, "attempts", attempts,
		"bytes_out", len(body)+len(k.raw), "bytes_in", len(data), "elapsed", time.Since(start))
	r := reply{status: resp.StatusCode, header: resp.Header, body: data}
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300 || resp.StatusCode == http.StatusNotModified
	if !ok {
		return r, c.apiError(k.op, r, attempts)
	}
	if rerr != nil {
		if ctx.Err() != nil {
			return reply{}, fmt.Errorf("central API %s: %w", k.op, ctx.Err())
		}
		return r, fmt.Errorf("central API %s: answer cut off (HTTP %d): %w: %w", k.op, resp.StatusCode, ErrBadResponse, rerr)
	}
	if len(data) > MaxResponseBytes {
		return r, fmt.Errorf("central API %s: answer larger than %d bytes: %w", k.op, MaxResponseBytes, ErrBadResponse)
	}
	return r, nil
}

// attemptsKey carries a request's attempt counter through its context.
type attemptsKey struct{}

// noResendKey marks a request that is never re-sent after a network error.
type noResendKey struct{}

// noRetryLimitKey marks a request whose 429 answer is final.
type noRetryLimitKey struct{}

// releasingReader is one attempt's reader of a raw body; the transport
// closes it when it no longer reads the body.
type releasingReader struct {
	*bytes.Reader
	release func()
	once    sync.Once
}

func (r *releasingReader) Close() error {
	r.once.Do(r.release)
	return nil
}

// waitReleased waits until the transport has closed every reader of a raw
// body (or ctx ends: the caller then drops the buffer with the round).
func waitReleased(ctx context.Context, wg *sync.WaitGroup) {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// countAttempt is the RequestLogHook: it runs once per attempt.
func countAttempt(_ retryablehttp.Logger, req *http.Request, _ int) {
	if n, ok := req.Context().Value(attemptsKey{}).(*int); ok {
		*n++
	}
}

// apiError builds the *APIError for a non-2xx answer.
func (c *Client) apiError(op string, r reply, attempts int) error {
	e := &APIError{Status: r.status, Attempts: attempts, op: op}
	var we wire.Error
	if looksJSON(r.header, r.body) && json.Unmarshal(r.body, &we) == nil {
		e.Code, e.Message, e.FieldErrors = we.Code, we.Message, we.Errors
	}
	switch r.status {
	case http.StatusUnauthorized, http.StatusForbidden:
		e.kind = ErrUnauthorized
	case http.StatusNotFound:
		e.kind = ErrNotFound
	case http.StatusTooManyRequests:
		e.RetryAfter, _ = retryAfter(&http.Response{Header: r.header}, time.Now())
		if e.Code == wire.CodeTooManyAttempts {
			e.kind = ErrTooManyAttempts
		}
	}
	return e
}

// looksJSON: not an HTML page and starts like a JSON value.
func looksJSON(h http.Header, b []byte) bool {
	if ct := h.Get("Content-Type"); strings.Contains(strings.ToLower(ct), "html") {
		return false
	}
	t := bytes.TrimLeft(b, " \t\r\n")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// decode parses a 2xx body into out. An HTML page is a captive portal; any
// other body that is not complete JSON of the right shape is a bad response.
func decode(op string, r reply, out any) error {
	if !looksJSON(r.header, r.body) {
		if isHTML(r.header, r.body) {
			return fmt.Errorf("central API %s: HTTP %d with an HTML page: %w", op, r.status, ErrCaptivePortal)
		}
		return fmt.Errorf("central API %s: HTTP %d without a JSON body: %w", op, r.status, ErrBadResponse)
	}
	if err := json.Unmarshal(r.body, out); err != nil {
		return fmt.Errorf("central API %s: HTTP %d with unreadable JSON: %w: %w", op, r.status, ErrBadResponse, err)
	}
	return nil
}

func isHTML(h http.Header, b []byte) bool {
	if strings.Contains(strings.ToLower(h.Get("Content-Type")), "html") {
		return true
	}
	t := bytes.TrimLeft(b, " \t\r\n\ufeff")
	return len(t) > 0 && t[0] == '<'
}

// retryLogger maps retryablehttp's messages to slog at debug level (its
// "request failed" is expected on a weak link, not an error of ours).
type retryLogger struct{ l *slog.Logger }

func (r retryLogger) Error(msg string, kv ...any) { r.l.Debug("retryablehttp: "+msg, kv...) }
func (r retryLogger) Info(msg string, kv ...any)  { r.l.Debug("retryablehttp: "+msg, kv...) }
func (r retryLogger) Debug(msg string, kv ...any) { r.l.Debug("retryablehttp: "+msg, kv...) }
func (r retryLogger) Warn(msg string, kv ...any)  { r.l.Debug("retryablehttp: "+msg, kv...) }
