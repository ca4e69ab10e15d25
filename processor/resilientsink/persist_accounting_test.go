// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// TestAccountingRandomizedPersistence is TestAccountingRandomized with
// persistence, over several lives of the processor on one folder: at every
// quiescent moment incoming + replayed = sent + dropped + refused + queued
// (memory and disk), and what one life leaves on disk at Shutdown is exactly
// what the next finds (replayed_items): nothing is lost between lives
// without a count.
func TestAccountingRandomizedPersistence(t *testing.T) {
	policies := []OverflowPolicy{OverflowPolicyDropOldest, OverflowPolicyDropNewest, OverflowPolicyReject, OverflowPolicyBlock}
	strategies := []ShutdownStrategy{ShutdownStrategyImmediate, ShutdownStrategyFlush, ShutdownStrategyGraceful}
	modes := []mode{modeSucceed, modeFail, modePermanent, modeHang, modePanic, modeHold}
	for _, pmode := range []PersistenceMode{PersistenceModeSpill, PersistenceModeWriteAhead} {
		for _, policy := range policies {
			for seed := range uint64(2) {
				t.Run(string(pmode)+"/overflow="+string(policy)+"/seed="+strconv.FormatUint(seed, 10), func(t *testing.T) {
					synctest.Test(t, func(t *testing.T) {
						rng := rand.New(rand.NewPCG(seed, uint64(len(policy)+len(pmode))))
						dir := t.TempDir()
						var left int64 // what the previous life left on disk
						for life := range 3 {
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
							cfg.Persistence.Directory = dir
							cfg.Persistence.Mode = pmode
							cfg.Persistence.MaxMegabytes = 1 + rng.IntN(2)
							cfg.Persistence.Sync = rng.IntN(2) == 0
							h := newHarness(t, cfg)
							h.start()
							synctest.Wait()
							require.Equal(t, left, h.metric("replayed_items"), "life %d finds what life %d left", life, life-1)
							for range 120 {
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
							if rng.IntN(2) == 0 {
								h.down.set(modeSucceed)
							}
							ctx, cancel := context.WithTimeout(context.Background(), time.Second)
							_ = h.p.Shutdown(ctx)
							cancel()
							a := h.accounts()
							require.Equal(t, a.sent, h.down.items.Load(), "downstream received exactly sent items")
							left = a.incoming + a.replayed - a.sent - a.dropped - a.refused
							require.Zero(t, h.dropped("shutdown"), "with persistence Shutdown writes to disk, never drops")
							require.GreaterOrEqual(t, left, int64(0), "life %d: %+v", life, a)
						}
					})
				})
			}
		}
	}
}
