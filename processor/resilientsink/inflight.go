// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"sync"
	"sync/atomic"
	"time"
)

// flight is one worker's batch in hand, from Pop until the worker has sent,
// dropped or requeued it. It serves two readers: the queue_oldest_age gauge
// (arrived, lock-free) and a Shutdown that gives up waiting for a downstream
// that ignores cancellation (abandon).
type flight[T any] struct {
	// arrived is the batch's arrival time in UnixNano; 0 when idle.
	arrived atomic.Int64

	mu        sync.Mutex
	b         batch[T]
	busy      bool
	abandoned bool
}

// take records b as the worker's batch in hand.
func (f *flight[T]) take(b batch[T]) {
	f.arrived.Store(b.arrived.UnixNano())
	f.mu.Lock()
	f.b, f.busy, f.abandoned = b, true, false
	f.mu.Unlock()
}

// finish ends the worker's hold on its batch. It reports false when Shutdown
// abandoned the batch meanwhile: Shutdown then counted it, and the worker
// must only give back the data reference.
func (f *flight[T]) finish() bool {
	f.arrived.Store(0)
	f.mu.Lock()
	defer f.mu.Unlock()
	var zero batch[T]
	f.b, f.busy = zero, false
	return !f.abandoned
}

// abandon marks the batch in hand, if any, as given up, and returns it.
func (f *flight[T]) abandon() (batch[T], bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.busy || f.abandoned {
		return batch[T]{}, false
	}
	f.abandoned = true
	return f.b, true
}

// oldestAge is the age at now of the oldest batch held: the head of the queue
// (batches wait in arrival order, a retried one back at the head) or a batch
// in a worker's hands. It is 0 when nothing is held.
func (c *core[T]) oldestAge(now time.Time) time.Duration {
	oldest := int64(0)
	if b, ok := c.ring.Peek(); ok {
		oldest = b.arrived.UnixNano()
	}
	for i := range c.flights {
		if a := c.flights[i].arrived.Load(); a != 0 && (oldest == 0 || a < oldest) {
			oldest = a
		}
	}
	if oldest == 0 {
		return 0
	}
	return max(0, now.Sub(time.Unix(0, oldest)))
}
