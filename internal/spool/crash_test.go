package spool

import (
	"bufio"
	"encoding/binary"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The child process of TestSIGKILLMidAppend, chosen by these variables.
const (
	envHelperDir   = "SPOOL_HELPER_DIR"
	envHelperStart = "SPOOL_HELPER_START"
)

// TestHelperProcess is not a test: it is the child process of the crash
// test, which re-runs the test binary with envHelperDir set. Four goroutines
// append records numbered from envHelperStart with Sync on, and print each
// number on stdout once its Append returned nil, until the process is killed.
func TestHelperProcess(_ *testing.T) {
	dir := os.Getenv(envHelperDir)
	if dir == "" {
		return
	}
	start, _ := strconv.Atoi(os.Getenv(envHelperStart))
	s, err := Open(Settings{Dir: dir, MaxBytes: 1 << 30, SegmentBytes: 256 << 10, Sync: true})
	if err != nil {
		os.Stderr.WriteString(err.Error())
		os.Exit(3)
	}
	var mu sync.Mutex
	next := start
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			payload := make([]byte, 16<<10) // large: a kill mid-write(2) is likely
			for {
				mu.Lock()
				n := next
				next++
				mu.Unlock()
				binary.LittleEndian.PutUint64(payload, uint64(n))
				if _, err := s.Append(nil, Record{Payload: payload, Items: 1, Time: int64(n)}); err != nil {
					os.Exit(4)
				}
				os.Stdout.WriteString(strconv.Itoa(n) + "\n")
			}
		})
	}
	wg.Wait()
}

func TestSIGKILLMidAppend(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	acked := map[int]bool{}
	start := 0
	for round := range 3 {
		runAndKill(t, dir, start, round, acked)
		maxN := reopenAndCheck(t, dir, round, acked)
		start = maxN + 1
		start += 1000 // numbers of unacknowledged appends are never reused
	}
}

// runAndKill starts the child appending from start, waits for 300
// acknowledged appends (added to acked) and kills it with SIGKILL.
func runAndKill(t *testing.T, dir string, start, round int, acked map[int]bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envHelperDir+"="+dir, envHelperStart+"="+strconv.Itoa(start))
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(out)
	got := 0
	for got < 300 && sc.Scan() {
		n, aerr := strconv.Atoi(sc.Text())
		require.NoError(t, aerr, "child output %q", sc.Text())
		acked[n] = true
		got++
	}
	require.Equal(t, 300, got, "round %d: the child acknowledged appends", round)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	for sc.Scan() { // lines written before the kill
		if n, aerr := strconv.Atoi(sc.Text()); aerr == nil {
			acked[n] = true
		}
	}
	err = cmd.Wait()
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr)
	ws, ok := exitErr.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	require.Equal(t, syscall.SIGKILL, ws.Signal(), "the child must die by SIGKILL")
}

// reopenAndCheck reopens the folder: every acknowledged record is there,
// each once, whole, and only a torn tail may show. It returns the highest
// record number found.
func reopenAndCheck(t *testing.T, dir string, round int, acked map[int]bool) int {
	t.Helper()
	var probs problems
	s, err := Open(Settings{Dir: dir, MaxBytes: 1 << 30, OnProblem: probs.add})
	require.NoError(t, err)
	found := map[int]bool{}
	maxN := 0
	for {
		f, ok, err := s.Next(nil)
		require.NoError(t, err)
		if !ok {
			break
		}
		require.Len(t, f.Payload, 16<<10)
		n := int(binary.LittleEndian.Uint64(f.Payload))
		require.Equal(t, int64(n), f.Time)
		require.False(t, found[n], "record %d read twice", n)
		found[n] = true
		maxN = max(maxN, n)
	}
	for n := range acked {
		require.True(t, found[n], "round %d: acknowledged record %d is readable after SIGKILL", round, n)
	}
	for _, p := range probs.list {
		assert.Equal(t, ProblemTornTail, p.Kind, "only a torn tail may show: %v", p)
	}
	t.Logf("round %d: %d acknowledged, %d readable, problems %v", round, len(acked), len(found), probs.kinds())
	require.NoError(t, s.Close())
	return maxN
}
