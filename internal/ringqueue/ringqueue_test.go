package ringqueue

import (
	"context"
	"fmt"
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
		// act runs once every Pop is parked; it may cancel their contexts.
		act  func(q *Queue[int], cancel []context.CancelFunc)
		want []popResult // one per blocked Pop, in order of start
	}{
		{name: "push wakes a waiter",
			act:  func(q *Queue[int], _ []context.CancelFunc) { _ = q.TryPush(7) },
			want: []popResult{{v: 7}}},
		{name: "push front wakes a waiter",
			act:  func(q *Queue[int], _ []context.CancelFunc) { _ = q.PushFront(8) },
			want: []popResult{{v: 8}}},
		{name: "close wakes every waiter",
			act:  func(q *Queue[int], _ []context.CancelFunc) { q.Close() },
			want: []popResult{{err: ErrClosed}, {err: ErrClosed}, {err: ErrClosed}}},
		{name: "close while waiting drains items first",
			act: func(q *Queue[int], _ []context.CancelFunc) {
				_ = q.TryPush(1)
				q.Close()
			},
			want: []popResult{{v: 1}, {err: ErrClosed}}},
		{name: "cancel",
			act:  func(_ *Queue[int], cancel []context.CancelFunc) { cancel[0]() },
			want: []popResult{{err: context.Canceled}}},
		{name: "cancelled waiter hands its wakeup on",
			act: func(q *Queue[int], cancel []context.CancelFunc) {
				_ = q.TryPush(5)
				cancel[0]()
			},
			want: []popResult{{err: context.Canceled}, {v: 5}}},
		{name: "n pushes wake n waiters",
			act: func(q *Queue[int], _ []context.CancelFunc) {
				for i := range 3 {
					_ = q.TryPush(i)
				}
				q.Close()
			},
			want: []popResult{{v: 0}, {v: 1}, {v: 2}, {err: ErrClosed}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				q := New[int](4)
				cancels := make([]context.CancelFunc, len(tt.want))
				results := make([]<-chan popResult, len(tt.want))
				for i := range tt.want {
					ctx, cancel := context.WithCancel(t.Context())
					defer cancel()
					cancels[i] = cancel
					results[i] = startPop(ctx, q)
				}
				synctest.Wait()
				for _, r := range results {
					require.Empty(t, r, "Pop returned before any item")
				}
				tt.act(q, cancels)
				synctest.Wait()
				var got []popResult
				for _, r := range results {
					require.Len(t, r, 1, "Pop still blocked")
					got = append(got, <-r)
				}
				assertSameResults(t, tt.want, got)
			})
		})
	}
}

// assertSameResults compares as multisets: which parked Pop wins is up to the scheduler.
func assertSameResults(t *testing.T, want, got []popResult) {
	t.Helper()
	count := func(rs []popResult) map[string]int {
		m := map[string]int{}
		for _, r := range rs {
			key := fmt.Sprintf("v=%d", r.v)
			if r.err != nil {
				key = r.err.Error()
			}
			m[key]++
		}
		return m
	}
	assert.Equal(t, count(want), count(got))
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
