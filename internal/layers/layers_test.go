package layers

import (
	"os/exec"
	"strings"
	"testing"
)

// fyneFree are the packages that must build without Fyne, so that most tests
// build in seconds and the core stays usable headless.
var fyneFree = []string{
	"civicdesk/app/catalog/...",
	"civicdesk/app/escpos/...",
	"civicdesk/app/lifecycle/...",
	"civicdesk/app/fingerprint/...",
	"civicdesk/app/handoff/...",
	"civicdesk/app/i18n/...",
	"civicdesk/app/imaging/...",
	"civicdesk/app/staff/...",
	"civicdesk/app/tickets/...",
	"civicdesk/app/store/...",
	"civicdesk/sync/...",
	"civicdesk/central/...",
	"civicdesk/cmd/...",
}

func TestNoFyneBelowTheScreens(t *testing.T) {
	for _, pkg := range fyneFree {
		t.Run(pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", "-test", pkg).CombinedOutput()
			if err != nil {
				t.Fatalf("go list %s: %v\n%s", pkg, err, out)
			}
			for _, dep := range strings.Fields(string(out)) {
				if strings.HasPrefix(dep, "fyne.io/") {
					t.Errorf("%s depends on %s; only app/ui, kiosk/, mobile/ and main may import Fyne", pkg, dep)
				}
			}
		})
	}
}
