package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"civicdesk/central"
	"civicdesk/sync/wire"
)

// syncBuffer is a stderr the test can read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// started is a server run in process.
type started struct {
	line   startLine
	cancel context.CancelFunc
	done   chan error
	stderr *syncBuffer
}

func start(t *testing.T, args ...string) *started {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &started{cancel: cancel, done: make(chan error, 1), stderr: &syncBuffer{}}
	go func() {
		err := run(ctx, args, pw, s.stderr)
		pw.CloseWithError(io.EOF)
		s.done <- err
	}()
	sc := bufio.NewScanner(pr)
	if !sc.Scan() {
		cancel()
		t.Fatalf("no start line; run returned %v; stderr: %s", <-s.done, s.stderr.String())
	}
	go io.Copy(io.Discard, pr)
	dec := json.NewDecoder(strings.NewReader(sc.Text()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s.line); err != nil {
		t.Fatalf("start line %q: %v", sc.Text(), err)
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

func (s *started) stop(t *testing.T) error {
	t.Helper()
	s.cancel()
	select {
	case err, ok := <-s.done:
		if ok {
			close(s.done)
		}
		return err
	case <-time.After(15 * time.Second):
		t.Fatal("server did not shut down")
		return nil
	}
}

func post(t *testing.T, url, token string, body any) (*http.Response, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

func get(t *testing.T, url, token string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

func TestServeMintAndShutdown(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := start(t, "--addr", "127.0.0.1:0", "--data", dir, "--mint-codes", "2", "--mint-staff", "counter 3", "--code-ttl", "1h")
	if !strings.HasPrefix(s.line.Addr, "127.0.0.1:") || strings.HasSuffix(s.line.Addr, ":0") {
		t.Fatalf("addr %q is not the real address", s.line.Addr)
	}
	if len(s.line.EnrollCodes) != 2 || s.line.StaffToken == "" {
		t.Fatalf("start line %+v", s.line)
	}
	base := "http://" + s.line.Addr
	var h wire.Health
	resp, b := get(t, base+wire.PathHealth, "")
	if resp.StatusCode != 200 || json.Unmarshal(b, &h) != nil || h.Service != wire.HealthService {
		t.Fatalf("health %d %s", resp.StatusCode, b)
	}
	var er wire.EnrollResponse
	resp, b = post(t, base+wire.PathEnroll, "", wire.EnrollRequest{Code: s.line.EnrollCodes[1], Kind: "kiosk"})
	if resp.StatusCode != 200 || json.Unmarshal(b, &er) != nil || er.Token == "" {
		t.Fatalf("enroll %d %s", resp.StatusCode, b)
	}
	if resp, b := get(t, base+wire.PathCatalog, er.Token); resp.StatusCode != 200 {
		t.Fatalf("catalog %d %s", resp.StatusCode, b)
	}
	if resp, b := get(t, base+wire.PathBackoffice, s.line.StaffToken); resp.StatusCode != 200 {
		t.Fatalf("back office %d %s", resp.StatusCode, b)
	}

	t.Run("mint refuses while the server runs", func(t *testing.T) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"mint", "--data", dir, "--codes", "1"}, &out, &errOut)
		if !errors.Is(err, central.ErrLocked) || !strings.Contains(err.Error(), "server is running") || !strings.Contains(err.Error(), "--mint-codes") {
			t.Fatalf("mint while running: %v", err)
		}
		if out.Len() != 0 {
			t.Fatalf("mint printed %q", out.String())
		}
	})
	t.Run("a second server on the same data refuses", func(t *testing.T) {
		err := run(context.Background(), []string{"--addr", "127.0.0.1:0", "--data", dir}, io.Discard, io.Discard)
		if !errors.Is(err, central.ErrLocked) || !strings.Contains(err.Error(), "--data") {
			t.Fatalf("second server: %v", err)
		}
	})

	if err := s.stop(t); err != nil {
		t.Fatalf("run returned %v after shutdown", err)
	}
	logs := s.stderr.String()
	if !strings.Contains(logs, "level=INFO") || !strings.Contains(logs, "shutting down") || strings.Contains(logs, er.Token) {
		t.Fatalf("stderr logs:\n%s", logs)
	}

	t.Run("mint when stopped, then the codes work", func(t *testing.T) {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"mint", "--data", dir, "--codes", "3", "--staff", "ops"}, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		var line map[string]any
		if err := json.Unmarshal(out.Bytes(), &line); err != nil {
			t.Fatalf("mint output %q: %v", out.String(), err)
		}
		codes, _ := line["enroll_codes"].([]any)
		if len(codes) != 3 || line["staff_token"] == "" {
			t.Fatalf("mint output %s", out.String())
		}
		s2 := start(t, "--addr", "127.0.0.1:0", "--data", dir)
		if len(s2.line.EnrollCodes) != 0 || s2.line.StaffToken != "" {
			t.Fatalf("start line %+v", s2.line)
		}
		resp, b := post(t, "http://"+s2.line.Addr+wire.PathEnroll, "", wire.EnrollRequest{Code: codes[0].(string), Kind: "phone"})
		if resp.StatusCode != 200 {
			t.Fatalf("enrol with a minted code: %d %s", resp.StatusCode, b)
		}
		// The device enrolled before the restart is still known.
		if resp, _ := get(t, "http://"+s2.line.Addr+wire.PathChanges, er.Token); resp.StatusCode != 200 {
			t.Fatalf("old device token after restart: %d", resp.StatusCode)
		}
	})
}

func TestDemoFlag(t *testing.T) {
	s := start(t, "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--demo", "--demo-every", "20ms", "--mint-codes", "1")
	base := "http://" + s.line.Addr
	var er wire.EnrollResponse
	resp, b := post(t, base+wire.PathEnroll, "", wire.EnrollRequest{Code: s.line.EnrollCodes[0], Kind: "kiosk"})
	if resp.StatusCode != 200 || json.Unmarshal(b, &er) != nil {
		t.Fatalf("enroll %d %s", resp.StatusCode, b)
	}
	// Demo mode publishes a notice about opening hours.
	var nr wire.NoticesResponse
	if _, b := get(t, base+wire.PathNotices+"?hall=x", er.Token); json.Unmarshal(b, &nr) != nil || len(nr.Notices) != 1 || nr.Notices[0].Kind != wire.NoticeHours {
		t.Fatalf("demo notices: %s", b)
	}
	// A real-estate register inquiry from the embedded sample catalog.
	item := wire.SubmitItem{ID: "0195f3a2-6c1e-7d4b-9a2f-1c3e5b7d9f01", Service: "real_estate_register_inquiry", ServiceVersion: 1,
		Values: map[string]any{"applicant_name": "张伟", "id_number": "11010519491231002X", "phone": "13912345678",
			"inquiry_scope": "all_owned", "district": "320302", "purpose": "loan", "result_delivery": "hall", "declaration": true}}
	var sr wire.SubmitResponse
	resp, b = post(t, base+wire.PathSubmit, er.Token, wire.SubmitRequest{Items: []wire.SubmitItem{item}})
	if resp.StatusCode != 200 || json.Unmarshal(b, &sr) != nil || len(sr.Results) != 1 || sr.Results[0].Outcome != wire.Accepted {
		t.Fatalf("submit %d %s", resp.StatusCode, b)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		var cr wire.ChangesResponse
		_, b := get(t, base+wire.PathChanges+"?limit=1000", er.Token)
		if err := json.Unmarshal(b, &cr); err != nil {
			t.Fatal(err)
		}
		if n := len(cr.Changes); n > 0 && cr.Changes[n-1].Status == "completed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo mode did not complete the application: %s", b)
		}
		time.Sleep(20 * time.Millisecond) // waiting on the real ticker of the real binary
	}
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
	}{
		{"unknown flag", []string{"--port", "80"}},
		{"stray argument", []string{"serve"}},
		{"negative codes", []string{"--mint-codes", "-1", "--data", dir}},
		{"zero ttl", []string{"--code-ttl", "0s", "--data", dir}},
		{"zero partial ttl", []string{"--partial-ttl", "0s", "--data", dir}},
		{"negative partial ttl", []string{"--partial-ttl", "-1h", "--data", dir}},
		{"zero track failures", []string{"--track-max-failures", "0", "--data", dir}},
		{"negative device track failures", []string{"--track-device-max-failures", "-3", "--data", dir}},
		{"zero track window", []string{"--track-window", "0s", "--data", dir}},
		{"bad demo interval", []string{"--demo", "--demo-every", "0s", "--data", dir}},
		{"mint nothing", []string{"mint", "--data", dir}},
		{"mint unknown flag", []string{"mint", "--count", "1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var errOut bytes.Buffer
			err := run(context.Background(), tc.args, io.Discard, &errOut)
			if !errors.Is(err, errUsage) {
				t.Fatalf("err = %v, want a usage error", err)
			}
		})
	}
	t.Run("bad staff name", func(t *testing.T) {
		err := run(context.Background(), []string{"mint", "--data", dir, "--staff", strings.Repeat("x", 100)}, io.Discard, io.Discard)
		if !errors.Is(err, central.ErrBadName) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("address in use", func(t *testing.T) {
		s := start(t, "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "a"))
		err := run(context.Background(), []string{"--addr", s.line.Addr, "--data", filepath.Join(dir, "b")}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "--addr") {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestSignalShutdown builds the binary and stops it with SIGTERM.
func TestSignalShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "central")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--mint-codes", "1")
			stdout, _ := cmd.StdoutPipe()
			var stderr syncBuffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(stdout)
			if !sc.Scan() {
				cmd.Process.Kill()
				t.Fatalf("no start line: %s", stderr.String())
			}
			var line startLine
			if err := json.Unmarshal(sc.Bytes(), &line); err != nil || len(line.EnrollCodes) != 1 {
				t.Fatalf("start line %q", sc.Text())
			}
			if resp, _ := get(t, "http://"+line.Addr+wire.PathHealth, ""); resp.StatusCode != 200 {
				t.Fatal("health")
			}
			cmd.Process.Signal(sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("exit: %v; stderr: %s", err, stderr.String())
				}
			case <-time.After(15 * time.Second):
				cmd.Process.Kill()
				t.Fatal("no exit after signal")
			}
			if !strings.Contains(stderr.String(), "shutting down") {
				t.Fatalf("stderr: %s", stderr.String())
			}
		})
	}
	_ = os.Remove(bin)
}

// TestTrackFlags: --track-max-failures and --track-window reach the server.
func TestTrackFlags(t *testing.T) {
	s := start(t, "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--mint-codes", "1",
		"--track-max-failures", "2", "--track-window", "90s")
	base := "http://" + s.line.Addr
	var er wire.EnrollResponse
	resp, b := post(t, base+wire.PathEnroll, "", wire.EnrollRequest{Code: s.line.EnrollCodes[0], Kind: "kiosk"})
	if resp.StatusCode != 200 || json.Unmarshal(b, &er) != nil {
		t.Fatalf("enroll %d %s", resp.StatusCode, b)
	}
	guess := wire.TrackRequest{Tracking: "XZ20260302999999", VerificationCode: "123456"}
	for i := range 2 {
		if resp, b := post(t, base+wire.PathTrack, er.Token, guess); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("attempt %d: %d %s", i+1, resp.StatusCode, b)
		}
	}
	resp, b = post(t, base+wire.PathTrack, er.Token, guess)
	ra, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != http.StatusTooManyRequests || err != nil || ra < 1 || ra > 90 {
		t.Fatalf("third attempt: %d, Retry-After %q: %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
}
