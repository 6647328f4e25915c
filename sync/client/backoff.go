package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"
)

// FullJitter is exponential backoff with full jitter: a random duration in
// [0, min(max, base*2^attempt)). rnd returns a number in [0, 1); attempt
// counts from 0. The sync engine uses it too, with its own bounds.
func FullJitter(base, max time.Duration, attempt int, rnd func() float64) time.Duration {
	if base <= 0 || max <= 0 {
		return 0
	}
	ceil := float64(base) * math.Pow(2, float64(attempt))
	if ceil > float64(max) || math.IsInf(ceil, 0) || math.IsNaN(ceil) {
		ceil = float64(max)
	}
	r := rnd()
	if r < 0 || r >= 1 || math.IsNaN(r) {
		r = 0.5 // a broken source must not produce a negative or overlong wait
	}
	return time.Duration(r * ceil)
}

// retryAfter parses a Retry-After header: delta seconds or an HTTP date. A
// date is measured against the response's own Date header when present, so
// a device clock that is days off does not turn it into days of waiting.
func retryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(math.MaxInt64/time.Second) {
			secs = int64(math.MaxInt64 / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		now = d
	}
	if wait := at.Sub(now); wait > 0 {
		return wait, true
	}
	return 0, true
}

// backoff returns the retryablehttp Backoff: Retry-After when the server
// sent one (capped at max), else full jitter.
func (c *Client) backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if d, ok := retryAfter(resp, time.Now()); ok {
		if d > max {
			d = max
		}
		return d
	}
	return FullJitter(min, max, attempt, c.rand)
}

// checkRetry is the retry policy: network errors, 429 and 5xx are retried;
// 4xx, a cancelled context and an untrusted TLS certificate are not. A
// request marked noResend (an attachment chunk) is not sent again after a
// network error: the caller asks the server what it holds and resumes; one
// marked noRetryLimit (a status lookup) takes a 429 as final.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		if noResend, _ := ctx.Value(noResendKey{}).(bool); noResend {
			return false, nil
		}
		return !isCertError(err) && !isPermanentTransportError(err), nil
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		if final, _ := ctx.Value(noRetryLimitKey{}).(bool); final {
			return false, nil
		}
	}
	return retryableStatus(resp.StatusCode), nil
}

func isCertError(err error) bool {
	var cve *tls.CertificateVerificationError
	if errors.As(err, &cve) {
		return true
	}
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci)
}

// isPermanentTransportError: failures no retry can fix (too many
// redirects, a malformed request).
func isPermanentTransportError(err error) bool {
	return errors.Is(err, errTooManyRedirects)
}
