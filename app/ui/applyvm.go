package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/app/store"
)

// ApplyVM is the application being filled in: its answers, attachments and
// errors, and the wizard's step. It holds no widgets, so a screen can be
// rebuilt from it at any time (a language switch) without losing anything.
// Every change is saved to the store as a draft at once.
type ApplyVM struct {
	ID      string // the application id (the store's draft)
	Service *catalog.Service
	StaffID string // the staff member entering it for a walk-in, or ""
	// Step is the index, in Steps(), of the step the wizard shows.
	Step int
	// Consent records that the privacy notice was accepted on the review screen.
	Consent bool

	d         *Deps
	mu        sync.Mutex
	values    catalog.Values
	atts      map[string]store.Attachment
	errs      map[string]catalog.FieldError
	armed     map[string]bool // fields whose errors show as they are edited
	last      string          // the field edited last
	saveErr   error
	submitted bool
}

// NewApplyVM creates a draft of svc in the store.
func NewApplyVM(d *Deps, svc *catalog.Service, staffID string) (*ApplyVM, error) {
	app, err := d.Store.CreateDraft(store.NewApplication{
		Service: svc.Code, ServiceVersion: svc.Version, Values: catalog.Values{}, StaffID: staffID,
	})
	if err != nil {
		return nil, fmt.Errorf("ui: start an application for %s: %w", svc.Code, err)
	}
	return &ApplyVM{
		ID: app.ID, Service: svc, StaffID: staffID, d: d,
		values: catalog.Values{}, atts: map[string]store.Attachment{},
		errs: map[string]catalog.FieldError{}, armed: map[string]bool{},
	}, nil
}

func (vm *ApplyVM) now() time.Time {
	if vm.d.Now != nil {
		return vm.d.Now()
	}
	return time.Now()
}

// Values returns a copy of the answers so far.
func (vm *ApplyVM) Values() catalog.Values {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return copyValues(vm.values)
}

func copyValues(v catalog.Values) catalog.Values {
	out := make(catalog.Values, len(v))
	for k, x := range v {
		if s, ok := x.([]string); ok {
			x = slices.Clone(s)
		}
		out[k] = x
	}
	return out
}

// Value returns one answer (nil when none).
func (vm *ApplyVM) Value(field string) any {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return vm.values[field]
}

// Errors returns the errors currently shown, by field name.
func (vm *ApplyVM) Errors() map[string]catalog.FieldError {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	out := make(map[string]catalog.FieldError, len(vm.errs))
	for k, e := range vm.errs {
		out[k] = e
	}
	return out
}

// SaveErr is the last autosave failure (nil when the draft is saved).
func (vm *ApplyVM) SaveErr() error {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return vm.saveErr
}

// Set records an answer: "" , nil and an empty list remove it. It clears
// the field's error, re-checks the field if its errors already show (it was
// left, or Next was pressed), and saves the draft. Editing a field counts
// as leaving the one edited before. Unknown fields are ignored.
func (vm *ApplyVM) Set(field string, v any) {
	f, ok := vm.Service.Field(field)
	if !ok {
		return
	}
	vm.mu.Lock()
	defer vm.mu.Unlock()
	if vm.submitted {
		return
	}
	if catalog.Absent(v) {
		delete(vm.values, field)
	} else {
		vm.values[field] = v
	}
	if f.Type == catalog.TypeAttachment {
		delete(vm.atts, field) // Attach sets the bytes with the value
	}
	if vm.last != "" && vm.last != field {
		vm.armed[vm.last] = true
	}
	vm.last = field
	vm.recheckLocked()
	vm.saveLocked()
}

// Leave marks field as left by the resident: from now on its errors show
// (and follow every change). Choices (select, radio, checkbox) count as left
// as soon as they are made.
func (vm *ApplyVM) Leave(field string) {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	vm.armed[field] = true
	vm.recheckLocked()
}

// Attach records a file for an attachment field: Deps.PrepareAttachment
// (if set) transforms it first, its type is sniffed from the bytes, its
// SHA-256 computed, and the bytes kept with the draft when the field
// accepts the file. The returned error is a storage problem or the
// preparation's refusal (ErrPrepare); a file the field refuses shows as the
// field's error.
func (vm *ApplyVM) Attach(field, name string, data []byte) error {
	f, ok := vm.Service.Field(field)
	if !ok || f.Type != catalog.TypeAttachment {
		return fmt.Errorf("ui: %s is not an attachment field of %s", field, vm.Service.Code)
	}
	if vm.d.PrepareAttachment != nil {
		prepared, err := vm.d.PrepareAttachment(name, data)
		if err != nil {
			return fmt.Errorf("%w: field %s: %w", ErrPrepare, field, err)
		}
		data = prepared
	}
	mt, _, err := mime.ParseMediaType(http.DetectContentType(data))
	if err != nil {
		mt = "application/octet-stream"
	}
	sum := sha256.Sum256(data)
	ref := catalog.AttachmentRef{Name: filepath.Base(name), Type: mt, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	vm.mu.Lock()
	defer vm.mu.Unlock()
	if vm.submitted {
		return ErrSubmitted
	}
	vm.values[field] = ref
	vm.armed[field] = true
	vm.last = field
	delete(vm.errs, field)
	vm.recheckLocked()
	if _, bad := vm.errs[field]; bad {
		delete(vm.atts, field) // never keep the bytes of a refused file
	} else {
		vm.atts[field] = store.Attachment{Field: field, Ref: ref, Data: data}
	}
	vm.saveLocked()
	return vm.saveErr
}

// recheckLocked validates the armed, visible fields again and drops the
// errors of fields no longer visible.
func (vm *ApplyVM) recheckLocked() {
	all := map[string]catalog.FieldError{}
	for _, e := range catalog.ValidateAt(vm.Service, vm.values, vm.now()) {
		all[e.Field] = e
	}
	visible := map[string]bool{}
	for _, f := range vm.Service.Visible(vm.values) {
		visible[f.Name] = true
	}
	for name := range vm.errs {
		if !visible[name] {
			delete(vm.errs, name)
		}
	}
	for name := range vm.armed {
		if !visible[name] {
			continue
		}
		if e, ok := all[name]; ok {
			vm.errs[name] = e
		} else {
			delete(vm.errs, name)
		}
	}
}

// saveLocked writes the draft (values and attachments) to the store.
func (vm *ApplyVM) saveLocked() {
	atts := make([]store.Attachment, 0, len(vm.atts))
	for _, f := range vm.Service.Form.Fields {
		if a, ok := vm.atts[f.Name]; ok {
			atts = append(atts, a)
		}
	}
	vm.saveErr = vm.d.Store.SaveDraft(vm.ID, copyValues(vm.values), atts)
}

// Steps returns the form's steps that have at least one visible field (a
// form without steps has one, titled with the service's name).
func (vm *ApplyVM) Steps() []catalog.Step {
	values := vm.Values()
	return vm.steps(values)
}

func (vm *ApplyVM) steps(values catalog.Values) []catalog.Step {
	if len(vm.Service.Form.Steps) == 0 {
		return []catalog.Step{{Title: vm.Service.Name}}
	}
	var out []catalog.Step
	for _, st := range vm.Service.Form.Steps {
		if len(vm.Service.StepFields(st.Code, values)) > 0 {
			out = append(out, st)
		}
	}
	return out
}

// Current returns the step shown and the visible fields in it.
func (vm *ApplyVM) Current() (catalog.Step, []catalog.Field) {
	values := vm.Values()
	steps := vm.steps(values)
	vm.Step = min(max(vm.Step, 0), len(steps)-1)
	st := steps[vm.Step]
	return st, vm.Service.StepFields(st.Code, values)
}

// Last reports whether the current step is the last one.
func (vm *ApplyVM) Last() bool { return vm.Step >= len(vm.Steps())-1 }

// Next checks the visible fields of the current step (their errors show
// from now on) and, when they are all valid, moves to the next step. It
// reports whether the step was clean; on the last step it stays.
func (vm *ApplyVM) Next() bool {
	_, fields := vm.Current()
	vm.mu.Lock()
	for _, f := range fields {
		vm.armed[f.Name] = true
	}
	vm.recheckLocked()
	clean := true
	for _, f := range fields {
		if _, bad := vm.errs[f.Name]; bad {
			clean = false
		}
	}
	vm.mu.Unlock()
	if clean && !vm.Last() {
		vm.Step++
	}
	return clean
}

// Back returns to the previous step (it stays on the first).
func (vm *ApplyVM) Back() {
	if vm.Step > 0 {
		vm.Step--
	}
}

// Submit checks every visible field and, when all are valid, saves the
// answers (hidden fields left out, numbers as numbers) and queues the
// application in one store transaction, then asks the engine to send. With
// fields to correct it returns ErrInvalidForm and moves Step to the first
// step with an error.
func (vm *ApplyVM) Submit() (store.Application, error) {
	vm.mu.Lock()
	if vm.submitted {
		vm.mu.Unlock()
		return store.Application{}, ErrSubmitted
	}
	for _, f := range vm.Service.Visible(vm.values) {
		vm.armed[f.Name] = true
	}
	vm.recheckLocked()
	if len(vm.errs) > 0 {
		values := copyValues(vm.values)
		vm.mu.Unlock()
		for i, st := range vm.steps(values) {
			if vm.stepHasError(st.Code, values) {
				vm.Step = i
				break
			}
		}
		return store.Application{}, ErrInvalidForm
	}
	values := catalog.Values{}
	var atts []store.Attachment
	for _, f := range vm.Service.Visible(vm.values) {
		v, ok := vm.values[f.Name]
		if !ok {
			continue
		}
		if f.Type == catalog.TypeNumber {
			if s, isStr := v.(string); isStr {
				if n, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
					v = n
				}
			}
		}
		values[f.Name] = v
		if a, ok := vm.atts[f.Name]; ok {
			atts = append(atts, a)
		}
	}
	app, err := vm.d.Store.Submit(store.NewApplication{
		ID: vm.ID, Service: vm.Service.Code, ServiceVersion: vm.Service.Version,
		Values: values, Attachments: atts, StaffID: vm.StaffID,
	})
	if err != nil {
		vm.mu.Unlock()
		return store.Application{}, fmt.Errorf("ui: queue the application: %w", err)
	}
	vm.submitted = true
	vm.wipeLocked()
	vm.mu.Unlock()
	vm.d.Sync.Trigger()
	return app, nil
}

func (vm *ApplyVM) stepHasError(step string, values catalog.Values) bool {
	errs := vm.Errors()
	for _, f := range vm.Service.StepFields(step, values) {
		if _, bad := errs[f.Name]; bad {
			return true
		}
	}
	return false
}

// Submitted reports whether Submit succeeded.
func (vm *ApplyVM) Submitted() bool {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return vm.submitted
}

// Discard forgets the answers and deletes the draft from the store (the
// kiosk's session wipe, or the resident giving up). After a successful
// Submit the application stays queued: only the memory is wiped.
func (vm *ApplyVM) Discard() error {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	vm.wipeLocked()
	if vm.submitted {
		return nil
	}
	if err := vm.d.Store.Delete(vm.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("ui: discard the draft: %w", err)
	}
	return nil
}

// wipeLocked drops every answer, attachment and error from memory.
func (vm *ApplyVM) wipeLocked() {
	for _, a := range vm.atts {
		clear(a.Data)
	}
	vm.values = catalog.Values{}
	vm.atts = map[string]store.Attachment{}
	vm.errs = map[string]catalog.FieldError{}
	vm.armed = map[string]bool{}
	vm.last = ""
	vm.Consent = false
}
