// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.uber.org/zap"
)

// Shutdown stops intake, runs the shutdown strategy, drops what is left
// (reason shutdown), waits for the workers and unregisters the telemetry. It is
// safe without Start; a second call returns nil. It returns an error stating
// how many items were dropped during Shutdown, for any reason, when any were.
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

	var before [numReasons]int64
	for r := range numReasons {
		before[r] = c.dropped[r].Load()
	}

	// (2) Strategy.
	var cause error
	switch {
	case !started:
		cause = errNotStarted
	case c.cfg.Shutdown.Strategy == ShutdownStrategyImmediate:
		cause = errImmediate
	default:
		cause = c.drain(ctx)
	}
	// (3) Stop the workers (cancelling deliveries in flight) and wait for them.
	if started {
		c.cancelWorkers()
		c.workers.Wait()
	}
	for {
		b, ok := c.ring.TryPop()
		if !ok {
			break
		}
		c.drop(b, reasonShutdown)
	}
	// (4) Telemetry.
	c.tel.tb.Shutdown()

	// Everything dropped during Shutdown, by any reason: the queue left
	// behind, and batches that failed for good while draining.
	var n int64
	fields := make([]zap.Field, 0, numReasons+1)
	fields = append(fields, zap.String("strategy", string(c.cfg.Shutdown.Strategy)))
	var reasons []string
	for r := range numReasons {
		if d := c.dropped[r].Load() - before[r]; d > 0 {
			n += d
			fields = append(fields, zap.Int64("dropped_"+r.String(), d))
			reasons = append(reasons, fmt.Sprintf("%s=%d", r, d))
		}
	}
	if n == 0 {
		return nil
	}
	c.logger.Error("Items dropped at shutdown", fields...)
	switch {
	case cause != nil:
	case c.dropped[reasonShutdown].Load() > before[reasonShutdown]:
		// Drained, yet deliveries were cancelled: not expected, but say so.
		cause = errors.New("deliveries cancelled at shutdown")
	default:
		cause = fmt.Errorf("delivery failed for good while draining (%s)", strings.Join(reasons, ", "))
	}
	return fmt.Errorf("shutdown: %d items dropped: %w", n, cause)
}

// drain waits until every held batch is delivered or dropped, bounded by ctx
// and, with strategy graceful, by shutdown.timeout. It returns nil when
// drained, else why it stopped.
func (c *core[T]) drain(ctx context.Context) error {
	if c.cfg.Shutdown.Strategy == ShutdownStrategyGraceful {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, c.cfg.Shutdown.Timeout, errShutdownTimeout)
		defer cancel()
	}
	c.stopping.Store(true)
	for c.heldBatches.Load() > 0 {
		select {
		case <-c.drained:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return nil
}
