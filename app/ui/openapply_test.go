package ui_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"fyne.io/fyne/v2/test"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/app/ui"
	"civicdesk/app/ui/uitest"
)

// A draft reopened from the store has its answers and its file back, in
// the types the wizard edits, and can be finished and submitted.
func TestOpenApplyVM(t *testing.T) {
	test.NewTempApp(t)
	d, fs := uitest.Deps(t, store.PolicyPersonal)
	svc := service(t, d, "minimum_living_allowance")
	vm, err := ui.NewApplyVM(d, svc, "")
	if err != nil {
		t.Fatal(err)
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 2040)...)
	answers := catalog.Values{
		"applicant_name": "王秀兰", "id_number": sampleID, "phone": samplePhone, "district": "320302",
		"address": "鼓楼区中山北路 1 号", "household_size": "3", "monthly_income": "800",
		"income_sources": []string{"farming", "support"}, "hardship_reasons": []string{"illness"},
		"owns_vehicle": false, "owns_other_housing": false, "bank_card_number": "6222020200112233445",
		"consent_to_checks": true, "declaration": true,
	}
	for k, v := range answers {
		vm.Set(k, v)
	}
	if err := vm.Attach("household_register_scan", "hukou.png", png); err != nil {
		t.Fatal(err)
	}
	want := vm.Values()

	again, err := ui.OpenApplyVM(d, vm.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != vm.ID || again.Service.Code != svc.Code || again.Step != 0 {
		t.Fatalf("reopened %s/%s at step %d", again.ID, again.Service.Code, again.Step)
	}
	if got := again.Values(); !reflect.DeepEqual(got, want) {
		t.Fatalf("values:\n got %#v\nwant %#v", got, want)
	}
	if len(again.Errors()) != 0 {
		t.Fatalf("errors show on a reopened draft: %v", again.Errors())
	}

	// The wizard shows the saved answers.
	wz := ui.NewWizard(d, again, ui.WizardOptions{})
	window(t, wz.Object())
	if got := entry(t, wz, "applicant_name").Text; got != "王秀兰" {
		t.Fatalf("name shows %q", got)
	}
	// A change is saved, and the file is kept without attaching it again.
	again.Set("address", "鼓楼区中山北路 2 号")
	draft, err := d.Store.Get(vm.ID)
	if err != nil {
		t.Fatal(err)
	}
	if draft.Values["address"] != "鼓楼区中山北路 2 号" || len(draft.Attachments) != 1 {
		t.Fatalf("after a change: address %v, %d attachments", draft.Values["address"], len(draft.Attachments))
	}
	if err := again.Save(); err != nil {
		t.Fatal(err)
	}
	app, err := again.Submit()
	if err != nil {
		t.Fatal(err)
	}
	if app.State != lifecycle.Queued || len(app.Attachments) != 1 || fs.Triggers != 1 {
		t.Fatalf("submitted: %s with %d attachments, %d triggers", app.State, len(app.Attachments), fs.Triggers)
	}
	buf := make([]byte, len(png))
	if n, err := d.Store.ReadBlob(app.Attachments[0].Ref.SHA256, 0, buf); err != nil || !bytes.Equal(buf[:n], png) {
		t.Fatalf("the file's bytes: %d read, %v", n, err)
	}
}

func TestOpenApplyVMRefuses(t *testing.T) {
	test.NewTempApp(t)
	d, _ := uitest.Deps(t, store.PolicyPersonal)
	svc := service(t, d, medical)
	queued, err := d.Store.Submit(store.NewApplication{Service: medical, ServiceVersion: svc.Version, Values: catalog.Values{"insured_name": "王秀兰"}})
	if err != nil {
		t.Fatal(err)
	}
	draft, err := ui.NewApplyVM(d, svc, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		id      string
		catalog *catalog.Catalog
		want    error
	}{
		{"queued", queued.ID, d.Catalog(), ui.ErrSubmitted},
		{"unknown id", "0190d3f0-0000-7000-8000-000000000000", d.Catalog(), store.ErrNotFound},
		{"service withdrawn", draft.ID, &catalog.Catalog{}, ui.ErrUnknownService},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dd := *d
			dd.Catalog = func() *catalog.Catalog { return tc.catalog }
			if _, err := ui.OpenApplyVM(&dd, tc.id); !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

// Deps.PrepareAttachment transforms a file before it is kept; its refusal
// keeps nothing.
func TestPrepareAttachment(t *testing.T) {
	test.NewTempApp(t)
	d, _ := uitest.Deps(t, store.PolicyPersonal)
	svc := service(t, d, medical)
	big := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 9000)...)
	small := append([]byte("\xff\xd8\xff\xe0"), make([]byte, 500)...)
	refuse := errors.New("damaged photo")
	for _, tc := range []struct {
		name     string
		prepare  func(string, []byte) ([]byte, error)
		wantErr  error
		wantSize int64
		wantType string
	}{
		{"shrunk", func(string, []byte) ([]byte, error) { return small, nil }, nil, int64(len(small)), "image/jpeg"},
		{"refused", func(string, []byte) ([]byte, error) { return nil, refuse }, ui.ErrPrepare, 0, ""},
		{"none", nil, nil, int64(len(big)), "image/png"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dd := *d
			dd.PrepareAttachment = tc.prepare
			vm, err := ui.NewApplyVM(&dd, svc, "")
			if err != nil {
				t.Fatal(err)
			}
			err = vm.Attach("household_register_scan", "scan.png", big)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr != nil && !errors.Is(err, refuse)) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			draft, err := d.Store.Get(vm.ID)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantSize == 0 {
				if len(draft.Attachments) != 0 || vm.Value("household_register_scan") != nil {
					t.Fatal("a refused file was kept")
				}
				return
			}
			if len(draft.Attachments) != 1 {
				t.Fatalf("%d attachments", len(draft.Attachments))
			}
			if ref := draft.Attachments[0].Ref; ref.Size != tc.wantSize || ref.Type != tc.wantType {
				t.Fatalf("kept %d bytes of %s, want %d of %s", ref.Size, ref.Type, tc.wantSize, tc.wantType)
			}
		})
	}
}
