package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"civicdesk/app/store"
)

// TestCrashSubmitAndSync runs hallctl as a subprocess doing submit + sync and
// SIGKILLs it at random moments, again and again. At the end no acknowledged
// application is lost, none is on the server twice, and the store is sound.
func TestCrashSubmitAndSync(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	bin := filepath.Join(t.TempDir(), "hallctl")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/hallctl").CombinedOutput(); err != nil {
		t.Fatalf("build hallctl: %v\n%s", err, out)
	}
	e := startCentral(t)
	data := t.TempDir()
	hallctl := func(ctx context.Context, args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, bin, append([]string{"--data", data, "--api", e.URL()}, args...)...)
		cmd.Env = append(os.Environ(), "CIVICDESK_DATA=", "CIVICDESK_API=")
		return cmd
	}
	code, err := e.srv.MintEnrollCode(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := hallctl(context.Background(), "enroll", "--code", code).CombinedOutput(); err != nil {
		t.Fatalf("enroll: %v\n%s", err, out)
	}

	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	var acked []string
	kills, rounds := 0, 0
	// The kill comes at a random moment within a window that follows how long
	// an undisturbed run takes, so that most runs die somewhere in the middle.
	// The first three runs are left alone to measure it.
	var window time.Duration
	for i := 0; kills < 50 && i < 300; i++ {
		rounds++
		id := uuid.Must(uuid.NewV7()).String()
		_, values := sampleApplication(i)
		body, _ := json.Marshal(map[string]any{"id": id, "service": sampleService, "values": values})
		file := filepath.Join(t.TempDir(), "app.json")
		if err := os.WriteFile(file, body, 0o600); err != nil {
			t.Fatal(err)
		}
		args := []string{"submit", "--sync", file}
		if i%5 == 4 {
			args = []string{"sync"}
		}
		var stdout bytes.Buffer
		cmd := hallctl(context.Background(), args...)
		cmd.Stdout = &stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		timer := time.AfterFunc(time.Hour, func() { cmd.Process.Signal(syscall.SIGKILL) })
		if i >= 3 {
			timer.Reset(time.Duration(rng.Int64N(int64(window))))
		}
		err := cmd.Wait()
		timer.Stop()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			kills++
		} else if took := time.Since(start); err == nil {
			window = max(window, took)
		} else {
			ee, ok := err.(*exec.ExitError)
			// Exit 4 (offline) cannot happen here; anything else is a bug.
			if !ok || ee.ExitCode() != exitOfflineCode {
				t.Fatalf("round %d: hallctl %v failed: %v\n%s", i, args, err, stdout.String())
			}
		}
		if strings.Contains(stdout.String(), "queued "+id) {
			acked = append(acked, id)
		}
	}
	if kills < 50 {
		t.Fatalf("only %d of %d rounds were killed mid-run; the test wants at least 50", kills, rounds)
	}
	// Let it finish in peace.
	var out []byte
	for range 5 {
		out, err = hallctl(context.Background(), "sync").CombinedOutput()
		if err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("final sync: %v\n%s", err, out)
	}

	st, err := store.Open(store.Options{Dir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		t.Fatalf("store integrity after %d kills: %v", kills, err)
	}
	local := 0
	err = st.ForEach(func(s store.Summary) error {
		local++
		if n := e.srv.CountByID(s.ID); n != 1 {
			return fmt.Errorf("application %s (%s) is on the server %d times", s.ID, s.State, n)
		}
		if !s.State.Accepted() {
			return fmt.Errorf("application %s is %s after the final sync", s.ID, s.State)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range acked {
		if _, err := st.Get(id); err != nil {
			t.Errorf("acknowledged application %s lost: %v", id, err)
		}
	}
	if n, _ := e.srv.Count(); n != local {
		t.Errorf("server holds %d applications, the device %d", n, local)
	}
	t.Logf("%d rounds, %d killed mid-run, %d acknowledged, %d stored, all on the server once", rounds, kills, len(acked), local)
}

// exitOfflineCode mirrors hallctl's exit code for "central API not reachable".
const exitOfflineCode = 4
