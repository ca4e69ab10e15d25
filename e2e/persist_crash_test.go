//go:build e2e

package e2e

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"google.golang.org/grpc/codes"
)

// ackLoad sends spans from several workers at once, each request with fresh
// sequence numbers, and records every span of every request the collector
// acknowledged (HTTP 200). Failed requests are not retried: their spans may
// or may not arrive, and the test does not care.
type ackLoad struct {
	next     atomic.Int64
	requests atomic.Int64
	stopC    chan struct{}
	wg       sync.WaitGroup
	once     sync.Once
	mu       sync.Mutex
	acked    map[int64]bool
}

// startAckLoad runs workers senders, each sending batch spans at most once
// every interval, until stop.
func startAckLoad(t *testing.T, c sender, workers, batch int, interval time.Duration) *ackLoad {
	t.Helper()
	l := &ackLoad{stopC: make(chan struct{}), acked: map[int64]bool{}}
	for range workers {
		l.wg.Add(1)
		go l.run(c, batch, interval)
	}
	t.Cleanup(func() { l.stop() })
	return l
}

func (l *ackLoad) run(c sender, batch int, interval time.Duration) {
	defer l.wg.Done()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-l.stopC:
			return
		case <-tick.C:
		}
		first := l.next.Add(int64(batch)) - int64(batch)
		l.requests.Add(1)
		if c.send(first, batch) != codes.OK {
			continue
		}
		l.mu.Lock()
		for i := range int64(batch) {
			l.acked[first+i] = true
		}
		l.mu.Unlock()
	}
}

// ackedCount is how many spans have been acknowledged so far.
func (l *ackLoad) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// ackedSet is a copy of the sequence numbers acknowledged so far.
func (l *ackLoad) ackedSet() map[int64]bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.acked)
}

// stop ends the load, waits for the requests in flight and returns the
// acknowledged sequence numbers.
func (l *ackLoad) stop() map[int64]bool {
	l.once.Do(func() { close(l.stopC) })
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acked
}

// TestPersistWriteAheadSIGKILL: write_ahead with sync under a load of four
// concurrent OTLP/HTTP clients; the collector is SIGKILLed 20 times at random
// moments (after a random number of acknowledged spans since it came up, 1 to
// 2000, or, one time in four, at once: in the middle of the replay), with the
// downstream dead for the first 10 runs so that the disk grows and up for the
// last 10. After a last restart, the downstream holds every span a client was
// told was accepted.
func TestPersistWriteAheadSIGKILL(t *testing.T) {
	const kills = 20
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d", seed)

	b := newCollector(t, "B", sinkConfig)
	a := newCollector(t, "A", persistForwarderConfig(b.grpcEndpoint(), "write_ahead"))
	l := startAckLoad(t, newSpanClient(t, a.httpEndpoint(), 0), 4, 20, 2*time.Millisecond)
	start := time.Now()
	for i := range kills {
		if i == kills/2 {
			b.start()
		}
		a.start()
		k := 0 // one kill in four right after the start: in the middle of the replay
		if rng.IntN(4) != 0 {
			k = 1 + rng.IntN(2000)
		}
		base := l.ackedCount()
		eventually(t, 30*time.Second, fmt.Sprintf("run %d: %d more spans acknowledged", i+1, k), func() bool {
			return l.ackedCount() >= base+k
		})
		a.kill()
		if i == kills/2-1 {
			// The downstream has been dead so far: every span acknowledged
			// is on disk, in frames that decode one by one.
			acked := l.ackedSet()
			disk := readSpool(t, a.tracesSpoolDir())
			t.Logf("after %d kills with the downstream dead: %d spans acknowledged; the disk %d frames, %d items; problems %v",
				i+1, len(acked), disk.Frames, disk.Items, disk.Problems)
			assert.Zero(t, missingFrom(disk.Seqs, acked), "acknowledged spans not on disk after SIGKILL")
		}
	}
	acked := l.stop()
	t.Logf("%d kills in %s: %d requests, %d spans acknowledged", kills, time.Since(start).Round(time.Millisecond), l.requests.Load(), len(acked))

	// Before the last start: every acknowledged span is in B or pending on
	// disk, and every frame decodes (this tells a loss on disk from a loss
	// in the replay).
	inB := mustReadSpans(t, b.outFile("traces"))
	disk := readSpool(t, a.tracesSpoolDir())
	t.Logf("before the last start: B holds %d spans; the disk %d frames, %d items; problems %v", len(inB), disk.Frames, disk.Items, disk.Problems)
	var lost int
	for seq := range acked {
		if inB[seq] == 0 && disk.Seqs[seq] == 0 {
			lost++
		}
	}
	assert.Zero(t, lost, "acknowledged spans neither in B nor on disk after the kills")

	a.start()
	recovered := time.Now()
	got := waitAllDelivered(t, b, acked, 60*time.Second)
	acc := waitDiskDrained(t, a)
	unacked := extraIn(got, acked)
	t.Logf("recovery: all acknowledged spans in B %s after the last start; last run: %s; B holds %d spans (%d duplicates, %d never acknowledged)",
		time.Since(recovered).Round(time.Millisecond), acc, len(got), duplicates(got), unacked)
	assert.Zero(t, acc.Dropped, "dropped in the last run: %v", acc.DroppedBy)
	assert.Zero(t, acc.Refused, "refused in the last run")
	a.stop(30 * time.Second)
}
