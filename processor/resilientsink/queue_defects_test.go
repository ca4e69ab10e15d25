// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Issue 17: under spill + drop_oldest, one batch larger than the whole disk
// budget evicted every frame on disk and was dropped anyway. It must cost
// only itself (too_large).
func TestSpillBatchLargerThanDiskCostsOnlyItself(t *testing.T) {
	cfg := persistConfig(t.TempDir(), PersistenceModeSpill)
	cfg.Overflow = OverflowPolicyDropOldest
	cfg.Persistence.MaxMegabytes = 1
	h := newHarness(t, cfg)
	h.down.set(modeHold)
	h.start()
	for range 30 {
		require.NoError(t, h.send(20))
	}
	before := h.accounts()
	require.Positive(t, h.metric("disk_items"))
	big := bigRecordLogs(3 << 20)
	require.NoError(t, h.p.ConsumeLogs(context.Background(), big))
	after := h.accounts()
	require.Equal(t, int64(big.LogRecordCount()), h.dropped("too_large"))
	require.Zero(t, h.dropped("overflow"), "nothing was evicted for it")
	require.Equal(t, before.queued, after.queued, "every small batch is still held")
	h.requireBalanced()
	h.down.set(modeSucceed)
	close(h.down.release)
	h.waitDelivered(600)
}

// Issue 17: under write_ahead + drop_oldest with a full disk, the oldest
// batches were kept and the newest dropped: eviction looked only at frames
// not read back, never at batches also held in memory.
func TestWriteAheadFullDiskDropsOldest(t *testing.T) {
	cfg := persistConfig(t.TempDir(), PersistenceModeWriteAhead)
	cfg.QueueSize = 1000 // every batch is also held in memory
	cfg.Overflow = OverflowPolicyDropOldest
	cfg.Persistence.MaxMegabytes = 1
	cfg.Persistence.Sync = false
	h := newHarness(t, cfg)
	h.down.set(modeFail)
	h.start()
	const n = 400
	for range n {
		require.NoError(t, h.send(200))
	}
	require.Positive(t, h.dropped("overflow"))
	h.down.set(modeSucceed)
	require.Eventually(t, func() bool {
		return h.metric("queue_items") == 0 && h.metric("disk_items") == 0
	}, 20*time.Second, time.Millisecond)
	got := h.down.accepted()
	// Apart from the batch in the worker's hands when the disk filled, what
	// is delivered is the newest batches.
	for seq := int64(n - 20); seq < n; seq++ {
		require.True(t, slices.Contains(got, seq), "newest batch %d delivered (got %d batches, first %v)", seq, len(got), got[:min(5, len(got))])
	}
	h.requireBalanced()
}

// Issue 17: with num_workers > 1, a worker that returned after Shutdown gave
// up on it could put its batch back into a closed ring, which dropped it
// (reason shutdown) and acked its frame: an acknowledged write_ahead batch
// lost. (The old code lost it only in a narrow race, which this test does
// not force; it checks the abandonment path end to end.)
func TestLateWorkerAfterShutdownLosesNothing(t *testing.T) {
	dir := t.TempDir()
	cfg := persistConfig(dir, PersistenceModeWriteAhead)
	cfg.NumWorkers = 3
	cfg.Shutdown.Timeout = 100 * time.Millisecond
	h := newHarness(t, cfg)
	unblock := make(chan struct{})
	h.down.hook = func() { <-unblock } // ignores cancellation
	h.down.set(modeFail)
	h.start()
	for range 6 {
		require.NoError(t, h.send(5))
	}
	require.Eventually(t, func() bool { return h.down.inFlight.Load() == 3 }, 5*time.Second, time.Millisecond)
	require.NoError(t, h.p.Shutdown(context.Background()))
	close(unblock) // the late workers return now, with a failure
	require.Eventually(t, func() bool { return h.down.inFlight.Load() == 0 }, 5*time.Second, time.Millisecond)
	require.Zero(t, h.metric("dropped_items"))

	h2 := newHarness(t, cfg)
	h2.start()
	h2.waitDelivered(30)
	require.ElementsMatch(t, seqs(0, 6), h2.down.accepted())
	h2.requireBalanced()
	h2.shutdown()
}

// Issue 17: with num_workers > 1, one batch waiting for its backoff at the
// head of the queue held every worker for that backoff.
func TestBackoffDoesNotHoldOtherWorkers(t *testing.T) {
	cfg := testConfig()
	cfg.NumWorkers = 2
	cfg.CircuitBreaker.Enabled = false
	cfg.Retry.InitialInterval = time.Hour
	cfg.Retry.MaxInterval = time.Hour
	h := newHarness(t, cfg)
	failFirst := make(chan struct{}, 1)
	failFirst <- struct{}{}
	h.down.hook = func() {
		select {
		case <-failFirst:
			h.down.set(modeFail)
		default:
			h.down.set(modeSucceed)
		}
	}
	h.start()
	require.NoError(t, h.send(1)) // fails once, then waits an hour
	require.Eventually(t, func() bool { return h.metric("send_failures") == 1 }, 5*time.Second, time.Millisecond)
	for range 5 {
		require.NoError(t, h.send(1))
	}
	require.Eventually(t, func() bool { return h.down.items.Load() == 5 }, 5*time.Second, time.Millisecond,
		"the other batches are delivered while the first waits for its backoff")
	require.ElementsMatch(t, seqs(1, 6), h.down.accepted(), "two workers: any order")
	h.requireBalanced()
}
