//go:build unix

package replay

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/resilientsink/resilientsink/receiver/replay/internal/metadata"
)

const childEnv = "REPLAY_SIGKILL_CHILD"

// TestSIGKILLMidReplay kills a process that replays a dead-letter folder
// with SIGKILL at random points and starts it again, until everything was
// accepted: no batch is missing, they come in order, and a batch comes twice
// only when it was in flight at a kill.
func TestSIGKILLMidReplay(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		childReplay(t)
		return
	}
	const total = 120
	dir := t.TempDir()
	dead := filepath.Join(dir, "dead")
	writeLetters(t, dead, batches(0, total, 3), "permanent_error")
	out := filepath.Join(dir, "accepted")
	rng := rand.New(rand.NewPCG(7, 7))
	kills := 0
	for run := 0; ; run++ {
		require.Less(t, run, 50, "no progress")
		before := len(readAccepted(t, out))
		cmd := exec.Command(os.Args[0], "-test.run=^TestSIGKILLMidReplay$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+dead+"|"+filepath.Join(dir, "cp")+"|"+out)
		require.NoError(t, cmd.Start())
		target := before + 1 + rng.IntN(40)
		require.Eventually(t, func() bool {
			n := len(readAccepted(t, out))
			return n >= target || distinct(readAccepted(t, out)) == total
		}, waitFor, tick)
		finished := distinct(readAccepted(t, out)) == total
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		if finished {
			break
		}
		kills++
	}
	got := readAccepted(t, out)
	dups := 0
	next := 0
	for _, id := range got {
		switch id {
		case next:
			next++
		case next - 1:
			dups++ // the batch in flight at a kill, sent again first
		default:
			t.Fatalf("batch %d after batch %d: out of order or skipped", id, next-1)
		}
	}
	assert.Equal(t, total, next, "every batch accepted")
	assert.LessOrEqual(t, dups, kills, "at most the batch in flight twice, per kill")
	t.Logf("%d kills, %d batches sent twice", kills, dups)
}

// childReplay runs the receiver until killed; its pipeline appends the
// batch number of each batch it accepts to a file (one write(2) each, so a
// line survives SIGKILL) before accepting it.
func childReplay(t *testing.T) {
	parts := strings.Split(os.Getenv(childEnv), "|")
	f, err := os.OpenFile(parts[2], os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	cfg.Include, cfg.Checkpoint = []string{parts[0]}, parts[1]
	next := &appendingLogs{f: f}
	r, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, next)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	select {} // until SIGKILL
}

type appendingLogs struct {
	mu sync.Mutex
	f  *os.File
}

func (a *appendingLogs) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	v, _ := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().Get("i")
	a.mu.Lock()
	defer a.mu.Unlock()
	_, err := fmt.Fprintf(a.f, "%d\n", v.Int())
	return err
}

func (a *appendingLogs) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func readAccepted(t *testing.T, path string) []int {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	defer f.Close()
	var out []int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if n, err := strconv.Atoi(sc.Text()); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func distinct(ids []int) int {
	seen := map[int]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	return len(seen)
}
