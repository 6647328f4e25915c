package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"civicdesk/app/lifecycle"
)

const fullDiskDraftID = "full-disk-draft"

func init() { children["fulldisk"] = fullDiskChild }

// bigApp is an application with a 2 MB attachment of its own.
func bigApp(id string) NewApplication {
	n := sampleApp(0)
	n.ID = id
	n.Attachments[0].Data = bytes.Repeat([]byte(id[len(id)-4:]), 512<<10)
	n.Attachments[0].Ref.SHA256, n.Attachments[0].Ref.Size = "", 0
	return n
}

type fullDiskResult struct {
	FileSize   int64
	Limit      uint64
	EnqueueErr string
	SubmitErr  string
}

// fullDiskChild runs in a subprocess: it opens the store, caps the file
// size at its two header pages (RLIMIT_FSIZE: every write past them fails
// with EFBIG, as writes into the holes of bbolt's sparse file and past its
// end fail on a full disk), and tries to queue the big draft and to submit
// another big application.
func fullDiskChild() int {
	s, err := Open(Options{Dir: os.Getenv("FULLDISK_DIR"), Key: testKey})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	st, err := os.Stat(s.Path())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	signal.Ignore(syscall.SIGXFSZ) // get EFBIG instead of being killed
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	lim.Cur = uint64(2 * s.db.Info().PageSize)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	res := fullDiskResult{FileSize: st.Size(), Limit: lim.Cur}
	if _, err := s.Enqueue(fullDiskDraftID); err != nil {
		res.EnqueueErr = err.Error()
	}
	if _, err := s.Submit(bigApp("full-disk-submit")); err != nil {
		res.SubmitErr = err.Error()
	}
	_ = json.NewEncoder(os.Stdout).Encode(res)
	return 0
}

// TestFullDisk: when the disk is full, Enqueue (and Submit) fail with an
// error that says so, and the draft is exactly as it was.
func TestFullDisk(t *testing.T) {
	clock := newClock(t0)
	dir := t.TempDir()
	s := openT(t, opts(dir, clock))
	draft := must[Application](t)(s.CreateDraft(bigApp(fullDiskDraftID)))
	noErr(t, s.Close())

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=fulldisk", "FULLDISK_DIR="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, stderr.String())
	}
	var res fullDiskResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("child output %q: %v", out, err)
	}
	t.Logf("file %d bytes, limit %d; Enqueue: %s", res.FileSize, res.Limit, res.EnqueueErr)
	for name, e := range map[string]string{"Enqueue": res.EnqueueErr, "Submit": res.SubmitErr} {
		if e == "" {
			t.Fatalf("%s succeeded on a full disk", name)
		}
		if !strings.Contains(e, "disk full") || !strings.Contains(e, "nothing was changed") {
			t.Errorf("%s error does not explain: %s", name, e)
		}
	}

	s = openT(t, opts(dir, clock))
	got := must[Application](t)(s.Get(fullDiskDraftID))
	if !reflect.DeepEqual(got, draft) {
		t.Fatal("the draft changed")
	}
	if _, err := s.Get("full-disk-submit"); err == nil {
		t.Fatal("the failed Submit left an application")
	}
	_, err = s.ReadBlob(shaOf(bigApp("full-disk-submit").Attachments[0].Data), 0, make([]byte, 1))
	mustIs(t, err, ErrNotFound) // nor any of its attachment's chunks (Check below)
	if st := must[QueueStats](t)(s.Stats()); st.Count != 0 {
		t.Fatalf("queue %+v", st)
	}
	if k := kinds(journal(t, s), fullDiskDraftID); !reflect.DeepEqual(k, []string{EventCreated}) {
		t.Fatalf("journal %v", k)
	}
	noErr(t, s.Check())
	// With space back, the same draft queues.
	if a := must[Application](t)(s.Enqueue(fullDiskDraftID)); a.State != lifecycle.Queued {
		t.Fatalf("state %s", a.State)
	}
	noErr(t, s.Check())
}
