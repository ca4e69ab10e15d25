// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
)

// OverflowPolicy says what happens to a batch that does not fit in the queue.
type OverflowPolicy string

const (
	// OverflowPolicyDropOldest evicts batches from the head of the queue until
	// the new batch fits; evicted items are dropped with reason overflow.
	OverflowPolicyDropOldest OverflowPolicy = "drop_oldest"
	// OverflowPolicyDropNewest drops the new batch (reason overflow); the caller
	// gets success.
	OverflowPolicyDropNewest OverflowPolicy = "drop_newest"
	// OverflowPolicyReject hands the new batch back to the caller as a
	// retryable error; its items count as refused.
	OverflowPolicyReject OverflowPolicy = "reject"
	// OverflowPolicyBlock makes the caller wait for room up to block_timeout
	// or its own context, then behaves as OverflowPolicyReject.
	OverflowPolicyBlock OverflowPolicy = "block"
)

// ShutdownStrategy says what happens to queued data at shutdown.
type ShutdownStrategy string

const (
	// ShutdownStrategyImmediate drops everything queued and cancels deliveries
	// in flight.
	ShutdownStrategyImmediate ShutdownStrategy = "immediate"
	// ShutdownStrategyFlush delivers everything queued until done or until the
	// Shutdown context ends.
	ShutdownStrategyFlush ShutdownStrategy = "flush"
	// ShutdownStrategyGraceful is ShutdownStrategyFlush also bounded by
	// shutdown.timeout.
	ShutdownStrategyGraceful ShutdownStrategy = "graceful"
)

// Config is the configuration of the resilientsink processor.
type Config struct {
	// QueueSize is the most batches held at once, queued or being delivered.
	QueueSize int `mapstructure:"queue_size"`
	// MemoryLimitMiB is the most estimated heap, in MiB, held by queued data.
	// 0 turns the byte budget off.
	MemoryLimitMiB int `mapstructure:"memory_limit_mib"`
	// Overflow is what happens to a batch that does not fit: drop_oldest,
	// drop_newest, reject or block.
	Overflow OverflowPolicy `mapstructure:"overflow"`
	// BlockTimeout is, with overflow block, the longest wait for room before
	// the batch is refused.
	BlockTimeout time.Duration `mapstructure:"block_timeout"`
	// MaxAge drops (reason expired) a batch older than this instead of sending
	// it. 0 means no limit.
	MaxAge time.Duration `mapstructure:"max_age"`
	// NumWorkers is the number of concurrent downstream deliveries. 1 keeps
	// arrival order.
	NumWorkers int `mapstructure:"num_workers"`
	// Timeout is the deadline of one downstream delivery. 0 means none.
	Timeout time.Duration `mapstructure:"timeout"`
	// Retry configures retries of failed deliveries.
	Retry RetryConfig `mapstructure:"retry"`
	// CircuitBreaker configures the circuit breaker around the downstream.
	CircuitBreaker BreakerConfig `mapstructure:"circuit_breaker"`
	// Shutdown configures what happens to queued data at shutdown.
	Shutdown ShutdownConfig `mapstructure:"shutdown"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// RetryConfig configures retries of failed deliveries.
type RetryConfig struct {
	// Enabled turns retries on. When off, a failed batch is dropped with
	// reason retries_exhausted.
	Enabled bool `mapstructure:"enabled"`
	// InitialInterval is the backoff before the first retry of a failed batch;
	// it doubles after each further failure.
	InitialInterval time.Duration `mapstructure:"initial_interval"`
	// MaxInterval caps the backoff.
	MaxInterval time.Duration `mapstructure:"max_interval"`
	// MaxElapsedTime drops (reason retries_exhausted) a batch that keeps failing
	// this long after its first failure. 0 means no limit.
	MaxElapsedTime time.Duration `mapstructure:"max_elapsed_time"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// BreakerConfig configures the circuit breaker around the downstream consumer.
type BreakerConfig struct {
	// Enabled turns the circuit breaker on.
	Enabled bool `mapstructure:"enabled"`
	// FailureThreshold is the number of consecutive failed deliveries that
	// open the breaker.
	FailureThreshold uint32 `mapstructure:"failure_threshold"`
	// OpenTimeout is the wait in open before a half-open probe.
	OpenTimeout time.Duration `mapstructure:"open_timeout"`
	// MaxOpenTimeout caps the open wait, which doubles after each failed probe.
	MaxOpenTimeout time.Duration `mapstructure:"max_open_timeout"`
	// HalfOpenProbes is the number of deliveries allowed at once while half-open.
	HalfOpenProbes uint32 `mapstructure:"half_open_probes"`
	// SuccessThreshold is the number of successful probes that close the breaker.
	SuccessThreshold uint32 `mapstructure:"success_threshold"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// ShutdownConfig configures what happens to queued data at shutdown.
type ShutdownConfig struct {
	// Strategy is immediate, flush or graceful.
	Strategy ShutdownStrategy `mapstructure:"strategy"`
	// Timeout is, with strategy graceful, the longest drain before the rest is
	// dropped.
	Timeout time.Duration `mapstructure:"timeout"`

	// prevent unkeyed literal initialization
	_ struct{}
}

var _ component.Config = (*Config)(nil)

// Validate checks the top-level keys; nested sections validate themselves.
func (c *Config) Validate() error {
	if c.QueueSize <= 0 {
		return fmt.Errorf("queue_size must be greater than 0, got %d", c.QueueSize)
	}
	if c.MemoryLimitMiB < 0 {
		return fmt.Errorf("memory_limit_mib must be 0 (off) or greater, got %d", c.MemoryLimitMiB)
	}
	switch c.Overflow {
	case OverflowPolicyDropOldest, OverflowPolicyDropNewest, OverflowPolicyReject, OverflowPolicyBlock:
	default:
		return fmt.Errorf("overflow must be one of drop_oldest, drop_newest, reject, block, got %q", string(c.Overflow))
	}
	if c.BlockTimeout < 0 {
		return fmt.Errorf("block_timeout must not be negative, got %s", c.BlockTimeout)
	}
	if c.Overflow == OverflowPolicyBlock && c.BlockTimeout == 0 {
		return fmt.Errorf("block_timeout must be greater than 0 when overflow is block, got %s", c.BlockTimeout)
	}
	if c.MaxAge < 0 {
		return fmt.Errorf("max_age must not be negative, got %s", c.MaxAge)
	}
	if c.NumWorkers <= 0 {
		return fmt.Errorf("num_workers must be greater than 0, got %d", c.NumWorkers)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("timeout must not be negative, got %s", c.Timeout)
	}
	return nil
}

// Validate checks the retry section.
func (c *RetryConfig) Validate() error {
	if !c.Enabled {
		return nil
	}
	if c.InitialInterval <= 0 {
		return fmt.Errorf("initial_interval must be greater than 0, got %s", c.InitialInterval)
	}
	if c.MaxInterval < c.InitialInterval {
		return fmt.Errorf("max_interval must be greater than or equal to initial_interval (%s), got %s", c.InitialInterval, c.MaxInterval)
	}
	if c.MaxElapsedTime < 0 {
		return fmt.Errorf("max_elapsed_time must not be negative, got %s", c.MaxElapsedTime)
	}
	return nil
}

// Validate checks the circuit_breaker section.
func (c *BreakerConfig) Validate() error {
	if !c.Enabled {
		return nil
	}
	if c.FailureThreshold == 0 {
		return fmt.Errorf("failure_threshold must be greater than 0, got %d", c.FailureThreshold)
	}
	if c.OpenTimeout <= 0 {
		return fmt.Errorf("open_timeout must be greater than 0, got %s", c.OpenTimeout)
	}
	if c.MaxOpenTimeout < c.OpenTimeout {
		return fmt.Errorf("max_open_timeout must be greater than or equal to open_timeout (%s), got %s", c.OpenTimeout, c.MaxOpenTimeout)
	}
	if c.HalfOpenProbes == 0 {
		return fmt.Errorf("half_open_probes must be greater than 0, got %d", c.HalfOpenProbes)
	}
	if c.SuccessThreshold == 0 {
		return fmt.Errorf("success_threshold must be greater than 0, got %d", c.SuccessThreshold)
	}
	return nil
}

// Validate checks the shutdown section.
func (c *ShutdownConfig) Validate() error {
	switch c.Strategy {
	case ShutdownStrategyImmediate, ShutdownStrategyFlush, ShutdownStrategyGraceful:
	default:
		return fmt.Errorf("strategy must be one of immediate, flush, graceful, got %q", string(c.Strategy))
	}
	if c.Timeout < 0 {
		return fmt.Errorf("timeout must not be negative, got %s", c.Timeout)
	}
	if c.Strategy == ShutdownStrategyGraceful && c.Timeout == 0 {
		return fmt.Errorf("timeout must be greater than 0 when strategy is graceful, got %s", c.Timeout)
	}
	return nil
}
