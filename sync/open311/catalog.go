package open311

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"civicdesk/app/catalog"
)

// Form field names of the location and contact fields: the Open311
// parameter names.
const (
	FieldAddress     = "address_string"
	FieldLat         = "lat"
	FieldLong        = "long"
	FieldDescription = "description"
	FieldFirstName   = "first_name"
	FieldLastName    = "last_name"
	FieldEmail       = "email"
	FieldPhone       = "phone"
)

// Steps of every Open311 form.
const (
	StepLocation = "location"
	StepDetails  = "details"
	StepContact  = "contact"
)

// DescriptionLimit is the max_length of the description field: the spec's
// 4000 characters less room for the client reference Submit appends.
const DescriptionLimit = MaxDescription - 100

// attributePrefix starts the field name of every attribute.
const attributePrefix = "attribute_"

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// CatalogCode is the catalog code of a service_code: the code itself when
// it is already snake_case, else a snake_case form of it ("001" ->
// "s_001", "Pot-Hole" -> "pot_hole"). When two service codes of one
// catalog give the same form, the later ones get a suffix made from a hash
// of the code; the mapping is kept in State either way.
func CatalogCode(serviceCode string) string {
	if nameRE.MatchString(serviceCode) {
		return serviceCode
	}
	s := sanitize(serviceCode)
	switch {
	case s == "":
		return "s_" + shortHash(serviceCode)
	case s[0] < 'a' || s[0] > 'z':
		return "s_" + s
	}
	return s
}

// AttributeField is the form field name of an attribute code:
// "attribute_" and the code in snake_case ("SEEN-AT" ->
// "attribute_seen_at"). Collisions within a form get a hash suffix.
func AttributeField(code string) string {
	s := sanitize(code)
	if s == "" {
		s = shortHash(code)
	}
	return attributePrefix + s
}

// sanitize lowers s and turns every run of characters other than a-z and
// 0-9 into one "_", trimmed at both ends.
func sanitize(s string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			under = false
			continue
		}
		if !under && b.Len() > 0 {
			b.WriteByte('_')
			under = true
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:4])
}

// unique returns name, or name with a hash of key appended when taken.
func unique(name, key string, taken map[string]bool) string {
	if taken[name] {
		name += "_" + shortHash(key)
		for taken[name] {
			name += "_x"
		}
	}
	taken[name] = true
	return name
}

// serviceMap is how one catalog service maps to Open311, kept in State
// under catalog.map so that Submit can encode what the form collected.
type serviceMap struct {
	Code  string    `json:"code"` // service_code
	Type  string    `json:"type,omitempty"`
	Attrs []attrMap `json:"attrs,omitempty"`
}

type attrMap struct {
	Field    string `json:"field"`
	Code     string `json:"code"`
	Datatype string `json:"datatype"`
}

type catalogMap map[string]serviceMap // by catalog code

// Catalog builds the catalog from GET services and the definitions of the
// services with metadata=true. The body is a catalog.Catalog document
// (it passes catalog.Decode); its ETag is the quoted SHA-256 of the body,
// and notModified is true (with no body) when it equals etag.
func (b *Backend) Catalog(ctx context.Context, etag string) ([]byte, string, bool, error) {
	body, _, err := b.buildCatalog(ctx)
	if err != nil {
		return nil, "", false, err
	}
	sum := sha256.Sum256(body)
	newETag := `"` + hex.EncodeToString(sum[:]) + `"`
	if etag == newETag {
		return nil, newETag, true, nil
	}
	return body, newETag, false, nil
}

// buildCatalog fetches services and definitions, makes the catalog
// document and stores the mapping in State.
func (b *Backend) buildCatalog(ctx context.Context) ([]byte, catalogMap, error) {
	a, err := b.get(ctx, "services", nil, "services")
	if err != nil {
		return nil, nil, err
	}
	services, err := DecodeServices(a.body)
	if err != nil {
		return nil, nil, fmt.Errorf("Open311 services: %w", err)
	}
	defs := make(map[string]ServiceDefinition)
	for _, s := range services {
		if !s.Metadata {
			continue
		}
		if _, ok := defs[s.Code]; ok {
			continue
		}
		d, err := b.definition(ctx, s.Code)
		if err != nil {
			return nil, nil, err
		}
		defs[s.Code] = d
	}
	c, m := mapCatalog(services, defs, b.department())
	if len(c.Services) == 0 {
		return nil, nil, fmt.Errorf("Open311 services: %w: the server lists no services", ErrUnreadable)
	}
	body, err := encodeCatalog(c)
	if err != nil {
		return nil, nil, err
	}
	if err := b.saveMap(m); err != nil {
		return nil, nil, err
	}
	return body, m, nil
}

// definition fetches one service definition. A 404 gives an empty one
// (the service is offered without attributes).
func (b *Backend) definition(ctx context.Context, code string) (ServiceDefinition, error) {
	a, err := b.get(ctx, "service definition", nil, "services", code)
	if errors.Is(err, ErrNotFound) {
		b.log.Info("open311: a service says it has a definition but the server has none; offering it without attributes", "service", code)
		return ServiceDefinition{ServiceCode: code}, nil
	}
	if err != nil {
		return ServiceDefinition{}, err
	}
	d, err := DecodeServiceDefinition(a.body)
	if err != nil {
		return ServiceDefinition{}, fmt.Errorf("Open311 service definition: %w", err)
	}
	return d, nil
}

// department names who handles the requests: the jurisdiction, else the
// server's host.
func (b *Backend) department() string {
	if b.cfg.JurisdictionID != "" {
		return b.cfg.JurisdictionID
	}
	return b.base.Hostname()
}

func encodeCatalog(c catalog.Catalog) ([]byte, error) {
	c.Version = ""
	first, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("Open311 catalog: encoding: %w", err)
	}
	sum := sha256.Sum256(first)
	c.Version = "open311-" + hex.EncodeToString(sum[:8])
	body, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("Open311 catalog: encoding: %w", err)
	}
	if _, err := catalog.Decode(body); err != nil {
		// A bug here, not the server's fault: say so rather than hand the
		// engine a catalog it will refuse.
		return nil, fmt.Errorf("Open311 catalog: the mapped catalog does not pass the catalog check (%v): %w", err, ErrUnreadable)
	}
	return body, nil
}

func (b *Backend) saveMap(m catalogMap) error {
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("%w: encoding the catalog map: %v", ErrState, err)
	}
	old, err := b.cfg.State.Get(keyCatalogMap)
	if err != nil {
		return fmt.Errorf("%w: reading the catalog map: %v", ErrState, err)
	}
	if old == string(data) {
		return nil
	}
	if err := b.cfg.State.Set(keyCatalogMap, string(data)); err != nil {
		return fmt.Errorf("%w: storing the catalog map: %v", ErrState, err)
	}
	return nil
}

func (b *Backend) loadMap() (catalogMap, error) {
	raw, err := b.cfg.State.Get(keyCatalogMap)
	if err != nil {
		return nil, fmt.Errorf("%w: reading the catalog map: %v", ErrState, err)
	}
	m := catalogMap{}
	if raw == "" {
		return m, nil
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		b.log.Warn("open311: stored catalog map unreadable; it is fetched again")
		return catalogMap{}, nil
	}
	return m, nil
}

// both puts a server text under both catalog languages.
func both(s string) catalog.Text { return catalog.Text{catalog.LangZh: s, catalog.LangEn: s} }

// tr is a text of this package in both languages.
func tr(zh, en string) catalog.Text { return catalog.Text{catalog.LangZh: zh, catalog.LangEn: en} }

func intp(n int) *int             { return &n }
func floatp(f float64) *float64   { return &f }
func orElse(s, def string) string { return cmp.Or(strings.TrimSpace(s), def) }

// mapCatalog turns services and their definitions into a catalog and the
// mapping Submit needs. See the package documentation for the rules.
func mapCatalog(services []Service, defs map[string]ServiceDefinition, department string) (catalog.Catalog, catalogMap) {
	c := catalog.Catalog{
		Services: []catalog.Service{},
	}
	m := catalogMap{}
	codes := map[string]bool{}
	cats := map[string]bool{}
	seen := map[string]bool{}
	for _, s := range services {
		if seen[s.Code] {
			continue
		}
		seen[s.Code] = true
		code := unique(CatalogCode(s.Code), s.Code, codes)
		name := orElse(s.Name, s.Code)
		desc := orElse(s.Description, name)
		sm := serviceMap{Code: s.Code, Type: s.Type}
		svc := catalog.Service{
			Code:       code,
			Version:    1,
			Name:       both(name),
			Department: both(orElse(department, "Open311")),
		}
		if g := strings.TrimSpace(s.Group); g != "" {
			cc := sanitize(g)
			if cc == "" || cc[0] < 'a' || cc[0] > 'z' {
				cc = "g_" + cmp.Or(cc, shortHash(g))
			}
			if !cats[cc] {
				cats[cc] = true
				c.Categories = append(c.Categories, catalog.Category{Code: cc, Name: both(g)})
			}
			svc.Category = cc
		}
		fields := []catalog.Field{
			{Name: FieldAddress, Type: catalog.TypeText, Step: StepLocation,
				Label:     tr("地址", "Address"),
				Help:      tr("填写地址，或填写下面的纬度和经度。", "Give an address, or the latitude and longitude below."),
				MaxLength: intp(500)},
			{Name: FieldLat, Type: catalog.TypeNumber, Step: StepLocation,
				Label: tr("纬度", "Latitude"), Min: floatp(-90), Max: floatp(90)},
			{Name: FieldLong, Type: catalog.TypeNumber, Step: StepLocation,
				Label: tr("经度", "Longitude"), Min: floatp(-180), Max: floatp(180)},
		}
		taken := map[string]bool{}
		for _, f := range fields {
			taken[f.Name] = true
		}
		for _, n := range []string{FieldDescription, FieldFirstName, FieldLastName, FieldEmail, FieldPhone} {
			taken[n] = true
		}
		var notes []string
		attrs := slices.Clone(defs[s.Code].Attributes)
		slices.SortStableFunc(attrs, func(x, y Attribute) int { return cmp.Compare(x.Order, y.Order) })
		for _, at := range attrs {
			if !at.Variable {
				if t := strings.TrimSpace(at.Description); t != "" {
					notes = append(notes, t)
				}
				continue
			}
			f, ok := attributeField(at, taken)
			if !ok {
				continue
			}
			fields = append(fields, f)
			sm.Attrs = append(sm.Attrs, attrMap{Field: f.Name, Code: at.Code, Datatype: at.Datatype})
		}
		fields = append(fields,
			catalog.Field{Name: FieldDescription, Type: catalog.TypeMultiline, Step: StepDetails,
				Label: tr("问题描述", "Description"), MaxLength: intp(DescriptionLimit)},
			catalog.Field{Name: FieldFirstName, Type: catalog.TypeText, Step: StepContact,
				Label: tr("名", "First name"), MaxLength: intp(200)},
			catalog.Field{Name: FieldLastName, Type: catalog.TypeText, Step: StepContact,
				Label: tr("姓", "Last name"), MaxLength: intp(200)},
			catalog.Field{Name: FieldEmail, Type: catalog.TypeEmail, Step: StepContact,
				Label: tr("电子邮箱", "Email"), MaxLength: intp(254)},
			catalog.Field{Name: FieldPhone, Type: catalog.TypeText, Step: StepContact,
				Label: tr("电话", "Phone"), MaxLength: intp(40)},
		)
		if len(notes) > 0 {
			desc += "\n\n" + strings.Join(notes, "\n\n")
		}
		svc.Description = both(desc)
		svc.Form = catalog.Form{
			Steps: []catalog.Step{
				{Code: StepLocation, Title: tr("位置", "Location")},
				{Code: StepDetails, Title: tr("详情", "Details")},
				{Code: StepContact, Title: tr("联系方式（选填）", "Contact (optional)")},
			},
			Fields: fields,
		}
		c.Services = append(c.Services, svc)
		m[code] = sm
	}
	return c, m
}

// attributeField maps one variable attribute to a form field. A list
// attribute without usable values becomes a text field; an unknown
// datatype too.
func attributeField(at Attribute, taken map[string]bool) (catalog.Field, bool) {
	f := catalog.Field{
		Name:     unique(AttributeField(at.Code), at.Code, taken),
		Step:     StepDetails,
		Label:    both(orElse(at.Description, at.Code)),
		Required: at.Required,
	}
	if d := strings.TrimSpace(at.DatatypeDescription); d != "" {
		f.Help = both(d)
	}
	switch at.Datatype {
	case "number":
		f.Type = catalog.TypeNumber
	case "datetime":
		f.Type = catalog.TypeDate
	case "text":
		f.Type = catalog.TypeMultiline
	case "singlevaluelist", "multivaluelist":
		f.Type = catalog.TypeSelect
		if at.Datatype == "multivaluelist" {
			f.Type = catalog.TypeMultiselect
		}
		have := map[string]bool{}
		for _, v := range at.Values {
			if v.Key == "" || have[v.Key] {
				continue
			}
			have[v.Key] = true
			f.Options = append(f.Options, catalog.Option{Value: v.Key, Label: both(orElse(v.Name, v.Key))})
		}
		if len(f.Options) == 0 {
			f.Type = catalog.TypeText
		}
	default: // "string" and anything a server invents
		f.Type = catalog.TypeText
	}
	return f, true
}
