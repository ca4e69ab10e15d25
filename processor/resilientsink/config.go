// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"fmt"
	"path/filepath"
	"slices"
	"time"
	"unsafe"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/pdata/plog"
)

const (
	// maxDuration bounds every duration key, so that adding one to a time
	// never overflows.
	maxDuration = 365 * 24 * time.Hour
	// maxMemoryLimitMiB bounds memory_limit_mib (1 TiB), so that it converts
	// to bytes without overflow.
	maxMemoryLimitMiB = 1 << 20
	// maxQueueSize bounds queue_size whatever the memory budget: the ring of
	// batches is allocated up front.
	maxQueueSize = 1_000_000
	// maxNumWorkers bounds num_workers (one goroutine each).
	maxNumWorkers = 1024
	// maxMultiplier bounds retry.multiplier.
	maxMultiplier = 100
)

// ringSlotBytes is the memory of one queue_size slot of the ring, allocated
// up front (the three signals' batches have the same size).
const ringSlotBytes = int64(unsafe.Sizeof(batch[plog.Logs]{}))

// ringFreeBytes is what the ring may always take, whatever the memory budget,
// so that the default queue_size fits a small budget.
const ringFreeBytes = 16 << 20

// checkDuration checks that a duration key is not negative and at most maxDuration.
func checkDuration(key string, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("%s must not be negative, got %s", key, d)
	}
	if d > maxDuration {
		return fmt.Errorf("%s must be at most %s, got %s", key, maxDuration, d)
	}
	return nil
}

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
	// Retry configures retries of failed deliveries, with the collector's
	// backoff keys: the nominal wait starts at initial_interval and grows by
	// multiplier per failed attempt up to max_interval; each actual wait is
	// within +-randomization_factor of it (jitter). A batch failing for
	// max_elapsed_time is dropped (reason retries_exhausted); 0 means no limit.
	// When disabled, a failed batch is dropped at once.
	Retry configretry.BackOffConfig `mapstructure:"retry"`
	// CircuitBreaker configures the circuit breaker around the downstream.
	CircuitBreaker BreakerConfig `mapstructure:"circuit_breaker"`
	// Shutdown configures what happens to queued data at shutdown.
	Shutdown ShutdownConfig `mapstructure:"shutdown"`
	// Persistence keeps the queue on disk across restarts, reloads and crashes.
	Persistence PersistenceConfig `mapstructure:"persistence"`
	// Backpressure bounds the delay a refused client is told to wait before it
	// comes back (gRPC RetryInfo, HTTP Retry-After).
	Backpressure BackpressureConfig `mapstructure:"backpressure"`
	// DeadLetter keeps batches dropped for the configured reasons in a folder,
	// with why, so that the replay receiver can send them again.
	DeadLetter DeadLetterConfig `mapstructure:"dead_letter"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// DeadLetterConfig configures the dead-letter folder.
type DeadLetterConfig struct {
	// Directory is where dead letters are kept; empty turns them off. An
	// instance keeps its own folder below it, named as for persistence
	// (processor ID and signal).
	Directory string `mapstructure:"directory"`
	// Reasons are the drop reasons whose batches are kept: permanent_error,
	// retries_exhausted, expired, too_large, panic, overflow, shutdown.
	Reasons []string `mapstructure:"reasons"`
	// MaxMegabytes is the folder's budget; past it a drop is a plain drop
	// again (counted, logged).
	MaxMegabytes int `mapstructure:"max_megabytes"`
	// Sync fsyncs each dead letter before counting it kept.
	Sync bool `mapstructure:"sync"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// deadLetterReasons are the drop reasons a dead letter may keep: those of a
// batch whose data is still at hand (corrupt and spill_failed are not).
var deadLetterReasons = []dropReason{reasonPermanentError, reasonRetriesExhausted, reasonExpired, reasonTooLarge, reasonPanic, reasonOverflow, reasonShutdown}

// Enabled reports whether dead letters are kept.
func (c *DeadLetterConfig) Enabled() bool { return c.Directory != "" }

// Validate checks the dead_letter section.
func (c *DeadLetterConfig) Validate() error {
	for _, r := range c.Reasons {
		if !slices.ContainsFunc(deadLetterReasons, func(d dropReason) bool { return d.String() == r }) {
			return fmt.Errorf("reasons must each be one of permanent_error, retries_exhausted, expired, too_large, panic, overflow, shutdown, got %q", r)
		}
	}
	if c.MaxMegabytes <= 0 || c.MaxMegabytes > maxDiskMegabytes {
		return fmt.Errorf("max_megabytes must be between 1 and %d, got %d", maxDiskMegabytes, c.MaxMegabytes)
	}
	return nil
}

// BackpressureConfig bounds the delay a refusal tells the client to wait.
type BackpressureConfig struct {
	// RetryAfterMin is the shortest delay a refused client is told (HTTP can
	// only say whole seconds).
	RetryAfterMin time.Duration `mapstructure:"retry_after_min"`
	// RetryAfterMax is the longest; it is also the delay when nothing drains
	// (and the downstream did not throttle), and how far ahead refused
	// clients are promised room.
	RetryAfterMax time.Duration `mapstructure:"retry_after_max"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// Validate checks the backpressure section.
func (c *BackpressureConfig) Validate() error {
	if c.RetryAfterMin <= 0 || c.RetryAfterMin > maxDuration {
		return fmt.Errorf("retry_after_min must be greater than 0 and at most %s, got %s", maxDuration, c.RetryAfterMin)
	}
	if c.RetryAfterMax < c.RetryAfterMin || c.RetryAfterMax > maxDuration {
		return fmt.Errorf("retry_after_max must be at least retry_after_min (%s) and at most %s, got %s", c.RetryAfterMin, maxDuration, c.RetryAfterMax)
	}
	return nil
}

// PersistenceMode says when batches go to disk.
type PersistenceMode string

const (
	// PersistenceModeSpill keeps the hot path in memory: a batch goes to disk
	// when the memory budget is full, and what is held at Shutdown is written
	// to disk before Shutdown returns.
	PersistenceModeSpill PersistenceMode = "spill"
	// PersistenceModeWriteAhead writes every batch to disk before ConsumeX
	// returns success (after an fsync with sync).
	PersistenceModeWriteAhead PersistenceMode = "write_ahead"
)

// maxDiskMegabytes bounds persistence.max_megabytes (1 PiB in MiB), so that it
// converts to bytes without overflow.
const maxDiskMegabytes = 1 << 30

// PersistenceConfig configures the disk tier of the queue.
type PersistenceConfig struct {
	// Directory is where the instance keeps its folder, named from the
	// processor ID and the signal. Empty turns persistence off.
	Directory string `mapstructure:"directory"`
	// Mode is spill or write_ahead.
	Mode PersistenceMode `mapstructure:"mode"`
	// MaxMegabytes is the disk budget of this instance, in MiB.
	MaxMegabytes int `mapstructure:"max_megabytes"`
	// Sync fsyncs before acknowledging (write_ahead) and before Shutdown
	// returns (spill).
	Sync bool `mapstructure:"sync"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// Enabled reports whether persistence is on.
func (c *PersistenceConfig) Enabled() bool { return c.Directory != "" }

// Validate checks the persistence section.
func (c *PersistenceConfig) Validate() error {
	switch c.Mode {
	case PersistenceModeSpill, PersistenceModeWriteAhead:
	default:
		return fmt.Errorf("mode must be one of spill, write_ahead, got %q", string(c.Mode))
	}
	if c.MaxMegabytes <= 0 || c.MaxMegabytes > maxDiskMegabytes {
		return fmt.Errorf("max_megabytes must be between 1 and %d, got %d", maxDiskMegabytes, c.MaxMegabytes)
	}
	return nil
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

// Validate checks the top-level keys and the retry section (the collector's
// BackOffConfig checks its own signs and ranges); other nested sections
// validate themselves.
func (c *Config) Validate() error {
	if c.QueueSize <= 0 || c.QueueSize > maxQueueSize {
		return fmt.Errorf("queue_size must be between 1 and %d, got %d", maxQueueSize, c.QueueSize)
	}
	if c.MemoryLimitMiB < 0 || c.MemoryLimitMiB > maxMemoryLimitMiB {
		return fmt.Errorf("memory_limit_mib must be 0 (off) or up to %d, got %d", maxMemoryLimitMiB, c.MemoryLimitMiB)
	}
	if limit := max(int64(c.MemoryLimitMiB)<<20, ringFreeBytes); c.MemoryLimitMiB > 0 && int64(c.QueueSize)*ringSlotBytes > limit {
		return fmt.Errorf("queue_size must be at most %d with memory_limit_mib %d (its ring takes %d bytes a slot up front, and may not take more than the memory budget or 16 MiB, whichever is more), got %d",
			limit/ringSlotBytes, c.MemoryLimitMiB, ringSlotBytes, c.QueueSize)
	}
	switch c.Overflow {
	case OverflowPolicyDropOldest, OverflowPolicyDropNewest, OverflowPolicyReject, OverflowPolicyBlock:
	default:
		return fmt.Errorf("overflow must be one of drop_oldest, drop_newest, reject, block, got %q", string(c.Overflow))
	}
	if err := checkDuration("block_timeout", c.BlockTimeout); err != nil {
		return err
	}
	if c.Overflow == OverflowPolicyBlock && c.BlockTimeout == 0 {
		return fmt.Errorf("block_timeout must be greater than 0 when overflow is block, got %s", c.BlockTimeout)
	}
	if err := checkDuration("max_age", c.MaxAge); err != nil {
		return err
	}
	if c.NumWorkers <= 0 || c.NumWorkers > maxNumWorkers {
		return fmt.Errorf("num_workers must be between 1 and %d, got %d", maxNumWorkers, c.NumWorkers)
	}
	if err := checkDuration("timeout", c.Timeout); err != nil {
		return err
	}
	if err := validateRetry(&c.Retry); err != nil {
		return fmt.Errorf("retry: %w", err)
	}
	if d := c.DeadLetter.Directory; d != "" && c.Persistence.Directory != "" && filepath.Clean(d) == filepath.Clean(c.Persistence.Directory) {
		return fmt.Errorf("dead_letter: directory must differ from persistence.directory (an instance keeps a folder of the same name below each), got %q for both", d)
	}
	return nil
}

// validateRetry checks what the collector's BackOffConfig.Validate does not:
// upper bounds, and, when enabled, a positive initial_interval, a
// max_interval not below it and a multiplier of at least 1.
func validateRetry(c *configretry.BackOffConfig) error {
	for _, d := range []struct {
		key string
		d   time.Duration
	}{{"initial_interval", c.InitialInterval}, {"max_interval", c.MaxInterval}, {"max_elapsed_time", c.MaxElapsedTime}} {
		if d.d > maxDuration {
			return fmt.Errorf("%s must be at most %s, got %s", d.key, maxDuration, d.d)
		}
	}
	if !c.Enabled {
		return nil
	}
	if c.InitialInterval <= 0 {
		return fmt.Errorf("initial_interval must be greater than 0, got %s", c.InitialInterval)
	}
	if c.MaxInterval < c.InitialInterval {
		return fmt.Errorf("max_interval must be greater than or equal to initial_interval (%s), got %s", c.InitialInterval, c.MaxInterval)
	}
	if c.Multiplier < 1 || c.Multiplier > maxMultiplier {
		return fmt.Errorf("multiplier must be between 1 and %d, got %g", maxMultiplier, c.Multiplier)
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
	if err := checkDuration("max_open_timeout", c.MaxOpenTimeout); err != nil {
		return err
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
	if err := checkDuration("timeout", c.Timeout); err != nil {
		return err
	}
	if c.Strategy == ShutdownStrategyGraceful && c.Timeout == 0 {
		return fmt.Errorf("timeout must be greater than 0 when strategy is graceful, got %s", c.Timeout)
	}
	return nil
}
