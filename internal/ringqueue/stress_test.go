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

// TestStressConservation runs producers, blocking consumers that sometimes
// requeue with PushFront, and an evictor using TryPop, then closes the queue
// and checks every pushed item was taken out exactly once.
func TestStressConservation(t *testing.T) {
	const (
		producers = 4
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
	for p := range producers {
		prodWG.Go(func() {
			for i := range perProd {
				for {
					err := q.TryPush(p*perProd + i)
					if err == nil {
						break
					}
					if !errors.Is(err, ErrFull) || ctx.Err() != nil {
						failures.Add(1)
						return
					}
					runtime.Gosched()
				}
			}
		})
	}
	for c := range consumers {
		consWG.Go(func() {
			for n := 0; ; n++ {
				v, err := q.Pop(ctx)
				if errors.Is(err, ErrClosed) {
					return
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
	assert.Zero(t, q.Len())
	for v := range seen {
		if n := seen[v].Load(); n != 1 {
			t.Errorf("item %d taken %d times", v, n)
		}
	}
}
