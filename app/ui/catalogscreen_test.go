package ui_test

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/catalog"
	"civicdesk/app/i18n"
	"civicdesk/app/ui"
)

func codes(svcs []*catalog.Service) []string {
	out := make([]string, len(svcs))
	for i, s := range svcs {
		out[i] = s.Code
	}
	return out
}

func TestSearchServices(t *testing.T) {
	cat := catalog.Default()
	cases := []struct {
		name, query, category string
		want                  []string // nil: check only the count
		count                 int
	}{
		{name: "chinese name", query: "医保", want: []string{medical}},
		{name: "english name, any case", query: "MEDICAL insurance", want: []string{medical}},
		{name: "english words in any order", query: "enrolment residents'", want: []string{medical}},
		{name: "code", query: "housing_fund", want: []string{"housing_fund_withdrawal"}},
		{name: "spaces around", query: "  居住证 ", want: []string{"residence_permit"}},
		{name: "no match", query: "passport", want: []string{}},
		{name: "everything", query: "", count: len(cat.Services)},
		{name: "category", category: "welfare", want: []string{"senior_citizen_card", "disability_certificate", "minimum_living_allowance"}},
		{name: "category and query", query: "证", category: "welfare", want: []string{"senior_citizen_card", "disability_certificate"}},
		{name: "query outside the category", query: "医保", category: "housing", want: []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := codes(ui.SearchServices(cat, tc.query, tc.category))
			if tc.want == nil {
				if len(got) != tc.count {
					t.Errorf("%d services, want %d", len(got), tc.count)
				}
				return
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCatalogScreen(t *testing.T) {
	d, _ := setup(t)
	touches := 0
	d.Touch = func() { touches++ }
	vm := ui.NewCatalogVM()
	var picked *catalog.Service
	nav := ui.NewNavigator(ui.Screen{Name: "catalog", Build: func() fyne.CanvasObject {
		return ui.CatalogScreen(d, vm, func(s *catalog.Service) { picked = s })
	}})
	w := window(t, nav.Content())
	test.AssertRendersToMarkup(t, "catalog.xml", w.Canvas())

	root := nav.Content()
	if !hasLabel(root, "城乡居民医保参保登记") || !hasLabel(root, "居住证申领") {
		t.Fatalf("tiles: %q", labels(root))
	}
	// Typing filters the tiles.
	var search *widget.Entry
	for _, o := range objects(root) {
		if e, ok := o.(*widget.Entry); ok {
			search = e
		}
	}
	test.Type(search, "医保")
	if hasLabel(root, "居住证申领") || !hasLabel(root, "城乡居民医保参保登记") {
		t.Errorf("after searching 医保: %q", labels(root))
	}
	search.SetText("nothing like this")
	if !hasLabel(root, "没有找到相关事项，请换个关键词或选择其他分类。") {
		t.Error("no hint when nothing matches")
	}
	search.SetText("")

	// A category button filters by category and is highlighted.
	test.Tap(button(t, root, "民政福利"))
	if v, _ := vm.Category.Get(); v != "welfare" {
		t.Fatalf("category %q", v)
	}
	if hasLabel(root, "城乡居民医保参保登记") || !hasLabel(root, "老年人优待证") {
		t.Errorf("welfare tiles: %q", labels(root))
	}
	if button(t, root, "民政福利").Importance != widget.HighImportance {
		t.Error("the chosen category is not highlighted")
	}

	// The search and category survive a language switch, now in English.
	d.Loc.SetLang(i18n.En)
	nav.Refresh()
	root = nav.Content()
	if !hasLabel(root, "Senior citizen preferential card") || hasLabel(root, "Residents' medical insurance enrolment") {
		t.Errorf("English welfare tiles: %q", labels(root))
	}
	test.Tap(button(t, root, "All"))

	// Searching in English, then tapping the tile, picks the service.
	for _, o := range objects(root) {
		if e, ok := o.(*widget.Entry); ok {
			test.Type(e, "insurance")
		}
	}
	tapOn(w, label(t, root, "Residents' medical insurance enrolment"))
	if picked == nil || picked.Code != medical {
		t.Fatalf("picked %v", picked)
	}
	if touches == 0 {
		t.Error("no user activity reported")
	}
}

func TestDetailScreen(t *testing.T) {
	d, _ := setup(t)
	svc := service(t, d, medical)
	applied, back := 0, 0
	scr := ui.DetailScreen(d, svc, func() { applied++ }, func() { back++ })
	w := window(t, scr)
	test.AssertRendersToMarkup(t, "detail.xml", w.Canvas())
	for _, want := range []string{"所需材料", "• 居民身份证", "• 户口簿", "办理时限", "即时办结", "收费标准", "按年度缴纳个人缴费",
		"是否需要到现场", "否，无需到现场办理", "办理部门", "市医疗保障局"} {
		if !hasLabel(scr, want) {
			t.Errorf("detail lacks %q", want)
		}
	}
	test.Tap(button(t, scr, "开始申请"))
	test.Tap(button(t, scr, "返回"))
	if applied != 1 || back != 1 {
		t.Errorf("apply %d, back %d", applied, back)
	}

	// A service that needs a visit says so, with its note.
	d.Loc.SetLang(i18n.En)
	var visit *catalog.Service
	for i := range d.Catalog().Services {
		if s := &d.Catalog().Services[i]; s.InPerson && s.InPersonNote != nil {
			visit = s
			break
		}
	}
	if visit == nil {
		t.Skip("no in-person service in the catalog")
	}
	scr = ui.DetailScreen(d, visit, func() {}, func() {})
	w.SetContent(scr)
	if !hasLabelContaining(scr, "Yes, you need to come in person\n"+visit.InPersonNote[catalog.LangEn]) {
		t.Errorf("in-person note missing: %q", labels(scr))
	}
}
