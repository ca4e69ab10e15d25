// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"fmt"
	"time"

	"go.opentelemetry.io/collector/config/configretry"
)

// fuzzInput reads a FuzzQueue input byte by byte; past its end it reads 0.
type fuzzInput struct {
	data []byte
	pos  int
}

func (in *fuzzInput) more() bool { return in.pos < len(in.data) }

func (in *fuzzInput) byte() byte {
	if in.pos >= len(in.data) {
		return 0
	}
	b := in.data[in.pos]
	in.pos++
	return b
}

// fuzzDir is the persistence directory of every FuzzQueue life (on memDisk).
const fuzzDir = "/fuzz"

var (
	fuzzPolicies   = []OverflowPolicy{OverflowPolicyDropOldest, OverflowPolicyDropNewest, OverflowPolicyReject, OverflowPolicyBlock}
	fuzzStrategies = []ShutdownStrategy{ShutdownStrategyImmediate, ShutdownStrategyFlush, ShutdownStrategyGraceful}
	fuzzModes      = []PersistenceMode{"", PersistenceModeSpill, PersistenceModeWriteAhead}
	fuzzMaxAges    = []time.Duration{0, 0, 3 * time.Second, 20 * time.Second}
	fuzzTimeouts   = []time.Duration{500 * time.Millisecond, 2 * time.Second, 0, 5 * time.Second}
)

// fuzzConfig decodes the first three bytes of an input into a config:
//
//	byte 0: overflow (bits 0-1), persistence off|spill|write_ahead (bits 2-3, mod 3),
//	        num_workers 1..3 (bits 4-5, mod 3), sync off (bit 6), breaker on (bit 7)
//	byte 1: shutdown strategy (bits 0-1, mod 3), retry on (bit 2), max_age (bits 3-4),
//	        delivery timeout (bits 5-6)
//	byte 2: queue_size 1..16 (bits 0-3), memory_limit_mib 1|4 (bit 4), max_megabytes 1|2 (bit 5),
//	        power cuts lose folders whose parent was not fsynced (bit 6), zero-filled tails (bit 7)
func fuzzConfig(in *fuzzInput) *Config {
	b0, b1, b2 := in.byte(), in.byte(), in.byte()
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.Overflow = fuzzPolicies[b0&3]
	cfg.BlockTimeout = time.Second
	cfg.NumWorkers = 1 + int(b0>>4&3)%3
	cfg.CircuitBreaker = BreakerConfig{
		Enabled:          b0&0x80 != 0,
		FailureThreshold: 3,
		OpenTimeout:      time.Second,
		MaxOpenTimeout:   4 * time.Second,
		HalfOpenProbes:   1,
		SuccessThreshold: 1,
	}
	cfg.Shutdown = ShutdownConfig{Strategy: fuzzStrategies[int(b1&3)%3], Timeout: 3 * time.Second}
	cfg.Retry = configretry.BackOffConfig{
		Enabled:             b1&4 != 0,
		InitialInterval:     50 * time.Millisecond,
		RandomizationFactor: 0.5,
		Multiplier:          2,
		MaxInterval:         500 * time.Millisecond,
		MaxElapsedTime:      5 * time.Second,
	}
	cfg.MaxAge = fuzzMaxAges[b1>>3&3]
	cfg.Timeout = fuzzTimeouts[b1>>5&3]
	cfg.QueueSize = 1 + int(b2&15)
	cfg.MemoryLimitMiB = []int{1, 4}[b2>>4&1]
	if mode := fuzzModes[int(b0>>2&3)%3]; mode != "" {
		cfg.Persistence = PersistenceConfig{
			Directory:    fuzzDir,
			Mode:         mode,
			MaxMegabytes: []int{1, 2}[b2>>5&1],
			Sync:         b0&0x40 == 0,
		}
	}
	return cfg
}

// fuzzDescribe is a one-line summary of a config, for failure messages.
func fuzzDescribe(c *Config) string {
	p := "memory"
	if c.Persistence.Enabled() {
		p = fmt.Sprintf("%s(%dMiB,sync=%v)", c.Persistence.Mode, c.Persistence.MaxMegabytes, c.Persistence.Sync)
	}
	return fmt.Sprintf("%s/%s workers=%d queue=%d mem=%dMiB retry=%v breaker=%v max_age=%s timeout=%s shutdown=%s",
		c.Overflow, p, c.NumWorkers, c.QueueSize, c.MemoryLimitMiB, c.Retry.Enabled, c.CircuitBreaker.Enabled,
		c.MaxAge, c.Timeout, c.Shutdown.Strategy)
}

// fuzzSizes is the body size of each record, by size class.
var fuzzSizes = []int{64, 4 << 10, 48 << 10, 256 << 10}

// fuzzHugeBytes are the one record of a huge batch: larger than either
// disk budget and than either memory budget (3 MiB is about 11 MiB of heap);
// larger than the 1 MiB disk budget and within the 4 MiB memory budget.
var fuzzHugeBytes = []int{3 << 20, 1<<20 + 100<<10}

// fuzzShape decodes an offer's argument: records and the size of each.
func fuzzShape(arg byte) (records, size int) {
	if arg>>4 == 15 {
		return 1, fuzzHugeBytes[arg&1]
	}
	return 1 + int(arg>>2&3), fuzzSizes[arg&3]
}

var fuzzSleeps = []time.Duration{10 * time.Millisecond, 100 * time.Millisecond, time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute}
