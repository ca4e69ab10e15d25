// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"errors"
	"fmt"
	"sync"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/processor"
	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/internal/cbreaker"
	"github.com/resilientsink/resilientsink/internal/spool"
	"github.com/resilientsink/resilientsink/processor/resilientsink/internal/metadata"
)

// core is the signal-independent processor: the tiered queue, the workers
// with retry and breaker, the lifecycle, and the telemetry around them. The
// per-signal processors embed it.
type core[T any] struct {
	cfg     *Config
	sig     signal[T]
	q       *tieredQueue[T]
	tel     *telemetry
	breaker *cbreaker.Breaker // nil when disabled
	logger  *zap.Logger
	// folder is the instance's persistence folder; "" when off.
	folder string
	// fs is the file system of the disk tier; nil is the real one (tests
	// inject faults).
	fs spool.FS
	// wake is broadcast when a delivery ends, so that workers parked on a
	// busy half-open breaker look again.
	wake broadcaster
	// freeInstance frees the instance number of the telemetry attributes.
	freeInstance func()
	life         lifecycle
}

var (
	// errQueueFull is returned (wrapped) when overflow reject or block refuses a batch.
	errQueueFull = errors.New("resilientsink: queue full")
	// errTooLarge is returned (wrapped, permanent) when a batch could never
	// fit, under overflow reject or block.
	errTooLarge = errors.New("resilientsink: batch larger than the budget")
	// errShutDown is returned by ConsumeX after Shutdown.
	errShutDown = errors.New("resilientsink: processor is shut down")
	// errBreakerOpen is the recoverable error reported while the breaker is open.
	errBreakerOpen = errors.New("resilientsink: circuit breaker open, downstream failing")
	// errDownstreamPanic wraps a panic recovered from the downstream.
	errDownstreamPanic = errors.New("resilientsink: downstream panic")
	// errAborted marks a delivery cancelled by shutdown, or one that panicked;
	// the breaker ignores it.
	errAborted = errors.New("resilientsink: delivery aborted by shutdown")
	// errSpillFailed wraps a failed write to disk.
	errSpillFailed = errors.New("resilientsink: write to disk failed")
)

func newCore[T any](set processor.Settings, cfg *Config, sig signal[T]) (*core[T], error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("create telemetry: %w", err)
	}
	attrs, freeInstance := instanceAttrs(set.ID, sig.name)
	c := &core[T]{
		cfg:          cfg,
		sig:          sig,
		tel:          newTelemetry(tb, attrs, set.Logger),
		logger:       set.Logger,
		freeInstance: freeInstance,
	}
	if cfg.Persistence.Enabled() {
		c.folder = instanceFolder(cfg.Persistence.Directory, set.ID, sig.name)
	}
	c.q = newTieredQueue(cfg, &c.sig, c.tel, set.Logger)
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
	if err := c.registerGauges(); err != nil {
		tb.Shutdown()
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
