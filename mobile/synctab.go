package mobile

import (
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/ui"
	"civicdesk/sync/client"
	"civicdesk/sync/engine"
)

// syncVM is the Sync tab's state: texts in bindings, so the event
// goroutine sets them and any goroutine (a test) reads them safely.
type syncVM struct {
	s *Shell

	State, Waiting, LastSuccess, LastError, Next, Saver binding.String
	// Progress is the share of the attachments being uploaded that has
	// arrived (0 when no upload runs); ProgressText says it in words.
	Progress     binding.Float
	ProgressText binding.String

	mu      sync.Mutex
	uploads map[string][2]int64 // application id -> done, total bytes

	obj     fyne.CanvasObject // built once; texts follow the bindings
	title   *widget.Label
	hint    *widget.Label
	syncNow *widget.Button
}

func newSyncVM(s *Shell) *syncVM {
	vm := &syncVM{s: s, State: binding.NewString(), Waiting: binding.NewString(),
		LastSuccess: binding.NewString(), LastError: binding.NewString(), Next: binding.NewString(),
		Saver: binding.NewString(), Progress: binding.NewFloat(), ProgressText: binding.NewString(),
		uploads: map[string][2]int64{}}
	vm.update(s.d.Sync.Status())
	return vm
}

// update shows an engine status in the current language. Any goroutine.
func (vm *syncVM) update(st engine.Status) {
	s := vm.s
	l := s.d.Loc
	switch st.State {
	case engine.Syncing:
		_ = vm.State.Set(l.T("mobile.sync.state_syncing"))
	case engine.Offline:
		_ = vm.State.Set(l.T("mobile.sync.state_offline"))
	default:
		_ = vm.State.Set(l.T("mobile.sync.state_online"))
	}
	switch fb := st.PendingInteractions; {
	case st.Pending > 0 && fb > 0:
		_ = vm.Waiting.Set(l.T("mobile.sync.waiting_with_feedback", "N", st.Pending, "Size", ui.FileSize(l, st.PendingBytes), "M", fb))
	case st.Pending > 0:
		_ = vm.Waiting.Set(l.T("mobile.sync.waiting", "N", st.Pending, "Size", ui.FileSize(l, st.PendingBytes)))
	case fb > 0:
		_ = vm.Waiting.Set(l.T("mobile.sync.waiting_feedback", "M", fb))
	default:
		_ = vm.Waiting.Set(l.T("mobile.sync.nothing_waiting"))
	}
	if st.LastSuccess.IsZero() {
		_ = vm.LastSuccess.Set(l.T("mobile.sync.never"))
	} else {
		_ = vm.LastSuccess.Set(l.T("mobile.sync.last_success", "Time", s.d.LocalTime(st.LastSuccess)))
	}
	_ = vm.LastError.Set(vm.plainError(st.LastError))
	if st.NextAttempt.IsZero() || st.State == engine.Syncing {
		_ = vm.Next.Set("")
	} else {
		_ = vm.Next.Set(l.T("mobile.sync.next", "Time", s.d.LocalTime(st.NextAttempt)))
	}
	saver := ""
	if s.saver.Load() && !s.sendNow.Load() && st.Pending > 0 {
		saver = l.T("mobile.sync.saver_waiting")
	}
	_ = vm.Saver.Set(saver)
	vm.showProgress()
}

// plainError says why the last round failed, in words a resident
// understands ("" when it did not fail). The engine's errors wrap the
// client's and its own sentinels, whose texts they contain.
func (vm *syncVM) plainError(last string) string {
	l := vm.s.d.Loc
	has := func(err error) bool { return strings.Contains(last, err.Error()) }
	switch {
	case last == "":
		return ""
	case has(client.ErrCaptivePortal):
		return l.T("mobile.sync.err_portal")
	case has(client.ErrOffline):
		return l.T("mobile.sync.err_offline")
	case has(client.ErrUnauthorized):
		return l.T("mobile.sync.err_unauthorized")
	case has(engine.ErrServerNotReady):
		return l.T("mobile.sync.err_maintenance")
	case has(client.ErrBadResponse), has(engine.ErrChunkRejected), has(engine.ErrUploadStalled):
		return l.T("mobile.sync.err_unreliable")
	case strings.Contains(last, "HTTP 429"), strings.Contains(last, "HTTP 5"):
		return l.T("mobile.sync.err_busy")
	}
	return l.T("mobile.sync.err_other")
}

// progressed records an attachment upload's progress. Any goroutine.
func (vm *syncVM) progressed(ev engine.Event) {
	vm.mu.Lock()
	if ev.Total <= 0 || ev.Done >= ev.Total {
		delete(vm.uploads, ev.ID)
	} else {
		vm.uploads[ev.ID] = [2]int64{ev.Done, ev.Total}
	}
	vm.mu.Unlock()
	vm.showProgress()
}

// finished forgets the uploads of a round that ended.
func (vm *syncVM) finished() {
	vm.mu.Lock()
	clear(vm.uploads)
	vm.mu.Unlock()
	vm.showProgress()
}

func (vm *syncVM) showProgress() {
	vm.mu.Lock()
	var done, total int64
	for _, p := range vm.uploads {
		done += p[0]
		total += p[1]
	}
	vm.mu.Unlock()
	if total == 0 {
		_ = vm.Progress.Set(0)
		_ = vm.ProgressText.Set("")
		return
	}
	l := vm.s.d.Loc
	_ = vm.Progress.Set(float64(done) / float64(total))
	_ = vm.ProgressText.Set(l.T("mobile.sync.uploading", "Done", ui.FileSize(l, done), "Total", ui.FileSize(l, total)))
}

// boundNotice is a wrapping label that follows b and hides while it is "".
func boundNotice(b binding.String, importance widget.Importance) *widget.Label {
	l := widget.NewLabelWithData(b)
	l.Wrapping = fyne.TextWrapWord
	l.Importance = importance
	hide := func() {
		if v, _ := b.Get(); v == "" {
			l.Hide()
		} else {
			l.Show()
		}
	}
	hide()
	b.AddListener(binding.NewDataListener(hide))
	return l
}

// syncScreen is the Sync tab: what waits, when it last worked, why the
// last attempt failed, when the next is, "Sync now", and upload progress.
// It is built once: its texts follow the view-model's bindings.
func (s *Shell) syncScreen() fyne.CanvasObject {
	vm := s.sync
	if vm.obj == nil {
		vm.title = ui.Heading("")
		vm.hint = ui.Paragraph("")
		vm.hint.Importance = widget.LowImportance
		state := widget.NewLabelWithData(vm.State)
		state.SizeName = theme.SizeNameSubHeadingText
		state.TextStyle = fyne.TextStyle{Bold: true}
		waiting := widget.NewLabelWithData(vm.Waiting)
		waiting.Wrapping = fyne.TextWrapWord
		last := widget.NewLabelWithData(vm.LastSuccess)
		last.Wrapping = fyne.TextWrapWord
		bar := widget.NewProgressBarWithData(vm.Progress)
		barText := boundNotice(vm.ProgressText, widget.MediumImportance)
		hideBar := func() {
			if v, _ := vm.Progress.Get(); v > 0 {
				bar.Show()
			} else {
				bar.Hide()
			}
		}
		hideBar()
		vm.Progress.AddListener(binding.NewDataListener(hideBar))
		vm.syncNow = button("", theme.ViewRefreshIcon(), widget.HighImportance, func() {
			s.d.Touched()
			s.SyncNow()
		})
		body := container.NewVBox(state, waiting, last,
			boundNotice(vm.LastError, widget.DangerImportance),
			boundNotice(vm.Next, widget.LowImportance),
			boundNotice(vm.Saver, widget.WarningImportance),
			barText, bar, vm.hint)
		vm.obj = page(vm.title, body, vm.syncNow)
	}
	vm.title.SetText(s.t("mobile.sync.title"))
	vm.hint.SetText(s.t("mobile.sync.hint"))
	vm.syncNow.SetText(s.t("mobile.sync.now"))
	return vm.obj
}

// SyncNow asks the engine to sync at once.
func (s *Shell) SyncNow() { s.d.Sync.Trigger() }
