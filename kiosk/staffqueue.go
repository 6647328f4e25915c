package kiosk

import (
	"fmt"
	"sort"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"civicdesk/app/lifecycle"
	"civicdesk/app/store"
	"civicdesk/app/ui"
)

// Queue groups, in the order the staff queue lists them.
const (
	GroupAll       = ""
	GroupAttention = "needs_attention"
	GroupConflict  = "conflict"
	GroupQueued    = "queued"
	GroupSent      = "sent"
)

var groupOrder = []string{GroupAttention, GroupConflict, GroupQueued, GroupSent}

// groupOf puts a state in its queue group ("" for drafts, which are not
// in the queue: they are someone's form in progress).
func groupOf(s lifecycle.Status) string {
	switch {
	case s == lifecycle.NeedsAttention:
		return GroupAttention
	case s == lifecycle.Conflict:
		return GroupConflict
	case s == lifecycle.Queued:
		return GroupQueued
	case s.Accepted():
		return GroupSent
	}
	return ""
}

// queueView is the staff queue: every local application (summaries only,
// no personal data) in a widget.List that builds only the visible rows.
type queueView struct {
	k       *Kiosk
	items   []store.Summary // queue groups in order, newest first within each
	group   []string        // group of items[i]
	shown   []int32         // indexes into items under the current filter
	empty   *widget.Label   // "nothing here", shown only when the filter matches nothing
	counts  map[string]int
	names   map[string]string // service code -> name in the current language
	now     time.Time
	list    *widget.List
	created int // rows built by the list (CreateItem calls)
	filters map[string]*widget.Button
	msg     binding.String
	obj     fyne.CanvasObject
}

func (k *Kiosk) queueScreen() ui.Screen {
	return ui.Screen{Name: ScreenStaffQueue, Build: func() fyne.CanvasObject {
		v := k.newQueueView()
		k.sess.queue = v
		return v.obj
	}}
}

// queueRow is one row of the list.
type queueRow struct {
	widget.BaseWidget
	title, detail *widget.Label
	progress      *widget.ProgressBar // attachments being uploaded
	retry         *widget.Button
	id            string
}

func (r *queueRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, nil, r.retry, container.NewVBox(r.title, r.detail, r.progress)))
}

func (k *Kiosk) newQueueView() *queueView {
	v := &queueView{k: k, msg: binding.NewString(), filters: map[string]*widget.Button{}}
	v.names = map[string]string{}
	if cat := k.d.Catalog(); cat != nil {
		for _, s := range cat.Services {
			v.names[s.Code] = k.d.Loc.Text(s.Name)
		}
	}
	if err := v.load(); err != nil {
		v.msg.Set(k.t("kiosk.queue.load_failed"))
	}
	v.list = widget.NewList(func() int { return len(v.shown) }, v.createRow, v.updateRow)
	v.list.OnSelected = func(widget.ListItemID) { k.Activity(); v.list.UnselectAll() }

	title := widget.NewLabel(k.t("kiosk.staff.queue"))
	title.SizeName = theme.SizeNameHeadingText
	title.TextStyle.Bold = true
	bar := container.NewHBox()
	for _, g := range append([]string{GroupAll}, groupOrder...) {
		b := widget.NewButton("", func() { k.Activity(); v.setFilter(g) })
		v.filters[g] = b
		bar.Add(b)
	}
	refresh := widget.NewButtonWithIcon(k.t("kiosk.refresh"), theme.ViewRefreshIcon(), func() { k.Activity(); v.reload() })
	back := widget.NewButtonWithIcon(k.t("kiosk.back"), theme.NavigateBackIcon(), k.back)
	msg := widget.NewLabelWithData(v.msg)
	msg.Wrapping = fyne.TextWrapWord
	top := container.NewVBox(container.NewBorder(nil, nil, back, refresh, title), container.NewHScroll(bar), msg)
	v.empty = widget.NewLabel(k.t("kiosk.queue.empty"))
	v.empty.Alignment = fyne.TextAlignCenter
	v.obj = container.NewBorder(top, nil, nil, nil, container.NewStack(v.empty, v.list))
	v.setFilter(k.sess.queueFilter)
	return v
}

// load reads every summary (no decryption) and groups them.
func (v *queueView) load() error {
	v.now = v.k.d.Now()
	v.items, v.group = v.items[:0], v.group[:0]
	v.counts = map[string]int{}
	err := v.k.d.Store.ForEach(func(s store.Summary) error {
		g := groupOf(s.State)
		if g == "" {
			return nil
		}
		v.items = append(v.items, s)
		v.group = append(v.group, g)
		v.counts[g]++
		v.counts[GroupAll]++
		return nil
	})
	rank := map[string]int{}
	for i, g := range groupOrder {
		rank[g] = i
	}
	idx := make([]int, len(v.items))
	for i := range idx {
		idx[i] = i
	}
	// Groups in order; within a group newest first (ForEach walks oldest first).
	sort.SliceStable(idx, func(a, b int) bool {
		ra, rb := rank[v.group[idx[a]]], rank[v.group[idx[b]]]
		if ra != rb {
			return ra < rb
		}
		return idx[a] > idx[b]
	})
	items := make([]store.Summary, len(idx))
	groups := make([]string, len(idx))
	for i, j := range idx {
		items[i], groups[i] = v.items[j], v.group[j]
	}
	v.items, v.group = items, groups
	return err
}

func (v *queueView) setFilter(g string) {
	v.k.sess.queueFilter = g
	v.shown = v.shown[:0]
	for i := range v.items {
		if g == GroupAll || v.group[i] == g {
			v.shown = append(v.shown, int32(i))
		}
	}
	for name, b := range v.filters {
		b.SetText(v.k.t(filterLabels[name], "N", v.counts[name]))
		setOn(b, name == g)
	}
	if len(v.shown) == 0 {
		v.empty.Show()
	} else {
		v.empty.Hide()
	}
	v.list.Refresh()
	v.list.ScrollToTop()
}

// filterLabels are the message ids of the filter buttons.
var filterLabels = map[string]string{
	GroupAll:       "kiosk.queue.filter.all",
	GroupAttention: "kiosk.queue.filter.needs_attention",
	GroupConflict:  "kiosk.queue.filter.conflict",
	GroupQueued:    "kiosk.queue.filter.queued",
	GroupSent:      "kiosk.queue.filter.sent",
}

// stateText names a state for staff.
func stateText(k *Kiosk, s lifecycle.Status) string {
	switch s {
	case lifecycle.Draft:
		return k.t("kiosk.state.draft")
	case lifecycle.Queued:
		return k.t("kiosk.state.queued")
	case lifecycle.Sent:
		return k.t("kiosk.state.sent")
	case lifecycle.Received:
		return k.t("kiosk.state.received")
	case lifecycle.InReview:
		return k.t("kiosk.state.in_review")
	case lifecycle.NeedsMoreInfo:
		return k.t("kiosk.state.needs_more_info")
	case lifecycle.Approved:
		return k.t("kiosk.state.approved")
	case lifecycle.Rejected:
		return k.t("kiosk.state.rejected")
	case lifecycle.ReadyForPickup:
		return k.t("kiosk.state.ready_for_pickup")
	case lifecycle.Completed:
		return k.t("kiosk.state.completed")
	case lifecycle.NeedsAttention:
		return k.t("kiosk.state.needs_attention")
	case lifecycle.Conflict:
		return k.t("kiosk.state.conflict")
	}
	return string(s)
}

func (v *queueView) reload() {
	v.msg.Set("")
	if err := v.load(); err != nil {
		v.msg.Set(v.k.t("kiosk.queue.load_failed"))
	}
	v.setFilter(v.k.sess.queueFilter)
}

func (v *queueView) createRow() fyne.CanvasObject {
	v.created++
	r := &queueRow{title: widget.NewLabel(""), detail: widget.NewLabel(""), progress: widget.NewProgressBar()}
	r.progress.Hide()
	r.title.TextStyle.Bold = true
	r.title.Truncation = fyne.TextTruncateEllipsis
	r.detail.Truncation = fyne.TextTruncateEllipsis
	r.retry = widget.NewButtonWithIcon(v.k.t("kiosk.queue.retry"), theme.MediaReplayIcon(), func() { v.retry(r.id) })
	r.ExtendBaseWidget(r)
	return r
}

func (v *queueView) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	r := o.(*queueRow)
	if id < 0 || id >= len(v.shown) {
		return
	}
	s := v.items[v.shown[id]]
	r.id = s.ID
	k := v.k
	name := v.names[s.Service]
	if name == "" {
		name = s.Service
	}
	ref := s.Tracking
	if ref == "" {
		ref = shortID(s.ID)
	}
	r.title.SetText(name + " · " + ref)
	detail := k.t("kiosk.queue.row", "State", stateText(k, s.State),
		"Age", age(k, v.now.Sub(s.CreatedAt)), "Attempts", s.Attempts)
	if s.LastError != "" {
		detail += " · " + k.t("kiosk.queue.last_error", "Error", s.LastError)
	}
	r.detail.SetText(detail)
	if share, ok := k.uploads.get(s.ID); ok && s.State == lifecycle.Queued {
		r.progress.SetValue(share)
		r.progress.Show()
	} else {
		r.progress.Hide()
	}
	if s.State == lifecycle.NeedsAttention || s.State == lifecycle.Conflict {
		r.retry.Show()
	} else {
		r.retry.Hide()
	}
}

// retry queues a refused application again and asks for a sync.
func (v *queueView) retry(id string) {
	k := v.k
	k.Activity()
	if err := k.d.Store.Retry(id); err != nil {
		v.reload()
		v.msg.Set(k.t("kiosk.queue.retry_failed"))
		return
	}
	k.d.Sync.Trigger()
	v.reload()
	v.msg.Set(k.t("kiosk.queue.retried"))
}

// shortID is the last 8 characters of an application id: enough for
// staff to tell rows apart (UUIDv7 ids share their time prefix).
func shortID(id string) string {
	if len(id) <= 8 {
		return id
	}
	return "…" + id[len(id)-8:]
}

// age says how long ago, coarsely.
func age(k *Kiosk, d time.Duration) string {
	switch {
	case d < time.Minute:
		return k.t("kiosk.age.now")
	case d < time.Hour:
		return k.t("kiosk.age.minutes", "N", int(d/time.Minute))
	case d < 48*time.Hour:
		return k.t("kiosk.age.hours", "N", int(d/time.Hour))
	}
	return k.t("kiosk.age.days", "N", int(d/(24*time.Hour)))
}

// byteSize formats n bytes for people.
func byteSize(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.1f KB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1024*1024))
}
