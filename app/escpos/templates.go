package escpos

import (
	"fmt"
	"strings"
	"time"
)

// ReceiptData is what a printed application receipt shows. Either
// TrackingNo (from the central API) or LocalRef (before it answered) is set.
type ReceiptData struct {
	Hall       string
	Service    string
	TrackingNo string
	LocalRef   string
	VerifyCode string
	Time       time.Time
	Materials  []string // what to bring to the counter
	QRPayload  string
}

// TicketData is what a printed queue ticket shows.
type TicketData struct {
	Hall      string
	Counter   string // counter category name
	Number    string // e.g. "A023"
	Waiting   int    // people ahead
	Time      time.Time
	QRPayload string
}

// labels are the printed strings per language. The printer package is below
// the UI's translation layer, so the few strings it prints live here.
type labels struct {
	receipt, tracking, localRef, pending, verify, time, materials, keep string
	ticket, waiting, listen                                             string
	timeFormat                                                          string
}

var printLabels = map[string]labels{
	"zh": {
		receipt: "办事回执", tracking: "受理编号", localRef: "本地编号", pending: "（联网后生成受理编号）",
		verify: "查询码", time: "时间", materials: "请携带以下材料：", keep: "请妥善保管本回执",
		ticket: "排队号", waiting: "前面还有 %d 人等候", listen: "请留意叫号，过号请重新取号",
		timeFormat: "2006-01-02 15:04",
	},
	"en": {
		receipt: "Application receipt", tracking: "Tracking no.", localRef: "Local reference",
		pending: "(a tracking number follows once online)", verify: "Verification code", time: "Time",
		materials: "Please bring:", keep: "Please keep this receipt",
		ticket: "Queue number", waiting: "%d people ahead of you", listen: "Please listen for your number; take a new one if it is missed",
		timeFormat: "02 Jan 2006 15:04",
	},
}

// labelsFor picks Chinese for any zh tag ("zh", "zh-Hans", "zh_CN") and English otherwise.
func labelsFor(lang string) labels {
	if strings.HasPrefix(strings.ToLower(lang), "zh") {
		return printLabels["zh"]
	}
	return printLabels["en"]
}

// ReceiptDoc lays out an application receipt in lang ("zh..." or English).
func ReceiptDoc(r ReceiptData, lang string) *Doc {
	l := labelsFor(lang)
	d := NewDoc()
	if r.Hall != "" {
		d.Title(r.Hall)
	}
	d.Text(l.receipt).Rule()
	if r.Service != "" {
		d.Title(r.Service)
	}
	switch {
	case r.TrackingNo != "":
		d.Text(l.tracking + ": " + r.TrackingNo)
	case r.LocalRef != "":
		d.Text(l.localRef + ": " + r.LocalRef).Text(l.pending)
	}
	if r.VerifyCode != "" {
		d.Text(l.verify + ": " + r.VerifyCode)
	}
	if !r.Time.IsZero() {
		d.Text(l.time + ": " + r.Time.Format(l.timeFormat))
	}
	if len(r.Materials) > 0 {
		d.Rule().Text(l.materials)
		for i, m := range r.Materials {
			d.Text(fmt.Sprintf("%d. %s", i+1, m))
		}
	}
	d.Rule().QR(r.QRPayload).Text(l.keep).Feed(1)
	return d
}

// TicketDoc lays out a queue ticket in lang, the number very large.
func TicketDoc(t TicketData, lang string) *Doc {
	l := labelsFor(lang)
	d := NewDoc()
	if t.Hall != "" {
		d.Title(t.Hall)
	}
	if t.Counter != "" {
		d.Text(t.Counter)
	}
	d.Rule().Text(l.ticket).Big(t.Number).Text(fmt.Sprintf(l.waiting, t.Waiting))
	if !t.Time.IsZero() {
		d.Text(l.time + ": " + t.Time.Format(l.timeFormat))
	}
	d.Rule().QR(t.QRPayload).Text(l.listen).Feed(1)
	return d
}
