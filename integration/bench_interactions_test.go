package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"civicdesk/sync/engine"
	"civicdesk/sync/wire"
)

// BenchmarkInteractionsEdgeLossy sends 200 queued ratings and feedback (a
// hall's busy day) through an Edge-Lossy link and reports wall time next to
// the link limit (request bytes / up rate + response bytes / down rate +
// round trips x RTT) and the bytes each costs on the wire, both ways.
func BenchmarkInteractionsEdgeLossy(b *testing.B) {
	const n = 200
	for range b.N {
		e := startCentral(b)
		url := e.withProxy()
		var cnt counter
		d := e.newDevice(b, url, deviceOpt{timeout: 2 * time.Minute, dial: cnt.dial})
		for i := range n {
			id, err := uuid.NewV7()
			if err != nil {
				b.Fatal(err)
			}
			in := wire.Interaction{ID: id.String(), Kind: wire.KindRating, Hall: testHall, CreatedAt: time.Now(),
				Rating: &wire.Rating{Score: 1 + i%5, Comment: fmt.Sprintf("窗口%d的工作人员很耐心，排队时间约%d分钟。", i%8+1, 10+i%30)}}
			if i%4 == 0 {
				in.Kind, in.Rating = wire.KindFeedback, nil
				in.Feedback = &wire.Feedback{Category: wire.FeedbackSuggestion, Text: "建议周六上午增开一个社保窗口，排队的老人很多。"}
			}
			if _, err := engine.QueueInteraction(d.st, in); err != nil {
				b.Fatal(err)
			}
		}
		edgeLossy(e)
		cnt.up.Store(0)
		cnt.down.Store(0)
		reqs0 := e.requests.Load()
		start := time.Now()
		var accepted int
		for range 3 {
			rep, err := d.eng.SyncOnce(b.Context())
			accepted += rep.InteractionsAccepted
			if err == nil {
				break
			}
		}
		wall := time.Since(start)
		if accepted != n {
			b.Fatalf("%d of %d interactions accepted", accepted, n)
		}
		rtt := float64(edgeUpMs+edgeDownMs) / 1000
		trips := float64(e.requests.Load() - reqs0)
		limit := float64(cnt.up.Load())/(edgeUpKBps*1000) + float64(cnt.down.Load())/(edgeDownKBps*1000) + trips*rtt
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(limit, "link-limit-s")
		b.ReportMetric(wall.Seconds()/limit, "x-limit")
		b.ReportMetric(float64(cnt.up.Load()+cnt.down.Load())/n, "bytes/interaction")
		b.ReportMetric(trips, "round-trips")
	}
}
