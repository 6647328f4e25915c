package remote

import (
	"strings"
	"testing"

	"civicdesk/app/store"
	"civicdesk/sync/open311/open311test"
)

func TestOpen(t *testing.T) {
	srv := open311test.NewServer(open311test.Options{JurisdictionID: "xz.gov.cn"})
	defer srv.Close()
	t.Setenv(EnvOpen311Key, srv.APIKey())

	native, err := Open("http://127.0.0.1:8080", nil, Options{Token: "t"})
	if err != nil || native.Native == nil || native.Open311 != nil {
		t.Fatalf("a plain URL: %+v, %v; want the native client", native, err)
	}
	st, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	o, err := Open("open311+"+srv.URL()+"?jurisdiction_id=xz.gov.cn&format=xml", st, Options{})
	if err != nil || o.Open311 == nil || o.Native != nil {
		t.Fatalf("an open311+ URL: %+v, %v; want the Open311 backend", o, err)
	}
	if u, format := o.Open311.Endpoint(); strings.Contains(u, "jurisdiction_id") || format != "xml" {
		t.Fatalf("endpoint %q format %q: the query must configure, not travel", u, format)
	}
	for _, bad := range []string{"open311+", "open311+ftp://x/", "open311+https:///path"} {
		if _, err := Open(bad, st, Options{}); err == nil || !strings.Contains(err.Error(), "open311+https://") {
			t.Errorf("%q: %v; want an error showing the expected form", bad, err)
		}
	}
}
