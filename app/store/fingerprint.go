package store

import "civicdesk/app/fingerprint"

// Fingerprint is the content hash of an application, computed as the sync
// engine's wire item computes it (attachments as {sha256, type}).
func Fingerprint(a Application) string {
	c := fingerprint.Content{ID: a.ID, Service: a.Service, ServiceVersion: a.ServiceVersion, Values: a.Values, StaffID: a.StaffID}
	for _, x := range a.Attachments {
		c.Attachments = append(c.Attachments, fingerprint.Attachment{SHA256: x.Ref.SHA256, Type: x.Ref.Type})
	}
	return fingerprint.Of(c)
}
