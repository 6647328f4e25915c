// Package remote opens the backend a device syncs with, named by one --api
// value: the civicdesk central API (an http or https URL) or an Open311
// GeoReport v2 endpoint ("open311+https://..."). The sync engine and the
// screens see the same engine.API either way.
package remote

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"civicdesk/app/store"
	"civicdesk/sync/client"
	"civicdesk/sync/engine"
	"civicdesk/sync/open311"
)

// Open311Scheme prefixes an Open311 endpoint in an --api value. The
// endpoint's query may carry jurisdiction_id, format (json or xml) and lang
// (the language of the city's texts: zh-Hans or en); they are not sent as
// part of the endpoint.
const Open311Scheme = "open311+"

// EnvOpen311Key names the environment variable holding an Open311 api_key,
// a secret that must not sit in an --api value (command lines and logs).
const EnvOpen311Key = "CIVICDESK_OPEN311_KEY"

// SecretOpen311Key is where a device keeps its Open311 api_key in the store.
const SecretOpen311Key = "open311_api_key"

// ErrNotNative is returned for what only the civicdesk central API offers
// (enrolment, tracking lookups by verification code).
var ErrNotNative = errors.New("this is an Open311 endpoint: it has no device enrolment or receipt lookup (those belong to the civicdesk central API)")

// Backend is what a device syncs with.
type Backend struct {
	engine.API
	// Native is the civicdesk central API client, nil for Open311.
	Native *client.Client
	// Open311 is the Open311 backend, nil for the native API.
	Open311 *open311.Backend
}

// Options tune Open.
type Options struct {
	Token      string // device token of the civicdesk central API
	UserAgent  string
	HTTPClient *http.Client
	// APIKey for Open311; empty: $CIVICDESK_OPEN311_KEY, else the store's secret.
	APIKey string
}

// IsOpen311 reports whether api names an Open311 endpoint.
func IsOpen311(api string) bool { return strings.HasPrefix(api, Open311Scheme) }

// Open returns the backend for api. st keeps the Open311 adapter's memory
// and is where the applications it follows are listed.
func Open(api string, st *store.Store, o Options) (*Backend, error) {
	if !IsOpen311(api) {
		c, err := client.New(api, client.Options{Token: o.Token, UserAgent: o.UserAgent, HTTPClient: o.HTTPClient})
		if err != nil {
			return nil, err
		}
		return &Backend{API: c, Native: c}, nil
	}
	u, err := url.Parse(strings.TrimPrefix(api, Open311Scheme))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--api %q: an Open311 endpoint is written open311+https://host/path/ (optionally ?jurisdiction_id=ID&format=xml&lang=en)", api)
	}
	q := u.Query()
	u.RawQuery = ""
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	key := o.APIKey
	if key == "" {
		key = os.Getenv(EnvOpen311Key)
	}
	if key == "" && st != nil {
		if key, err = st.Secret(SecretOpen311Key); err != nil {
			return nil, err
		}
	}
	cfg := open311.Config{Endpoint: u.String(), JurisdictionID: q.Get("jurisdiction_id"), APIKey: key,
		Format: q.Get("format"), Lang: q.Get("lang"), HTTPClient: o.HTTPClient}
	if st != nil {
		cfg.State = open311.StoreState(st)
	}
	b, err := open311.New(cfg)
	if err != nil {
		return nil, err
	}
	return &Backend{API: b, Open311: b}, nil
}
