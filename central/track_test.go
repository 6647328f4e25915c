package central

import (
	"fmt"
	"strings"
	"testing"

	"civicdesk/app/lifecycle"
	"civicdesk/sync/wire"
)

func TestTrack(t *testing.T) {
	f := newFixture(t)
	_, tok := f.enroll("kiosk")
	vals := validValues()
	r := f.submit(tok, newItem(vals))[0]
	f.clock.Advance(3600e9)
	if err := f.srv.SetStatus(r.Tracking, wire.StatusUpdate{Status: lifecycle.InReview}); err != nil {
		t.Fatal(err)
	}
	wrongCode := fmt.Sprintf("%06d", (atoi(r.VerificationCode)+1)%1_000_000)

	t.Run("right code", func(t *testing.T) {
		var tr wire.TrackResponse
		resp := f.doJSON(request{method: "POST", path: wire.PathTrack, token: tok,
			body: wire.TrackRequest{Tracking: r.Tracking, VerificationCode: r.VerificationCode}}, 200, &tr)
		if tr.Tracking != r.Tracking || tr.Service != "residence_permit" || tr.Status != lifecycle.InReview ||
			!tr.AcceptedAt.Equal(r.AcceptedAt) || len(tr.History) != 2 || tr.History[0].Status != lifecycle.Received ||
			!tr.History[1].At.Equal(f.clock.Now()) {
			t.Fatalf("%+v", tr)
		}
		_ = resp
		// No personal data in the public view.
		_, body := f.do(request{method: "POST", path: wire.PathTrack, token: tok,
			body: wire.TrackRequest{Tracking: r.Tracking, VerificationCode: r.VerificationCode}})
		for _, v := range vals {
			if strings.Contains(string(body), v.(string)) {
				t.Fatal("track answer contains a form value")
			}
		}
	})
	var messages []string
	for name, tr := range map[string]wire.TrackRequest{
		"wrong code":       {Tracking: r.Tracking, VerificationCode: wrongCode},
		"unknown tracking": {Tracking: "XZ20260302999999", VerificationCode: r.VerificationCode},
		"code too long":    {Tracking: r.Tracking, VerificationCode: r.VerificationCode + "0"},
	} {
		t.Run(name, func(t *testing.T) {
			e := f.wantError(request{method: "POST", path: wire.PathTrack, token: tok, body: tr}, 404, codeNotFound)
			messages = append(messages, e.Message)
		})
	}
	t.Run("same answer either way", func(t *testing.T) {
		for _, m := range messages[1:] {
			if m != messages[0] {
				t.Fatalf("messages differ: %q vs %q", m, messages[0])
			}
		}
	})
	t.Run("missing fields", func(t *testing.T) {
		f.wantError(request{method: "POST", path: wire.PathTrack, token: tok, body: wire.TrackRequest{Tracking: r.Tracking}}, 400, codeBadRequest)
	})
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
