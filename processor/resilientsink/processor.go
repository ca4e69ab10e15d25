// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/processor"
	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/internal/cbreaker"
	"github.com/resilientsink/resilientsink/internal/membudget"
	"github.com/resilientsink/resilientsink/internal/ringqueue"
	"github.com/resilientsink/resilientsink/processor/resilientsink/internal/metadata"
)

// batch is one ConsumeX call's data while the processor holds it.
type batch[T any] struct {
	data  T
	items int
	bytes int64
	// arrived is when ConsumeX offered the batch (see core.arrival).
	arrived time.Time
	// firstFail is when the first delivery of this batch failed; zero before.
	firstFail time.Time
	// backoff is the wait after the last failure.
	backoff time.Duration
	// notBefore is the earliest time of the next attempt; zero when due.
	notBefore time.Time
	// disk names the batch's frame on disk (persistence); 0 when the batch
	// is in memory only.
	disk diskRef
}

// core is the signal-independent processor: admission, queue, workers,
// retry, breaker, shutdown and accounting. The per-signal processors embed it.
type core[T any] struct {
	cfg    *Config
	sig    signal[T]
	est    *estimator[T]
	logger *zap.Logger
	tel    *telemetry

	ring       *ringqueue.Queue[batch[T]]
	slots      *membudget.Budget // one unit per held batch; limit queue_size
	bytes      *membudget.Budget // estimated heap of held batches; nil when off
	limitBytes int64
	breaker    *cbreaker.Breaker // nil when disabled
	// flights holds each worker's batch in hand.
	flights []flight[T]
	// disk is the disk tier (persistence), opened by Start; nil when off
	// (the collector calls ConsumeX only after Start returned). openDisk
	// is the same, for the gauges.
	disk     *diskTier
	openDisk atomic.Pointer[diskTier]
	// room is broadcast when memory is released while feedWaiting says
	// the feeder waits for room for a batch read from disk.
	room        broadcaster
	feedWaiting atomic.Bool
	// cancelFeeder stops the feeder; feeding waits for it.
	cancelFeeder context.CancelFunc
	feeding      sync.WaitGroup
	// freeInstance frees the instance number of the telemetry attributes.
	freeInstance func()
	// folder is the instance's persistence folder; "" when off.
	folder string

	// mu makes admission and drop_oldest eviction atomic, and guards the
	// lifecycle fields below.
	mu      sync.Mutex
	victims []batch[T] // drop_oldest eviction scratch, reused under mu
	started bool
	host    component.Host
	status  componentStatus

	// stopIntake is cancelled by Shutdown; it aborts callers blocked by overflow block.
	stopIntake   context.Context
	cancelIntake context.CancelFunc
	// cancelWorkers stops the workers and their deliveries in flight.
	cancelWorkers context.CancelFunc
	workers       sync.WaitGroup

	// lastNow is the last clock reading, in UnixNano, for arrival stamps.
	lastNow atomic.Int64

	// Held = queued + in flight.
	heldBatches atomic.Int64
	heldItems   atomic.Int64
	heldBytes   atomic.Int64
	// closed is set, under mu, by Shutdown: intake is closed. Admission reads
	// it once without the lock (fast refusal) and again under mu (atomic with
	// the push).
	closed   atomic.Bool
	stopping atomic.Bool   // draining: the last release signals drained
	drained  chan struct{} // one slot: "held reached 0 while stopping"

	// wake is broadcast when a delivery ends, so workers parked on a busy
	// half-open breaker look again.
	wake broadcaster

	// dropped counts items dropped by reason, for the log lines.
	dropped   [numReasons]atomic.Int64
	dropWarn  sometimes
	spillWarn sometimes // failed writes to disk
}

var (
	// errQueueFull is returned (wrapped) when overflow reject or block refuses a batch.
	errQueueFull = errors.New("resilientsink: queue full")
	// errTooLarge is returned (wrapped, permanent) when a batch is larger than
	// the whole memory budget under overflow reject or block.
	errTooLarge = errors.New("resilientsink: batch larger than memory_limit_mib")
	// errShutDown is returned by ConsumeX after Shutdown.
	errShutDown = errors.New("resilientsink: processor is shut down")
	// errBreakerOpen is the recoverable error reported while the breaker is open.
	errBreakerOpen = errors.New("resilientsink: circuit breaker open, downstream failing")
	// errDownstreamPanic wraps a panic recovered from the downstream.
	errDownstreamPanic = errors.New("resilientsink: downstream panic")
	// errAborted marks a delivery cancelled by shutdown, or one that panicked;
	// the breaker ignores it.
	errAborted = errors.New("resilientsink: delivery aborted by shutdown")
)

func newCore[T any](set processor.Settings, cfg *Config, sig signal[T]) (*core[T], error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("create telemetry: %w", err)
	}
	attrs, freeInstance := instanceAttrs(set.ID, sig.name)
	folder := ""
	if cfg.Persistence.Enabled() {
		folder = instanceFolder(cfg.Persistence.Directory, set.ID, sig.name)
	}
	c := &core[T]{
		cfg:          cfg,
		sig:          sig,
		est:          newEstimator(sig.protoSize, sig.heap),
		logger:       set.Logger,
		tel:          newTelemetry(tb, attrs),
		ring:         ringqueue.New[batch[T]](cfg.QueueSize),
		slots:        membudget.New(int64(cfg.QueueSize)),
		flights:      make([]flight[T], cfg.NumWorkers),
		freeInstance: freeInstance,
		drained:      make(chan struct{}, 1),
		folder:       folder,
	}
	if cfg.MemoryLimitMiB > 0 {
		c.limitBytes = int64(cfg.MemoryLimitMiB) << 20
		c.bytes = membudget.New(c.limitBytes)
	}
	if cfg.CircuitBreaker.Enabled {
		bc := cfg.CircuitBreaker
		c.breaker = cbreaker.New(cbreaker.Settings{
			FailureThreshold: bc.FailureThreshold,
			OpenTimeout:      bc.OpenTimeout,
			MaxOpenTimeout:   bc.MaxOpenTimeout,
			HalfOpenProbes:   bc.HalfOpenProbes,
			SuccessThreshold: bc.SuccessThreshold,
			IsExcluded:       excludedFromBreaker,
			OnStateChange:    c.onBreakerChange,
		})
	}
	c.readClock()
	c.stopIntake, c.cancelIntake = context.WithCancel(context.Background())
	if err := c.registerGauges(); err != nil {
		tb.Shutdown()
		c.cancelIntake()
		freeInstance()
		return nil, fmt.Errorf("register gauges: %w", err)
	}
	return c, nil
}

// excludedFromBreaker reports errors that say nothing about the downstream's health.
func excludedFromBreaker(err error) bool {
	return consumererror.IsPermanent(err) || errors.Is(err, errAborted)
}

// Capabilities reports that the processor does not mutate data.
func (*core[T]) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

// Start opens the queue on disk (persistence) and launches the workers, and
// the feeder that reads the disk back, on their own context. It does not wait
// for the batches found on disk: they are delivered as memory makes room.
func (c *core[T]) Start(_ context.Context, host component.Host) error { //nolint:contextcheck // workers must outlive Start's ctx (collector contract); Shutdown cancels them
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started || c.closed.Load() {
		return nil
	}
	if c.folder != "" {
		d, err := openDisk(c.cfg.Persistence, c.folder, c.logger, c.onCorrupt)
		if err != nil {
			return err
		}
		c.disk = d
		c.openDisk.Store(d)
		c.tel.pending.replayed.Add(d.items.Load())
		if n := d.items.Load(); n > 0 {
			c.logger.Info("Queue found on disk: replaying", zap.Int64("items", n), zap.Int64("batches", d.unread.Load()), zap.String("folder", c.folder))
		}
		feedCtx, cancel := context.WithCancel(context.Background())
		c.cancelFeeder = cancel
		c.feeding.Go(func() { c.feed(feedCtx) })
	}
	c.started = true
	c.host = host
	c.tel.exportZeros(context.Background())
	c.readClock()
	ctx, cancel := context.WithCancel(context.Background())
	c.cancelWorkers = cancel
	for i := range c.flights {
		c.workers.Go(func() { c.work(ctx, &c.flights[i]) })
	}
	c.logger.Info("Resilient sink started",
		zap.Int("queue_size", c.cfg.QueueSize),
		zap.Int64("memory_limit_bytes", c.limitBytes),
		zap.String("overflow", string(c.cfg.Overflow)),
		zap.Int("num_workers", c.cfg.NumWorkers),
		zap.String("shutdown_strategy", string(c.cfg.Shutdown.Strategy)),
		zap.String("persistence", c.persistenceMode()))
	return nil
}

// persistenceMode names the persistence mode for the log: off, spill or write_ahead.
func (c *core[T]) persistenceMode() string {
	if c.disk == nil {
		return "off"
	}
	return string(c.cfg.Persistence.Mode)
}

// onCorrupt counts the items of a frame on disk that failed its check. It
// runs inside a read of the disk, which eviction makes holding c.mu, so it
// must not take c.mu: a frame leaving the disk this way is gone, not moved
// to memory, so admission needs no lock to see it go.
func (c *core[T]) onCorrupt(items int64) {
	c.disk.unread.Add(-1)
	c.disk.items.Add(-items)
	c.countDropped(int(items), reasonCorrupt)
}

// broadcaster wakes every goroutine waiting on the channel it handed out.
type broadcaster struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait returns a channel closed by the next broadcast.
func (b *broadcaster) wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch == nil {
		b.ch = make(chan struct{})
	}
	return b.ch
}

func (b *broadcaster) broadcast() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch != nil {
		close(b.ch)
		b.ch = nil
	}
}
