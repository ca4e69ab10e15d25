// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"

	"github.com/resilientsink/resilientsink/processor/resilientsink/internal/metadata"
)

const (
	defaultQueueSize      = 10000
	defaultMemoryLimitMiB = 64
	defaultOverflow       = OverflowPolicyDropOldest
	defaultBlockTimeout   = 5 * time.Second
	defaultMaxAge         = time.Duration(0)
	defaultNumWorkers     = 1
	defaultTimeout        = 10 * time.Second

	defaultRetryEnabled             = true
	defaultRetryInitialInterval     = 100 * time.Millisecond
	defaultRetryRandomizationFactor = 0.5
	defaultRetryMultiplier          = 2
	defaultRetryMaxInterval         = 30 * time.Second
	defaultRetryMaxElapsedTime      = 5 * time.Minute

	defaultBreakerEnabled          = true
	defaultBreakerFailureThreshold = 5
	defaultBreakerOpenTimeout      = 5 * time.Second
	defaultBreakerMaxOpenTimeout   = time.Minute
	defaultBreakerHalfOpenProbes   = 1
	defaultBreakerSuccessThreshold = 1

	defaultShutdownStrategy = ShutdownStrategyGraceful
	defaultShutdownTimeout  = 10 * time.Second

	defaultPersistenceMode         = PersistenceModeSpill
	defaultPersistenceMaxMegabytes = 1024
	defaultPersistenceSync         = true

	defaultDeadLetterMaxMegabytes = 1024
	defaultDeadLetterSync         = false

	defaultRetryAfterMin = time.Second
	defaultRetryAfterMax = 30 * time.Second
)

// NewFactory returns the factory of the resilientsink processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithTraces(createTraces, metadata.TracesStability),
		processor.WithMetrics(createMetrics, metadata.MetricsStability),
		processor.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		QueueSize:      defaultQueueSize,
		MemoryLimitMiB: defaultMemoryLimitMiB,
		Overflow:       defaultOverflow,
		BlockTimeout:   defaultBlockTimeout,
		MaxAge:         defaultMaxAge,
		NumWorkers:     defaultNumWorkers,
		Timeout:        defaultTimeout,
		Retry: configretry.BackOffConfig{
			Enabled:             defaultRetryEnabled,
			InitialInterval:     defaultRetryInitialInterval,
			RandomizationFactor: defaultRetryRandomizationFactor,
			Multiplier:          defaultRetryMultiplier,
			MaxInterval:         defaultRetryMaxInterval,
			MaxElapsedTime:      defaultRetryMaxElapsedTime,
		},
		CircuitBreaker: BreakerConfig{
			Enabled:          defaultBreakerEnabled,
			FailureThreshold: defaultBreakerFailureThreshold,
			OpenTimeout:      defaultBreakerOpenTimeout,
			MaxOpenTimeout:   defaultBreakerMaxOpenTimeout,
			HalfOpenProbes:   defaultBreakerHalfOpenProbes,
			SuccessThreshold: defaultBreakerSuccessThreshold,
		},
		Shutdown: ShutdownConfig{
			Strategy: defaultShutdownStrategy,
			Timeout:  defaultShutdownTimeout,
		},
		Persistence: PersistenceConfig{
			Mode:         defaultPersistenceMode,
			MaxMegabytes: defaultPersistenceMaxMegabytes,
			Sync:         defaultPersistenceSync,
		},
		DeadLetter: DeadLetterConfig{
			Reasons:      []string{"permanent_error", "retries_exhausted", "expired", "too_large", "panic"},
			MaxMegabytes: defaultDeadLetterMaxMegabytes,
			Sync:         defaultDeadLetterSync,
		},
		Backpressure: BackpressureConfig{
			RetryAfterMin: defaultRetryAfterMin,
			RetryAfterMax: defaultRetryAfterMax,
		},
	}
}

func createLogs(_ context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	return newLogsProcessor(set, cfg.(*Config), next)
}

func createTraces(_ context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	return newTracesProcessor(set, cfg.(*Config), next)
}

func createMetrics(_ context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	return newMetricsProcessor(set, cfg.(*Config), next)
}
