//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mountTmpfs mounts a tmpfs of the given size (mount(8) syntax: "2m") on a
// new folder and unmounts it when the test ends, after the collectors the
// test starts later have been stopped. It needs root, which the e2e suite
// has here and in CI; without it the test fails, saying so.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tmpfs")
	require.NoError(t, os.Mkdir(dir, 0o700))
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Fatalf("mount a %s tmpfs on %s: %v (the e2e suite runs as root, here and in CI; uid %d)", size, dir, err, os.Getuid())
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Logf("unmount %s: %v; detaching it", dir, err)
			_ = syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	})
	return dir
}

// shutdownDropped is the dropped_items of the run's shutdown log line, or 0
// when there is none.
func shutdownDropped(t *testing.T, c *collector) int64 {
	t.Helper()
	entries := c.logEntries(dropLogMsg)
	require.LessOrEqual(t, len(entries), 1, "at most one %q line", dropLogMsg)
	if len(entries) == 0 {
		return 0
	}
	t.Logf("shutdown line: %v", entries[0])
	n, ok := entries[0]["dropped_items"].(float64)
	require.True(t, ok, "dropped_items in %v", entries[0])
	return int64(n)
}

// TestPersistDiskFull: the spill folder sits on a 2 MiB tmpfs (the disk
// budget, 256 MiB, is far from reached) and the downstream is dead. The disk
// fills while the collector spills; it keeps running and serving, and counts
// what does not fit (dropped, reason spill_failed or overflow), so that its
// accounting balances. The SIGTERM that follows (whose spill meets the full
// disk too) exits cleanly and states its drops; a restart on the same full
// tmpfs with the downstream back delivers the rest. In the end every accepted
// span is either in the downstream or counted as dropped, once.
func TestPersistDiskFull(t *testing.T) {
	disk := mountTmpfs(t, "2m")
	b := newCollector(t, "B", sinkConfig) // down until the restart
	a := newCollector(t, "A", persistForwarderConfig(b.grpcEndpoint(), "spill"),
		fmt.Sprintf("processors:\n  resilientsink:\n    persistence:\n      directory: %s\n", disk))
	a.start()
	// 20 spans of about 600 bytes every 10 ms: 1.2 MB/s, 2 MiB fill in 2 s.
	l := startLoad(t, newSpanClient(t, a.httpEndpoint(), 512), loadBatch, loadInterval)
	eventually(t, 30*time.Second, "the disk to fill and A to count 1000 items that did not fit", func() bool {
		if a.proc.exited() {
			t.Fatalf("A exited when its disk filled (%v)", a.proc.err)
		}
		s, err := a.tryScrape()
		return err == nil && s.int(mDropped, "reason", "spill_failed")+s.int(mDropped, "reason", "overflow") >= 1000
	})
	res := l.stop()
	a.waitHealthy()
	var full persistAccounting
	eventually(t, 30*time.Second, "A's accounting to settle", func() bool {
		s, err := a.tryScrape()
		if err != nil {
			return false
		}
		full = s.persistAccounting()
		return full.Incoming == res.Sent && full.balanced()
	})
	t.Logf("disk full: %s; client sent %d, codes %v", full, res.Sent, res.Codes)
	assert.Equal(t, int64(len(res.Accepted)), full.Incoming, "incoming = spans the client got OK for")
	assert.Positive(t, full.Spilled, "spilled before the disk was full")
	assert.Equal(t, full.Dropped, full.DroppedBy["spill_failed"]+full.DroppedBy["overflow"], "drops only for spill_failed or overflow: %v", full.DroppedBy)

	took, err := sigterm(t, a, 2*time.Second+exitMargin)
	t.Logf("SIGTERM on a full disk: exit after %s (%v)", took, err)
	require.NoError(t, err, "exit status 0: the loss is in telemetry and the log")
	atShutdown := shutdownDropped(t, a)

	b.start()
	a.start()
	after := waitDiskDrained(t, a)
	var got map[int64]int
	eventually(t, 30*time.Second, fmt.Sprintf("B to hold the %d spans A sent", after.Sent), func() bool {
		got = mustReadSpans(t, b.outFile("traces"))
		var n int64
		for _, c := range got {
			n += int64(c)
		}
		return n >= after.Sent
	})
	t.Logf("after restart: %s; B holds %d spans (%d duplicates)", after, len(got), duplicates(got))
	assert.Zero(t, extraIn(got, res.Accepted), "spans in B the client was not told were accepted")
	dropped := full.Dropped + atShutdown + after.Dropped
	assert.Equal(t, int64(len(res.Accepted)), int64(len(got))+dropped,
		"accepted = delivered + dropped (%d before SIGTERM, %d at shutdown, %d after restart: %v)", full.Dropped, atShutdown, after.Dropped, after.DroppedBy)
	assert.Equal(t, int64(missingFrom(got, res.Accepted)), dropped, "every accepted span missing from B is counted as dropped")
	a.stop(30 * time.Second)
}
