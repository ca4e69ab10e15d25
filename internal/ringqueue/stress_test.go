package ringqueue

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStressConservation runs producers (TryPush with retry, blocking Push,
// and Push with short deadlines that often expire and are retried), consumers
// (blocking Pop, and Pop with short deadlines) that sometimes requeue with
// PushFront, and an evictor using TryPop, then closes the queue and checks
// every pushed item was taken out exactly once: a Push that fails must not
// have added its item, and a Pop that fails must not have taken one.
func TestStressConservation(t *testing.T) {
	const (
		producers = 6 // p%3: 0 TryPush, 1 Push, 2 Push with a short deadline
		consumers = 4
		perProd   = 2000
	)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	q := New[int](16)
	seen := make([]atomic.Int32, producers*perProd)
	take := func(v int) { seen[v].Add(1) }
	var failures atomic.Int64 // unexpected errors; require is not allowed in goroutines

	var prodWG, consWG sync.WaitGroup
	var expired atomic.Int64 // Push calls that timed out and were retried
	tryPush := func(v int) bool {
		for {
			err := q.TryPush(v)
			if err == nil {
				return true
			}
			if !errors.Is(err, ErrFull) || ctx.Err() != nil {
				return false
			}
			runtime.Gosched()
		}
	}
	impatientPush := func(v int) bool {
		for n := 1; ; n++ {
			pctx, pcancel := context.WithTimeout(ctx, time.Duration(n%20)*time.Microsecond)
			err := q.Push(pctx, v)
			pcancel()
			if err == nil {
				return true
			}
			if !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
				return false
			}
			expired.Add(1)
		}
	}
	for p := range producers {
		prodWG.Go(func() {
			for i := range perProd {
				v := p*perProd + i
				var ok bool
				switch p % 3 {
				case 0:
					ok = tryPush(v)
				case 1:
					ok = q.Push(ctx, v) == nil
				default:
					ok = impatientPush(v)
				}
				if !ok {
					failures.Add(1)
					return
				}
			}
		})
	}
	// Odd consumers pop with short deadlines that often expire while parked:
	// an item handed to a Pop just before its deadline must still be returned.
	var popExpired atomic.Int64
	pop := func(c, n int) (int, error) {
		if c%2 == 0 {
			return q.Pop(ctx)
		}
		pctx, pcancel := context.WithTimeout(ctx, time.Duration(n%20)*time.Microsecond)
		defer pcancel()
		return q.Pop(pctx)
	}
	for c := range consumers {
		consWG.Go(func() {
			for n := 0; ; n++ {
				v, err := pop(c, n)
				if errors.Is(err, ErrClosed) {
					return
				}
				if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
					popExpired.Add(1)
					continue
				}
				if err != nil {
					failures.Add(1)
					return
				}
				// Requeue now and then; if the queue is full or closed, keep it.
				if (n+c)%7 == 0 && q.PushFront(v) == nil {
					continue
				}
				take(v)
			}
		})
	}
	consWG.Go(func() { // evictor
		for ctx.Err() == nil && !q.Closed() {
			if v, ok := q.TryPop(); ok {
				take(v)
			}
			runtime.Gosched()
		}
	})
	prodWG.Wait()
	q.Close()
	consWG.Wait()

	require.Zero(t, failures.Load(), "unexpected errors (or the 30s bound expired)")
	t.Logf("%d Push and %d Pop deadlines expired and were retried", expired.Load(), popExpired.Load())
	assert.Zero(t, q.Len())
	for v := range seen {
		if n := seen[v].Load(); n != 1 {
			t.Errorf("item %d taken %d times", v, n)
		}
	}
}
