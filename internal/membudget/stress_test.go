package membudget

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStressConservation mixes Acquire (some with short deadlines), TryAcquire
// and Release from many goroutines and checks the budget never exceeds its
// limit and returns to 0 once every holder has released.
func TestStressConservation(t *testing.T) {
	const (
		workers = 8
		rounds  = 1000
		limit   = 100
	)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	b := New(limit)
	var held, maxHeld, granted, failures atomic.Int64

	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				n := int64(1 + (w*31+i*17)%limit) // 1..limit, big ones included
				var ok bool
				switch i % 3 {
				case 0:
					ok = b.TryAcquire(n)
				case 1:
					ok = b.Acquire(ctx, n) == nil
					if !ok && ctx.Err() != nil {
						failures.Add(1) // the 30s bound expired
						return
					}
				case 2: // a short deadline, so some waiters are cancelled mid-queue
					actx, acancel := context.WithTimeout(ctx, 50*time.Microsecond)
					ok = b.Acquire(actx, n) == nil
					acancel()
				}
				if !ok {
					continue
				}
				granted.Add(1)
				if h := held.Add(n); h > limit {
					failures.Add(1)
				} else {
					for m := maxHeld.Load(); h > m && !maxHeld.CompareAndSwap(m, h); m = maxHeld.Load() {
					}
				}
				runtime.Gosched() // hold a while, so others queue
				held.Add(-n)
				b.Release(n)
			}
		})
	}
	wg.Wait()

	require.Zero(t, failures.Load(), "limit exceeded or time bound expired")
	assert.Positive(t, granted.Load())
	assert.LessOrEqual(t, maxHeld.Load(), int64(limit))
	assert.Zero(t, b.InUse())
	assert.True(t, b.waiters.empty())
	assert.Zero(t, b.nwait.Load())
}
