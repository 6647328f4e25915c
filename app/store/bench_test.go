package store

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"civicdesk/app/lifecycle"
)

// reportLatency adds p50 and p99 of the measured durations to b's results.
func reportLatency(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(d[len(d)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkEnqueue is Submit (create + enqueue in one transaction, with
// fsync) of a realistic application of about ten fields.
func BenchmarkEnqueue(b *testing.B) {
	s, _ := newTestStore(b)
	s.clock = time.Now
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := s.Submit(sampleApp(i)); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, lat)
}

// submitBytes is about what one Submit writes: the sealed personal record,
// the metadata record, the summary, the outbox entry and two journal events.
const submitBytes = 1700

// BenchmarkBareBoltUpdate is one bare bbolt Update writing a value of the
// same size with the same options: the floor under BenchmarkEnqueue.
func BenchmarkBareBoltUpdate(b *testing.B) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "bare.db"), 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	val := make([]byte, submitBytes)
	_, _ = rand.Read(val)
	noErr(b, db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("b")); return err }))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		err := db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket([]byte("b"))
			seq, _ := bk.NextSequence()
			return bk.Put(seqKey(seq, newUUIDv7()), val)
		})
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, lat)
}

// TestSubmitBytes keeps submitBytes honest.
func TestSubmitBytes(t *testing.T) {
	s, _ := newTestStore(t)
	a := must[Application](t)(s.Submit(sampleApp(0)))
	total := 0
	noErr(t, s.view(func(tx *bolt.Tx) error {
		for _, bk := range [][]byte{bucketApplications, bucketSummaries, bucketPersonal} {
			total += len(tx.Bucket(bk).Get([]byte(a.ID)))
		}
		return tx.Bucket(bucketJournal).ForEach(func(_, v []byte) error { total += len(v); return nil })
	}))
	total += 2*len(a.ID) + 8
	if total < submitBytes*8/10 || total > submitBytes*12/10 {
		t.Fatalf("a Submit writes %d bytes; set submitBytes to that", total)
	}
}

// A 100,000-application store, built once per test binary.
var big struct {
	once sync.Once
	dir  string
	err  error
}

const bigN = 100_000

func bigStore(b *testing.B) string {
	big.once.Do(func() {
		big.dir, big.err = os.MkdirTemp("", "civicdesk-bench-")
		if big.err != nil {
			return
		}
		start := time.Now()
		s, err := Open(opts(big.dir, newClock(t0)))
		if err != nil {
			big.err = err
			return
		}
		seed(b, s, bigN, lifecycle.Queued)
		big.err = s.Close()
		st, _ := os.Stat(filepath.Join(big.dir, FileName))
		b.Logf("seeded %d applications in %v, file %d MB", bigN, time.Since(start).Round(time.Millisecond), st.Size()>>20)
	})
	if big.err != nil {
		b.Fatal(big.err)
	}
	return big.dir
}

func init() {
	children["foreach"] = foreachChild
	afterTests = append(afterTests, func() {
		if big.dir != "" {
			_ = os.RemoveAll(big.dir)
		}
	})
}

// foreachChild lists the store read-only, as 'hallctl queue' does, and
// prints the count and the process's peak RSS in kB.
func foreachChild() int {
	s, err := Open(Options{Dir: os.Getenv("FOREACH_DIR"), Key: testKey, ReadOnly: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	n := 0
	if err := s.ForEach(func(Summary) error { n++; return nil }); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(n, peakRSSkB())
	return 0
}

func peakRSSkB() int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return kb
		}
	}
	return -1
}

// BenchmarkForEach100k lists 100,000 summaries. It also runs the listing in
// a fresh process and reports that process's peak RSS.
func BenchmarkForEach100k(b *testing.B) {
	dir := bigStore(b)
	s := openT(b, Options{Dir: dir, Key: testKey, ReadOnly: true})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		if err := s.ForEach(func(Summary) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != bigN {
			b.Fatalf("listed %d", n)
		}
	}
	b.StopTimer()
	noErr(b, s.Close())

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=foreach", "FOREACH_DIR="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("child: %v\n%s", err, stderr.String())
	}
	var n, kb int
	if _, err := fmt.Sscan(string(out), &n, &kb); err != nil || n != bigN {
		b.Fatalf("child output %q", out)
	}
	b.ReportMetric(float64(kb)/1024, "peak-RSS-MB")
	if kb > 100<<10 {
		b.Errorf("listing 100,000 applications peaked at %d MB RSS, over 100 MB", kb>>10)
	}
}

// BenchmarkCheck100k is the integrity check (hallctl doctor) over 100,000
// applications: bbolt's page check plus decrypting every personal record.
func BenchmarkCheck100k(b *testing.B) {
	s := openT(b, Options{Dir: bigStore(b), Key: testKey, ReadOnly: true})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Check(); err != nil {
			b.Fatal(err)
		}
	}
}
