// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

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
	reasonShutdown
	numReasons
)

var reasonNames = [numReasons]string{"overflow", "too_large", "expired", "permanent_error", "retries_exhausted", "shutdown"}

func (r dropReason) String() string { return reasonNames[r] }

// telemetry wraps the generated builder with attribute sets computed once.
type telemetry struct {
	tb          *metadata.TelemetryBuilder
	dropped     [numReasons]metric.MeasurementOption
	transitions [3]metric.MeasurementOption // indexed by cbreaker.State
	success     metric.MeasurementOption
	failure     metric.MeasurementOption
}

func newTelemetry(tb *metadata.TelemetryBuilder) *telemetry {
	t := &telemetry{tb: tb}
	for r := range numReasons {
		t.dropped[r] = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", r.String())))
	}
	for _, s := range []cbreaker.State{cbreaker.StateClosed, cbreaker.StateHalfOpen, cbreaker.StateOpen} {
		t.transitions[s] = metric.WithAttributeSet(attribute.NewSet(attribute.String("state", s.String())))
	}
	t.success = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", "success")))
	t.failure = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", "failure")))
	return t
}

// registerGauges registers the asynchronous gauges of the core.
func (c *core[T]) registerGauges() error {
	tb := c.tel.tb
	obs := func(f func() int64) metric.Int64Callback {
		return func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(f())
			return nil
		}
	}
	for _, err := range []error{
		tb.RegisterProcessorResilientsinkQueueBatchesCallback(obs(c.heldBatches.Load)),
		tb.RegisterProcessorResilientsinkQueueItemsCallback(obs(c.heldItems.Load)),
		tb.RegisterProcessorResilientsinkQueueBytesCallback(obs(c.heldBytes.Load)),
		tb.RegisterProcessorResilientsinkQueueCapacityBatchesCallback(obs(func() int64 { return int64(c.cfg.QueueSize) })),
		tb.RegisterProcessorResilientsinkMemoryLimitBytesCallback(obs(func() int64 { return c.limitBytes })),
		tb.RegisterProcessorResilientsinkBreakerStateCallback(obs(c.breakerState)),
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
