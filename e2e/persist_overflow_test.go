//go:build e2e

package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
)

// TestPersistBatchLargerThanDiskCostsOnlyItself (issue 17, reproduced
// black-box before the tiered queue: disk_items went 400 -> 80 and the big
// batch was dropped anyway): spill + drop_oldest with a tiny ring and a
// 1 MiB disk holding 30 small batches; one 3 MiB batch is dropped as
// too_large and costs nothing else.
func TestPersistBatchLargerThanDiskCostsOnlyItself(t *testing.T) {
	b := newCollector(t, "B", sinkConfig) // down until the end
	a := newCollector(t, "A", persistForwarderConfig(b.grpcEndpoint(), "spill"),
		"processors:\n  resilientsink:\n    queue_size: 2\n    memory_limit_mib: 64\n    persistence:\n      max_megabytes: 1\n")
	a.start()
	small := newSpanClient(t, a.httpEndpoint(), 0)
	for i := range int64(30) {
		require.Equal(t, codes.OK, small.send(i*20, 20))
	}
	before := waitSettled(t, a, 600)
	require.Positive(t, before.DiskItems, "the small batches are on disk: %s", before)

	big := newSpanClient(t, a.httpEndpoint(), 3<<20)
	require.Equal(t, codes.OK, big.send(10_000, 1), "drop_oldest: the caller gets success")
	after := waitSettled(t, a, 601)
	t.Logf("before %s; after %s", before, after)
	assert.Equal(t, int64(1), after.DroppedBy["too_large"], "the big batch is dropped as too_large")
	assert.Zero(t, after.DroppedBy["overflow"], "nothing was evicted for it")
	assert.Equal(t, before.DiskItems+before.Queued, after.DiskItems+after.Queued, "every small batch is still held")

	b.start()
	drained := waitDiskDrained(t, a)
	got := mustReadSpans(t, b.outFile("traces"))
	eventually(t, 30*time.Second, "B to hold the 600 small spans", func() bool {
		got = mustReadSpans(t, b.outFile("traces"))
		return spanCount(got) >= 600
	})
	t.Logf("drained: %s", drained)
	for seq := range int64(600) {
		require.Positive(t, got[seq], "small span %d delivered", seq)
	}
}

// TestPersistWriteAheadFullDiskDeliversNewest (issue 17, reproduced
// black-box before the tiered queue: batches 0-90 kept, the newest 309
// dropped): write_ahead + drop_oldest with a full 1 MiB disk and a dead
// downstream drops the oldest batches and delivers the newest.
func TestPersistWriteAheadFullDiskDeliversNewest(t *testing.T) {
	b := newCollector(t, "B", sinkConfig) // down until the backlog is built
	a := newCollector(t, "A", persistForwarderConfig(b.grpcEndpoint(), "write_ahead"),
		"processors:\n  resilientsink:\n    queue_size: 1000\n    memory_limit_mib: 64\n    persistence:\n      max_megabytes: 1\n")
	a.start()
	c := newSpanClient(t, a.httpEndpoint(), 512)
	const batches, per = 400, 5
	for i := range int64(batches) {
		require.Equal(t, codes.OK, c.send(i*per, per))
	}
	full := waitSettled(t, a, batches*per)
	t.Logf("disk full: %s", full)
	require.Positive(t, full.DroppedBy["overflow"], "the disk budget overflowed")

	b.start()
	waitDiskDrained(t, a)
	var got map[int64]int
	eventually(t, 30*time.Second, "B to hold what A sent", func() bool {
		got = mustReadSpans(t, b.outFile("traces"))
		return spanCount(got) >= waitDiskDrained(t, a).Sent
	})
	// The newest batches are delivered (the oldest were evicted).
	for seq := int64((batches - 50) * per); seq < batches*per; seq++ {
		require.Positive(t, got[seq], "span %d of the newest 50 batches delivered", seq)
	}
}
