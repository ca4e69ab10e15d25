//go:build e2e

package e2e

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
)

// TestTooLargeBatchDropped: a batch whose estimated heap exceeds the whole
// memory_limit_mib is never queued: it is dropped with reason too_large (the
// caller gets success under drop_oldest), and smaller batches go through.
func TestTooLargeBatchDropped(t *testing.T) {
	c := newCollector(t, "collector", deliveryConfig,
		"processors:\n  resilientsink:\n    memory_limit_mib: 1\n")
	c.start()
	client := newLogClient(t, c.grpcEndpoint())
	const big, small = 20000, 100
	require.Equal(t, codes.OK, client.send(0, big), "drop_oldest hands success back")
	require.Equal(t, codes.OK, client.send(big, small))

	var fc fileContent
	eventually(t, 30*time.Second, "the small batch in the file", func() bool {
		fc = mustReadFile(t, c.outFile("logs"), "logs")
		return fc.Records >= small
	})
	var acc accounting
	eventually(t, 10*time.Second, "the accounting to settle", func() bool {
		acc = c.scrape().accounting()
		return acc.balanced() && acc.Queued == 0
	})
	t.Logf("%s", acc)
	assert.Equal(t, int64(big), acc.DroppedBy["too_large"])
	assert.Equal(t, int64(big+small), acc.Incoming)
	assert.Equal(t, int64(small), acc.Sent)
	c.stop(30 * time.Second)
	fc = mustReadFile(t, c.outFile("logs"), "logs")
	assert.Equal(t, small, fc.Records)
	for i := int64(big); i < big+small; i++ {
		assert.Equal(t, 1, fc.Seqs[i], "record %d", i)
	}
}

// TestMaxAgeExpires: batches that waited longer than max_age behind a down
// downstream are dropped with reason expired instead of being sent; every
// accepted record is either in B's file or counted as expired.
func TestMaxAgeExpires(t *testing.T) {
	b := newCollector(t, "B", sinkConfig)
	a := newCollector(t, "A", forwarderConfig(b.grpcEndpoint()),
		"processors:\n  resilientsink:\n    max_age: 500ms\n")
	a.start()
	res, before := buildBacklog(t, a, 1000)
	b.start()

	var acc accounting
	eventually(t, 60*time.Second, "A to empty its queue", func() bool {
		s, err := a.tryScrape()
		if err != nil {
			return false
		}
		acc = s.accounting()
		return acc.Queued == 0 && acc.balanced()
	})
	t.Logf("before B: %s; after: %s", before, acc)
	assert.Positive(t, acc.DroppedBy["expired"], "batches older than max_age")
	assert.Equal(t, acc.Dropped, acc.DroppedBy["expired"], "only expired drops: %v", acc.DroppedBy)
	assert.Equal(t, int64(len(res.Accepted)), acc.Sent+acc.DroppedBy["expired"], "accepted = sent + expired (%s)", acc)

	var fc fileContent
	eventually(t, 30*time.Second, "B's file to hold what A sent", func() bool {
		fc = mustReadFile(t, b.outFile("logs"), "logs")
		return int64(fc.Records) >= acc.Sent
	})
	assert.Equal(t, acc.Sent, int64(fc.Records))

	// Fresh data still flows.
	const fresh = 1_000_000
	require.Equal(t, codes.OK, newLogClient(t, a.grpcEndpoint()).send(fresh, 100))
	eventually(t, 30*time.Second, "a fresh batch in B's file", func() bool {
		return mustReadFile(t, b.outFile("logs"), "logs").Seqs[fresh+99] == 1
	})
	// One worker keeps arrival order: the expired records are the oldest,
	// including the batch the worker was retrying when B came back.
	minSent, maxExpired := int64(1<<62), int64(-1)
	for seq := range res.Accepted {
		if fc.Seqs[seq] == 0 {
			maxExpired = max(maxExpired, seq)
		} else {
			minSent = min(minSent, seq)
		}
	}
	assert.Less(t, maxExpired, minSent, "every expired record is older than every sent one")
	for seq, n := range fc.Seqs {
		if n != 1 || !res.Accepted[seq] {
			t.Errorf("record %d: %d copies in B, accepted=%v", seq, n, res.Accepted[seq])
		}
	}
}

// TestMemoryBudgetBounds: with the downstream down and a queue limited only by
// memory_limit_mib, the estimated bytes held never pass the budget, the queue
// fills close to it, and the rest is dropped for overflow, all accounted for.
func TestMemoryBudgetBounds(t *testing.T) {
	const limitMiB = 4
	a := newCollector(t, "A", forwarderConfig(fmt.Sprintf("127.0.0.1:%d", freePort(t))),
		fmt.Sprintf("processors:\n  resilientsink:\n    queue_size: 100000\n    memory_limit_mib: %d\n", limitMiB)) // 100000 batches: more than 4 MiB holds, so the bytes decide
	a.start()
	const workers, perWorker = 2, 20000
	runTelemetrygen(t, "logs", "--otlp-insecure", "--otlp-endpoint", a.grpcEndpoint(),
		"--workers", strconv.Itoa(workers), "--logs", strconv.Itoa(perWorker), "--rate", "0")

	var s scrapeResult
	eventually(t, 30*time.Second, "A's accounting to settle", func() bool {
		var err error
		s, err = a.tryScrape()
		return err == nil && s.int(mIncoming) == workers*perWorker && s.accounting().balanced()
	})
	acc := s.accounting()
	held := s.int("otelcol_processor_resilientsink_queue_bytes")
	limit := s.int("otelcol_processor_resilientsink_memory_limit_bytes")
	t.Logf("%s; queue_bytes %d of %d, queue_batches %d", acc, held, limit, s.int(mQueueBatch))
	assert.Equal(t, int64(limitMiB<<20), limit)
	assert.LessOrEqual(t, held, limit, "queue_bytes within memory_limit_mib")
	assert.Greater(t, held, limit/2, "the queue fills up to the budget")
	assert.Positive(t, acc.DroppedBy["overflow"], "what does not fit is dropped")
	assert.Equal(t, acc.Dropped, acc.DroppedBy["overflow"]+acc.DroppedBy["too_large"], "%v", acc.DroppedBy)
	assert.Zero(t, acc.Sent)
}
