// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/resilientsink/resilientsink/processor/resilientsink/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	custom := createDefaultConfig().(*Config)
	custom.QueueSize = 500
	custom.MemoryLimitMiB = 128
	custom.Overflow = OverflowPolicyBlock
	custom.BlockTimeout = 2 * time.Second
	custom.MaxAge = time.Minute
	custom.NumWorkers = 4
	custom.Timeout = 3 * time.Second
	custom.Retry.InitialInterval = 50 * time.Millisecond
	custom.Retry.RandomizationFactor = 0.2
	custom.Retry.Multiplier = 3
	custom.Retry.MaxInterval = 5 * time.Second
	custom.Retry.MaxElapsedTime = 0
	custom.CircuitBreaker.FailureThreshold = 3
	custom.CircuitBreaker.OpenTimeout = 2 * time.Second
	custom.CircuitBreaker.MaxOpenTimeout = 30 * time.Second
	custom.CircuitBreaker.HalfOpenProbes = 2
	custom.CircuitBreaker.SuccessThreshold = 2
	custom.Shutdown.Strategy = ShutdownStrategyFlush
	custom.Shutdown.Timeout = 0

	disabled := createDefaultConfig().(*Config)
	disabled.MemoryLimitMiB = 0
	disabled.Retry.Enabled = false
	disabled.Retry.InitialInterval = 0
	disabled.CircuitBreaker.Enabled = false
	disabled.CircuitBreaker.FailureThreshold = 0

	writeAhead := createDefaultConfig().(*Config)
	writeAhead.Persistence.Directory = "/var/lib/otelcol/queue"
	writeAhead.Persistence.Mode = PersistenceModeWriteAhead
	writeAhead.Persistence.MaxMegabytes = 4096
	writeAhead.Persistence.Sync = false

	tests := []struct {
		name       string
		want       *Config
		wantErr    string
		wantUnmErr string
	}{
		{name: "", want: createDefaultConfig().(*Config)},
		{name: "custom", want: custom},
		{name: "disabled_parts", want: disabled},
		{name: "queue_size_zero", wantErr: "queue_size must be between 1 and 1000000, got 0"},
		{name: "queue_size_huge", wantErr: "queue_size must be between 1 and 1000000, got 2000000000"},
		{name: "queue_size_over_budget", wantErr: fmt.Sprintf("queue_size must be at most %d with memory_limit_mib 1 (its ring takes %d bytes a slot up front, and may not take more than the memory budget or 16 MiB, whichever is more), got 500000", (16<<20)/ringSlotBytes, ringSlotBytes)},
		{name: "memory_negative", wantErr: "memory_limit_mib must be 0 (off) or up to 1048576, got -1"},
		{name: "memory_huge", wantErr: "memory_limit_mib must be 0 (off) or up to 1048576, got 17592186044416"},
		{name: "workers_huge", wantErr: "num_workers must be between 1 and 1024, got 100000"},
		{name: "max_age_huge", wantErr: "max_age must be at most 8760h0m0s, got 2562047h0m0s"},
		{name: "timeout_huge", wantErr: "timeout must be at most 8760h0m0s, got 9000h0m0s"},
		{name: "retry_multiplier_below_one", wantErr: "retry: multiplier must be between 1 and 100, got 0.5"},
		{name: "retry_randomization_over_one", wantErr: "retry: randomization_factor value must be less than or equal to 1"},
		{name: "retry_max_interval_huge", wantErr: "retry: max_interval must be at most 8760h0m0s, got 2562047h0m0s"},
		{name: "breaker_max_open_huge", wantErr: "circuit_breaker: max_open_timeout must be at most 8760h0m0s, got 2562047h0m0s"},
		{name: "shutdown_timeout_huge", wantErr: "shutdown: timeout must be at most 8760h0m0s, got 2562047h0m0s"},
		{name: "overflow_typo", wantErr: `overflow must be one of drop_oldest, drop_newest, reject, block, got "dropoldest"`},
		{name: "block_no_timeout", wantErr: "block_timeout must be greater than 0 when overflow is block, got 0s"},
		{name: "block_timeout_negative", wantErr: "block_timeout must not be negative, got -1s"},
		{name: "max_age_negative", wantErr: "max_age must not be negative, got -1s"},
		{name: "workers_zero", wantErr: "num_workers must be between 1 and 1024, got 0"},
		{name: "timeout_negative", wantErr: "timeout must not be negative, got -5s"},
		{name: "retry_initial_zero", wantErr: "retry: initial_interval must be greater than 0, got 0s"},
		{name: "retry_max_below_initial", wantErr: "retry: max_interval must be greater than or equal to initial_interval (2s), got 1s"},
		{name: "retry_elapsed_negative", wantErr: "retry: max_elapsed_time value must be greater than or equal to 0"},
		{name: "breaker_threshold_zero", wantErr: "circuit_breaker: failure_threshold must be greater than 0, got 0"},
		{name: "breaker_open_zero", wantErr: "circuit_breaker: open_timeout must be greater than 0, got 0s"},
		{name: "breaker_max_below_open", wantErr: "circuit_breaker: max_open_timeout must be greater than or equal to open_timeout (10s), got 5s"},
		{name: "breaker_probes_zero", wantErr: "circuit_breaker: half_open_probes must be greater than 0, got 0"},
		{name: "breaker_success_zero", wantErr: "circuit_breaker: success_threshold must be greater than 0, got 0"},
		{name: "strategy_typo", wantErr: `shutdown: strategy must be one of immediate, flush, graceful, got "gracefull"`}, //nolint:misspell // deliberate typo fixture
		{name: "graceful_no_timeout", wantErr: "shutdown: timeout must be greater than 0 when strategy is graceful, got 0s"},
		{name: "shutdown_timeout_negative", wantErr: "shutdown: timeout must not be negative, got -1s"},
		{name: "unknown_key", wantUnmErr: "has invalid keys: queue_sise"},
		{name: "persistence_write_ahead", want: writeAhead},
		{name: "persistence_mode_typo", wantErr: `persistence: mode must be one of spill, write_ahead, got "writeahead"`},
		{name: "persistence_max_zero", wantErr: "persistence: max_megabytes must be between 1 and 1073741824, got 0"},
		{name: "persistence_max_huge", wantErr: "persistence: max_megabytes must be between 1 and 1073741824, got 2000000000"},
		{name: "backpressure", want: func() *Config {
			c := createDefaultConfig().(*Config)
			c.Backpressure.RetryAfterMin = 2 * time.Second
			c.Backpressure.RetryAfterMax = time.Minute
			return c
		}()},
		{name: "backpressure_max_below_min", wantErr: "backpressure: retry_after_max must be at least retry_after_min (5s) and at most 8760h0m0s, got 2s"},
		{name: "dead_letter", want: func() *Config {
			c := createDefaultConfig().(*Config)
			c.DeadLetter.Directory = "/var/lib/otelcol/dead"
			c.DeadLetter.Reasons = []string{"permanent_error", "overflow"}
			c.DeadLetter.MaxMegabytes = 64
			c.DeadLetter.Sync = true
			return c
		}()},
		{name: "dead_letter_same_directory", wantErr: `dead_letter: directory must differ from persistence.directory (an instance keeps a folder of the same name below each), got "/var/lib/otelcol/queue/" for both`},
		{name: "dead_letter_reason_typo", wantErr: `dead_letter: reasons must each be one of permanent_error, retries_exhausted, expired, too_large, panic, overflow, shutdown, got "permanent"`},
		{name: "backpressure_min_zero", wantErr: "backpressure: retry_after_min must be greater than 0 and at most 8760h0m0s, got 0s"},
	}
	for _, tt := range tests {
		t.Run("name="+tt.name, func(t *testing.T) {
			id := component.NewIDWithName(metadata.Type, tt.name)
			sub, err := cm.Sub(id.String())
			require.NoError(t, err)
			cfg := createDefaultConfig()
			err = sub.Unmarshal(cfg)
			if tt.wantUnmErr != "" {
				require.ErrorContains(t, err, tt.wantUnmErr)
				return
			}
			require.NoError(t, err)
			if tt.wantErr != "" {
				require.EqualError(t, confmap.Validate(cfg), tt.wantErr)
				return
			}
			require.NoError(t, confmap.Validate(cfg))
			assert.Equal(t, tt.want, cfg)
		})
	}
}

func TestConfigDefaultsMatchDesign(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, 10000, cfg.QueueSize)
	assert.Equal(t, 64, cfg.MemoryLimitMiB)
	assert.Equal(t, OverflowPolicyDropOldest, cfg.Overflow)
	assert.Equal(t, 5*time.Second, cfg.BlockTimeout)
	assert.Zero(t, cfg.MaxAge)
	assert.Equal(t, 1, cfg.NumWorkers)
	assert.Equal(t, 10*time.Second, cfg.Timeout)
	assert.Equal(t, configretry.BackOffConfig{
		Enabled: true, InitialInterval: 100 * time.Millisecond, RandomizationFactor: 0.5, Multiplier: 2,
		MaxInterval: 30 * time.Second, MaxElapsedTime: 5 * time.Minute,
	}, cfg.Retry)
	assert.Equal(t, BreakerConfig{Enabled: true, FailureThreshold: 5, OpenTimeout: 5 * time.Second, MaxOpenTimeout: time.Minute, HalfOpenProbes: 1, SuccessThreshold: 1}, cfg.CircuitBreaker)
	assert.Equal(t, ShutdownConfig{Strategy: ShutdownStrategyGraceful, Timeout: 10 * time.Second}, cfg.Shutdown)
	assert.Equal(t, PersistenceConfig{Directory: "", Mode: PersistenceModeSpill, MaxMegabytes: 1024, Sync: true}, cfg.Persistence)
}

func TestNextBackoff(t *testing.T) {
	rc := configretry.BackOffConfig{Enabled: true, InitialInterval: 100 * time.Millisecond, Multiplier: 2, MaxInterval: 30 * time.Second}
	var got []time.Duration
	d := time.Duration(0)
	for range 12 {
		d = nextBackoff(rc, d)
		got = append(got, d)
	}
	assert.Equal(t, []time.Duration{
		100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond,
		1600 * time.Millisecond, 3200 * time.Millisecond, 6400 * time.Millisecond, 12800 * time.Millisecond,
		25600 * time.Millisecond, 30 * time.Second, 30 * time.Second, 30 * time.Second,
	}, got)

	// The largest values the config allows never overflow into a negative wait.
	rc = configretry.BackOffConfig{Enabled: true, InitialInterval: maxDuration, Multiplier: maxMultiplier, MaxInterval: maxDuration}
	d = 0
	for i := range 200 {
		d = nextBackoff(rc, d)
		require.Equal(t, maxDuration, d, "attempt %d", i)
		require.Positive(t, jitter(d, 1, 0.999999), "attempt %d", i)
	}
	rc = configretry.BackOffConfig{Enabled: true, InitialInterval: time.Nanosecond, Multiplier: maxMultiplier, MaxInterval: maxDuration}
	d = 0
	for i := range 200 {
		next := nextBackoff(rc, d)
		require.GreaterOrEqual(t, next, d, "attempt %d: never shrinks", i)
		require.LessOrEqual(t, next, maxDuration, "attempt %d", i)
		d = next
	}
}

func TestJitterSpreadsWaits(t *testing.T) {
	assert.Equal(t, 50*time.Millisecond, jitter(100*time.Millisecond, 0.5, 0))
	assert.Equal(t, 100*time.Millisecond, jitter(100*time.Millisecond, 0.5, 0.5))
	assert.Equal(t, 149*time.Millisecond, jitter(100*time.Millisecond, 0.5, 0.99).Round(time.Millisecond))
	assert.Equal(t, 100*time.Millisecond, jitter(100*time.Millisecond, 0, 0.99), "factor 0: no jitter")
}
