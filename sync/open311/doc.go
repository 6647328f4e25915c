// Package open311 is the Open311 GeoReport v2 backend of the sync engine:
// a Backend that implements engine.API against a city's GeoReport v2
// server, so that the engine, the offline queue and the screens work with
// it as they do with the central API.
//
// # Configuration and discovery
//
// New takes the endpoint (the GeoReport v2 base URL), jurisdiction_id,
// api_key, the preferred format (json or xml) and a State. When the server
// has discovery.{fmt} under the endpoint, it is read once: a GeoReport v2
// endpoint it lists on the same host is used (the configured one when
// listed, else a production one), and its formats pick the format when the
// preferred one is not offered. No discovery is fine (it is asked for in
// the preferred format, then in the other). XML is the spec's mandatory
// format and JSON optional: while no JSON answer has succeeded, a 404 to a
// JSON GET is asked again in XML, and XML is used from then on when that
// answers. The api_key is sent only in POST bodies, never in URLs, and
// never to another host.
//
// # Catalog
//
// GET services and GET services/{code} (for metadata=true) become a
// catalog.Catalog document that passes catalog.Decode:
//
//   - service code: the service_code when it is snake_case, else
//     CatalogCode's snake_case form ("001" -> "s_001"); name, description
//     from the server; category from group; department: the
//     jurisdiction_id, else the server's host. Server texts go to both
//     languages (the city writes in one); this package's own labels are
//     translated. Every service has version 1.
//   - attributes, sorted by order (stable), become fields named
//     AttributeField(code) ("attribute_" + snake_case code, a hash suffix
//     on a collision): string -> text, text -> multiline, number -> number,
//     datetime -> date (the catalog has no time of day: the resident gives
//     a date, sent as YYYY-MM-DD, which is ISO 8601), singlevaluelist ->
//     select, multivaluelist -> multiselect (options from values key/name;
//     a list without values, and an unknown datatype, -> text); required
//     kept; datatype_description as help. variable=false attributes are
//     not fields: their text is appended to the service description.
//   - every form also has address_string (text), lat and long (numbers)
//     in a "location" step, description (multiline, at most
//     DescriptionLimit so that the client reference still fits the spec's
//     4000) after the attributes, and first_name, last_name, email (email),
//     phone (text: no mainland phone check) in an optional "contact" step.
//     The catalog cannot say "address required unless coordinates":
//     address_string is not required in the schema, and Submit refuses an
//     application with neither (field address_string, code required).
//   - the ETag is the quoted SHA-256 of the body; the same ETag passed in
//     gives notModified. The mapping from catalog codes and field names
//     back to Open311 codes is kept in State (catalog.map).
//
// # Submit
//
// One POST requests.{fmt} per item, application/x-www-form-urlencoded
// (UTF-8, percent-encoded, space as "+", brackets as %5B %5D), in this
// order: api_key, jurisdiction_id, service_code, address_string, lat,
// long, attribute[CODE]=v (attribute[CODE][]=v once per value of a
// multivaluelist) in form order, first_name, last_name, email, phone,
// device_id (random, made once, kept in State), description (the
// resident's text, a newline and Reference(id), "[civicdesk:<application
// id>]"). Empty values are left out (the spec treats them as missing).
// Answers:
// service_request_id -> Accepted (tracking = the id, status received,
// accepted at the server's Date); token -> tokens/{token} is polled
// (Config.TokenPolls, TokenWait) and the id taken when it comes, else
// Accepted with tracking "token:<token>" (Changes resolves it later; a
// server without a tokens endpoint is fine); an answer with neither (a
// blackbox service) -> Accepted with tracking "blackbox:<first 8 of the
// application id>", which Changes does not follow. 400/409/413/422 ->
// Invalid, one field error (code open311.invalid, the server's
// description as message) per error, on the field the description names
// (an attribute code, attribute[CODE], an Open311 parameter name), else
// "service"; 404 -> Invalid service.unknown when GET services no longer
// lists the service (else the endpoint is wrong: Retry and an error);
// 401/403 -> an error wrapping ErrForbidden, nothing more is sent (no
// result for that item or the rest); 5xx, 429, any other status, a
// network failure, a captive portal's page -> Retry for the item and the
// rest (not sent), and an error that ends the push; a 2xx answer that
// cannot be read -> Retry for the item (the outcome is unknown) and the
// batch goes on. An accepted application's answer is kept in State
// (done.<id>), so the same id is never posted twice by this device while
// its state lasts: submitted again, it gets the same result, Duplicate.
//
// # Unknown outcomes
//
// There is no idempotency key in GeoReport v2. Before each POST the
// adapter writes pending.<id> (the time of the first attempt) and clears
// it on a definite answer. When an application with a pending marker is
// submitted again, the adapter first looks for it: GET
// requests.{fmt}?service_code=X&start_date=<first attempt - 1h>&end_date=<now + 1h>
// (times corrected by the server's Date skew), page by page (page,
// page_size; stopping when a page brings nothing new, at most 20 pages),
// matching the reference in description. When found, the request is
// adopted (Accepted, Duplicate) instead of posted again. A network
// failure, a 5xx or an unreadable answer while looking gives Retry
// (nothing posted). A server that refuses the date filter (4xx) is asked
// again without it; a 4xx to that too means the server cannot be searched
// and the application is posted again (logged; see below).
//
// # Remaining duplicate risk
//
// A duplicate request on the city's server is still possible, and this is
// where:
//
//   - the server does not list requests (GET requests answers 4xx, or is
//     not implemented), or lists only some (only open ones, only the last
//     few, beyond 20 pages of 100): the lookup finds nothing and the
//     application is posted again;
//   - the server drops, truncates or rewrites the description (the
//     reference is at its end), or does not return it in GET requests: no
//     match, posted again;
//   - the server answered with a token and has not created the request yet
//     when the lookup runs (batch servers), or the service is blackbox and
//     its requests are not listed: posted again;
//   - the server's clock is off by more than an hour from its Date header,
//     or the request is filed under another service_code: outside the
//     window, posted again;
//   - the device's State is lost (a reinstall, a wiped store) between an
//     unknown outcome and the retry: there is no marker, so no lookup.
//
// Each of these needs an unknown outcome first (a connection cut after
// the body was sent, a 5xx, an unreadable 2xx answer). A 4xx answer, an
// id or a token is a definite outcome and never leads to a second POST.
//
// # Changes
//
// See Backend.Changes for the status mapping and what counts as a change.
//
// # Decoding
//
// Reading is tolerant (decode.go): JSON or XML sniffed from the body, ids
// as strings or numbers, booleans as true or "true", missing optional
// fields, element and key name variations, error bodies of other shapes.
// Writing is exact. Bodies and form values are never logged and never
// quoted in Go errors; the server's error descriptions go only into the
// item result shown to staff.
//
// Attachments: Open311 has no uploads; CreateBlob, BlobOffset and
// PatchBlob fail with ErrNoUploads, and the Open311 catalog has no
// attachment fields.
package open311
