// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"
)

// lifecycle is the state Start and Shutdown share.
type lifecycle struct {
	mu      sync.Mutex
	started bool
	stopped bool
	host    component.Host
	status  componentStatus
	// cancelWorkers stops the workers and their deliveries in flight.
	cancelWorkers context.CancelFunc
	workers       sync.WaitGroup
	// cancelFeeder stops the feeder (persistence); feeding waits for it.
	cancelFeeder context.CancelFunc
	feeding      sync.WaitGroup
}

// Start opens the queue on disk (persistence) and launches the workers, and
// the feeder that reads the disk back, on their own context. It does not wait
// for the batches found on disk: they are delivered as memory makes room.
func (c *core[T]) Start(ctx context.Context, host component.Host) error { //nolint:contextcheck // workers must outlive Start's ctx (collector contract); Shutdown cancels them
	l := &c.life
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started || l.stopped {
		return nil
	}
	if c.cfg.DeadLetter.Enabled() {
		dir := instanceFolder(c.cfg.DeadLetter.Directory, c.id, c.sig.name)
		d, err := openDeadLetters(c.cfg.DeadLetter, dir, c.logger)
		if err != nil {
			return err
		}
		c.q.dead.Store(d)
		c.tel.keepsDead = d.keep
	}
	mode := "off"
	if c.folder != "" {
		awaitFolder(ctx, c.folder)
		d, err := openDiskTier(c.cfg.Persistence, c.folder, c.logger, c.fs)
		if err != nil {
			if dl := c.q.dead.Swap(nil); dl != nil {
				_ = dl.w.Close()
			}
			return err
		}
		found := c.q.attachDisk(d)
		c.tel.pending.replayed.Add(found.items)
		if found.items > 0 {
			c.logger.Info("Queue found on disk: replaying", zap.Int64("items", found.items), zap.Int64("batches", found.batches), zap.String("folder", c.folder))
		}
		feedCtx, cancel := context.WithCancel(context.Background())
		l.cancelFeeder = cancel
		l.feeding.Go(func() { c.q.feed(feedCtx) })
		mode = string(c.cfg.Persistence.Mode)
	}
	l.started = true
	l.host = host
	c.q.readClock()
	c.tel.exportZeros(ctx)
	workCtx, cancel := context.WithCancel(context.Background())
	l.cancelWorkers = cancel
	for w := range c.cfg.NumWorkers {
		l.workers.Go(func() { c.work(workCtx, w) })
	}
	c.logger.Info("Resilient sink started",
		zap.Int("queue_size", c.cfg.QueueSize),
		zap.Int64("memory_limit_bytes", c.q.limitBytes),
		zap.String("overflow", string(c.cfg.Overflow)),
		zap.Int("num_workers", c.cfg.NumWorkers),
		zap.String("shutdown_strategy", string(c.cfg.Shutdown.Strategy)),
		zap.String("persistence", mode))
	return nil
}

// Shutdown stops intake, runs the shutdown strategy, then empties the queue:
// what is left is dropped (reason shutdown) or, with persistence, written to
// disk. It waits for the workers and unregisters the telemetry. It is safe
// without Start; a second call returns nil. The drain and the wait for the
// workers never run past the deadline (shutdown.timeout with strategy
// graceful, and ctx's), even when the downstream ignores cancellation: batches
// still in a worker's hands then are abandoned to the sweep. The drain leaves
// time for the write to disk, which is not cut at the deadline (that would
// lose data); the final sync and close wait at most until it. It returns nil
// even when it dropped items, since the collector exits on a Shutdown error
// and a config reload runs Shutdown: the loss is in telemetry and in one
// error log line.
func (c *core[T]) Shutdown(ctx context.Context) error {
	l := &c.life
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return nil
	}
	l.stopped = true
	started := l.started
	l.mu.Unlock()
	c.q.closeIntake()
	if l.cancelFeeder != nil {
		// What is on disk is safe there: the drain delivers what memory
		// holds, which is older than anything still unread on disk.
		l.cancelFeeder()
		l.feeding.Wait()
	}
	var before [numReasons]int64
	for r := range numReasons {
		before[r] = c.tel.droppedTotal[r].Load()
	}
	deadline := c.deadline(ctx)
	var cause string
	switch {
	case !started:
		cause = "processor was never started"
	case c.cfg.Shutdown.Strategy == ShutdownStrategyImmediate:
		cause = "strategy immediate stops delivering at once"
	default:
		cause = c.drain(ctx, deadline)
	}
	var abandoned []batch[T]
	if started {
		l.cancelWorkers()
		if !waitGroupUntil(&l.workers, deadline) {
			cause = "deliveries in flight did not return by the deadline: abandoned"
			abandoned = c.q.abandon()
		}
	}
	c.q.sweep(abandoned, deadline) //nolint:contextcheck // bounded by the deadline (ctx's, or shutdown.timeout), which it takes as a time
	if d := c.q.dead.Load(); d != nil {
		if err := d.w.Close(); err != nil {
			c.logger.Error("Could not close the dead-letter folder", zap.String("folder", d.dir), zap.Error(err))
		}
	}
	c.tel.closed.Store(true)
	c.tel.flush(ctx)
	c.tel.tb.Shutdown()
	c.freeInstance()
	c.logShutdownDrops(before, cause)
	return nil
}

// deadline is the end of Shutdown's bounded steps: ctx's deadline, and for
// graceful and immediate also shutdown.timeout from now (immediate waits at
// most that long for deliveries in flight to return once cancelled). Zero
// when neither applies (flush without a context deadline).
func (c *core[T]) deadline(ctx context.Context) time.Time {
	deadline, _ := ctx.Deadline()
	if c.cfg.Shutdown.Timeout > 0 && c.cfg.Shutdown.Strategy != ShutdownStrategyFlush {
		if d := time.Now().Add(c.cfg.Shutdown.Timeout); deadline.IsZero() || d.Before(deadline) {
			deadline = d
		}
	}
	return deadline
}

// drainWindDown is the most of the shutdown deadline kept back from the drain,
// so that the workers, once cancelled, can return before the deadline.
const drainWindDown = time.Second

// drain waits until memory holds nothing, bounded by ctx and the deadline
// less a wind-down share and the time the sweep needs to write memory to
// disk (never more than half of what is left). It returns "" when drained,
// else why it stopped.
func (c *core[T]) drain(ctx context.Context, deadline time.Time) string {
	if !deadline.IsZero() {
		left := max(0, time.Until(deadline))
		windDown := min(left/2, min(drainWindDown, left/10)+c.q.sweepTime())
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-windDown))
		defer cancel()
	}
	if c.q.drain(ctx) {
		return ""
	}
	if c.cfg.Shutdown.Strategy == ShutdownStrategyGraceful {
		return "shutdown.timeout or the shutdown context ended first"
	}
	return "the shutdown context ended first"
}

// waitGroupUntil waits for wg until the deadline (zero: for ever). It
// reports whether wg finished.
func waitGroupUntil(wg *sync.WaitGroup, deadline time.Time) bool {
	if deadline.IsZero() {
		wg.Wait()
		return true
	}
	done := make(chan struct{})
	go func() {
		// Outlives Shutdown only while a downstream ignores cancellation.
		wg.Wait()
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

// logShutdownDrops logs, once and at error level, everything dropped since
// before, by reason: the queue left behind and batches that failed for good
// while draining.
func (c *core[T]) logShutdownDrops(before [numReasons]int64, cause string) {
	var n int64
	fields := make([]zap.Field, 0, numReasons+3)
	for r := range numReasons {
		if d := c.tel.droppedTotal[r].Load() - before[r]; d > 0 {
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

// attachDisk gives the queue its disk tier (at Start) and returns what was
// found on it.
func (q *tieredQueue[T]) attachDisk(d *diskTier) counts {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.disk = d
	q.writeAheadOn.Store(d.writeAhead)
	q.spilling.Store(d.unread.batches > 0)
	return d.unread
}
