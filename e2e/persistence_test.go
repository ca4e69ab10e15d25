//go:build e2e

package e2e

import (
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
)

// persistBacklog runs a span load against a (whose downstream is down) until
// a has spilled at least n items with its breaker open, stops the load and
// waits until a's accounting is quiescent. Both tiers then hold data: the
// memory queue (what was not spilled) and the disk.
func persistBacklog(t *testing.T, a *collector, n int64) (loadResult, persistAccounting) {
	t.Helper()
	l := startLoad(t, newSpanClient(t, a.httpEndpoint(), 0), loadBatch, loadInterval)
	eventually(t, 30*time.Second, fmt.Sprintf("A to spill %d items with its breaker open", n), func() bool {
		s, err := a.tryScrape()
		return err == nil && s.int(mSpilled) >= n && s.int(mBreaker) == 2
	})
	res := l.stop()
	require.Equal(t, map[codes.Code]int{codes.OK: res.Codes[codes.OK]}, res.Codes, "spill never fails the client")
	acc := waitSettled(t, a, res.Sent)
	require.Equal(t, int64(len(res.Accepted)), acc.Incoming)
	require.Zero(t, acc.Dropped, "dropped while spilling: %v", acc.DroppedBy)
	require.Positive(t, acc.DiskItems, "the disk tier holds items: %s", acc)
	require.Positive(t, acc.Incoming-acc.DiskItems, "the memory tier holds items: %s", acc)
	return res, acc
}

// waitAllDelivered waits until b's traces file holds every accepted span and
// returns what it holds.
func waitAllDelivered(t *testing.T, b *collector, accepted map[int64]bool, timeout time.Duration) map[int64]int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		got := mustReadSpans(t, b.outFile("traces"))
		missing := missingFrom(got, accepted)
		if missing == 0 {
			return got
		}
		if time.Now().After(deadline) {
			var some []int64
			for seq := range accepted {
				if got[seq] == 0 && len(some) < 10 {
					some = append(some, seq)
				}
			}
			slices.Sort(some)
			t.Fatalf("timed out after %s waiting for B to hold all %d accepted spans: %d missing (some: %v); B holds %d",
				timeout, len(accepted), missing, some, len(got))
		}
		<-tick.C
	}
}

// requireArrivalOrder checks that b's traces file holds the spans in arrival
// (sequence) order, second copies aside: with num_workers 1 the order holds
// across memory, disk and restarts.
func requireArrivalOrder(t *testing.T, b *collector) {
	t.Helper()
	order, err := readSpanOrder(b.outFile("traces"))
	require.NoError(t, err)
	assert.Zero(t, outOfOrder(order), "spans delivered after a span that arrived later (of %d)", len(order))
}

// waitDiskDrained waits until a holds nothing, in memory or on disk, and its
// accounting balances; it returns that accounting.
func waitDiskDrained(t *testing.T, a *collector) persistAccounting {
	t.Helper()
	return waitAccounting(t, a, 60*time.Second, "A to empty its memory queue and its disk", func(acc persistAccounting) bool {
		return acc.Queued == 0 && acc.DiskItems == 0 && acc.balanced()
	})
}

// TestPersistSpillSIGTERMThenRestart: with its downstream dead, A holds spans
// in memory and on disk (spill); SIGTERM writes the memory part to disk and
// drops nothing; the folder then holds exactly the accepted spans, each frame
// decoding with pdata's proto unmarshaler. A restart on the same folder with
// the downstream back delivers every accepted span (set equality by span ID),
// again dropping nothing. It runs with shutdown strategy graceful (the
// spill follows a 2s drain) and immediate (the spill comes at once).
func TestPersistSpillSIGTERMThenRestart(t *testing.T) {
	for _, tc := range []struct {
		strategy string
		limit    time.Duration // exit after SIGTERM within
	}{
		{"graceful", 2*time.Second + exitMargin},
		{"immediate", exitMargin},
	} {
		t.Run(tc.strategy, func(t *testing.T) { testSpillSIGTERMThenRestart(t, tc.strategy, tc.limit) })
	}
}

func testSpillSIGTERMThenRestart(t *testing.T, strategy string, limit time.Duration) {
	b := newCollector(t, "B", sinkConfig) // down until A's restart
	a := newCollector(t, "A", persistForwarderConfig(b.grpcEndpoint(), "spill"), shutdownConfig(strategy, 2*time.Second))
	a.start()
	res, before := persistBacklog(t, a, 3000)
	t.Logf("before SIGTERM: %s; client sent %d", before, res.Sent)

	took, err := sigterm(t, a, limit)
	t.Logf("SIGTERM: exit after %s (%v)", took, err)
	require.NoError(t, err, "exit status")
	assert.Empty(t, a.logEntries(dropLogMsg), "no items dropped at shutdown")

	disk := readSpool(t, a.tracesSpoolDir())
	t.Logf("on disk after SIGTERM: %d frames, %d items", disk.Frames, disk.Items)
	assert.Empty(t, disk.Problems, "damage found in a cleanly written spool")
	assert.Equal(t, int64(len(res.Accepted)), disk.Items, "items on disk = items accepted")
	assert.Zero(t, missingFrom(disk.Seqs, res.Accepted), "accepted spans missing from the disk")
	assert.Zero(t, extraIn(disk.Seqs, res.Accepted), "spans on disk the client was not told were accepted")
	assert.Zero(t, duplicates(disk.Seqs), "spans on disk twice")

	b.start()
	a.start()
	got := waitAllDelivered(t, b, res.Accepted, 60*time.Second)
	after := waitDiskDrained(t, a)
	t.Logf("after restart: %s; B holds %d spans, %d duplicates", after, len(got), duplicates(got))
	assert.Zero(t, extraIn(got, res.Accepted), "spans in B the client was not told were accepted")
	requireArrivalOrder(t, b)
	assert.Equal(t, disk.Items, after.Replayed, "replayed_items = items on disk at Start")
	assert.Zero(t, after.Dropped, "dropped after the restart: %v", after.DroppedBy)
	assert.Zero(t, after.Refused)
	a.stop(30 * time.Second)
	assert.Empty(t, a.logEntries(dropLogMsg), "no items dropped at the second shutdown")
}

// TestPersistReloadSIGHUP: a config reload (SIGHUP) with spans queued in
// memory and on disk for a dead downstream drops nothing: the old instance
// spills, the new one finds every item on disk, and once the downstream is
// back it delivers them all.
func TestPersistReloadSIGHUP(t *testing.T) {
	b := newCollector(t, "B", sinkConfig) // down until after the reload
	a := newCollector(t, "A", persistForwarderConfig(b.grpcEndpoint(), "spill"))
	a.start()
	res, before := persistBacklog(t, a, 2000)
	t.Logf("before SIGHUP: %s", before)

	a.signal(syscall.SIGHUP)
	var reloaded persistAccounting
	eventually(t, 30*time.Second, "the reloaded instance to find the backlog on disk", func() bool {
		if a.proc.exited() {
			t.Fatalf("the collector exited on SIGHUP (%v)", a.proc.err)
		}
		s, err := a.tryScrape()
		if err != nil {
			return false
		}
		reloaded = s.persistAccounting()
		return reloaded.Replayed >= int64(len(res.Accepted))
	})
	t.Logf("after SIGHUP: %s", reloaded)
	assert.Empty(t, a.logEntries(dropLogMsg), "no items dropped by the reload's shutdown")
	assert.Equal(t, int64(len(res.Accepted)), reloaded.Replayed, "replayed_items = items held before the reload")
	assert.Zero(t, reloaded.Dropped, "dropped: %v", reloaded.DroppedBy)
	assert.LessOrEqual(t, reloaded.Queued, int64(20*loadBatch), "the replay is paced by the memory queue (20 batches); the rest stays on disk")

	b.start()
	got := waitAllDelivered(t, b, res.Accepted, 60*time.Second)
	after := waitDiskDrained(t, a)
	t.Logf("after the downstream came back: %s; B holds %d spans, %d duplicates", after, len(got), duplicates(got))
	assert.Zero(t, extraIn(got, res.Accepted), "spans in B the client was not told were accepted")
	requireArrivalOrder(t, b)
	assert.Zero(t, after.Dropped, "dropped: %v", after.DroppedBy)
	require.False(t, a.proc.exited(), "the collector is still running")
	a.stop(30 * time.Second)
}

// TestPersistFolderInUse: a second collector whose resilientsink resolves to
// a folder the first one holds fails to start, naming the folder; the first
// keeps serving.
func TestPersistFolderInUse(t *testing.T) {
	dead := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	first := newCollector(t, "first", persistForwarderConfig(dead, "write_ahead"))
	first.start()
	shared := strings.ReplaceAll(persistForwarderConfig(dead, "write_ahead"), "@DIR@", first.dir)
	second := newCollector(t, "second", shared)
	second.startNoWait()
	_, err := second.waitExit(60 * time.Second)
	require.Error(t, err, "the second collector must fail to start")
	assert.Contains(t, second.logs(), first.tracesSpoolDir(), "the failure names the folder")

	client := newSpanClient(t, first.httpEndpoint(), 0)
	require.Equal(t, codes.OK, client.send(0, 10), "the first collector keeps accepting")
	s := first.scrape()
	assert.Equal(t, int64(10), s.int(mIncoming))
}
