package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"civicdesk/app/store"
	"civicdesk/sync/client"
	"civicdesk/sync/engine"
	"civicdesk/sync/remote"
)

func TestDemoEnrolment(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	url, srv, err := startDemoCentral(ctx, filepath.Join(dir, "demo-central"), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	st, err := store.Open(store.Options{Dir: filepath.Join(dir, "kiosk")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	code, err := srv.MintEnrollCode(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := enrol(ctx, st, options{api: url, enrollCode: code}, true, true)
	if err != nil {
		t.Fatalf("first demo start: %v", err)
	}
	if _, err := cl.Health(ctx); err != nil {
		t.Fatalf("the enrolled client cannot reach the demo API: %v", err)
	}
	tok, _ := st.Secret(secretToken)
	if tok == "" {
		t.Fatal("no device token stored")
	}
	// A later start of the same demo (its data kept, its port new) keeps the token.
	if _, err := enrol(ctx, st, options{api: url}, true, false); err != nil {
		t.Fatalf("second demo start: %v", err)
	}
	if again, _ := st.Secret(secretToken); again != tok {
		t.Fatal("a restart of the demo enrolled again")
	}
	// Another API without an enrolment code: a clear error, nothing changed.
	_, err = enrol(ctx, st, options{api: "https://api.example.invalid"}, false, false)
	if err == nil || !strings.Contains(err.Error(), "--enroll-code") {
		t.Fatalf("moving to another API without a code: %v", err)
	}
	if again, _ := st.Secret(secretToken); again != tok {
		t.Fatal("a failed enrolment replaced the token")
	}
}

func TestCatalogHolderKeepsAReadableCatalog(t *testing.T) {
	st, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.PutCatalog(`"bad"`, []byte(`{"version":"x","services":[{"code":"broken"}]}`)); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := newCatalogHolder(st, engine.New(st, nil, engine.Config{}), log)
	c := h.get()
	if _, ok := c.Service("medical_insurance_enrolment"); !ok || len(c.Services) < 10 {
		t.Fatalf("an unreadable cached catalog gave %d services; want the embedded catalog", len(c.Services))
	}
}

func TestTakesInteractions(t *testing.T) {
	native, err := client.New("http://127.0.0.1:1", client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	open311, err := remote.Open("open311+https://example.invalid/georeport/v2/", st, remote.Options{APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		api  engine.API
		want bool
	}{
		{"central API", native, true},
		{"Open311", open311, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := takesInteractions(tc.api); got != tc.want {
				t.Fatalf("takesInteractions = %v, want %v", got, tc.want)
			}
		})
	}
}
