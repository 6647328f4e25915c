package central

import (
	"context"
	"time"

	bolt "go.etcd.io/bbolt"

	"civicdesk/app/catalog"
	"civicdesk/app/lifecycle"
)

// demoNotes are the notes demo mode attaches to its status changes.
var demoNotes = map[lifecycle.Status]catalog.Text{
	lifecycle.InReview:       {catalog.LangZh: "窗口工作人员正在审核您的申请。", catalog.LangEn: "A case officer is reviewing your application."},
	lifecycle.NeedsMoreInfo:  {catalog.LangZh: "请补充材料：身份证复印件不清晰，请重新上传。", catalog.LangEn: "More information needed: the copy of your ID card is not legible, please upload it again."},
	lifecycle.Approved:       {catalog.LangZh: "您的申请已通过审核。", catalog.LangEn: "Your application has been approved."},
	lifecycle.ReadyForPickup: {catalog.LangZh: "证件已制作完成，请携带身份证到服务大厅领取。", catalog.LangEn: "Ready for pickup: bring your ID card to the service hall."},
	lifecycle.Completed:      {catalog.LangZh: "办结。感谢您的使用，欢迎评价。", catalog.LangEn: "Completed. Thank you; please rate the service."},
}

// demoNext is the status demo mode moves an application to next ("" for none).
// Every fifth application asks for more information once before approval.
func demoNext(a *appRecord) lifecycle.Status {
	switch a.Status {
	case lifecycle.Received:
		return lifecycle.InReview
	case lifecycle.InReview:
		if a.Ordinal%5 == 0 && !a.hadStatus(lifecycle.NeedsMoreInfo) {
			return lifecycle.NeedsMoreInfo
		}
		return lifecycle.Approved
	case lifecycle.NeedsMoreInfo:
		return lifecycle.InReview
	case lifecycle.Approved:
		return lifecycle.ReadyForPickup
	case lifecycle.ReadyForPickup:
		return lifecycle.Completed
	}
	return ""
}

func (a *appRecord) hadStatus(st lifecycle.Status) bool {
	for _, h := range a.History {
		if h.Status == st {
			return true
		}
	}
	return false
}

// AdvanceDemo is one demo step: every application not in a final state moves
// one status on (received -> in_review -> approved -> ready_for_pickup ->
// completed; every fifth application goes in_review -> needs_more_info ->
// in_review first). It returns how many moved.
func (s *Server) AdvanceDemo() (int, error) {
	moved := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		moved = 0
		apps := tx.Bucket(bucketApplications)
		var todo []appRecord
		err := apps.ForEach(func(_, v []byte) error {
			var a appRecord
			if err := jsonUnmarshal(v, &a); err != nil {
				return err
			}
			if demoNext(&a) != "" {
				todo = append(todo, a)
			}
			return nil
		})
		if err != nil {
			return err
		}
		now := s.now()
		for i := range todo {
			a := &todo[i]
			next := demoNext(a)
			if err := setStatus(tx, a, next, demoNotes[next], now); err != nil {
				return err
			}
			moved++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return moved, nil
}

// RunDemo calls AdvanceDemo every interval until ctx ends.
func (s *Server) RunDemo(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = 10 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := s.AdvanceDemo()
			if err != nil {
				if s.closed.Load() {
					return
				}
				s.log.Error("demo step failed", "err", err)
				continue
			}
			if n > 0 {
				s.log.Info("demo step", "moved", n)
			}
		}
	}
}
