// Package open311test is an Open311 GeoReport v2 server for tests, written
// from the spec, that speaks JSON and XML and can be switched into the
// loose ways real city servers behave.
package open311test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultAPIKey is the api_key POSTs must carry unless Options.APIKey says otherwise.
const DefaultAPIKey = "open311-test-key"

// DefaultBasePath is where the endpoint lives on the server.
const DefaultBasePath = "/open311/v2/"

// MaxPageSize is the most requests one GET requests answer holds (the
// spec's limit of 1000), unless Options.PageSize is lower.
const MaxPageSize = 1000

// DefaultWindow is the date range GET requests covers when neither
// start_date nor end_date is given (the spec's "most recent 90 days").
const DefaultWindow = 90 * 24 * time.Hour

// Options configure a Server. The zero value is a well-behaved server that
// follows the spec: JSON and XML, discovery, tokens, the DefaultServices.
type Options struct {
	// APIKey is the api_key every POST must carry (403 otherwise); "" means
	// DefaultAPIKey.
	APIKey string
	// JurisdictionID, when set, must come with every call but discovery
	// (400 when missing, 404 when different).
	JurisdictionID string
	// Services offered; nil means DefaultServices().
	Services []Service
	// Clock gives the server's time (requested_datetime, status updates,
	// the default date window); default time.Now.
	Clock func() time.Time
	// TokenPolls is how many polls of tokens/{token} answer without a
	// service_request_id before the next one gives it (0: the first does).
	TokenPolls int
	// PageSize is the default and the largest page of GET requests
	// (page and page_size select within it); 0 means MaxPageSize.
	PageSize int
	// BasePath is the endpoint's path on the server; default DefaultBasePath.
	BasePath string

	// The real-world loosenesses, each off by default.

	// IDsAsNumbers writes service_request_id and token as JSON numbers.
	IDsAsNumbers bool
	// BoolsAsStrings writes JSON booleans (metadata, variable, required) as "true"/"false".
	BoolsAsStrings bool
	// OmitOptional leaves out optional members instead of sending them
	// empty or null, and answers a blackbox POST with an empty list.
	OmitOptional bool
	// XMLElementVariant names XML elements as some servers do: <requests>
	// instead of <service_requests> and <id> instead of <service_request_id>.
	// JSON is unchanged.
	XMLElementVariant bool
	// OtherErrorShape answers errors as {"error":"..."} and <error>...</error>
	// instead of the spec's list of {code, description}.
	OtherErrorShape bool
	// NoTokens answers 404 on tokens/{token}; batch services still answer a token.
	NoTokens bool
	// NoDiscovery answers 404 on discovery.
	NoDiscovery bool
	// DropAfterStore makes that many POSTs store the request and then close
	// the connection without answering: the client cannot know the outcome.
	DropAfterStore int
	// XMLOnly answers 404 to every .json call (XML is the spec's mandatory format).
	XMLOnly bool
}

// Server is a running test server. Its methods are safe for concurrent use.
type Server struct {
	opts     Options
	ts       *httptest.Server
	services []Service

	mu      sync.Mutex
	reqs    []*ServiceRequest // in the order they were stored
	byID    map[string]*ServiceRequest
	tokens  map[string]*token
	posts   []Recorded
	hits    []Hit
	nextID  int
	nextTok int
	drops   int
}

// token is a batch request's token and how often it was polled.
type token struct {
	id       string
	polls    int
	resolved bool
}

// ServiceRequest is a request as the server stores it.
type ServiceRequest struct {
	ID          string // service_request_id (blackbox requests get one too, never shown)
	Token       string // batch services only
	ServiceCode string
	ServiceType string
	Status      string // "open" or "closed"
	StatusNotes string
	Description string
	// Attributes by code: one value, or each value of a multivaluelist.
	Attributes                 map[string][]string
	AddressString, AddressID   string
	Lat, Long                  float64
	HasLatLong                 bool
	Email, DeviceID, AccountID string
	FirstName, LastName, Phone string
	MediaURL, JurisdictionID   string
	Requested, Updated         time.Time // server clock, whole seconds
	listed                     bool      // blackbox requests are not listed
}

// Recorded is one POST the server received, as it arrived.
type Recorded struct {
	At          time.Time
	Path        string // e.g. /open311/v2/requests.xml
	ContentType string
	Body        string     // the raw body
	Form        url.Values // the body parsed
	Status      int        // what the server answered; 0 when it dropped the connection
	Dropped     bool
	// StoredID is the id of the request the POST stored ("" when refused).
	StoredID string
}

// Hit is one call the server received, for tests that check what a client asked.
type Hit struct {
	Method string
	Path   string // without the base path, e.g. "requests.json"
	Query  url.Values
	Status int // 0 when the connection was dropped
}

// NewServer starts a server on 127.0.0.1; Close stops it.
func NewServer(opts Options) *Server {
	if opts.APIKey == "" {
		opts.APIKey = DefaultAPIKey
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.PageSize <= 0 || opts.PageSize > MaxPageSize {
		opts.PageSize = MaxPageSize
	}
	if opts.BasePath == "" {
		opts.BasePath = DefaultBasePath
	}
	if !strings.HasPrefix(opts.BasePath, "/") {
		opts.BasePath = "/" + opts.BasePath
	}
	if !strings.HasSuffix(opts.BasePath, "/") {
		opts.BasePath += "/"
	}
	svcs := opts.Services
	if svcs == nil {
		svcs = DefaultServices()
	}
	s := &Server{
		opts:     opts,
		services: cloneServices(svcs),
		byID:     make(map[string]*ServiceRequest),
		tokens:   make(map[string]*token),
		nextID:   1001,
		nextTok:  5001,
		drops:    opts.DropAfterStore,
	}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the endpoint base, ending in "/" (e.g. http://127.0.0.1:1234/open311/v2/).
func (s *Server) URL() string { return s.ts.URL + s.opts.BasePath }

// Close stops the server and closes its connections.
func (s *Server) Close() { s.ts.Close() }

// APIKey is the api_key the server wants.
func (s *Server) APIKey() string { return s.opts.APIKey }

// Requests returns every POST received so far, in order.
func (s *Server) Requests() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Recorded, len(s.posts))
	for i, p := range s.posts {
		p.Form = cloneValues(p.Form)
		out[i] = p
	}
	return out
}

// Hits returns every call received so far, in order.
func (s *Server) Hits() []Hit {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Hit, len(s.hits))
	for i, h := range s.hits {
		h.Query = cloneValues(h.Query)
		out[i] = h
	}
	return out
}

// CountByReference is how many stored requests have a description that
// contains ref.
func (s *Server) CountByReference(ref string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.reqs {
		if strings.Contains(r.Description, ref) {
			n++
		}
	}
	return n
}

// Stored returns copies of every stored request, in the order they were stored.
func (s *Server) Stored() []ServiceRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ServiceRequest, len(s.reqs))
	for i, r := range s.reqs {
		out[i] = r.clone()
	}
	return out
}

// Request returns a copy of the stored request with service_request_id id.
func (s *Server) Request(id string) (ServiceRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byID[id]
	if !ok {
		return ServiceRequest{}, false
	}
	return r.clone(), true
}

// SetStatus is the back office moving a request on: status "open" or
// "closed", notes become status_notes, updated_datetime becomes now.
func (s *Server) SetStatus(id, status, notes string) error {
	if status != StatusOpen && status != StatusClosed {
		return ErrBadStatus
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byID[id]
	if !ok {
		return ErrUnknownRequest
	}
	r.Status, r.StatusNotes = status, notes
	r.Updated = s.now()
	return nil
}

// ResolveTokens makes every token answer with its service_request_id from
// the next poll on.
func (s *Server) ResolveTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		t.resolved = true
	}
}

// Request statuses.
const (
	StatusOpen   = "open"
	StatusClosed = "closed"
)

// now is the server's clock in whole seconds, as the answers write it.
func (s *Server) now() time.Time { return s.opts.Clock().Truncate(time.Second) }

func (s *Server) service(code string) (*Service, bool) {
	for i := range s.services {
		if s.services[i].Code == code {
			return &s.services[i], true
		}
	}
	return nil, false
}

func (r *ServiceRequest) clone() ServiceRequest {
	c := *r
	c.Attributes = make(map[string][]string, len(r.Attributes))
	for k, v := range r.Attributes {
		c.Attributes[k] = slices.Clone(v)
	}
	return c
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

func cloneServices(in []Service) []Service {
	out := slices.Clone(in)
	for i := range out {
		out[i].Attributes = slices.Clone(out[i].Attributes)
		for j := range out[i].Attributes {
			out[i].Attributes[j].Values = slices.Clone(out[i].Attributes[j].Values)
		}
	}
	return out
}
