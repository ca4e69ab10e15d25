// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// TestAccountingRandomized drives mixed batches through every overflow policy
// while the downstream switches between every behaviour, and checks at each
// quiescent moment (every goroutine of the bubble blocked) that
// incoming = sent + dropped + refused + queued, read from the telemetry, and
// that the downstream received exactly sent items.
func TestAccountingRandomized(t *testing.T) {
	policies := []OverflowPolicy{OverflowPolicyDropOldest, OverflowPolicyDropNewest, OverflowPolicyReject, OverflowPolicyBlock}
	for _, policy := range policies {
		for seed := range uint64(4) {
			t.Run("overflow="+string(policy)+"/seed="+strconv.FormatUint(seed, 10), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					rng := rand.New(rand.NewPCG(seed, uint64(len(policy))))
					cfg := randomConfig(rng, policy)
					h := newHarness(t, cfg)
					h.start()
					randomOps(h, rng, 250)
					if rng.IntN(2) == 0 {
						h.down.set(modeSucceed)
					}
					ctx, cancel := context.WithTimeout(context.Background(), time.Second)
					defer cancel()
					_ = h.p.Shutdown(ctx)
					a := h.requireBalanced()
					require.Zero(t, a.queued, "nothing held after Shutdown")
					require.Positive(t, a.incoming)
				})
			})
		}
	}
}

// randomConfig is a random configuration for the randomized accounting
// tests: small queues and budgets, short timeouts, every feature on or off.
func randomConfig(rng *rand.Rand, policy OverflowPolicy) *Config {
	strategies := []ShutdownStrategy{ShutdownStrategyImmediate, ShutdownStrategyFlush, ShutdownStrategyGraceful}
	cfg := testConfig()
	cfg.Overflow = policy
	cfg.QueueSize = 1 + rng.IntN(20)
	cfg.MemoryLimitMiB = rng.IntN(2)
	cfg.NumWorkers = 1 + rng.IntN(3)
	cfg.BlockTimeout = time.Duration(1+rng.IntN(50)) * time.Millisecond
	cfg.Timeout = time.Duration(10+rng.IntN(200)) * time.Millisecond
	cfg.MaxAge = time.Duration(rng.IntN(2)) * time.Second
	cfg.Retry.Enabled = rng.IntN(4) > 0
	cfg.Retry.InitialInterval = 10 * time.Millisecond
	cfg.Retry.MaxInterval = 80 * time.Millisecond
	cfg.Retry.MaxElapsedTime = time.Duration(rng.IntN(3)) * 500 * time.Millisecond
	cfg.CircuitBreaker.Enabled = rng.IntN(3) > 0
	cfg.CircuitBreaker.FailureThreshold = uint32(1 + rng.IntN(4))
	cfg.CircuitBreaker.OpenTimeout = 50 * time.Millisecond
	cfg.CircuitBreaker.MaxOpenTimeout = 400 * time.Millisecond
	cfg.CircuitBreaker.HalfOpenProbes = uint32(1 + rng.IntN(2))
	cfg.Shutdown.Strategy = strategies[rng.IntN(len(strategies))]
	cfg.Shutdown.Timeout = 300 * time.Millisecond
	return cfg
}

// randomOps runs n random operations on h (batches of random size, some too
// large for 1 MiB; downstream behaviour changes; releases of held
// deliveries; fake-clock sleeps) and checks the accounting after each, at a
// quiescent moment of the synctest bubble.
func randomOps(h *harness, rng *rand.Rand, n int) {
	modes := []mode{modeSucceed, modeFail, modePermanent, modeHang, modePanic, modeHold}
	for range n {
		switch op := rng.IntN(10); {
		case op < 6:
			size := 1 + rng.IntN(60)
			if rng.IntN(120) == 0 {
				size = 6000 + rng.IntN(10000) // sometimes too large for 1 MiB
			}
			_ = h.send(size)
		case op < 7:
			h.down.set(modes[rng.IntN(len(modes))])
		case op < 8:
			for range rng.IntN(3) {
				select {
				case h.down.release <- struct{}{}:
				default:
				}
			}
		default:
			time.Sleep(time.Duration(rng.IntN(100)) * time.Millisecond) // fake clock
		}
		synctest.Wait()
		h.requireBalanced()
	}
}

// TestAccountingConcurrentProducers has several goroutines offer batches
// while the downstream flips between behaviours and several workers deliver,
// on the real clock, so the race detector sees admission, eviction, retry and
// delivery interleave. The invariant must hold once everything is quiet.
func TestAccountingConcurrentProducers(t *testing.T) {
	for _, policy := range []OverflowPolicy{OverflowPolicyDropOldest, OverflowPolicyDropNewest, OverflowPolicyReject, OverflowPolicyBlock} {
		t.Run("overflow="+string(policy), func(t *testing.T) {
			cfg := testConfig()
			cfg.Overflow = policy
			cfg.QueueSize = 16
			cfg.MemoryLimitMiB = 1
			cfg.NumWorkers = 3
			cfg.BlockTimeout = time.Millisecond
			cfg.Timeout = 5 * time.Millisecond
			cfg.Retry.InitialInterval = time.Millisecond
			cfg.Retry.MaxInterval = 2 * time.Millisecond
			cfg.CircuitBreaker.FailureThreshold = 3
			cfg.CircuitBreaker.OpenTimeout = 2 * time.Millisecond
			cfg.CircuitBreaker.MaxOpenTimeout = 4 * time.Millisecond
			cfg.CircuitBreaker.HalfOpenProbes = 2
			cfg.Shutdown.Strategy = ShutdownStrategyFlush
			h := newHarness(t, cfg)
			h.start()
			done := make(chan struct{})
			var producers sync.WaitGroup
			for g := range 4 {
				producers.Go(func() {
					for i := range 300 {
						_ = h.p.ConsumeLogs(context.Background(), genLogs(1+(g*31+i)%40, 3))
					}
				})
			}
			flipped := make(chan struct{})
			go func() {
				defer close(flipped)
				modes := []mode{modeSucceed, modeFail, modePermanent, modeHang, modePanic, modeSucceed}
				for i := 0; ; i++ {
					select {
					case <-done:
						return
					case <-time.After(time.Millisecond):
						h.down.set(modes[i%len(modes)])
					}
				}
			}()
			producers.Wait()
			close(done)
			<-flipped
			h.down.set(modeSucceed)
			// The workers may have drained the queue while the downstream
			// failed for good: one batch more, delivered by the flush, shows
			// delivery works once it recovers (dropped or refused if the
			// queue is still full, then the full queue is what gets sent).
			_ = h.send(1)
			// A delivery that read a failing mode just before the flip may
			// still drop its batch for good while Shutdown drains; Shutdown
			// reports that, but nothing may be left behind.
			if err := h.p.Shutdown(context.Background()); err != nil {
				require.ErrorContains(t, err, "delivery failed for good while draining")
			}
			require.Zero(t, h.dropped("shutdown"))
			a := h.requireBalanced()
			require.Zero(t, a.queued)
			require.Positive(t, a.sent)
		})
	}
}
