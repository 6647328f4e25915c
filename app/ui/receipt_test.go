package ui_test

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/app/ui"
	"civicdesk/app/ui/uitest"
	"civicdesk/sync/engine"
)

// fixedID makes golden files stable: the store would make a time-ordered
// random id.
const fixedID = "0196a3f2-7c1e-7abc-8def-0123456789ab"

// queued puts a valid medical insurance application in the outbox.
func queued(t *testing.T, d *ui.Deps) store.Application {
	t.Helper()
	app, err := d.Store.Submit(store.NewApplication{ID: fixedID, Service: medical, ServiceVersion: 1, Values: catalog.Values{
		"insured_name": "张三", "id_number": sampleID, "phone": samplePhone, "insured_category": "adult",
		"district": "320302", "address": "鼓楼区中山北路1号", "contribution_year": 2027.0,
		"payment_method": "online", "declaration": true,
	}})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func qrImages(root fyne.CanvasObject) int {
	n := 0
	for _, o := range objects(root) {
		if img, ok := o.(*canvas.Image); ok && img.Resource != nil && len(img.Resource.Content()) > 0 {
			n++
		}
	}
	return n
}

func TestReceiptOfflineThenAccepted(t *testing.T) {
	d, fs := setup(t)
	fs.SetStatus(engine.Status{State: engine.Offline, Pending: 1})
	app := queued(t, d)
	done := 0
	rc := ui.NewReceipt(d, app.ID, func() { done++ })
	defer rc.Close()
	w := window(t, rc.Object())

	if rc.Tracking() != "" {
		t.Fatalf("tracking %q before acceptance", rc.Tracking())
	}
	root := rc.Object()
	for _, want := range []string{"申请已保存", "本机参考号", "0196A3F2", "已保存在本机，联网后将自动发送，无需再次提交。",
		"还需携带的材料", "• 居民身份证", "• 户口簿"} {
		if !hasLabel(root, want) {
			t.Errorf("offline receipt lacks %q: %q", want, labels(root))
		}
	}
	if qrImages(root) != 1 {
		t.Error("no QR code on the offline receipt")
	}
	test.AssertRendersToMarkup(t, "receipt_offline.xml", w.Canvas())

	// Another application's acceptance changes nothing.
	fs.Send(engine.Event{Kind: engine.Accepted, ID: "someone-else", Tracking: "XZ20261127000009"})

	// The engine sends it while the receipt is shown.
	if err := d.Store.MarkAccepted(app.ID, store.Acceptance{Tracking: "XZ20261127000001", VerificationCode: "482916",
		Status: lifecycle.Received, At: uitest.Epoch}); err != nil {
		t.Fatal(err)
	}
	fs.Send(engine.Event{Kind: engine.Accepted, ID: app.ID, Tracking: "XZ20261127000001"})
	waitFor(t, "the receipt to show the tracking number", func() bool { return rc.Tracking() == "XZ20261127000001" })
	root = rc.Object()
	for _, want := range []string{"申请已提交成功", "受理编号", "XZ20261127000001", "查询码", "482916", "还需携带的材料"} {
		if !hasLabel(root, want) {
			t.Errorf("accepted receipt lacks %q: %q", want, labels(root))
		}
	}
	if hasLabel(root, "0196A3F2") {
		t.Error("the local reference is still shown")
	}
	if qrImages(root) != 1 {
		t.Error("no QR code on the accepted receipt")
	}
	test.AssertRendersToMarkup(t, "receipt_accepted.xml", w.Canvas())
	test.Tap(button(t, root, "完成"))
	if done != 1 {
		t.Error("Done not reported")
	}
}

func TestReceiptNeedsStaff(t *testing.T) {
	d, fs := setup(t)
	app := queued(t, d)
	rc := ui.NewReceipt(d, app.ID, func() {})
	defer rc.Close()
	window(t, rc.Object())
	if err := d.Store.MarkRefused(app.ID, store.Refusal{State: lifecycle.NeedsAttention, Message: "invalid"}); err != nil {
		t.Fatal(err)
	}
	fs.Send(engine.Event{Kind: engine.Refused, ID: app.ID})
	waitFor(t, "the receipt to follow the refusal", func() bool { return rc.State() == lifecycle.NeedsAttention })
	if !hasLabel(rc.Object(), "申请需要工作人员协助") || !hasLabel(rc.Object(), "0196A3F2") {
		t.Errorf("refused receipt: %q", labels(rc.Object()))
	}
}

func TestReceiptMissing(t *testing.T) {
	d, _ := setup(t)
	rc := ui.NewReceipt(d, "no-such-id", func() {})
	defer rc.Close()
	window(t, rc.Object())
	if !hasLabel(rc.Object(), "找不到这份申请") {
		t.Errorf("missing application: %q", labels(rc.Object()))
	}
}
