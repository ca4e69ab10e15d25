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
	for _, pmode := range []PersistenceMode{PersistenceModeSpill, PersistenceModeWriteAhead} {
		for _, policy := range policies {
			for seed := range uint64(2) {
				t.Run(string(pmode)+"/overflow="+string(policy)+"/seed="+strconv.FormatUint(seed, 10), func(t *testing.T) {
					synctest.Test(t, func(t *testing.T) {
						rng := rand.New(rand.NewPCG(seed, uint64(len(policy)+len(pmode))))
						dir := t.TempDir()
						var left int64 // what the previous life left on disk
						for life := range 3 {
							cfg := randomConfig(rng, policy)
							cfg.Persistence.Directory = dir
							cfg.Persistence.Mode = pmode
							cfg.Persistence.MaxMegabytes = 1 + rng.IntN(2)
							cfg.Persistence.Sync = rng.IntN(2) == 0
							h := newHarness(t, cfg)
							h.start()
							synctest.Wait()
							require.Equal(t, left, h.metric("replayed_items"), "life %d finds what life %d left", life, life-1)
							randomOps(h, rng, 120)
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
