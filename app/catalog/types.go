// Package catalog holds the service catalog, the form schemas and the one
// validator that the screens, the CLI and the central API all use.
package catalog

// Languages the catalog is written in. Every Text carries both.
const (
	LangZh = "zh-Hans"
	LangEn = "en"
)

// Text is a string in several languages, keyed by language tag ("zh-Hans", "en").
type Text map[string]string

// In returns the text in lang, falling back to Chinese, then English, then any.
func (t Text) In(lang string) string {
	if s, ok := t[lang]; ok && s != "" {
		return s
	}
	for _, l := range []string{LangZh, LangEn} {
		if s := t[l]; s != "" {
			return s
		}
	}
	for _, s := range t {
		return s
	}
	return ""
}

// Catalog is the set of services a device offers.
type Catalog struct {
	Version    string     `json:"version"`
	Categories []Category `json:"categories,omitempty"`
	Services   []Service  `json:"services"`
}

// Category groups services on the catalog screen.
type Category struct {
	Code string `json:"code"`
	Name Text   `json:"name"`
}

// Service is one public service a resident can apply for.
type Service struct {
	Code           string `json:"code"`
	Version        int    `json:"version"`
	Category       string `json:"category,omitempty"`
	Name           Text   `json:"name"`
	Description    Text   `json:"description"`
	Department     Text   `json:"department"`
	Materials      []Text `json:"materials"`
	ProcessingTime Text   `json:"processing_time"`
	Fee            Text   `json:"fee"`
	InPerson       bool   `json:"in_person"`
	InPersonNote   Text   `json:"in_person_note,omitempty"`
	Form           Form   `json:"form"`
}

// Form is a service's form schema: fields grouped into short steps.
type Form struct {
	Steps  []Step  `json:"steps,omitempty"`
	Fields []Field `json:"fields"`
}

// Step is a titled group of fields shown together in the form wizard.
type Step struct {
	Code  string `json:"code"`
	Title Text   `json:"title"`
}

// FieldType is the kind of value a field holds.
type FieldType string

// The field types a form may use.
const (
	TypeText        FieldType = "text"
	TypeMultiline   FieldType = "multiline"
	TypeNumber      FieldType = "number"
	TypeDate        FieldType = "date"
	TypeSelect      FieldType = "select"
	TypeMultiselect FieldType = "multiselect"
	TypeCheckbox    FieldType = "checkbox"
	TypePhone       FieldType = "phone"
	TypeIDNumber    FieldType = "id_number"
	TypeEmail       FieldType = "email"
	TypeAttachment  FieldType = "attachment"
)

// Field is one input of a form.
type Field struct {
	Name        string    `json:"name"`
	Type        FieldType `json:"type"`
	Step        string    `json:"step,omitempty"`
	Label       Text      `json:"label"`
	Help        Text      `json:"help,omitempty"`
	Placeholder Text      `json:"placeholder,omitempty"`
	Required    bool      `json:"required,omitempty"`
	MinLength   *int      `json:"min_length,omitempty"`
	MaxLength   *int      `json:"max_length,omitempty"`
	Min         *float64  `json:"min,omitempty"`
	Max         *float64  `json:"max,omitempty"`
	// Pattern is a Go regular expression the whole value must match.
	Pattern string `json:"pattern,omitempty"`
	// Options are the choices of a select or multiselect.
	Options []Option `json:"options,omitempty"`
	// ShowIf hides the field (and skips its validation) unless another
	// field has a given value.
	ShowIf *Condition `json:"show_if,omitempty"`
	// Accept lists the MIME types an attachment may have; MaxSize its size in bytes.
	Accept  []string `json:"accept,omitempty"`
	MaxSize int64    `json:"max_size,omitempty"`
}

// Option is one choice of a select or multiselect.
type Option struct {
	Value string `json:"value"`
	Label Text   `json:"label"`
}

// Condition is "show only if field Field has value Value". For a
// multiselect the condition holds when Value is among the chosen values;
// for a checkbox Value is "true" or "false".
type Condition struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

// Values are the answers to a form, keyed by field name. Text-like fields,
// dates (YYYY-MM-DD), selects, phones and ID numbers are strings; numbers are
// float64 or a numeric string; checkboxes are bool; multiselects are []string
// (or []any of strings, as decoded from JSON); attachments are an
// AttachmentRef (or the map JSON decodes it to).
type Values map[string]any

// AttachmentRef names an attached file. Its bytes travel and are stored apart
// from the values, addressed by SHA256 (hex).
type AttachmentRef struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// FieldError is one problem with one field. Code is stable (for example
// "required", "id_number.checksum") and is what the screens translate;
// Message is an English explanation for logs-free diagnostics and the CLI.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
	// Params carry the numbers a translated message needs ("min", "max").
	Params map[string]string `json:"params,omitempty"`
}
