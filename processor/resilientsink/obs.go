// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"context"
	"slices"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/internal/cbreaker"
	"github.com/resilientsink/resilientsink/processor/resilientsink/internal/metadata"
)

// dropReason is the reason attribute of dropped_items.
type dropReason int

const (
	reasonOverflow dropReason = iota
	reasonTooLarge
	reasonExpired
	reasonPermanentError
	reasonRetriesExhausted
	reasonPanic
	reasonShutdown
	reasonCorrupt
	reasonSpillFailed
	numReasons
)

var reasonNames = [numReasons]string{"overflow", "too_large", "expired", "permanent_error", "retries_exhausted", "panic", "shutdown", "corrupt", "spill_failed"}

func (r dropReason) String() string { return reasonNames[r] }

// telemetry wraps the generated builder with attribute options computed once.
// They are kept as ready option slices, passed with "...", so a measurement
// does not allocate the variadic slice (drops happen on every eviction under
// overload, and send_duration on every delivery). Every measurement carries
// the instance attributes (processor, signal), so that instances never share
// a series with the collector's default telemetry settings.
type telemetry struct {
	tb     *metadata.TelemetryBuilder
	logger *zap.Logger
	// closed is set by Shutdown, which unregisters the collection
	// callbacks: later counts are flushed at once.
	closed atomic.Bool
	// keepsDead says which reasons' dead_lettered series exist from Start.
	keepsDead [numReasons]bool
	// droppedTotal counts dropped items by reason, for the log lines.
	droppedTotal [numReasons]atomic.Int64
	dropWarn     sometimes
	// pending holds counter increments not yet added to tb's counters.
	pending     pendingCounts
	plain       []metric.AddOption // the instance attributes alone
	observe     []metric.ObserveOption
	droppedOpts [numReasons][]metric.AddOption
	transitions [3][]metric.AddOption // indexed by cbreaker.State
	success     []metric.RecordOption
	failure     []metric.RecordOption
}

func newTelemetry(tb *metadata.TelemetryBuilder, instance []attribute.KeyValue, logger *zap.Logger) *telemetry {
	with := func(kv ...attribute.KeyValue) metric.MeasurementOption {
		return metric.WithAttributeSet(attribute.NewSet(append(slices.Clone(instance), kv...)...))
	}
	t := &telemetry{
		tb:      tb,
		logger:  logger,
		plain:   []metric.AddOption{with()},
		observe: []metric.ObserveOption{with()},
	}
	for r := range numReasons {
		t.droppedOpts[r] = []metric.AddOption{with(attribute.String("reason", r.String()))}
	}
	for _, s := range []cbreaker.State{cbreaker.StateClosed, cbreaker.StateHalfOpen, cbreaker.StateOpen} {
		t.transitions[s] = []metric.AddOption{with(attribute.String("state", s.String()))}
	}
	t.success = []metric.RecordOption{with(attribute.String("outcome", "success"))}
	t.failure = []metric.RecordOption{with(attribute.String("outcome", "failure"))}
	return t
}

// pendingCounts accumulates counter increments on the hot path. An Add with
// attributes costs an attribute-set lookup in the SDK, several times an
// atomic add, so ConsumeX only adds here; flush moves the sums into the
// counters when the telemetry is collected, and at Shutdown.
// The callers' counts and the workers' sit on cache lines of their own, so
// that a caller and a worker do not pass one line back and forth.
type pendingCounts struct {
	_            cacheLinePad
	incoming     atomic.Int64 // callers
	refused      atomic.Int64
	dropped      [numReasons]atomic.Int64
	deadLettered [numReasons]atomic.Int64
	_            cacheLinePad
	sent         atomic.Int64 // workers
	sendFailures atomic.Int64
	throttled    atomic.Int64
	transitions  [3]atomic.Int64 // indexed by cbreaker.State
	_            cacheLinePad
	spilled      atomic.Int64 // persistence: items written to disk
	replayed     atomic.Int64 // persistence: items found on disk at Start
}

// cacheLinePad keeps what follows it off the cache line of what precedes it.
type cacheLinePad struct{ _ [64]byte }

// flush adds the pending increments to the counters. Concurrent calls never
// add one increment twice.
func (t *telemetry) flush(ctx context.Context) {
	add := func(c metric.Int64Counter, v *atomic.Int64, opts []metric.AddOption) {
		if n := v.Swap(0); n != 0 {
			c.Add(ctx, n, opts...)
		}
	}
	p := &t.pending
	add(t.tb.ProcessorResilientsinkIncomingItems, &p.incoming, t.plain)
	add(t.tb.ProcessorResilientsinkSentItems, &p.sent, t.plain)
	add(t.tb.ProcessorResilientsinkRefusedItems, &p.refused, t.plain)
	add(t.tb.ProcessorResilientsinkSendFailures, &p.sendFailures, t.plain)
	add(t.tb.ProcessorResilientsinkThrottledAttempts, &p.throttled, t.plain)
	add(t.tb.ProcessorResilientsinkSpilledItems, &p.spilled, t.plain)
	add(t.tb.ProcessorResilientsinkReplayedItems, &p.replayed, t.plain)
	for r := range numReasons {
		add(t.tb.ProcessorResilientsinkDroppedItems, &p.dropped[r], t.droppedOpts[r])
		add(t.tb.ProcessorResilientsinkDeadLetteredItems, &p.deadLettered[r], t.droppedOpts[r])
	}
	for s := range p.transitions {
		add(t.tb.ProcessorResilientsinkBreakerTransitions, &p.transitions[s], t.transitions[s])
	}
}

// exportZeros adds 0 to every counter series whose attributes are known, so
// that each exists from Start: Prometheus' increase() and rate() cannot see
// the first sample of a new series, so a counter that first appeared at
// 5,000 (one burst of drops) would never fire an alert.
func (t *telemetry) exportZeros(ctx context.Context) {
	tb := t.tb
	for _, c := range []metric.Int64Counter{
		tb.ProcessorResilientsinkIncomingItems, tb.ProcessorResilientsinkSentItems,
		tb.ProcessorResilientsinkRefusedItems, tb.ProcessorResilientsinkSendFailures,
		tb.ProcessorResilientsinkThrottledAttempts,
		tb.ProcessorResilientsinkSpilledItems, tb.ProcessorResilientsinkReplayedItems,
	} {
		c.Add(ctx, 0, t.plain...)
	}
	for r := range numReasons {
		tb.ProcessorResilientsinkDroppedItems.Add(ctx, 0, t.droppedOpts[r]...)
	}
	for r := range numReasons {
		if t.keepsDead[r] {
			tb.ProcessorResilientsinkDeadLetteredItems.Add(ctx, 0, t.droppedOpts[r]...)
		}
	}
	for s := range t.transitions {
		tb.ProcessorResilientsinkBreakerTransitions.Add(ctx, 0, t.transitions[s]...)
	}
}

// registerGauges registers the asynchronous gauges, read from the queue's
// stats. Each callback first flushes the pending counter increments: the SDK
// runs the callbacks before it reads the counters, so a collection sees every
// increment made before it.
func (c *core[T]) registerGauges() error {
	tb := c.tel.tb
	obs := func(f func(stats) int64) metric.Int64Callback {
		return func(ctx context.Context, o metric.Int64Observer) error {
			c.tel.flush(ctx)
			o.Observe(f(c.q.stats()), c.tel.observe...)
			return nil
		}
	}
	constant := func(v int64) func(stats) int64 { return func(stats) int64 { return v } }
	diskLimit := int64(0)
	if c.folder != "" {
		diskLimit = int64(c.cfg.Persistence.MaxMegabytes) << 20
	}
	for _, err := range []error{
		tb.RegisterProcessorResilientsinkQueueBatchesCallback(obs(func(s stats) int64 { return s.mem.batches })),
		tb.RegisterProcessorResilientsinkQueueItemsCallback(obs(func(s stats) int64 { return s.mem.items })),
		tb.RegisterProcessorResilientsinkQueueBytesCallback(obs(func(s stats) int64 { return s.mem.bytes })),
		tb.RegisterProcessorResilientsinkQueueCapacityBatchesCallback(obs(constant(int64(c.cfg.QueueSize)))),
		tb.RegisterProcessorResilientsinkMemoryLimitBytesCallback(obs(constant(c.q.limitBytes))),
		tb.RegisterProcessorResilientsinkBreakerStateCallback(obs(func(stats) int64 { return c.breakerState() })),
		tb.RegisterProcessorResilientsinkDiskItemsCallback(obs(func(s stats) int64 { return s.diskItems })),
		tb.RegisterProcessorResilientsinkDiskBytesCallback(obs(func(stats) int64 { return c.q.diskBytes() })),
		tb.RegisterProcessorResilientsinkDiskLimitBytesCallback(obs(constant(diskLimit))),
		tb.RegisterProcessorResilientsinkDeadLetterBytesCallback(obs(func(stats) int64 { b, _ := c.q.dead.Load().stats(); return b })),
		tb.RegisterProcessorResilientsinkDeadLetterLimitBytesCallback(obs(func(stats) int64 { _, l := c.q.dead.Load().stats(); return l })),
		tb.RegisterProcessorResilientsinkQueueOldestAgeCallback(func(ctx context.Context, o metric.Float64Observer) error {
			c.tel.flush(ctx)
			now := c.q.readClock()
			age := time.Duration(0)
			if s := c.q.stats(); s.oldestUnix != 0 {
				age = max(0, now.Sub(time.Unix(0, s.oldestUnix)))
			}
			o.Observe(age.Seconds(), c.tel.observe...)
			return nil
		}),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *core[T]) breakerState() int64 {
	if c.breaker == nil {
		return int64(cbreaker.StateClosed)
	}
	return int64(c.breaker.State())
}

// dropped counts items dropped with reason r (the queue calls it).
func (t *telemetry) dropped(items int64, r dropReason) {
	if items <= 0 {
		return
	}
	t.droppedTotal[r].Add(items)
	t.pending.dropped[r].Add(items)
	t.flushIfClosed()
	if r != reasonShutdown {
		t.warnDropped(items, r)
	}
}

// deadLettered counts items kept as dead letters (the queue calls it).
func (t *telemetry) deadLettered(items int64, r dropReason) {
	if items <= 0 {
		return
	}
	t.pending.deadLettered[r].Add(items)
	t.flushIfClosed()
}

// spilled counts items written to disk (the queue calls it).
func (t *telemetry) spilled(items int64) {
	t.pending.spilled.Add(items)
	t.flushIfClosed()
}

// sent counts items the downstream accepted (the queue calls it).
func (t *telemetry) sent(items int64) {
	t.pending.sent.Add(items)
	t.flushIfClosed()
}

// refused counts items handed back to the caller.
func (t *telemetry) refused(items int64) {
	t.pending.refused.Add(items)
	t.flushIfClosed()
}

// flushIfClosed flushes the pending counts at once after Shutdown, which
// unregistered the collection callbacks (late drops, refusals).
func (t *telemetry) flushIfClosed() {
	if t.closed.Load() {
		t.flush(context.Background())
	}
}

// consume is the admission decorator: it counts what is offered and what is
// handed back to the caller.
func (c *core[T]) consume(ctx context.Context, data T) error {
	items := c.sig.items(data)
	if items == 0 {
		if c.q.isClosed() {
			return errShutDown
		}
		return nil
	}
	c.tel.pending.incoming.Add(int64(items))
	err := c.q.offer(ctx, data, items)
	if err == nil {
		return nil
	}
	c.tel.refused(int64(items)) //nolint:contextcheck // a count, flushed on its own context only after Shutdown
	if consumererror.IsPermanent(err) {
		return err
	}
	bytes, _ := c.q.est.estimate(data, items)
	return c.refusal(err, bytes)
}

// deliver is the downstream decorator: it calls the downstream with the
// delivery timeout, recovering panics, and records send_duration and
// send_failures (every failed attempt: retryable, permanent, panic, or
// cancelled by Shutdown).
func (c *core[T]) deliver(ctx context.Context, b *batch[T]) error {
	if c.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
		defer cancel()
	}
	h := c.tel.tb.ProcessorResilientsinkSendDuration
	if !h.Enabled(ctx) {
		err := c.call(ctx, b.data)
		if err != nil {
			c.tel.pending.sendFailures.Add(1)
		}
		return err
	}
	start := c.q.readClock()
	err := c.call(ctx, b.data)
	outcome := c.tel.success
	if err != nil {
		c.tel.pending.sendFailures.Add(1)
		outcome = c.tel.failure
	}
	h.Record(ctx, float64(time.Since(start))/float64(time.Millisecond), outcome...)
	return err
}

// dropWarnInterval is the least time between two "Items dropped" warnings.
const dropWarnInterval = 10 * time.Second

// sometimes allows an action at most once per interval; safe for concurrent use.
type sometimes struct {
	last atomic.Int64 // UnixNano of the last allowed action; 0 before
}

func (s *sometimes) allow(now time.Time, interval time.Duration) bool {
	last := s.last.Load()
	n := now.UnixNano()
	if last != 0 && n-last < int64(interval) {
		return false
	}
	return s.last.CompareAndSwap(last, n)
}

// warnDropped logs dropped items at most once per dropWarnInterval, with the
// totals by reason so far; the dropped_items counter has every drop.
func (t *telemetry) warnDropped(items int64, r dropReason) {
	if !t.dropWarn.allow(time.Now(), dropWarnInterval) {
		return
	}
	fields := []zap.Field{zap.String("reason", r.String()), zap.Int64("items", items)}
	for rr := range numReasons {
		if d := t.droppedTotal[rr].Load(); d > 0 {
			fields = append(fields, zap.Int64("total_dropped_"+rr.String(), d))
		}
	}
	t.logger.Warn("Items dropped (logged at most every 10s)", fields...)
}
