package ui

import (
	"encoding/json"
	"errors"
	"fmt"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
)

// OpenApplyVM reopens a draft saved in the store (the phone's "continue
// your application" after the app was killed): its answers and attached
// files come back as they were saved, at the first step, with no errors
// showing yet. A draft of a service the catalog no longer offers is
// ErrUnknownService; an application already queued is ErrSubmitted.
func OpenApplyVM(d *Deps, id string) (*ApplyVM, error) {
	a, err := d.Store.Get(id)
	if err != nil {
		return nil, fmt.Errorf("ui: reopen draft %s: %w", id, err)
	}
	if a.State != lifecycle.Draft {
		return nil, fmt.Errorf("%w: application %s is %s", ErrSubmitted, id, a.State)
	}
	svc, ok := d.Catalog().Service(a.Service)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownService, a.Service)
	}
	values := catalog.Values{}
	for _, f := range svc.Form.Fields {
		if v, ok := restoreValue(f.Type, a.Values[f.Name]); ok {
			values[f.Name] = v
		}
	}
	atts := map[string]store.Attachment{}
	for _, at := range a.Attachments {
		if ref, ok := values[at.Field].(catalog.AttachmentRef); ok && ref.SHA256 == at.Ref.SHA256 {
			atts[at.Field] = at // no bytes: the store keeps them and SaveDraft refers to them
		}
	}
	return &ApplyVM{
		ID: a.ID, Service: svc, StaffID: a.StaffID, d: d,
		values: values, atts: atts,
		errs: map[string]catalog.FieldError{}, armed: map[string]bool{},
	}, nil
}

// restoreValue turns an answer as the store decodes it (JSON) back into
// the Go type the wizard edits: []string for a multiselect, an
// AttachmentRef for a file, strings and bools as they are.
func restoreValue(t catalog.FieldType, v any) (any, bool) {
	if catalog.Absent(v) {
		return nil, false
	}
	switch t {
	case catalog.TypeMultiselect:
		switch v := v.(type) {
		case []string:
			return v, true
		case []any:
			out := make([]string, 0, len(v))
			for _, x := range v {
				if s, ok := x.(string); ok {
					out = append(out, s)
				}
			}
			return out, len(out) > 0
		}
		return nil, false
	case catalog.TypeAttachment:
		switch v := v.(type) {
		case catalog.AttachmentRef:
			return v, true
		case map[string]any:
			b, err := json.Marshal(v)
			if err != nil {
				return nil, false
			}
			var ref catalog.AttachmentRef
			if json.Unmarshal(b, &ref) != nil || ref.SHA256 == "" {
				return nil, false
			}
			return ref, true
		}
		return nil, false
	}
	return v, true
}

// Save writes the draft to the store now (every change is saved already;
// a shell calls this before the app goes to the background, to be sure).
// After Submit or Discard it does nothing.
func (vm *ApplyVM) Save() error {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	if vm.submitted {
		return nil
	}
	vm.saveLocked()
	if errors.Is(vm.saveErr, store.ErrNotFound) {
		return nil // discarded meanwhile: nothing to save
	}
	return vm.saveErr
}
