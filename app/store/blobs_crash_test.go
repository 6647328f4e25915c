package store

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

func init() { children["attachloop"] = attachLoopChild }

// attachLoopChild submits applications with 2 MB attachments of their own
// until it is killed, printing the number of each one committed.
func attachLoopChild() int {
	s, err := Open(Options{Dir: os.Getenv("ATTACH_DIR"), Key: testKey})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := 0; ; i++ {
		if _, err := s.Submit(appWith(i, randomBytes(2<<20, uint64(i)))); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println(i)
	}
}

// TestKilledWhileAttaching: a process killed while it writes attachments
// leaves no application pointing at a half-written file, and no garbage:
// the blob is written in the record's transaction.
func TestKilledWhileAttaching(t *testing.T) {
	dir := t.TempDir()
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=attachloop", "ATTACH_DIR="+dir)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		noErr(t, err)
		noErr(t, cmd.Start())
		// Kill it as soon as it has committed one more application: it
		// is then in the middle of the next one.
		if !bufio.NewScanner(out).Scan() {
			_ = cmd.Wait()
			t.Fatalf("child: %s", stderr.String())
		}
		noErr(t, cmd.Process.Kill())
		_ = cmd.Wait()

		s, err := Open(opts(dir, newClock(t0)))
		noErr(t, err)
		noErr(t, s.Check())
		n := 0
		noErr(t, s.ForEach(func(sm Summary) error {
			a := must[Application](t)(s.Get(sm.ID))
			for _, x := range a.Attachments {
				if got := shaOf(readAll(t, s, x.Ref.SHA256, 256<<10)); got != x.Ref.SHA256 {
					t.Fatalf("round %d: application %s: its file reads back as %s", round, sm.ID, got)
				}
			}
			n++
			return nil
		}))
		if n <= round {
			t.Fatalf("round %d: %d applications", round, n)
		}
		noErr(t, s.Close())
	}
}
