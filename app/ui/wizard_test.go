package ui_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/catalog"
	"civicdesk/app/i18n"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/app/ui"
)

// fillFirstStep answers the insured-person step of the medical insurance form.
func fillFirstStep(t *testing.T, wz *ui.Wizard) {
	t.Helper()
	typeIn(t, wz, "insured_name", "张三")
	typeIn(t, wz, "id_number", sampleID)
	typeIn(t, wz, "phone", samplePhone)
	choose(t, wz, "insured_category", "成年居民")
	choose(t, wz, "district", "鼓楼区")
	typeIn(t, wz, "address", "鼓楼区中山北路1号")
}

// fillMedical goes through every step of the medical insurance form by
// typing and tapping, and ends on the review (OnReview called).
func fillMedical(t *testing.T, d *ui.Deps, vm *ui.ApplyVM) {
	t.Helper()
	reviewed := false
	wz := ui.NewWizard(d, vm, ui.WizardOptions{OnReview: func() { reviewed = true }})
	window(t, wz.Object())
	fillFirstStep(t, wz)
	test.Tap(wz.NextButton())
	if vm.Step != 1 {
		t.Fatalf("still on step %d after Next; errors %v", vm.Step, vm.Errors())
	}
	typeIn(t, wz, "contribution_year", "2027")
	choose(t, wz, "payment_method", "线上缴费")
	test.Tap(wz.NextButton())
	check, ok := wz.Field("declaration").(*widget.Check)
	if !ok {
		t.Fatalf("declaration: %T, want a check", wz.Field("declaration"))
	}
	test.Tap(check)
	if wz.NextButton().Text != "核对信息" {
		t.Errorf("last step's button says %q", wz.NextButton().Text)
	}
	test.Tap(wz.NextButton())
	if !reviewed {
		t.Fatalf("OnReview not called; errors %v", vm.Errors())
	}
}

func TestFillAndSubmitToReceipt(t *testing.T) {
	d, fs := setup(t)
	touches := 0
	d.Touch = func() { touches++ }
	svc := service(t, d, medical)
	vm, err := ui.NewApplyVM(d, svc, "")
	if err != nil {
		t.Fatal(err)
	}
	fillMedical(t, d, vm)

	// The draft was saved as it was typed.
	draft, err := d.Store.Get(vm.ID)
	if err != nil || draft.State != lifecycle.Draft || draft.Values["insured_name"] != "张三" {
		t.Fatalf("draft in the store: %v %v %v", err, draft.State, draft.Values["insured_name"])
	}

	var submitted *store.Application
	review := ui.ReviewScreen(d, vm, func(app store.Application) { submitted = &app }, func() { t.Error("went back") })
	w := window(t, review)
	submit := button(t, review, "提交申请")
	if !submit.Disabled() {
		t.Fatal("Submit is enabled before consent")
	}
	test.Tap(submit)
	if submitted != nil {
		t.Fatal("submitted without consent")
	}
	consent := findCheck(t, review, "我已阅读并同意以上说明")
	test.Tap(consent)
	if submit.Disabled() {
		t.Fatal("Submit still disabled after consent")
	}
	test.Tap(submit)
	if submitted == nil {
		t.Fatalf("not submitted: %q", labels(review))
	}
	if submitted.State != lifecycle.Queued || fs.Triggers != 1 {
		t.Fatalf("state %s, triggers %d; want queued and one sync request", submitted.State, fs.Triggers)
	}
	got, err := d.Store.Get(submitted.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := catalog.Values{
		"insured_name": "张三", "id_number": sampleID, "phone": samplePhone, "insured_category": "adult",
		"district": "320302", "address": "鼓楼区中山北路1号", "contribution_year": float64(2027),
		"payment_method": "online", "declaration": true,
	}
	if len(got.Values) != len(want) {
		t.Errorf("stored values %d, want %d: %v", len(got.Values), len(want), keys(got.Values))
	}
	for k, v := range want {
		if got.Values[k] != v {
			t.Errorf("stored %s = %#v, want %#v", k, got.Values[k], v)
		}
	}
	if errs := catalog.ValidateAt(svc, got.Values, d.Now()); errs != nil {
		t.Errorf("stored values do not validate: %v", errs)
	}
	// The view-model forgot the answers once they were queued.
	if len(vm.Values()) != 0 {
		t.Errorf("the view-model still holds %d answers after submitting", len(vm.Values()))
	}

	rc := ui.NewReceipt(d, submitted.ID, func() {})
	defer rc.Close()
	w.SetContent(rc.Object())
	if !hasLabel(rc.Object(), ui.LocalRef(submitted.ID)) || !hasLabel(rc.Object(), "已保存在本机，联网后将自动发送，无需再次提交。") {
		t.Errorf("offline receipt: %q", labels(rc.Object()))
	}
	if touches < 10 {
		t.Errorf("only %d user actions reported", touches)
	}
}

func keys(v catalog.Values) []string {
	var out []string
	for k := range v {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func findCheck(t *testing.T, root fyne.CanvasObject, text string) *widget.Check {
	t.Helper()
	for _, o := range objects(root) {
		if c, ok := o.(*widget.Check); ok && c.Text == text {
			return c
		}
	}
	t.Fatalf("no check %q", text)
	return nil
}

func TestValidationInline(t *testing.T) {
	d, _ := setup(t)
	vm, err := ui.NewApplyVM(d, service(t, d, medical), "")
	if err != nil {
		t.Fatal(err)
	}
	wz := ui.NewWizard(d, vm, ui.WizardOptions{})
	window(t, wz.Object())
	const checksum = "校验位不符，请检查号码是否输错。"

	bad := sampleID[:17] + "1" // wrong check character
	typeIn(t, wz, "id_number", bad)
	if got := wz.ErrorText("id_number"); got != "" {
		t.Errorf("error shown while still typing the first time: %q", got)
	}
	typeIn(t, wz, "phone", "1") // moving on to another field leaves the ID number
	if got := wz.ErrorText("id_number"); got != checksum {
		t.Errorf("after leaving the field: %q, want %q", got, checksum)
	}

	test.Tap(wz.NextButton())
	if vm.Step != 0 {
		t.Fatal("Next moved on with errors")
	}
	for name, want := range map[string]string{
		"insured_name": "此项为必填项。", "id_number": checksum, "phone": "请输入以 1 开头的 11 位手机号码。",
		"insured_category": "此项为必填项。",
	} {
		if got := wz.ErrorText(name); got != want {
			t.Errorf("%s: error %q, want %q", name, got, want)
		}
	}
	if !hasLabel(wz.Object(), "请按提示更正标红的项目后再继续。") {
		t.Error("no summary next to the Next button")
	}

	// Once shown, errors follow the typing: fixing the ID clears its error.
	e := entry(t, wz, "id_number")
	e.SetText(sampleID)
	if got := wz.ErrorText("id_number"); got != "" {
		t.Errorf("fixed ID number still shows %q", got)
	}
	if _, ok := vm.Errors()["id_number"]; ok {
		t.Error("the view-model still has the ID number's error")
	}
	// ... and breaking it again shows the error at once.
	e.SetText(sampleID[:10])
	if got := wz.ErrorText("id_number"); got != "身份证号码应为 18 位。" {
		t.Errorf("re-broken ID number: %q", got)
	}
}

func TestShowIfLive(t *testing.T) {
	d, _ := setup(t)
	vm, err := ui.NewApplyVM(d, service(t, d, medical), "")
	if err != nil {
		t.Fatal(err)
	}
	wz := ui.NewWizard(d, vm, ui.WizardOptions{})
	window(t, wz.Object())
	fillFirstStep(t, wz)
	if wz.Field("school_name") != nil {
		t.Fatal("school_name shown for an adult")
	}
	choose(t, wz, "insured_category", "在校学生")
	if wz.Field("school_name") == nil {
		t.Fatalf("school_name did not appear for a student: %v", wz.Shown())
	}
	if !hasLabel(wz.Object(), "学校名称（必填）") {
		t.Error("school_name's label is not shown")
	}
	test.Tap(wz.NextButton())
	if vm.Step != 0 || wz.ErrorText("school_name") != "此项为必填项。" {
		t.Fatalf("school_name not required: step %d, error %q", vm.Step, wz.ErrorText("school_name"))
	}
	typeIn(t, wz, "school_name", "徐州市第一中学")
	choose(t, wz, "insured_category", "学龄前儿童")
	if wz.Field("school_name") != nil || wz.Field("guardian_name") == nil {
		t.Fatalf("child: shown %v", wz.Shown())
	}
	// Going back to student restores what was typed.
	choose(t, wz, "insured_category", "在校学生")
	if got := entry(t, wz, "school_name").Text; got != "徐州市第一中学" {
		t.Errorf("school_name after switching back: %q", got)
	}
	test.Tap(wz.NextButton())
	if vm.Step != 1 {
		t.Fatalf("a valid student did not move on: %v", vm.Errors())
	}
	// On the payment step the bank account appears for a direct debit only.
	choose(t, wz, "payment_method", "银行代扣")
	if wz.Field("bank_account") == nil {
		t.Errorf("bank_account not shown for a direct debit: %v", wz.Shown())
	}
	choose(t, wz, "payment_method", "大厅缴费")
	if wz.Field("bank_account") != nil {
		t.Error("bank_account shown for paying at the hall")
	}
	if got := wz.ProgressText(); got != "第 2 步，共 3 步" {
		t.Errorf("progress %q", got)
	}
	test.Tap(button(t, wz.Object(), "上一步"))
	if vm.Step != 0 || wz.Field("insured_name") == nil {
		t.Error("Back did not return to the first step")
	}
}

func TestLanguageSwitchMidForm(t *testing.T) {
	d, _ := setup(t)
	vm, err := ui.NewApplyVM(d, service(t, d, medical), "")
	if err != nil {
		t.Fatal(err)
	}
	var wz *ui.Wizard
	nav := ui.NewNavigator(ui.Screen{Name: "wizard", Build: func() fyne.CanvasObject {
		wz = ui.NewWizard(d, vm, ui.WizardOptions{})
		return wz.Object()
	}})
	window(t, nav.Content())
	typeIn(t, wz, "insured_name", "张三")
	typeIn(t, wz, "id_number", sampleID[:17]+"1")
	choose(t, wz, "insured_category", "在校学生")
	typeIn(t, wz, "school_name", "一中")
	test.Tap(wz.NextButton()) // shows errors

	d.Loc.SetLang(i18n.En)
	nav.Refresh()
	if got := entry(t, wz, "insured_name").Text; got != "张三" {
		t.Errorf("name after the switch: %q", got)
	}
	if got := entry(t, wz, "id_number").Text; got != sampleID[:17]+"1" {
		t.Errorf("ID number after the switch: %q", got)
	}
	if got := entry(t, wz, "school_name").Text; got != "一中" {
		t.Errorf("school after the switch: %q", got)
	}
	sel, ok := wz.Field("insured_category").(*widget.Select)
	if !ok || sel.Selected != "Student" {
		t.Errorf("category after the switch: %#v", wz.Field("insured_category"))
	}
	for _, want := range []string{"Insured person's full name (required)", "Step 1 of 3", "Insured person", "Residents' medical insurance enrolment"} {
		if !hasLabel(wz.Object(), want) {
			t.Errorf("no English label %q in %q", want, labels(wz.Object()))
		}
	}
	if got, want := wz.ErrorText("id_number"), d.Loc.T("error.id_number.checksum"); got != want || want == "校验位不符，请检查号码是否输错。" {
		t.Errorf("ID error after the switch: %q, want %q", got, want)
	}
	if wz.NextButton().Text != "Next" {
		t.Errorf("Next button: %q", wz.NextButton().Text)
	}
}

func TestReviewShowsLabelsNotCodes(t *testing.T) {
	d, _ := setup(t)
	vm, err := ui.NewApplyVM(d, service(t, d, medical), "")
	if err != nil {
		t.Fatal(err)
	}
	fillMedical(t, d, vm)
	vm.Set("bank_account", "6222020200112233445") // hidden: paying online
	review := ui.ReviewScreen(d, vm, func(store.Application) {}, func() {})
	w := window(t, review)
	for _, want := range []string{"成年居民", "鼓楼区", "线上缴费", "2027", "是", "未填写", "张三", sampleID} {
		if !hasLabel(review, want) {
			t.Errorf("review lacks %q", want)
		}
	}
	if hasLabel(review, "320302") {
		t.Error("review shows the district's code")
	}
	for _, hidden := range []string{"adult", "online", "6222020200112233445", "扣款银行卡号", "学校名称"} {
		if hasLabelContaining(review, hidden) {
			t.Errorf("review shows %q", hidden)
		}
	}
	if !hasLabelContaining(review, "平台确认收到后，本机立即删除") {
		t.Error("the kiosk privacy notice is missing")
	}
	test.AssertRendersToMarkup(t, "review.xml", w.Canvas())

	// Change on a step goes back to that step.
	back := 0
	review = ui.ReviewScreen(d, vm, func(store.Application) {}, func() { back++ })
	w.SetContent(review)
	test.Tap(button(t, review, "返回修改"))
	if back != 1 || vm.Step != 2 {
		t.Errorf("Edit: back %d, step %d", back, vm.Step)
	}
	for _, b := range objects(review) {
		if b, ok := b.(*widget.Button); ok && b.Text == "修改" {
			test.Tap(b) // the first "Change" is the first step's
			break
		}
	}
	if back != 2 || vm.Step != 0 {
		t.Errorf("Change on step 1: back %d, step %d", back, vm.Step)
	}
}

func TestWizardGolden(t *testing.T) {
	d, _ := setup(t)
	vm, err := ui.NewApplyVM(d, service(t, d, medical), "")
	if err != nil {
		t.Fatal(err)
	}
	wz := ui.NewWizard(d, vm, ui.WizardOptions{})
	w := window(t, wz.Object())
	test.AssertRendersToMarkup(t, "wizard_first_step.xml", w.Canvas())
}

func TestCancelAndDiscard(t *testing.T) {
	d, _ := setup(t)
	vm, err := ui.NewApplyVM(d, service(t, d, medical), "")
	if err != nil {
		t.Fatal(err)
	}
	cancelled := false
	wz := ui.NewWizard(d, vm, ui.WizardOptions{OnCancel: func() { cancelled = true }})
	window(t, wz.Object())
	typeIn(t, wz, "insured_name", "张三")
	if isShown(wz.Object(), wz.ConfirmCancelButton()) {
		t.Fatal("confirmation shown before Cancel")
	}
	test.Tap(wz.CancelButton())
	if cancelled || !isShown(wz.Object(), wz.ConfirmCancelButton()) {
		t.Fatal("Cancel did not ask first")
	}
	test.Tap(wz.ConfirmCancelButton())
	if !cancelled {
		t.Fatal("OnCancel not called")
	}
	if err := vm.Discard(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Store.Get(vm.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the draft is still in the store: %v", err)
	}
	if len(vm.Values()) != 0 {
		t.Error("the answers are still in memory")
	}
}

func TestKeypadUnderNumericFields(t *testing.T) {
	d, _ := setup(t)
	vm, err := ui.NewApplyVM(d, service(t, d, medical), "")
	if err != nil {
		t.Fatal(err)
	}
	targets := map[*widget.Button]*widget.Entry{}
	var allowX []bool
	keypad := func(target *widget.Entry, x bool) fyne.CanvasObject {
		allowX = append(allowX, x)
		key := widget.NewButton("7", func() { target.TypedRune('7') })
		targets[key] = target
		return key
	}
	d.Keypad = keypad
	wz := ui.NewWizard(d, vm, ui.WizardOptions{})
	w := window(t, wz.Object())
	if len(targets) != 2 || !slices.Equal(allowX, []bool{true, false}) {
		t.Fatalf("keypads for %d fields, allowX %v; want the ID number (with X) and the phone", len(targets), allowX)
	}
	// visibleKey is the one keypad on screen.
	visibleKey := func() *widget.Button {
		t.Helper()
		var shown []*widget.Button
		for key := range targets {
			if isShown(wz.Object(), key) {
				shown = append(shown, key)
			}
		}
		if len(shown) != 1 {
			t.Fatalf("%d keypads on screen, want 1", len(shown))
		}
		return shown[0]
	}
	if key := visibleKey(); targets[key] != entry(t, wz, "id_number") {
		t.Fatal("the first keypad is not under the ID number")
	}
	test.Tap(visibleKey())
	if vm.Value("id_number") != "7" {
		t.Errorf("keypad typed %v into the ID number", vm.Value("id_number"))
	}
	// Moving the focus to the phone moves the keypad there.
	for range 20 {
		if targets[visibleKey()] == entry(t, wz, "phone") {
			break
		}
		test.FocusNext(w.Canvas())
	}
	key := visibleKey()
	if targets[key] != entry(t, wz, "phone") {
		t.Fatal("the keypad did not follow the focus to the phone")
	}
	test.Tap(key)
	if vm.Value("phone") != "7" {
		t.Errorf("keypad typed %v into the phone", vm.Value("phone"))
	}
}

// isShown reports whether o and all its parents under root are visible.
func isShown(root, o fyne.CanvasObject) bool {
	var path func(n fyne.CanvasObject) bool
	path = func(n fyne.CanvasObject) bool {
		if n == o {
			return n.Visible()
		}
		if !n.Visible() {
			return false
		}
		var kids []fyne.CanvasObject
		switch c := n.(type) {
		case *fyne.Container:
			kids = c.Objects
		case fyne.Widget:
			kids = test.WidgetRenderer(c).Objects()
		}
		for _, k := range kids {
			if path(k) {
				return true
			}
		}
		return false
	}
	return path(root)
}

func TestAttachment(t *testing.T) {
	d, _ := setup(t)
	svc := service(t, d, medical)
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 2040)...)
	sum := sha256.Sum256(png)
	cases := []struct {
		name, file string
		data       []byte
		wantErr    string // the translated error under the field
		kept       bool
	}{
		{"png accepted", "scan.png", png, "", true},
		{"text refused", "notes.txt", []byte("hello, this is text"), "不接受此文件类型。", false},
		{"too large", "big.png", append(slices.Clone(png[:8]), make([]byte, maxSize(t, svc, "household_register_scan"))...), "文件太大（最大 10485760 字节）。", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vm, err := ui.NewApplyVM(d, svc, "")
			if err != nil {
				t.Fatal(err)
			}
			vm.Step = 1
			if err := vm.Attach("household_register_scan", "/home/x/"+tc.file, tc.data); err != nil {
				t.Fatal(err)
			}
			wz := ui.NewWizard(d, vm, ui.WizardOptions{})
			window(t, wz.Object())
			if _, ok := wz.Field("household_register_scan").(*widget.Button); !ok {
				t.Fatalf("attachment field: %T", wz.Field("household_register_scan"))
			}
			if got := wz.ErrorText("household_register_scan"); got != tc.wantErr {
				t.Errorf("error %q, want %q", got, tc.wantErr)
			}
			if !hasLabelContaining(wz.Object(), "已添加："+tc.file) {
				t.Errorf("name not shown: %q", labels(wz.Object()))
			}
			draft, err := d.Store.Get(vm.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(draft.Attachments) == 1; got != tc.kept {
				t.Fatalf("bytes kept in the draft: %v, want %v", got, tc.kept)
			}
			if tc.kept {
				a := draft.Attachments[0]
				if a.Ref.Type != "image/png" || a.Ref.SHA256 != hex.EncodeToString(sum[:]) || a.Ref.Size != int64(len(png)) ||
					a.Ref.Name != "scan.png" {
					t.Errorf("stored attachment %+v", a.Ref)
				}
				stored := make([]byte, len(png))
				if n, err := d.Store.ReadBlob(a.Ref.SHA256, 0, stored); n != len(png) || !bytes.Equal(stored, png) {
					t.Errorf("the store holds %d bytes of the file (%v), not the file", n, err)
				}
				if !hasLabel(wz.Object(), "已添加：scan.png（2 KB）") {
					t.Errorf("size not shown: %q", labels(wz.Object()))
				}
				test.Tap(button(t, wz.Object(), "移除"))
				if vm.Value("household_register_scan") != nil {
					t.Error("Remove kept the file")
				}
				if draft, _ := d.Store.Get(vm.ID); len(draft.Attachments) != 0 {
					t.Error("Remove kept the bytes in the draft")
				}
			}
		})
	}
}

func maxSize(t *testing.T, svc *catalog.Service, field string) int64 {
	t.Helper()
	f, ok := svc.Field(field)
	if !ok {
		t.Fatalf("no field %s", field)
	}
	return f.MaxSize
}

// On a kiosk a resident cannot attach files: the field says the staff scan
// the document at the counter, and offers no file dialog.
func TestAttachmentStaffOnly(t *testing.T) {
	d, _ := setup(t)
	staff := false
	d.AttachAllowed = func() bool { return staff }
	svc := service(t, d, medical)
	for _, tc := range []struct {
		staff  bool
		button bool
	}{{false, false}, {true, true}} {
		staff = tc.staff
		vm, err := ui.NewApplyVM(d, svc, "")
		if err != nil {
			t.Fatal(err)
		}
		vm.Step = 1
		wz := ui.NewWizard(d, vm, ui.WizardOptions{})
		window(t, wz.Object())
		_, isButton := wz.Field("household_register_scan").(*widget.Button)
		if isButton != tc.button {
			t.Fatalf("staff %v: attachment field is %T", tc.staff, wz.Field("household_register_scan"))
		}
		if !tc.staff && !hasLabelContaining(wz.Object(), "此材料由工作人员扫描") {
			t.Errorf("no counter note for a resident: %q", labels(wz.Object()))
		}
	}
}
