// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"sync/atomic"
	"time"
)

// flight is one worker's batch in hand, from Pop until the worker has sent,
// dropped or requeued it. It serves two readers: the queue_oldest_age gauge
// (arrived) and a Shutdown that gives up waiting for a downstream that ignores
// cancellation (abandon). The worker's path is two atomic operations a batch.
type flight[T any] struct {
	// arrived is the batch's arrival time in UnixNano; 0 when idle.
	arrived atomic.Int64
	// state is flightIdle, flightBusy or flightAbandoned. The worker writes b
	// only while idle, before it publishes flightBusy; abandon reads b only
	// after it moved the state from busy to abandoned, after which the
	// worker never writes b again (its context is cancelled and the ring
	// closed, so it takes no other batch).
	state atomic.Int32
	b     batch[T]
}

const (
	flightIdle int32 = iota
	flightBusy
	flightAbandoned
)

// take records b as the worker's batch in hand.
func (f *flight[T]) take(b batch[T]) {
	f.b = b
	f.arrived.Store(b.arrived.UnixNano())
	f.state.Store(flightBusy)
}

// finish ends the worker's hold on its batch. It reports false when Shutdown
// abandoned the batch meanwhile: Shutdown then counted it, and the worker
// must only give back the data reference.
func (f *flight[T]) finish() bool {
	f.arrived.Store(0)
	if !f.state.CompareAndSwap(flightBusy, flightIdle) {
		return false
	}
	f.b = batch[T]{} // keep no data alive
	return true
}

// abandon marks the batch in hand, if any, as given up, and returns it.
func (f *flight[T]) abandon() (batch[T], bool) {
	if !f.state.CompareAndSwap(flightBusy, flightAbandoned) {
		return batch[T]{}, false
	}
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
