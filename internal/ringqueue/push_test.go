package ringqueue

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func startPush(ctx context.Context, q *Queue[int], v int) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- q.Push(ctx, v) }()
	return ch
}

// snapshot returns the items in q, oldest first, without removing them.
func snapshot(q *Queue[int]) []int {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := make([]int, 0, q.n)
	for i := range q.n {
		items = append(items, q.buf[(q.head+i)%len(q.buf)])
	}
	return items
}

func TestPushBlocking(t *testing.T) {
	tests := []struct {
		name string
		// act runs once every Push is parked on the full queue holding 1, 2;
		// it may cancel their contexts.
		act         func(q *Queue[int], cancel []context.CancelFunc)
		pushers     int     // Push(10+i) calls started and parked one after another; they are served FIFO
		want        []error // results of the Push calls that returned after act, in start order
		wantBlocked int     // Push calls still parked after act; Close must return ErrClosed to them
		wantItems   []int   // queue contents after act, oldest first
	}{
		{name: "pop wakes a pusher", pushers: 1,
			act: func(q *Queue[int], _ []context.CancelFunc) {
				_, _ = q.Pop(context.Background())
			},
			want: []error{nil}, wantItems: []int{2, 10}},
		{name: "try pop wakes a pusher", pushers: 1,
			act: func(q *Queue[int], _ []context.CancelFunc) {
				_, _ = q.TryPop()
			},
			want: []error{nil}, wantItems: []int{2, 10}},
		{name: "close wakes every pusher", pushers: 3,
			act:  func(q *Queue[int], _ []context.CancelFunc) { q.Close() },
			want: []error{ErrClosed, ErrClosed, ErrClosed}, wantItems: []int{1, 2}},
		{name: "cancel", pushers: 1,
			act:  func(_ *Queue[int], cancel []context.CancelFunc) { cancel[0]() },
			want: []error{context.Canceled}, wantItems: []int{1, 2}},
		{name: "cancelled pusher leaves the line", pushers: 2,
			act: func(q *Queue[int], cancel []context.CancelFunc) {
				cancel[0]()
				synctest.Wait()
				_, _ = q.TryPop()
			},
			want: []error{context.Canceled, nil}, wantItems: []int{2, 11}},
		{name: "cancel after the handoff keeps the item", pushers: 2,
			act: func(q *Queue[int], cancel []context.CancelFunc) {
				_, _ = q.TryPop()
				cancel[0]()
			},
			want: []error{nil}, wantBlocked: 1, wantItems: []int{2, 10}},
		{name: "n pops wake n pushers", pushers: 2,
			act: func(q *Queue[int], _ []context.CancelFunc) {
				_, _ = q.TryPop()
				_, _ = q.TryPop()
			},
			want: []error{nil, nil}, wantItems: []int{10, 11}},
		{name: "pops wake only as many pushers as they free slots, oldest first", pushers: 3,
			act: func(q *Queue[int], _ []context.CancelFunc) {
				_, _ = q.TryPop()
				_, _ = q.Pop(context.Background())
			},
			want: []error{nil, nil}, wantBlocked: 1, wantItems: []int{10, 11}},
		{name: "no pop, no wakeup", pushers: 2,
			act:         func(*Queue[int], []context.CancelFunc) {},
			wantBlocked: 2, wantItems: []int{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				q := New[int](2)
				require.NoError(t, q.TryPush(1))
				require.NoError(t, q.TryPush(2))
				cancels := make([]context.CancelFunc, tt.pushers)
				results := make([]<-chan error, tt.pushers)
				for i := range tt.pushers {
					ctx, cancel := context.WithCancel(t.Context())
					defer cancel()
					cancels[i] = cancel
					results[i] = startPush(ctx, q, 10+i)
					synctest.Wait() // parked before the next one starts
				}
				for _, r := range results {
					require.Empty(t, r, "Push returned while the queue was full")
				}
				tt.act(q, cancels)
				synctest.Wait()
				var blocked []<-chan error
				var got []error
				for _, r := range results {
					if len(r) == 0 {
						blocked = append(blocked, r)
						continue
					}
					got = append(got, <-r)
				}
				assert.Equal(t, tt.want, got, "results of the Push calls that returned, in start order")
				assert.Len(t, blocked, tt.wantBlocked, "Push calls still parked")
				assert.Equal(t, tt.wantItems, snapshot(q))
				q.Close()
				synctest.Wait()
				for _, r := range blocked {
					require.Len(t, r, 1, "Close did not wake a parked Push")
					assert.ErrorIs(t, <-r, ErrClosed)
				}
			})
		})
	}
}

func TestPushDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := New[int](1)
		require.NoError(t, q.TryPush(1))
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		require.ErrorIs(t, q.Push(ctx, 2), context.DeadlineExceeded)
		assert.Equal(t, time.Second, time.Since(start))
		assert.Equal(t, []int{1}, snapshot(q))
	})
}

func TestPushNonBlocking(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name      string
		ctx       context.Context
		fill      int // items pushed before Push(99)
		close     bool
		wantErr   error
		wantItems []int
	}{
		{name: "room", ctx: context.Background(), fill: 1, wantItems: []int{0, 99}},
		{name: "last free slot", ctx: context.Background(), fill: 2, wantItems: []int{0, 1, 99}},
		{name: "done context wins over room", ctx: cancelled, wantErr: context.Canceled, wantItems: []int{}},
		{name: "done context wins over close", ctx: cancelled, close: true, wantErr: context.Canceled, wantItems: []int{}},
		{name: "closed", ctx: context.Background(), fill: 1, close: true, wantErr: ErrClosed, wantItems: []int{0}},
		{name: "closed and full", ctx: context.Background(), fill: 3, close: true, wantErr: ErrClosed, wantItems: []int{0, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := New[int](3)
			for i := range tt.fill {
				require.NoError(t, q.TryPush(i))
			}
			if tt.close {
				q.Close()
			}
			require.ErrorIs(t, q.Push(tt.ctx, 99), tt.wantErr)
			assert.Equal(t, tt.wantItems, snapshot(q))
		})
	}
}

func TestPushDoesNotAllocate(t *testing.T) {
	q := New[int](1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	allocs := testing.AllocsPerRun(100, func() {
		_ = q.Push(ctx, 1)
		_, _ = q.TryPop()
	})
	assert.Zero(t, allocs)
}

// TestPushWaitDoesNotAllocate parks Push on a full queue each run; a helper
// pops only once it sees the Push parked, so every run takes the waiting path.
func TestPushWaitDoesNotAllocate(t *testing.T) {
	q := New[int](1)
	require.NoError(t, q.TryPush(0))
	assertParkedCallsDoNotAllocate(t, &q.mu, &q.pushers,
		func(ctx context.Context) { _, _ = q.Pop(ctx) },
		func(ctx context.Context) bool { return q.Push(ctx, 1) == nil })
}

// assertParkedCallsDoNotAllocate runs call 100 times, each time parked in
// list l until unpark, run by a helper once it sees the call parked, ends
// the wait; call reports whether it got the expected result. Zero
// allocations are checked without the race detector (see race_on_test.go).
func assertParkedCallsDoNotAllocate(t *testing.T, mu *sync.Mutex, l *waitList[int], unpark func(context.Context), call func(context.Context) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	parked := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return l.head != nil
	}
	step := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for range step {
			for !parked() && ctx.Err() == nil {
				runtime.Gosched()
			}
			unpark(ctx)
		}
	})
	var failed int
	allocs := testing.AllocsPerRun(100, func() {
		step <- struct{}{}
		if !call(ctx) {
			failed++
		}
	})
	close(step)
	wg.Wait()
	require.Zero(t, failed, "a parked call failed (or the 30s bound expired)")
	if raceEnabled {
		assert.LessOrEqual(t, allocs, 2.0, "at most a fresh waiter record and its channel per park")
		return
	}
	assert.Zero(t, allocs)
}
