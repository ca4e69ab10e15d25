// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// Shutdown stops intake, runs the shutdown strategy, drops what is left
// (reason shutdown) or, with persistence, writes it to disk, waits for the
// workers and unregisters the telemetry. It is safe without Start; a second
// call returns nil. The drain and the wait for the workers never run past the
// deadline (shutdown.timeout with strategy graceful, and ctx's), even when the
// downstream ignores cancellation: batches still in a worker's hands then are
// abandoned and counted as dropped, or written to disk. The write to disk
// that follows, for which the drain leaves time, is not cut at the deadline. It returns nil even when it dropped items,
// since the collector exits on a Shutdown error and a config reload runs
// Shutdown: the loss is in telemetry and in one error log line.
func (c *core[T]) Shutdown(ctx context.Context) error {
	// (1) Stop intake.
	c.mu.Lock()
	if c.closed.Load() {
		c.mu.Unlock()
		return nil
	}
	c.closed.Store(true)
	started := c.started
	c.mu.Unlock()
	c.cancelIntake()
	if c.cancelFeeder != nil {
		// What is on disk is safe there: the drain delivers what memory
		// holds, which is older than anything still unread on disk.
		c.cancelFeeder()
		c.feeding.Wait()
	}

	var before [numReasons]int64
	for r := range numReasons {
		before[r] = c.dropped[r].Load()
	}

	// (2) Strategy, bounded by the deadline.
	deadline, hasDeadline := ctx.Deadline()
	if c.cfg.Shutdown.Timeout > 0 && c.cfg.Shutdown.Strategy != ShutdownStrategyFlush {
		// graceful drains at most shutdown.timeout; immediate waits at most
		// that long for deliveries in flight to return once cancelled.
		if d := time.Now().Add(c.cfg.Shutdown.Timeout); !hasDeadline || d.Before(deadline) {
			deadline, hasDeadline = d, true
		}
	}
	var cause string
	var abandoned []batch[T]
	switch {
	case !started:
		cause = "processor was never started"
	case c.cfg.Shutdown.Strategy == ShutdownStrategyImmediate:
		cause = "strategy immediate drops queued data"
	default:
		cause = c.drain(ctx, deadline, hasDeadline)
	}
	// (3) Stop the workers (cancelling deliveries in flight) and wait for
	// them until the deadline.
	if started {
		c.cancelWorkers()
		if !c.waitWorkers(deadline, hasDeadline) {
			cause = "deliveries in flight did not return by the deadline: abandoned"
			abandoned = c.abandonFlights()
		}
	}
	// Close the ring first: a worker still finishing after an abandonment
	// that puts a batch back then drops it (reason shutdown) instead of
	// leaving it behind this sweep.
	c.ring.Close()
	c.sweep(abandoned)
	// (4) Telemetry: the counters keep their last increments.
	c.tel.flush(ctx)
	c.tel.tb.Shutdown()
	c.freeInstance()
	c.logShutdownDrops(before, cause)
	return nil
}

// logShutdownDrops logs, once and at error level, everything dropped since
// before, by reason: the queue left behind and batches that failed for good
// while draining.
func (c *core[T]) logShutdownDrops(before [numReasons]int64, cause string) {
	var n int64
	fields := make([]zap.Field, 0, numReasons+3)
	for r := range numReasons {
		if d := c.dropped[r].Load() - before[r]; d > 0 {
			n += d
			fields = append(fields, zap.Int64("dropped_"+r.String(), d))
		}
	}
	if n == 0 {
		return
	}
	if cause == "" {
		cause = "delivery failed for good while draining"
	}
	fields = append(fields,
		zap.Int64("dropped_items", n),
		zap.String("strategy", string(c.cfg.Shutdown.Strategy)),
		zap.String("cause", cause))
	c.logger.Error("Items dropped at shutdown", fields...)
}

// drainWindDown is the most of the shutdown deadline kept back from the drain,
// so that the workers, once cancelled, can return before the deadline.
const drainWindDown = time.Second

// spillBytesPerSecond is the write speed assumed to leave time for the
// shutdown spill: well under the 251 MiB/s measured for a 64 MiB spill
// (BENCHMARKS.md), and applied to the heap estimate, which exceeds the bytes
// written.
const spillBytesPerSecond = 100 << 20

// spillTime is the time kept to write a queue of heapBytes to disk.
func spillTime(heapBytes int64) time.Duration {
	return 50*time.Millisecond + time.Duration(float64(heapBytes)/spillBytesPerSecond*float64(time.Second))
}

// drain waits until every held batch is delivered or dropped, bounded by ctx
// and the deadline, less a wind-down share. It returns "" when drained, else
// why it stopped.
func (c *core[T]) drain(ctx context.Context, deadline time.Time, hasDeadline bool) string {
	if hasDeadline {
		left := max(0, time.Until(deadline))
		windDown := min(drainWindDown, left/10)
		if c.disk != nil && !c.disk.writeAhead() {
			// Leave time to write what memory holds to disk, but never
			// more than half of what is left.
			windDown = min(left/2, windDown+spillTime(c.heldBytes.Load()))
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-windDown))
		defer cancel()
	}
	c.stopping.Store(true)
	for c.heldBatches.Load() > 0 {
		select {
		case <-c.drained:
		case <-ctx.Done():
			if c.cfg.Shutdown.Strategy == ShutdownStrategyGraceful {
				return "shutdown.timeout or the shutdown context ended first"
			}
			return "the shutdown context ended first"
		}
	}
	return ""
}

// waitWorkers waits for the workers to return, until the deadline if there is
// one. It reports whether they all returned.
func (c *core[T]) waitWorkers(deadline time.Time, hasDeadline bool) bool {
	if !hasDeadline {
		c.workers.Wait()
		return true
	}
	done := make(chan struct{})
	go func() {
		// Outlives Shutdown only while a downstream ignores cancellation.
		c.workers.Wait()
		close(done)
	}()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-done:
		return true
	case <-timer.C:
		return false
	}
}

// abandonFlights gives up the batches still in a worker's hands: it takes
// them out of the held counts and the budget and returns them, for sweep to
// write to disk or count as dropped. The data references stay with the
// workers, which give them back once the downstream returns, if it ever does.
func (c *core[T]) abandonFlights() []batch[T] {
	var abandoned []batch[T]
	for i := range c.flights {
		b, ok := c.flights[i].abandon()
		if !ok {
			continue
		}
		c.heldItems.Add(-int64(b.items))
		c.heldBytes.Add(-b.bytes)
		c.heldBatches.Add(-1)
		c.unreserve(b.bytes)
		c.logger.Warn("Delivery did not return by the shutdown deadline: batch abandoned", zap.Int("items", b.items))
		abandoned = append(abandoned, b)
	}
	return abandoned
}

// sweep empties the closed queue at the end of Shutdown, with the batches
// abandoned in workers' hands first (they were popped before the rest): with
// persistence, everything goes to disk; without, it is dropped (reason
// shutdown). Then the disk tier is synced and closed.
func (c *core[T]) sweep(abandoned []batch[T]) {
	if c.disk == nil {
		for _, b := range abandoned {
			c.countDropped(b.items, reasonShutdown)
		}
		for {
			b, ok := c.ring.TryPop()
			if !ok {
				return
			}
			c.drop(b, reasonShutdown)
		}
	}
	held := abandoned
	owned := make([]bool, len(abandoned), len(abandoned)+c.ring.Len())
	for {
		b, ok := c.ring.TryPop()
		if !ok {
			break
		}
		held = append(held, b)
		owned = append(owned, true)
	}
	c.spillAtShutdown(held, owned)
	start := time.Now()
	if err := c.disk.close(); err != nil {
		c.logger.Error("Could not sync the queue on disk at shutdown: what was written since the last sync may not survive a power loss", zap.String("folder", c.folder), zap.Error(err))
	}
	c.logger.Debug("Queue on disk closed", zap.Duration("duration", time.Since(start)))
}
