package mobile

import (
	"fmt"

	"fyne.io/fyne/v2/widget"

	"civicdesk/app/imaging"
	"civicdesk/app/ui"
)

// prepareAttachment is the phone's ui.Deps.PrepareAttachment: a photo of a
// document larger than MaxPhotoSide on its longest side is shrunk to a
// JPEG before it is queued (a 12-megapixel photo of 4 MB becomes a few
// hundred KB, which a 2G link can carry), and the Services tab says so
// ("2.1 MB -> 380 KB"). Other files go as they are.
func (s *Shell) prepareAttachment(name string, data []byte) ([]byte, error) {
	out, _, err := imaging.Downscale(data, s.cfg.MaxPhotoSide)
	if err != nil {
		return nil, fmt.Errorf("mobile: shrink the photo: %w", err)
	}
	if len(out) < len(data) {
		l := s.d.Loc
		s.showNotice(s.t("mobile.attach.reduced",
			"From", ui.FileSize(l, int64(len(data))), "To", ui.FileSize(l, int64(len(out)))), widget.SuccessImportance)
	}
	return out, nil
}

// Notice is the message on top of the Services tab ("" when none): a
// photo that was shrunk, a draft that could not be reopened.
func (s *Shell) Notice() string {
	if !s.svc.notice.Visible() {
		return ""
	}
	return s.svc.notice.Text
}
