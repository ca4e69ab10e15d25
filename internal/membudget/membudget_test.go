package membudget

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPanics(t *testing.T) {
	tests := []struct {
		name string
		fn   func(b *Budget)
		want string
	}{
		{"new zero", func(*Budget) { New(0) }, "membudget: limit must be positive"},
		{"new negative", func(*Budget) { New(-1) }, "membudget: limit must be positive"},
		{"try acquire negative", func(b *Budget) { b.TryAcquire(-1) }, "membudget: negative byte count"},
		{"acquire negative", func(b *Budget) { _ = b.Acquire(context.Background(), -1) }, "membudget: negative byte count"},
		{"release negative", func(b *Budget) { b.Release(-1) }, "membudget: negative byte count"},
		{"release more than acquired", func(b *Budget) { b.Release(4) }, "membudget: released more than acquired"},
		{"release on zero budget", func(*Budget) { new(Budget).Release(1) }, "membudget: released more than acquired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(10)
			require.True(t, b.TryAcquire(3))
			assert.PanicsWithValue(t, tt.want, func() { tt.fn(b) })
			assert.Equal(t, int64(3), b.InUse(), "a panicking call must not change the budget")
		})
	}
}

func TestNonBlocking(t *testing.T) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	// op: "try" (want bool), "acq" (want error, ctx done if cancelled), "rel".
	type step struct {
		op        string
		n         int64
		cancelled bool
		wantOK    bool
		wantErr   error
	}
	tests := []struct {
		name      string
		budget    *Budget
		steps     []step
		wantInUse int64
	}{
		{name: "fill exactly", budget: New(10), wantInUse: 10, steps: []step{
			{op: "try", n: 4, wantOK: true}, {op: "acq", n: 6}, {op: "try", n: 1}, {op: "try", n: 0, wantOK: true},
		}},
		{name: "release makes room", budget: New(10), wantInUse: 7, steps: []step{
			{op: "try", n: 8, wantOK: true}, {op: "try", n: 7}, {op: "rel", n: 8}, {op: "try", n: 7, wantOK: true},
		}},
		{name: "too large fails at once", budget: New(10), steps: []step{
			{op: "acq", n: 11, wantErr: ErrTooLarge}, {op: "try", n: 11},
		}},
		{name: "done ctx fails even if it fits", budget: New(10), steps: []step{
			{op: "acq", n: 1, cancelled: true, wantErr: context.Canceled},
		}},
		{name: "zero bytes always succeed", budget: New(1), wantInUse: 1, steps: []step{
			{op: "try", n: 1, wantOK: true}, {op: "try", n: 0, wantOK: true},
			{op: "acq", n: 0}, {op: "acq", n: 0, cancelled: true}, {op: "rel", n: 0},
		}},
		{name: "zero budget admits nothing", budget: new(Budget), steps: []step{
			{op: "try", n: 1}, {op: "acq", n: 1, wantErr: ErrTooLarge},
			{op: "try", n: 0, wantOK: true}, {op: "acq", n: 0}, {op: "rel", n: 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.budget
			for i, s := range tt.steps {
				switch s.op {
				case "try":
					require.Equal(t, s.wantOK, b.TryAcquire(s.n), "step %d", i)
				case "acq":
					ctx := context.Background()
					if s.cancelled {
						ctx = done
					}
					require.ErrorIs(t, b.Acquire(ctx, s.n), s.wantErr, "step %d", i)
				case "rel":
					b.Release(s.n)
				}
			}
			assert.Equal(t, tt.wantInUse, b.InUse())
		})
	}
	assert.Zero(t, new(Budget).Limit())
	assert.Equal(t, int64(5), New(5).Limit())
}

// acquirer is an Acquire running in its own goroutine.
type acquirer struct {
	cancel context.CancelFunc
	result chan error
}

func startAcquire(t *testing.T, b *Budget, n int64) acquirer {
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	a := acquirer{cancel: cancel, result: make(chan error, 1)}
	go func() { a.result <- b.Acquire(ctx, n) }()
	synctest.Wait() // queue in start order
	return a
}

func (a acquirer) blocked() bool { return len(a.result) == 0 }

func TestAcquireFIFO(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(10)
		require.True(t, b.TryAcquire(10))
		big := startAcquire(t, b, 8)
		require.True(t, big.blocked())

		b.Release(5) // 5 free: not enough for big
		synctest.Wait()
		require.True(t, big.blocked())
		assert.False(t, b.TryAcquire(1), "TryAcquire must not jump the queue")
		small := startAcquire(t, b, 1)
		assert.True(t, small.blocked(), "Acquire must queue behind the big waiter")

		b.Release(5) // 10 free: big then small
		synctest.Wait()
		require.NoError(t, <-big.result)
		require.NoError(t, <-small.result)
		assert.Equal(t, int64(9), b.InUse())
	})
}

func TestAcquireCancel(t *testing.T) {
	tests := []struct {
		name   string
		cancel int // index of the waiter to cancel
		// wantGranted: which of the three waiters (n = 8, 2, 1; 4 bytes free) end up granted.
		wantGranted []bool
		wantInUse   int64
	}{
		{name: "cancelled head wakes the next", cancel: 0, wantGranted: []bool{false, true, true}, wantInUse: 9},
		{name: "cancelled middle keeps the order", cancel: 1, wantGranted: []bool{false, false, false}, wantInUse: 6},
		{name: "cancelled tail", cancel: 2, wantGranted: []bool{false, false, false}, wantInUse: 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := New(10)
				require.True(t, b.TryAcquire(6))
				ws := []acquirer{startAcquire(t, b, 8), startAcquire(t, b, 2), startAcquire(t, b, 1)}
				ws[tt.cancel].cancel()
				synctest.Wait()
				require.ErrorIs(t, <-ws[tt.cancel].result, context.Canceled)
				for i, w := range ws {
					if i == tt.cancel {
						continue
					}
					assert.Equal(t, tt.wantGranted[i], !w.blocked(), "waiter %d granted", i)
				}
				assert.Equal(t, tt.wantInUse, b.InUse())

				// Releasing everything grants whoever is still waiting.
				b.Release(b.InUse())
				synctest.Wait()
				for i, w := range ws {
					if i != tt.cancel && !tt.wantGranted[i] {
						require.NoError(t, <-w.result, "waiter %d", i)
					}
				}
			})
		})
	}
}

func TestAcquireDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(1)
		require.True(t, b.TryAcquire(1))
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		require.ErrorIs(t, b.Acquire(ctx, 1), context.DeadlineExceeded)
		assert.Equal(t, time.Second, time.Since(start))
		assert.Equal(t, int64(1), b.InUse())
		assert.True(t, b.waiters.empty(), "a timed-out waiter must leave the queue")
	})
}

func TestUncontendedDoesNotAllocate(t *testing.T) {
	b := New(10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	allocs := testing.AllocsPerRun(100, func() {
		_ = b.Acquire(ctx, 4)
		_ = b.TryAcquire(4)
		b.Release(8)
	})
	assert.Zero(t, allocs)
}

// TestCancelRacesGrant cancels a waiter while Release grants it. Whichever
// wins, no bytes leak: a grant that loses to the cancellation is handed back
// and passed to the next waiter.
func TestCancelRacesGrant(t *testing.T) {
	for i := range 50 {
		synctest.Test(t, func(t *testing.T) {
			b := New(10)
			require.True(t, b.TryAcquire(10))
			first, second := startAcquire(t, b, 6), startAcquire(t, b, 4)
			first.cancel()
			b.Release(6)
			synctest.Wait()
			if err := <-first.result; err == nil {
				assert.Equal(t, int64(10), b.InUse(), "iteration %d", i)
				assert.True(t, second.blocked(), "iteration %d", i)
			} else {
				require.ErrorIs(t, err, context.Canceled)
				assert.Equal(t, int64(8), b.InUse(), "iteration %d", i)
				assert.False(t, second.blocked(), "iteration %d", i)
			}
		})
	}
}
