package kiosk

import (
	"errors"
	"strings"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/app/handoff"
	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
)

// Hand-off from a resident's phone (issue 5): a "CDH1:" code scanned on
// the home or status screen carries an application filled in offline. It
// is checked against this kiosk's catalog and queued under the phone's
// application id, with exactly the phone's id, service, version and values
// and no staff id, so that its fingerprint equals the phone's: if the phone
// syncs it later, the central API sees the same application again.
//
// Attachments never travel in a code. Left-out documents that the service
// does not require are listed after the receipt (hand them to the staff);
// a required one that is missing stops the hand-off with a plain message
// (go to the counter with the documents), because the central API would
// refuse the application without it.

// scanHandoff handles a scanned hand-off code.
func (k *Kiosk) scanHandoff(code string) {
	k.Activity()
	p, err := handoff.Decode(code)
	if err != nil {
		k.handoffRefused(k.t("kiosk.handoff.unreadable_title"), k.t(decodeProblem(err)))
		return
	}
	svc, known := k.d.Catalog().Service(p.Service)
	switch app, err := k.d.Store.Get(p.ID); {
	case err == nil && app.Service != p.Service:
		k.handoffRefused(k.t("kiosk.handoff.unreadable_title"), k.t("kiosk.handoff.clash"))
		return
	case err == nil && app.State != lifecycle.Draft: // scanned twice: the same receipt
		k.handoffReceipt(app, optionalDocuments(svc, p))
		return
	case err != nil && !errors.Is(err, store.ErrNotFound):
		k.handoffRefused(k.t("kiosk.handoff.unreadable_title"), k.t("kiosk.handoff.failed"))
		return
	}
	if !known {
		k.handoffRefused(k.t("kiosk.handoff.unreadable_title"), k.t("kiosk.handoff.unknown_service"))
		return
	}
	problems, documents := check(svc, p, k.now())
	if len(problems) > 0 {
		reasons := make([]string, len(problems))
		for i, e := range problems {
			reasons[i] = k.t("kiosk.handoff.reason", "Field", k.fieldLabel(svc, e.Field), "Problem", k.d.Loc.FieldError(e))
		}
		k.handoffRefused(k.t("kiosk.handoff.invalid_title"),
			k.t("kiosk.handoff.invalid", "Reasons", strings.Join(reasons, "\n")))
		return
	}
	if len(documents) > 0 {
		k.handoffRefused(k.t("kiosk.handoff.needs_documents_title"),
			k.t("kiosk.handoff.needs_documents", "Documents", k.documentList(svc, documents)))
		return
	}
	app, err := k.d.Store.Submit(store.NewApplication{
		ID: p.ID, Service: p.Service, ServiceVersion: p.ServiceVersion, Values: p.Values,
	})
	if err != nil {
		k.handoffRefused(k.t("kiosk.handoff.unreadable_title"), k.t("kiosk.handoff.failed"))
		return
	}
	// Who took it in goes to this kiosk's settings, never onto the
	// submission (the staff id is part of the fingerprint).
	by := "kiosk"
	if k.sess.staffID != "" {
		by = "staff:" + k.sess.staffID
	}
	_ = k.d.Store.SetMeta(handoff.MetaKey(app.ID), by) // a record only: the application is queued either way
	k.d.Sync.Trigger()
	k.handoffReceipt(app, optionalDocuments(svc, p))
}

// check validates the payload against the kiosk's schema of its service.
// A "required" error on an attachment field is not a problem of the
// answers but a document the resident must bring: it goes to documents.
func check(svc *catalog.Service, p handoff.Payload, now time.Time) (problems []catalog.FieldError, documents []string) {
	for _, e := range catalog.ValidateAt(svc, p.Values, now) {
		if f, ok := svc.Field(e.Field); ok && f.Type == catalog.TypeAttachment && e.Code == catalog.CodeRequired {
			documents = append(documents, e.Field)
			continue
		}
		problems = append(problems, e)
	}
	return problems, documents
}

// optionalDocuments are the left-out attachments the form shows for these
// answers (the required ones stopped the hand-off before it was queued).
func optionalDocuments(svc *catalog.Service, p handoff.Payload) []string {
	if svc == nil || len(p.MissingAttachments) == 0 {
		return nil
	}
	var out []string
	for _, f := range svc.Visible(p.Values) {
		for _, m := range p.MissingAttachments {
			if f.Name == m {
				out = append(out, m)
			}
		}
	}
	return out
}

// handoffReceipt shows the receipt of a handed-off application and, when
// documents were left out, which ones to hand to the staff.
func (k *Kiosk) handoffReceipt(app store.Application, documents []string) {
	k.ShowReceipt(app)
	if len(documents) > 0 {
		svc, _ := k.d.Catalog().Service(app.Service)
		k.showError(k.t("kiosk.handoff.documents_title"),
			k.t("kiosk.handoff.documents", "Documents", k.documentList(svc, documents)))
	}
}

// handoffRefused shows why a hand-off was not queued; nothing was stored.
func (k *Kiosk) handoffRefused(title, msg string) { k.showError(title, msg) }

// decodeProblem is the message id for a Decode error.
func decodeProblem(err error) string {
	switch {
	case errors.Is(err, handoff.ErrTampered):
		return "kiosk.handoff.tampered"
	case errors.Is(err, handoff.ErrVersion):
		return "kiosk.handoff.version"
	}
	return "kiosk.handoff.malformed"
}

// documentList is one line per document, named by its label.
func (k *Kiosk) documentList(svc *catalog.Service, fields []string) string {
	lines := make([]string, len(fields))
	for i, name := range fields {
		lines[i] = k.t("kiosk.handoff.document", "Name", k.fieldLabel(svc, name))
	}
	return strings.Join(lines, "\n")
}

// fieldLabel is a field's label in the current language (its name when
// the kiosk's catalog does not have it).
func (k *Kiosk) fieldLabel(svc *catalog.Service, name string) string {
	if svc != nil {
		if f, ok := svc.Field(name); ok {
			if s := k.d.Loc.Text(f.Label); s != "" {
				return s
			}
		}
	}
	return name
}

// now is the device clock of the deps (the validator's "today").
func (k *Kiosk) now() time.Time {
	if k.d.Now != nil {
		return k.d.Now()
	}
	return k.cfg.Clock.Now()
}
