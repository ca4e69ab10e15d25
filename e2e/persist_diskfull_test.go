//go:build e2e && linux

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// TestPersistDiskFull: the persistence folder sits on a 2 MiB tmpfs and the
// disk fills; the collector keeps running and nothing is lost silently.
func TestPersistDiskFull(t *testing.T) {
	t.Run("spill", testDiskFullSpill)
	t.Run("spill_downstream_returns", testDiskFullSpillRecovers)
	t.Run("write_ahead", testDiskFullWriteAhead)
}

// diskFullForwarder is persistForwarderConfig in mode with its folder on a
// fresh 2 MiB tmpfs (returned too); the disk budget (256 MiB) is far from
// reached.
func diskFullForwarder(t *testing.T, b *collector, mode string) (*collector, string) {
	t.Helper()
	disk := mountTmpfs(t, "2m")
	return newCollector(t, "A", persistForwarderConfig(b.grpcEndpoint(), mode),
		fmt.Sprintf("processors:\n  resilientsink:\n    persistence:\n      directory: %s\n", disk)), disk
}

// volumeState describes, for a failure message, the free space of the
// volume at dir and the files c's process holds open that were deleted
// (whose space a volume frees only once they are closed).
func volumeState(c *collector, dir string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return fmt.Sprintf("statfs %s: %v", dir, err)
	}
	fdDir := fmt.Sprintf("/proc/%d/fd", c.proc.cmd.Process.Pid)
	entries, err := os.ReadDir(fdDir)
	if err != nil {
		return fmt.Sprintf("%d of %d bytes free; %v", st.Bavail*uint64(st.Bsize), st.Blocks*uint64(st.Bsize), err)
	}
	var deleted []string
	for _, e := range entries {
		if link, err := os.Readlink(filepath.Join(fdDir, e.Name())); err == nil && strings.HasSuffix(link, " (deleted)") {
			deleted = append(deleted, link)
		}
	}
	return fmt.Sprintf("%d of %d bytes free; deleted files held open: %v", st.Bavail*uint64(st.Bsize), st.Blocks*uint64(st.Bsize), deleted)
}

// testDiskFullSpill: the spill folder sits on a 2 MiB tmpfs (the disk
// budget, 256 MiB, is far from reached) and the downstream is dead. The disk
// fills while the collector spills; it keeps running and serving, and counts
// what does not fit (dropped, reason spill_failed or overflow), so that its
// accounting balances. The SIGTERM that follows (whose spill meets the full
// disk too) exits cleanly and states its drops; a restart on the same full
// tmpfs with the downstream back delivers the rest. In the end every accepted
// span is either in the downstream or counted as dropped, once.
func testDiskFullSpill(t *testing.T) {
	b := newCollector(t, "B", sinkConfig) // down until the restart
	a, _ := diskFullForwarder(t, b, "spill")
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
	full := waitSettled(t, a, res.Sent)
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
		return spanCount(got) >= after.Sent
	})
	t.Logf("after restart: %s; B holds %d spans (%d duplicates)", after, len(got), duplicates(got))
	assert.Zero(t, extraIn(got, res.Accepted), "spans in B the client was not told were accepted")
	dropped := full.Dropped + atShutdown + after.Dropped
	assert.Equal(t, int64(len(res.Accepted)), int64(len(got))+dropped,
		"accepted = delivered + dropped (%d before SIGTERM, %d at shutdown, %d after restart: %v)", full.Dropped, atShutdown, after.Dropped, after.DroppedBy)
	assert.Equal(t, int64(missingFrom(got, res.Accepted)), dropped, "every accepted span missing from B is counted as dropped")
	a.stop(30 * time.Second)
}

// testDiskFullWriteAhead: under write_ahead a batch that does not fit the
// full disk is refused (the client sees an error and may retry), never
// acknowledged and lost: the collector keeps running, counts the refusals,
// drops nothing, and after a restart with the downstream back every
// acknowledged span is delivered.
func testDiskFullWriteAhead(t *testing.T) {
	b := newCollector(t, "B", sinkConfig) // down until the restart
	a, _ := diskFullForwarder(t, b, "write_ahead")
	a.start()
	l := startLoad(t, newSpanClient(t, a.httpEndpoint(), 512), loadBatch, loadInterval)
	eventually(t, 30*time.Second, "the disk to fill and A to refuse 1000 items", func() bool {
		if a.proc.exited() {
			t.Fatalf("A exited when its disk filled (%v)", a.proc.err)
		}
		s, err := a.tryScrape()
		return err == nil && s.int(mRefused) >= 1000
	})
	res := l.stop()
	a.waitHealthy()
	full := waitSettled(t, a, res.Sent)
	t.Logf("disk full: %s; client sent %d, codes %v", full, res.Sent, res.Codes)
	assert.Equal(t, res.Failed, full.Refused, "refused items = items in requests the client saw fail")
	assert.Equal(t, int64(len(res.Accepted)), full.Incoming-full.Refused, "accepted = incoming - refused")
	assert.Zero(t, full.Dropped, "write_ahead refuses, it does not drop: %v", full.DroppedBy)

	took, err := sigterm(t, a, 2*time.Second+exitMargin)
	t.Logf("SIGTERM on a full disk: exit after %s (%v)", took, err)
	require.NoError(t, err, "exit status")
	assert.Zero(t, shutdownDropped(t, a), "items dropped at shutdown: every accepted batch is on disk already")

	b.start()
	a.start()
	got := waitAllDelivered(t, b, res.Accepted, 60*time.Second)
	after := waitDiskDrained(t, a)
	t.Logf("after restart: %s; B holds %d spans (%d duplicates, %d never acknowledged)", after, len(got), duplicates(got), extraIn(got, res.Accepted))
	assert.Zero(t, after.Dropped, "dropped after the restart: %v", after.DroppedBy)
	a.stop(30 * time.Second)
}

// testDiskFullSpillRecovers: the disk fills while the downstream is dead,
// then the downstream comes back while the load goes on; the space freed by
// delivery is used again. In the end every accepted span is delivered or
// counted as dropped, and the delivered ones come in arrival order.
func testDiskFullSpillRecovers(t *testing.T) {
	b := newCollector(t, "B", sinkConfig) // down until the disk is full
	a, disk := diskFullForwarder(t, b, "spill")
	a.start()
	l := startLoad(t, newSpanClient(t, a.httpEndpoint(), 512), loadBatch, loadInterval)
	eventually(t, 30*time.Second, "the disk to fill and A to count 1000 items that did not fit", func() bool {
		s, err := a.tryScrape()
		return err == nil && s.int(mDropped, "reason", "spill_failed")+s.int(mDropped, "reason", "overflow") >= 1000
	})
	b.start()
	_, base, _ := l.snapshot()
	eventually(t, 30*time.Second, "2000 more spans accepted after the downstream came back", func() bool {
		_, acked, _ := l.snapshot()
		return acked >= base+2000
	})
	res := l.stop()
	after := waitDiskDrained(t, a)
	var got map[int64]int
	eventually(t, 30*time.Second, fmt.Sprintf("B to hold the %d spans A sent", after.Sent), func() bool {
		got = mustReadSpans(t, b.outFile("traces"))
		return spanCount(got) >= after.Sent
	})
	t.Logf("A: %s; client sent %d, codes %v; B holds %d spans (%d duplicates)", after, res.Sent, res.Codes, len(got), duplicates(got))
	assert.Equal(t, int64(len(res.Accepted)), after.Incoming, "incoming = spans the client got OK for")
	assert.Equal(t, after.Dropped, after.DroppedBy["spill_failed"]+after.DroppedBy["overflow"], "drops only for spill_failed or overflow: %v", after.DroppedBy)
	assert.Zero(t, extraIn(got, res.Accepted), "spans in B the client was not told were accepted")
	assert.Equal(t, int(after.Dropped), missingFrom(got, res.Accepted), "accepted spans missing from B = dropped items")
	requireArrivalOrder(t, b)

	// Everything is delivered: the disk must take spills again when the
	// downstream dies once more.
	b.stop(30 * time.Second)
	l = startLoad(t, newSpanClient(t, a.httpEndpoint(), 512), loadBatch, loadInterval)
	again := waitAccounting(t, a, 30*time.Second, "A to spill 1000 more items (or drop 1000 more)", func(acc persistAccounting) bool {
		return acc.Spilled >= after.Spilled+1000 || acc.Dropped >= after.Dropped+1000
	})
	l.stop()
	t.Logf("downstream dead again: %s; volume: %s", again, volumeState(a, disk))
	assert.GreaterOrEqual(t, again.Spilled, after.Spilled+1000, "spilled_items after the disk was emptied by delivery")
	assert.Equal(t, after.Dropped, again.Dropped, "dropped although the disk holds no item: %v", again.DroppedBy)
	a.stop(30 * time.Second)
}
