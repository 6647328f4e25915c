package client

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/sync/wire"
)

func interactions(n int) []wire.Interaction {
	out := make([]wire.Interaction, n)
	for i := range out {
		out[i] = wire.Interaction{ID: "0192d6f0-7b1a-7cc4-8e4c-3a8f4b2d1e9" + string(rune('0'+i)), Kind: wire.KindRating, Hall: "gulou",
			CreatedAt: time.Unix(0, 0).UTC(), Rating: &wire.Rating{Score: 1 + i%5, Comment: "comment"}}
	}
	return out
}

// decodeInteractions reads a gzip JSON interactions body.
func decodeInteractions(t *testing.T, r *http.Request) wire.InteractionsRequest {
	t.Helper()
	var req wire.InteractionsRequest
	if r.Method != http.MethodPost || r.URL.Path != wire.PathInteractions {
		t.Errorf("%s %s, want POST %s", r.Method, r.URL.Path, wire.PathInteractions)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer dev-token" {
		t.Errorf("Authorization = %q, want the device token", got)
	}
	if got := r.Header.Get("Content-Encoding"); got != "gzip" {
		t.Errorf("Content-Encoding = %q, want gzip", got)
		return req
	}
	zr, err := gzip.NewReader(r.Body)
	if err != nil {
		t.Errorf("request body is not gzip: %v", err)
		return req
	}
	if err := json.NewDecoder(zr).Decode(&req); err != nil {
		t.Errorf("gzip body is not an InteractionsRequest: %v", err)
	}
	return req
}

func acceptInteractions(req wire.InteractionsRequest) wire.InteractionsResponse {
	resp := wire.InteractionsResponse{ServerTime: time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)}
	for i, in := range req.Items {
		resp.Results = append(resp.Results, wire.InteractionResult{ID: in.ID, Outcome: wire.Accepted,
			Reference: "FK20260302-000" + string(rune('1'+i)), FollowUp: in.FollowUp(), AcceptedAt: resp.ServerTime})
	}
	return resp
}

func TestInteractSendsGzipAndRetries(t *testing.T) {
	var mu sync.Mutex
	var bodies []wire.InteractionsRequest
	var n atomic.Int32
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		req := decodeInteractions(t, r)
		mu.Lock()
		bodies = append(bodies, req)
		mu.Unlock()
		if n.Add(1) == 1 {
			writeJSON(w, http.StatusServiceUnavailable, wire.Error{Code: "unavailable", Message: "later"})
			return
		}
		writeJSON(w, http.StatusOK, acceptInteractions(req))
	})
	c := newTestClient(t, ts.URL, fastOptions())
	sent := interactions(3)
	resp, err := c.Interact(context.Background(), sent)
	if err != nil {
		t.Fatalf("Interact: %v", err)
	}
	if len(resp.Results) != 3 || resp.Results[0].Reference != "FK20260302-0001" || !resp.Results[0].FollowUp || resp.Results[2].FollowUp {
		t.Fatalf("results %+v", resp.Results)
	}
	if len(bodies) != 2 {
		t.Fatalf("server decoded %d bodies, want 2 (one retry)", len(bodies))
	}
	for i, b := range bodies {
		if len(b.Items) != 3 || b.Items[1].ID != sent[1].ID || b.Items[1].Rating.Score != 2 || b.Items[2].Hall != "gulou" {
			t.Errorf("attempt %d body = %+v, not what was sent", i+1, b.Items)
		}
	}
}

func TestInteractEmptyBatchSendsNothing(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { t.Error("a request was sent") })
	c := newTestClient(t, ts.URL, fastOptions())
	if resp, err := c.Interact(context.Background(), nil); err != nil || resp.Results != nil {
		t.Fatalf("Interact(nil) = %+v, %v", resp, err)
	}
}

func TestInteractAnswers(t *testing.T) {
	tests := []struct {
		name  string
		serve func(w http.ResponseWriter, req wire.InteractionsRequest)
		keep  int   // parsed results returned with the error
		want  error // nil: check apiStatus
		final int   // status of a final *APIError
	}{
		{"one item missing", func(w http.ResponseWriter, req wire.InteractionsRequest) {
			resp := acceptInteractions(req)
			resp.Results = resp.Results[1:]
			writeJSON(w, 200, resp)
		}, 2, ErrBadResponse, 0},
		{"an id that was not sent", func(w http.ResponseWriter, req wire.InteractionsRequest) {
			resp := acceptInteractions(req)
			resp.Results[0].ID = "other"
			writeJSON(w, 200, resp)
		}, 3, ErrBadResponse, 0},
		{"portal page", func(w http.ResponseWriter, _ wire.InteractionsRequest) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html>login</html>")
		}, 0, ErrCaptivePortal, 0},
		{"truncated JSON", func(w http.ResponseWriter, _ wire.InteractionsRequest) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"results":[{"id":"x","outc`)
		}, 0, ErrBadResponse, 0},
		{"malformed batch refused", func(w http.ResponseWriter, _ wire.InteractionsRequest) {
			writeJSON(w, 400, wire.Error{Code: "malformed_json", Message: "fix it"})
		}, 0, nil, 400},
		{"token refused", func(w http.ResponseWriter, _ wire.InteractionsRequest) {
			writeJSON(w, 401, wire.Error{Code: "unauthorized", Message: "enrol"})
		}, 0, ErrUnauthorized, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { tc.serve(w, decodeInteractions(t, r)) })
			c := newTestClient(t, ts.URL, fastOptions())
			resp, err := c.Interact(context.Background(), interactions(3))
			if tc.want != nil && (!errors.Is(err, tc.want) || Retryable(err) != (tc.final == 0)) {
				t.Fatalf("err = %v (retryable %v), want %v", err, Retryable(err), tc.want)
			}
			var ae *APIError
			if tc.final != 0 && (!errors.As(err, &ae) || ae.Status != tc.final || Retryable(err)) {
				t.Fatalf("err = %v, want a final %d", err, tc.final)
			}
			if len(resp.Results) != tc.keep {
				t.Fatalf("kept %d results, want %d", len(resp.Results), tc.keep)
			}
		})
	}
}

func TestBackofficeInteractions(t *testing.T) {
	rows := []wire.BackofficeInteraction{{Interaction: interactions(1)[0], Device: "d1", Reference: "FK20260302-0001",
		ReceivedAt: time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC), FollowUp: true}}
	tests := []struct {
		name      string
		filter    InteractionFilter
		query     string
		serve     func(w http.ResponseWriter)
		items     int
		clashes   int
		wantError error
	}{
		{"all", InteractionFilter{}, "", func(w http.ResponseWriter) {
			w.Header().Set(wire.HeaderTicketClashes, "2")
			writeJSON(w, 200, rows)
		}, 1, 2, nil},
		{"filtered", InteractionFilter{Kind: wire.KindTicket, Hall: "gu lou", Day: "20260302", FollowUpOnly: true},
			"day=20260302&follow_up=true&hall=gu+lou&kind=ticket", func(w http.ResponseWriter) {
				w.Header().Set(wire.HeaderTicketClashes, "0")
				writeJSON(w, 200, []wire.BackofficeInteraction{})
			}, 0, 0, nil},
		{"no clash header", InteractionFilter{}, "", func(w http.ResponseWriter) { writeJSON(w, 200, []int{}) }, 0, -1, nil},
		{"bad filter", InteractionFilter{Day: "x"}, "day=x", func(w http.ResponseWriter) {
			writeJSON(w, 400, wire.Error{Code: "bad_request", Message: "day must be a real date written YYYYMMDD"})
		}, 0, 0, &APIError{}},
		{"staff token refused", InteractionFilter{}, "", func(w http.ResponseWriter) {
			writeJSON(w, 401, wire.Error{Code: "unauthorized", Message: "no"})
		}, 0, 0, ErrUnauthorized},
		{"an object, not a list", InteractionFilter{}, "", func(w http.ResponseWriter) { writeJSON(w, 200, map[string]int{"n": 1}) }, 0, 0, ErrBadResponse},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet || r.URL.Path != wire.PathBackofficeInteractions || r.URL.RawQuery != tc.query {
					t.Errorf("%s %s, want GET %s?%s", r.Method, r.URL, wire.PathBackofficeInteractions, tc.query)
				}
				if got := r.Header.Get("Authorization"); got != "Bearer staff-token" {
					t.Errorf("Authorization = %q, want the staff token", got)
				}
				tc.serve(w)
			})
			c := newTestClient(t, ts.URL, fastOptions())
			l, err := c.Backoffice("staff-token").InteractionList(context.Background(), tc.filter)
			if tc.wantError != nil {
				var ae *APIError
				if _, isAPI := tc.wantError.(*APIError); isAPI && (!errors.As(err, &ae) || ae.Status != 400 || ae.Message == "") {
					t.Fatalf("err = %v, want a 400 APIError", err)
				} else if !isAPI && !errors.Is(err, tc.wantError) {
					t.Fatalf("err = %v, want %v", err, tc.wantError)
				}
				return
			}
			if err != nil || len(l.Items) != tc.items || l.TicketClashes != tc.clashes || l.Items == nil {
				t.Fatalf("got %+v, %v", l, err)
			}
			if tc.items > 0 && (l.Items[0].Reference != "FK20260302-0001" || l.Items[0].Rating.Score != 1 || l.Items[0].Device != "d1") {
				t.Fatalf("row %+v", l.Items[0])
			}
			items, err := c.Backoffice("staff-token").Interactions(context.Background(), tc.filter)
			if err != nil || len(items) != tc.items {
				t.Fatalf("Interactions = %d rows, %v", len(items), err)
			}
		})
	}
}

func TestBackofficeReply(t *testing.T) {
	reply := wire.Reply{Text: catalog.Text{catalog.LangZh: "已处理", catalog.LangEn: "Done"}}
	tests := []struct {
		name     string
		id       string
		statuses []int
		wantReqs int32
		check    func(t *testing.T, got wire.BackofficeInteraction, err error)
	}{
		{"recorded", "id 1/x", []int{200}, 1, func(t *testing.T, got wire.BackofficeInteraction, err error) {
			if err != nil || got.ID != "id 1/x" || len(got.Replies) != 1 || got.Replies[0].Text[catalog.LangEn] != "Done" {
				t.Fatalf("got %+v, %v", got, err)
			}
		}},
		{"retried after 503", "id 1/x", []int{503, 200}, 2, func(t *testing.T, got wire.BackofficeInteraction, err error) {
			if err != nil || got.ID != "id 1/x" {
				t.Fatalf("got %+v, %v", got, err)
			}
		}},
		{"unknown id", "id 1/x", []int{404}, 1, func(t *testing.T, _ wire.BackofficeInteraction, err error) {
			if !errors.Is(err, ErrNotFound) || Retryable(err) {
				t.Fatalf("err = %v, want final ErrNotFound", err)
			}
		}},
		{"a ticket", "id 1/x", []int{409}, 1, func(t *testing.T, _ wire.BackofficeInteraction, err error) {
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != 409 || ae.Message == "" || Retryable(err) {
				t.Fatalf("err = %v, want a final 409", err)
			}
		}},
		{"empty id", "", nil, 0, func(t *testing.T, _ wire.BackofficeInteraction, err error) {
			if err == nil {
				t.Fatal("no error for an empty id")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				if want := wire.PathBackofficeInteractions + "/id%201%2Fx/reply"; r.Method != http.MethodPost || r.URL.EscapedPath() != want {
					t.Errorf("%s %s, want POST %s", r.Method, r.URL.EscapedPath(), want)
				}
				if got := r.Header.Get("Authorization"); got != "Bearer staff-token" {
					t.Errorf("Authorization = %q, want the staff token", got)
				}
				var got wire.Reply
				if err := json.NewDecoder(r.Body).Decode(&got); err != nil || got.Text[catalog.LangZh] != "已处理" {
					t.Errorf("body %+v (%v)", got, err)
				}
				st := tc.statuses[min(int(n.Add(1))-1, len(tc.statuses)-1)]
				if st != 200 {
					writeJSON(w, st, wire.Error{Code: "x", Message: "server says no"})
					return
				}
				writeJSON(w, 200, wire.BackofficeInteraction{Interaction: wire.Interaction{ID: "id 1/x", Kind: wire.KindFeedback},
					Replies: []wire.ReplyEntry{{Text: got.Text, At: time.Now()}}})
			})
			c := newTestClient(t, ts.URL, fastOptions())
			got, err := c.Backoffice("staff-token").Reply(context.Background(), tc.id, reply)
			tc.check(t, got, err)
			if n := ts.requests.Load(); n != tc.wantReqs {
				t.Fatalf("%d requests, want %d", n, tc.wantReqs)
			}
		})
	}
}

func TestBackofficeNotices(t *testing.T) {
	n := wire.Notice{Hall: "gulou", Kind: wire.NoticeClosure,
		Title: catalog.Text{catalog.LangZh: "停电", catalog.LangEn: "Power cut"}}
	var withdrawn []string
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "Bearer staff-token" {
			writeJSON(w, 401, wire.Error{Code: "unauthorized", Message: "no"})
			return
		}
		switch {
		case r.Method == http.MethodPost && r.URL.Path == wire.PathBackofficeNotices:
			var got wire.Notice
			if err := json.NewDecoder(r.Body).Decode(&got); err != nil || got.Title[catalog.LangEn] != "Power cut" || got.Hall != "gulou" {
				t.Errorf("notice arrived as %+v (%v)", got, err)
			}
			if got.Kind == "bad" {
				writeJSON(w, 400, wire.Error{Code: "bad_request", Message: "kind must be hours, closure, policy or info"})
				return
			}
			got.ID, got.Published = "n-1", time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)
			writeJSON(w, 201, got)
		case r.Method == http.MethodDelete && r.URL.EscapedPath() == wire.PathBackofficeNotices+"/n-1":
			withdrawn = append(withdrawn, "n-1")
			w.WriteHeader(204)
		case r.Method == http.MethodDelete:
			writeJSON(w, 404, wire.Error{Code: "not_found", Message: "no notice has this id"})
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL)
		}
	})
	c := newTestClient(t, ts.URL, fastOptions())
	bo := c.Backoffice("staff-token")
	ctx := context.Background()
	got, err := bo.PublishNotice(ctx, n)
	if err != nil || got.ID != "n-1" || got.Published.IsZero() || got.Kind != wire.NoticeClosure {
		t.Fatalf("PublishNotice = %+v, %v", got, err)
	}
	bad := n
	bad.Kind = "bad"
	var ae *APIError
	if _, err := bo.PublishNotice(ctx, bad); !errors.As(err, &ae) || ae.Status != 400 || ae.Message == "" {
		t.Fatalf("refused notice: %v", err)
	}
	if err := bo.WithdrawNotice(ctx, "n-1"); err != nil || len(withdrawn) != 1 {
		t.Fatalf("WithdrawNotice = %v (%v)", err, withdrawn)
	}
	if err := bo.WithdrawNotice(ctx, "n/2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("withdraw unknown: %v, want ErrNotFound", err)
	}
	if err := bo.WithdrawNotice(ctx, ""); err == nil {
		t.Fatal("withdraw of an empty id sent")
	}
	if _, err := c.Backoffice("wrong").PublishNotice(ctx, n); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("wrong staff token: %v", err)
	}
}

// TestStaffWritesNotResentAfterReset: a reply or a notice the server may
// have stored is not sent a second time after the connection broke.
func TestStaffWritesNotResentAfterReset(t *testing.T) {
	calls := map[string]func(bo *Backoffice) error{
		"reply": func(bo *Backoffice) error {
			_, err := bo.Reply(context.Background(), "id-1", wire.Reply{Text: catalog.Text{catalog.LangEn: "Done"}})
			return err
		},
		"publish notice": func(bo *Backoffice) error {
			_, err := bo.PublishNotice(context.Background(), wire.Notice{Kind: wire.NoticeInfo})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body) // the server has it all
				if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
					conn.Close()
				}
			})
			c := newTestClient(t, ts.URL, fastOptions())
			if err := call(c.Backoffice("staff-token")); !errors.Is(err, ErrOffline) {
				t.Fatalf("err = %v, want ErrOffline", err)
			}
			if n := ts.requests.Load(); n != 1 {
				t.Fatalf("%d requests, want 1 (no resend)", n)
			}
		})
	}
}
