package ringqueue

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewPanics(t *testing.T) {
	for _, c := range []int{0, -1} {
		assert.PanicsWithValue(t, "ringqueue: capacity must be positive", func() { New[int](c) })
	}
}

// step is one non-blocking operation and what it must return.
type step struct {
	op      string // push, front, pop, close
	v       int    // value pushed, or value expected from pop
	wantErr error  // for push, front
	wantOK  bool   // for pop
}

func TestOperations(t *testing.T) {
	tests := []struct {
		name    string
		cap     int
		steps   []step
		wantLen int
	}{
		{name: "fifo", cap: 3, steps: []step{
			{op: "push", v: 1}, {op: "push", v: 2}, {op: "pop", v: 1, wantOK: true},
			{op: "push", v: 3}, {op: "pop", v: 2, wantOK: true}, {op: "pop", v: 3, wantOK: true},
			{op: "pop", wantOK: false},
		}},
		{name: "full", cap: 2, wantLen: 2, steps: []step{
			{op: "push", v: 1}, {op: "push", v: 2},
			{op: "push", v: 3, wantErr: ErrFull}, {op: "front", v: 3, wantErr: ErrFull},
		}},
		{name: "peek sees the head and keeps it", cap: 3, wantLen: 2, steps: []step{
			{op: "peek", wantOK: false}, {op: "push", v: 1}, {op: "push", v: 2},
			{op: "peek", v: 1, wantOK: true}, {op: "front", v: 0}, {op: "peek", v: 0, wantOK: true},
			{op: "pop", v: 0, wantOK: true}, {op: "peek", v: 1, wantOK: true},
		}},
		{name: "push front is popped first", cap: 3, steps: []step{
			{op: "push", v: 1}, {op: "push", v: 2}, {op: "front", v: 0},
			{op: "pop", v: 0, wantOK: true}, {op: "pop", v: 1, wantOK: true}, {op: "pop", v: 2, wantOK: true},
		}},
		{name: "push front wraps below index 0", cap: 3, wantLen: 3, steps: []step{
			{op: "front", v: 3}, {op: "front", v: 2}, {op: "front", v: 1},
			{op: "push", v: 4, wantErr: ErrFull},
		}},
		{name: "evict oldest to make room", cap: 2, steps: []step{
			{op: "push", v: 1}, {op: "push", v: 2}, {op: "push", v: 3, wantErr: ErrFull},
			{op: "pop", v: 1, wantOK: true}, {op: "push", v: 3},
			{op: "pop", v: 2, wantOK: true}, {op: "pop", v: 3, wantOK: true},
		}},
		{name: "closed refuses pushes, keeps items", cap: 2, steps: []step{
			{op: "push", v: 1}, {op: "close"}, {op: "close"},
			{op: "push", v: 2, wantErr: ErrClosed}, {op: "front", v: 2, wantErr: ErrClosed},
			{op: "pop", v: 1, wantOK: true}, {op: "pop", wantOK: false},
		}},
		{name: "closed wins over full", cap: 1, wantLen: 1, steps: []step{
			{op: "push", v: 1}, {op: "close"}, {op: "push", v: 2, wantErr: ErrClosed},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := New[int](tt.cap)
			for i, s := range tt.steps {
				switch s.op {
				case "push":
					require.ErrorIs(t, q.TryPush(s.v), s.wantErr, "step %d", i)
				case "front":
					require.ErrorIs(t, q.PushFront(s.v), s.wantErr, "step %d", i)
				case "peek":
					v, ok := q.Peek()
					require.Equal(t, s.wantOK, ok, "step %d", i)
					require.Equal(t, s.v, v, "step %d", i)
				case "pop":
					v, ok := q.TryPop()
					require.Equal(t, s.wantOK, ok, "step %d", i)
					require.Equal(t, s.v, v, "step %d", i)
				case "close":
					q.Close()
					require.True(t, q.Closed())
				}
			}
			assert.Equal(t, tt.wantLen, q.Len())
			assert.Equal(t, tt.cap, q.Cap())
		})
	}
}

func TestPopClearsSlot(t *testing.T) {
	q := New[*int](2)
	x := 1
	require.NoError(t, q.TryPush(&x))
	require.NoError(t, q.PushFront(&x))
	_, ok := q.TryPop()
	require.True(t, ok)
	_, err := q.Pop(context.Background())
	require.NoError(t, err)
	for i, p := range q.buf {
		assert.Nil(t, p, "slot %d still references a popped item", i)
	}
}

// popResult is what a Pop running in its own goroutine returned.
type popResult struct {
	v   int
	err error
}

func startPop(ctx context.Context, q *Queue[int]) <-chan popResult {
	ch := make(chan popResult, 1)
	go func() {
		v, err := q.Pop(ctx)
		ch <- popResult{v, err}
	}()
	return ch
}

func TestPopBlocking(t *testing.T) {
	tests := []struct {
		name string
		// act runs once every Pop is parked on the empty queue; it may
		// cancel their contexts.
		act         func(q *Queue[int], cancel []context.CancelFunc)
		poppers     int         // Pop calls started and parked one after another; they are served FIFO
		want        []popResult // results of the Pop calls that returned after act, in start order
		wantBlocked int         // Pop calls still parked after act; Close must return ErrClosed to them
		wantItems   []int       // queue contents after act, oldest first
	}{
		{name: "push wakes the oldest waiter", poppers: 2,
			act:  func(q *Queue[int], _ []context.CancelFunc) { _ = q.TryPush(7) },
			want: []popResult{{v: 7}}, wantBlocked: 1},
		{name: "push front wakes a waiter", poppers: 1,
			act:  func(q *Queue[int], _ []context.CancelFunc) { _ = q.PushFront(8) },
			want: []popResult{{v: 8}}},
		{name: "blocking push wakes a waiter", poppers: 1,
			act:  func(q *Queue[int], _ []context.CancelFunc) { _ = q.Push(context.Background(), 9) },
			want: []popResult{{v: 9}}},
		{name: "n pushes wake n waiters, oldest first, and the rest is queued", poppers: 3,
			act: func(q *Queue[int], _ []context.CancelFunc) {
				for i := range 5 {
					_ = q.TryPush(i)
				}
			},
			want: []popResult{{v: 0}, {v: 1}, {v: 2}}, wantItems: []int{3, 4}},
		{name: "close wakes every waiter", poppers: 3,
			act:  func(q *Queue[int], _ []context.CancelFunc) { q.Close() },
			want: []popResult{{err: ErrClosed}, {err: ErrClosed}, {err: ErrClosed}}},
		{name: "close after a push hands out the item first", poppers: 2,
			act: func(q *Queue[int], _ []context.CancelFunc) {
				_ = q.TryPush(1)
				q.Close()
			},
			want: []popResult{{v: 1}, {err: ErrClosed}}},
		{name: "cancel", poppers: 1,
			act:  func(_ *Queue[int], cancel []context.CancelFunc) { cancel[0]() },
			want: []popResult{{err: context.Canceled}}},
		{name: "a cancelled waiter leaves the line", poppers: 2,
			act: func(q *Queue[int], cancel []context.CancelFunc) {
				cancel[0]()
				synctest.Wait()
				_ = q.TryPush(5)
			},
			want: []popResult{{err: context.Canceled}, {v: 5}}},
		{name: "an item handed over before the cancel is returned, not lost", poppers: 2,
			act: func(q *Queue[int], cancel []context.CancelFunc) {
				_ = q.TryPush(5)
				cancel[0]()
			},
			want: []popResult{{v: 5}}, wantBlocked: 1},
		{name: "no push, no wakeup", poppers: 2,
			act:         func(*Queue[int], []context.CancelFunc) {},
			wantBlocked: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				q := New[int](4)
				cancels := make([]context.CancelFunc, tt.poppers)
				results := make([]<-chan popResult, tt.poppers)
				for i := range tt.poppers {
					ctx, cancel := context.WithCancel(t.Context())
					defer cancel()
					cancels[i] = cancel
					results[i] = startPop(ctx, q)
					synctest.Wait() // parked before the next one starts
				}
				for _, r := range results {
					require.Empty(t, r, "Pop returned before any item")
				}
				tt.act(q, cancels)
				synctest.Wait()
				var blocked []<-chan popResult
				var got []popResult
				for _, r := range results {
					if len(r) == 0 {
						blocked = append(blocked, r)
						continue
					}
					got = append(got, <-r)
				}
				assert.Equal(t, tt.want, got, "results of the Pop calls that returned, in start order")
				assert.Len(t, blocked, tt.wantBlocked, "Pop calls still parked")
				if tt.wantItems == nil {
					tt.wantItems = []int{}
				}
				assert.Equal(t, tt.wantItems, snapshot(q))
				q.Close()
				synctest.Wait()
				for _, r := range blocked {
					require.Len(t, r, 1, "Close did not wake a parked Pop")
					assert.ErrorIs(t, (<-r).err, ErrClosed)
				}
			})
		})
	}
}

func TestPopDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := New[int](1)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		_, err := q.Pop(ctx)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, time.Second, time.Since(start))
	})
}

func TestPopDoneContextWinsOverItems(t *testing.T) {
	q := New[int](1)
	require.NoError(t, q.TryPush(1))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := q.Pop(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, q.Len(), "a cancelled Pop must not take an item")
}

func TestPopAfterCloseDrainsThenErrClosed(t *testing.T) {
	q := New[int](3)
	for i := range 3 {
		require.NoError(t, q.TryPush(i))
	}
	q.Close()
	for i := range 3 {
		v, err := q.Pop(context.Background())
		require.NoError(t, err)
		require.Equal(t, i, v)
	}
	_, err := q.Pop(context.Background())
	require.ErrorIs(t, err, ErrClosed)
}

func TestPopDoesNotAllocate(t *testing.T) {
	q := New[int](1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	allocs := testing.AllocsPerRun(100, func() {
		_ = q.TryPush(1)
		_, _ = q.Pop(ctx)
	})
	assert.Zero(t, allocs)
}

// TestPopWaitDoesNotAllocate parks Pop on an empty queue each run; a helper
// pushes only once it sees the Pop parked, so every run takes the waiting path.
func TestPopWaitDoesNotAllocate(t *testing.T) {
	q := New[int](1)
	assertParkedCallsDoNotAllocate(t, &q.mu, &q.poppers,
		func(context.Context) { _ = q.TryPush(1) },
		func(ctx context.Context) bool {
			v, err := q.Pop(ctx)
			return err == nil && v == 1
		})
}
