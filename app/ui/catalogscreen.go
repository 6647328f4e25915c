package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/catalog"
)

// CatalogVM is the state of the catalog screen: what was searched for and
// which category is chosen. It survives rebuilds (a language switch).
type CatalogVM struct {
	Query    binding.String // free text: part of a name in either language, or a service code
	Category binding.String // a category code; "" shows every category
}

// NewCatalogVM starts with no search and every category.
func NewCatalogVM() *CatalogVM {
	return &CatalogVM{Query: binding.NewString(), Category: binding.NewString()}
}

// SearchServices returns the services of c in catalog order that are in
// category (every category when "") and match query: every word of it is
// part of the service's Chinese or English name or its code, ignoring case.
func SearchServices(c *catalog.Catalog, query, category string) []*catalog.Service {
	words := strings.Fields(strings.ToLower(query))
	var out []*catalog.Service
	for i := range c.Services {
		s := &c.Services[i]
		if category != "" && s.Category != category {
			continue
		}
		hay := strings.ToLower(s.Name[catalog.LangZh] + "\n" + s.Name[catalog.LangEn] + "\n" + s.Code)
		ok := true
		for _, w := range words {
			if !strings.Contains(hay, w) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, s)
		}
	}
	return out
}

// CatalogScreen shows the services as large tiles, with a search box and
// category buttons; tapping a tile calls onPick.
func CatalogScreen(d *Deps, vm *CatalogVM, onPick func(svc *catalog.Service)) fyne.CanvasObject {
	l := d.Loc
	cat := d.Catalog()
	query, _ := vm.Query.Get()

	tiles := container.New(columns{minCells: 18})
	empty := Caption(l.T("ui.catalog.none"))
	cats := container.NewHBox() // in a horizontal scroll: any number of categories, never squeezed

	var showTiles, showCats func()
	showTiles = func() {
		q, _ := vm.Query.Get()
		c, _ := vm.Category.Get()
		found := SearchServices(cat, q, c)
		objs := make([]fyne.CanvasObject, 0, len(found))
		for _, s := range found {
			objs = append(objs, tile(l.Text(s.Name), l.Text(s.Department), widget.MediumImportance, func() {
				d.Touched()
				onPick(s)
			}))
		}
		tiles.Objects = objs
		tiles.Refresh()
		if len(found) == 0 {
			empty.Show()
		} else {
			empty.Hide()
		}
	}
	showCats = func() {
		c, _ := vm.Category.Get()
		choose := func(code string) func() {
			return func() {
				d.Touched()
				_ = vm.Category.Set(code)
				showCats()
				showTiles()
			}
		}
		all := widget.NewButton(l.T("ui.catalog.all"), choose(""))
		objs := []fyne.CanvasObject{all}
		if c == "" {
			all.Importance = widget.HighImportance
		}
		for _, k := range cat.Categories {
			b := widget.NewButton(l.Text(k.Name), choose(k.Code))
			if k.Code == c {
				b.Importance = widget.HighImportance
			}
			objs = append(objs, b)
		}
		cats.Objects = objs
		cats.Refresh()
	}

	search := widget.NewEntry()
	search.SetPlaceHolder(l.T("ui.catalog.search"))
	search.ActionItem = widget.NewIcon(theme.SearchIcon())
	search.SetText(query)
	search.OnChanged = func(s string) {
		d.Touched()
		_ = vm.Query.Set(s)
		showTiles()
	}
	showCats()
	showTiles()

	top := container.NewVBox(Heading(l.T("ui.catalog.title")), Caption(l.T("ui.catalog.hint")), search, container.NewHScroll(cats))
	return screen(container.NewPadded(top), container.NewVBox(tiles, empty), nil)
}
