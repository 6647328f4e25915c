package integration

import (
	"bytes"
	"civicdesk/app/catalog"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"civicdesk/app/store"
)

// Edge-Lossy (Facebook ATC), from NETWORK-PROFILES.md. Toxiproxy's bandwidth
// rate is in KB/s (1000 bytes); it has no packet-loss toxic, so the 1 % loss
// of the profile is not emulated.
const (
	edgeUpKBps   = 25  // 200 kbit/s
	edgeDownKBps = 30  // 240 kbit/s
	edgeUpMs     = 440 // delay client -> server
	edgeDownMs   = 400 // delay server -> client
)

// edgeLossy shapes the proxy. Latency comes before bandwidth: Toxiproxy's
// latency toxic holds a chunk until latency has passed since it was read, so
// placed after the bandwidth toxic it would absorb the transfer time and the
// link would be faster than the profile.
func edgeLossy(e *centralEnv) {
	e.toxic("up-lat", "latency", "upstream", map[string]any{"latency": edgeUpMs})
	e.toxic("down-lat", "latency", "downstream", map[string]any{"latency": edgeDownMs})
	e.toxic("up-bw", "bandwidth", "upstream", map[string]any{"rate": edgeUpKBps})
	e.toxic("down-bw", "bandwidth", "downstream", map[string]any{"rate": edgeDownKBps})
}

// BenchmarkDrainEdgeLossy drains 200 queued applications through an
// Edge-Lossy link, with the default batching and with one item per request,
// and reports wall time next to the link limit:
// request bytes / up rate + response bytes / down rate + round trips x RTT.
func BenchmarkDrainEdgeLossy(b *testing.B) {
	for _, bc := range []struct {
		name  string
		batch int
	}{{"batch=default", 0}, {"batch=1", 1}} {
		b.Run(bc.name, func(b *testing.B) {
			for range b.N {
				e := startCentral(b)
				url := e.withProxy()
				var cnt counter
				d := e.newDevice(b, url, deviceOpt{batch: bc.batch, timeout: 2 * time.Minute, dial: cnt.dial})
				ids := d.submitN(b, 200)
				edgeLossy(e)
				reqs0 := e.requests.Load()
				start := time.Now()
				d.drain(b, 3)
				wall := time.Since(start)
				exactlyOnce(b, e, d, ids)

				rtt := float64(edgeUpMs+edgeDownMs) / 1000
				// One round trip per request. The TCP handshake is answered by
				// Toxiproxy itself, unshaped, so it costs no round trip here.
				trips := float64(e.requests.Load() - reqs0)
				limit := float64(cnt.up.Load())/(edgeUpKBps*1000) + float64(cnt.down.Load())/(edgeDownKBps*1000) + trips*rtt
				b.ReportMetric(wall.Seconds(), "wall-s")
				b.ReportMetric(limit, "link-limit-s")
				b.ReportMetric(wall.Seconds()/limit, "x-limit")
				b.ReportMetric(float64(cnt.up.Load()), "bytes-up")
				b.ReportMetric(float64(cnt.down.Load()), "bytes-down")
				b.ReportMetric(trips, "round-trips")
				b.ReportMetric(float64(cnt.conns.Load()), "connections")
			}
		})
	}
}

// BenchmarkQueue100k times `hallctl queue` over a store of 100,000
// applications and reports its peak RSS.
func BenchmarkQueue100k(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "hallctl")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/hallctl").CombinedOutput(); err != nil {
		b.Fatalf("build hallctl: %v\n%s", err, out)
	}
	dir := b.TempDir()
	st, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	svc, values := sampleApplication(1)
	for range 100_000 {
		if _, err := st.Submit(store.NewApplication{Service: svc.Code, ServiceVersion: svc.Version, Values: values}); err != nil {
			b.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	// GNU time reports the child's own peak. The rusage Go gets from wait4
	// would not: Go starts children with vfork, so the child's maximum RSS
	// starts at this (large, just-seeded) test process's.
	timeBin, err := exec.LookPath("/usr/bin/time")
	if err != nil {
		b.Skip("/usr/bin/time (Debian package time) is needed to measure the child's peak RSS; make deps installs it")
	}
	b.ResetTimer()
	for range b.N {
		var out, errOut bytes.Buffer
		cmd := exec.Command(timeBin, "-f", "%M", bin, "--data", dir, "queue")
		cmd.Stdout, cmd.Stderr = &out, &errOut
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("hallctl queue: %v\n%s", err, errOut.String())
		}
		b.ReportMetric(time.Since(start).Seconds(), "wall-s")
		lines := strings.Fields(errOut.String())
		kb, err := strconv.Atoi(lines[len(lines)-1])
		if err != nil {
			b.Fatalf("cannot read the peak RSS from %q", errOut.String())
		}
		b.ReportMetric(float64(kb)/1024, "peak-RSS-MiB")
	}
}

// BenchmarkUploadEdgeLossy sends one application with a 5 MB scan over an
// Edge-Lossy link and reports wall time next to the link limit; then, on an
// unshaped link, cuts the connection once at 90 % of the upload and reports
// the bytes sent again next to what a whole-file retry would send again.
func BenchmarkUploadEdgeLossy(b *testing.B) {
	const size = 5_000_000
	b.Run("edge-lossy", func(b *testing.B) {
		for range b.N {
			e := startCentral(b)
			url := e.withProxy()
			var cnt counter
			d := e.newDevice(b, url, deviceOpt{timeout: 10 * time.Minute, dial: cnt.dial})
			app := d.submitWithDocument(b, 1, document(b, size))
			edgeLossy(e)
			reqs0 := e.requests.Load()
			start := time.Now()
			d.drain(b, 3)
			wall := time.Since(start)
			exactlyOnce(b, e, d, []string{app.ID})
			rtt := float64(edgeUpMs+edgeDownMs) / 1000
			trips := float64(e.requests.Load() - reqs0)
			limit := float64(cnt.up.Load())/(edgeUpKBps*1000) + float64(cnt.down.Load())/(edgeDownKBps*1000) + trips*rtt
			b.ReportMetric(wall.Seconds(), "wall-s")
			b.ReportMetric(limit, "link-limit-s")
			b.ReportMetric(wall.Seconds()/limit, "x-limit")
			b.ReportMetric(float64(cnt.up.Load()), "bytes-up")
			b.ReportMetric(trips, "requests")
		}
	})
	b.Run("cut-at-90%", func(b *testing.B) {
		for range b.N {
			e := startCentral(b)
			pc := e.countPatches()
			url := e.withProxy()
			d := e.newDevice(b, url, deviceOpt{timeout: time.Minute})
			app := d.submitWithDocument(b, 2, document(b, size))
			// The first connection dies after 90 % of the file (plus the
			// requests before the upload); later ones are left alone.
			e.toxic("cut", "limit_data", "upstream", map[string]any{"bytes": size * 9 / 10})
			if _, err := d.eng.SyncOnce(context.Background()); err == nil {
				b.Fatal("the upload went through the cut")
			}
			e.clearToxics()
			d.drain(b, 3)
			exactlyOnce(b, e, d, []string{app.ID})
			resent := pc.n.Load() - size
			b.ReportMetric(float64(resent), "bytes-resent")
			b.ReportMetric(float64(size*9/10), "whole-file-retry-resends")
		}
	})
}

// BenchmarkBytesPerApplication compares what one application costs on the
// wire: civicdesk's gzipped JSON batches (50 per request) against the same
// applications as OpenRosa-style submissions (one multipart/form-data POST
// each, the form instance as XML in the "xml_submission_file" part, as
// ODK Collect sends them). Both are counted on the client's sockets,
// request and response, over plain HTTP on 127.0.0.1.
func BenchmarkBytesPerApplication(b *testing.B) {
	const n = 200
	for range b.N {
		e := startCentral(b)
		var ours counter
		d := e.newDevice(b, e.URL(), deviceOpt{dial: ours.dial})
		ids := d.submitN(b, n)
		d.drain(b, 3)
		exactlyOnce(b, e, d, ids)

		// The OpenRosa peer: accepts a multipart POST and answers with the
		// OpenRosa response document, as an ODK Aggregate/Central server does.
		var theirs counter
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := r.ParseMultipartForm(1 << 20); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			w.Header().Set("X-OpenRosa-Version", "1.0")
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `<OpenRosaResponse xmlns="http://openrosa.org/http/response"><message nature="submit_success">Success</message></OpenRosaResponse>`)
		}))
		hc := &http.Client{Transport: &http.Transport{DialContext: theirs.dial}}
		for i := range n {
			svc, values := sampleApplication(i)
			body, ctype := openRosaSubmission(b, ids[i], svc.Code, values)
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/submission", body)
			req.Header.Set("Content-Type", ctype)
			req.Header.Set("X-OpenRosa-Version", "1.0")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				b.Fatalf("OpenRosa peer answered %d", resp.StatusCode)
			}
		}
		srv.Close()
		b.ReportMetric(float64(ours.up.Load()+ours.down.Load())/n, "civicdesk-bytes/app")
		b.ReportMetric(float64(theirs.up.Load()+theirs.down.Load())/n, "openrosa-bytes/app")
		b.ReportMetric(float64(ours.up.Load())/n, "civicdesk-up/app")
		b.ReportMetric(float64(theirs.up.Load())/n, "openrosa-up/app")
	}
}

// openRosaSubmission builds the multipart body ODK Collect would send for
// one filled-in form: the instance XML with an instanceID, no attachments.
func openRosaSubmission(b *testing.B, id, form string, values catalog.Values) (io.Reader, string) {
	var xmlDoc bytes.Buffer
	fmt.Fprintf(&xmlDoc, `<?xml version='1.0' ?><data id="%s" version="1" xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms">`, form)
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&xmlDoc, "<%s>", k)
		xml.EscapeText(&xmlDoc, []byte(fmt.Sprint(values[k])))
		fmt.Fprintf(&xmlDoc, "</%s>", k)
	}
	fmt.Fprintf(&xmlDoc, `<meta><instanceID>uuid:%s</instanceID></meta></data>`, id)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", `form-data; name="xml_submission_file"; filename="submission.xml"`)
	h.Set("Content-Type", "text/xml")
	pw, err := mw.CreatePart(h)
	if err != nil {
		b.Fatal(err)
	}
	pw.Write(xmlDoc.Bytes())
	mw.Close()
	return &body, mw.FormDataContentType()
}
