//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
)

// Load used while a downstream collector goes away: 20 records every 10ms,
// about 2,000 records/s.
const (
	loadBatch    = 20
	loadInterval = 10 * time.Millisecond
)

// outage runs A (resilientsink -> otlp_grpc) in front of B (filesink) under
// load, stops B with SIGTERM, waits until A's breaker is open while the load
// goes on, restarts B on the same port and files, and waits until A's breaker
// is closed. It returns the load result once A is quiescent.
func outage(t *testing.T, a, b *collector) loadResult {
	t.Helper()
	b.start()
	a.start()
	l := startLoad(t, newLogClient(t, a.grpcEndpoint()), loadBatch, loadInterval)

	eventually(t, 30*time.Second, "B to write records before the outage", func() bool {
		return mustReadFile(t, b.outFile("logs"), "logs").Records >= 1000
	})
	b.stop(30 * time.Second)
	stopped := time.Now()

	var open scrapeResult
	var openAfter time.Duration
	eventually(t, 20*time.Second, "A's breaker to open (breaker_state 2)", func() bool {
		s, err := a.tryScrape()
		if err == nil && s.int(mBreaker) == 2 {
			open, openAfter = s, time.Since(stopped).Round(time.Millisecond)
			return true
		}
		return false
	})
	assert.GreaterOrEqual(t, open.int(mTransitions, "state", "open"), int64(1), "breaker_transitions{state=open}")
	assert.Positive(t, open.int(mFailures), "send_failures while B is down")
	_, acceptedAtStop, _ := l.snapshot()
	// Keep the load going: at least 2,000 more records accepted during the outage.
	eventually(t, 30*time.Second, "load to go on during the outage", func() bool {
		_, acc, _ := l.snapshot()
		return acc >= acceptedAtStop+2000
	})
	t.Logf("outage: breaker open %s after B stopped", openAfter)

	b.start()
	restarted := time.Now()
	eventually(t, 60*time.Second, "A's breaker to close (breaker_state 0)", func() bool {
		s, err := a.tryScrape()
		return err == nil && s.int(mBreaker) == 0 && s.int(mTransitions, "state", "closed") >= 1
	})
	t.Logf("outage: breaker closed %s after B restarted", time.Since(restarted).Round(time.Millisecond))
	res := l.stop()
	require.Equal(t, map[codes.Code]int{codes.OK: res.Codes[codes.OK]}, res.Codes, "drop_oldest never fails the client")

	eventually(t, 60*time.Second, "A to drain its queue", func() bool {
		s, err := a.tryScrape()
		if err != nil {
			return false
		}
		acc := s.accounting()
		return acc.Queued == 0 && acc.Incoming == int64(len(res.Accepted)) && acc.balanced()
	})
	return res
}

// TestOutageLargeBudgetLosesNothing: with room for the whole outage in A's
// queue, every acknowledged record lands in B's files exactly once.
// It runs with one delivery worker and with four.
func TestOutageLargeBudgetLosesNothing(t *testing.T) {
	for _, workers := range []int{1, 4} {
		t.Run(fmt.Sprintf("num_workers=%d", workers), func(t *testing.T) {
			testOutageLargeBudget(t, fmt.Sprintf("processors:\n  resilientsink:\n    num_workers: %d\n", workers))
		})
	}
}

func testOutageLargeBudget(t *testing.T, override string) {
	b := newCollector(t, "B", sinkConfig)
	a := newCollector(t, "A", forwarderConfig(b.grpcEndpoint()), override)
	res := outage(t, a, b)

	acc := a.scrape().accounting()
	t.Logf("A: %s; client sent %d", acc, res.Sent)
	assert.Zero(t, acc.Dropped, "A dropped items: %v", acc.DroppedBy)
	assert.Zero(t, acc.Refused)
	assert.Equal(t, int64(len(res.Accepted)), acc.Sent)

	var fc fileContent
	eventually(t, 30*time.Second, "B's file to hold every accepted record", func() bool {
		fc = mustReadFile(t, b.outFile("logs"), "logs")
		return fc.Records >= len(res.Accepted)
	})
	requireExactlyOnce(t, fc, res.Accepted)
}

// TestOutageSmallBudgetAccountsForDrops: with a queue of a few batches and
// drop_oldest, what B holds plus what A dropped for overflow is exactly what
// the client sent, and B holds no record twice.
func TestOutageSmallBudgetAccountsForDrops(t *testing.T) {
	b := newCollector(t, "B", sinkConfig)
	a := newCollector(t, "A", forwarderConfig(b.grpcEndpoint()),
		"processors:\n  resilientsink:\n    queue_size: 5\n    overflow: drop_oldest\n")
	res := outage(t, a, b)

	acc := a.scrape().accounting()
	t.Logf("A: %s; client sent %d", acc, res.Sent)
	assert.Positive(t, acc.DroppedBy["overflow"], "a 5-batch queue must overflow during the outage")
	assert.Equal(t, acc.Dropped, acc.DroppedBy["overflow"], "only overflow drops: %v", acc.DroppedBy)
	assert.Zero(t, acc.Refused)
	assert.Equal(t, int64(len(res.Accepted)), acc.Incoming, "A's incoming = records the client got OK for")
	assert.Equal(t, res.Sent, acc.Incoming, "client sent = A's incoming")

	var fc fileContent
	eventually(t, 30*time.Second, "B's file to hold every record A sent", func() bool {
		fc = mustReadFile(t, b.outFile("logs"), "logs")
		return int64(fc.Records) >= acc.Sent
	})
	require.Zero(t, fc.BadN, "unparseable lines: %v", fc.Bad)
	assert.Equal(t, acc.Sent, int64(fc.Records), "B's records = A's sent")
	assert.Equal(t, res.Sent, int64(fc.Records)+acc.DroppedBy["overflow"], "B's records + A's overflow drops = sent")
	for seq, n := range fc.Seqs {
		if n != 1 || !res.Accepted[seq] {
			t.Errorf("record %d: %d copies in B, accepted=%v", seq, n, res.Accepted[seq])
		}
	}
}

// requireExactlyOnce checks that fc holds each accepted record exactly once
// and nothing else.
func requireExactlyOnce(t *testing.T, fc fileContent, accepted map[int64]bool) {
	t.Helper()
	require.Zero(t, fc.BadN, "unparseable lines: %v", fc.Bad)
	require.Zero(t, fc.Tail, "torn tail")
	var missing, dup, extra int
	for seq := range accepted {
		switch n := fc.Seqs[seq]; {
		case n == 0:
			missing++
		case n > 1:
			dup++
		}
	}
	for seq := range fc.Seqs {
		if !accepted[seq] {
			extra++
		}
	}
	assert.Zero(t, missing, "accepted records missing from the file (of %d)", len(accepted))
	assert.Zero(t, dup, "records written more than once")
	assert.Zero(t, extra, "records in the file the client was not told were accepted")
	assert.Equal(t, len(accepted), fc.Records)
}
