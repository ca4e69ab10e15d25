package ringqueue

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// FuzzQueue runs a sequence of operations decoded from the fuzz input against
// a Queue and against a plain slice model, comparing them after every step.
// The f.Add seeds run in plain `go test`; to explore further run
//
//	go test -fuzz=FuzzQueue -fuzztime=60s ./internal/ringqueue
//
// Input: byte 0 picks the capacity (1..8); then each op is one byte, the
// operation in the low 3 bits and the pushed value in the rest.
//
// Op 3 is a blocking Pop and op 7 a blocking Push. Each runs inline when it
// cannot block; otherwise (Pop on an empty open queue, Push on a full one) it
// starts in its own goroutine and stays pending, at most one of each at a
// time, and a second op 3 or op 7 cancels it. After a step that makes the
// pending call due (an item arrives, a slot frees, or Close) the test waits
// for it to return, so the model knows which item the Pop got, that the freed
// slot went to the Push, and that Close returned ErrClosed.
func FuzzQueue(f *testing.F) {
	f.Add([]byte{2, 0, 8, 16, 2, 2, 2})                  // push until full, pop all
	f.Add([]byte{2, 0, 9, 17, 2, 2})                     // push front ordering
	f.Add([]byte{1, 0, 8, 5, 0, 1, 3, 3, 3, 6})          // close then drain
	f.Add([]byte{7, 0, 1, 2, 0, 1, 2, 0, 1, 6, 3, 3, 3}) // wrap-around
	f.Add([]byte{1, 0, 1, 8, 3, 4, 6, 0, 1, 2, 3, 2, 3}) // cancelled pops and ops after close
	f.Add([]byte{0, 7, 15, 2, 3, 23, 31, 3, 2})          // Push inline, blocked Push woken by pops
	f.Add([]byte{0, 0, 15, 15, 12, 3, 3})                // cancelled Push: blocked, and done up front
	f.Add([]byte{0, 0, 15, 5, 3, 3, 7})                  // Close wakes a blocked Push
	f.Add([]byte{2, 3, 8, 3, 3, 9, 3, 5, 3})             // blocked Pop: woken by push, push front, cancelled, Close
	f.Add([]byte{0, 3, 15, 3, 2})                        // blocked Pop woken by a blocking Push
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		runOps(t, data)
	})
}

// runOps is the body of FuzzQueue.
func runOps(t *testing.T, data []byte) {
	capacity := 1 + int(data[0]%8)
	q := New[int](capacity)
	var model []int
	closed := false
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	// The pending blocked Push, if any.
	var (
		pending       <-chan error
		pendingV      int
		cancelPending context.CancelFunc
	)

	pushErr := func() error {
		switch {
		case closed:
			return ErrClosed
		case len(model) == capacity:
			return ErrFull
		}
		return nil
	}
	// The pending blocked Pop, if any.
	var (
		popPending <-chan popResult
		cancelPop  context.CancelFunc
	)
	step := func(i int, b byte) {
		v := int(b >> 3)
		switch b & 7 {
		case 0: // TryPush
			want := pushErr()
			require.ErrorIs(t, q.TryPush(v), want, "step %d", i)
			if want == nil {
				model = append(model, v)
			}
		case 1: // PushFront
			want := pushErr()
			require.ErrorIs(t, q.PushFront(v), want, "step %d", i)
			if want == nil {
				model = append([]int{v}, model...)
			}
		case 2: // TryPop
			got, ok := q.TryPop()
			require.Equal(t, len(model) > 0, ok, "step %d", i)
			if ok {
				require.Equal(t, model[0], got, "step %d", i)
				model = model[1:]
			}
		case 3: // Pop: inline, or pending on an empty queue, or cancel the pending one
			switch {
			case popPending != nil:
				cancelPop()
				r := waitPop(t, popPending)
				require.ErrorIs(t, r.err, context.Canceled, "step %d", i)
				popPending = nil
				return
			case len(model) == 0 && !closed:
				ctx, cancel := context.WithCancel(context.Background())
				popPending, cancelPop = startPop(ctx, q), cancel
				return
			}
			got, err := q.Pop(context.Background())
			if len(model) == 0 {
				require.ErrorIs(t, err, ErrClosed, "step %d", i)
				return
			}
			require.NoError(t, err, "step %d", i)
			require.Equal(t, model[0], got, "step %d", i)
			model = model[1:]
		case 4: // Pop or Push with a done context never moves an item
			if v&1 == 0 {
				_, err := q.Pop(cancelled)
				require.ErrorIs(t, err, context.Canceled, "step %d", i)
				return
			}
			require.ErrorIs(t, q.Push(cancelled, v), context.Canceled, "step %d", i)
		case 5:
			q.Close()
			closed = true
		case 6:
			require.Equal(t, closed, q.Closed(), "step %d", i)
		case 7: // Push: inline, or pending on a full queue, or cancel the pending one
			switch {
			case pending != nil:
				cancelPending()
				require.ErrorIs(t, waitPush(t, pending), context.Canceled, "step %d", i)
				pending = nil
			case closed || len(model) < capacity:
				want := pushErr()
				require.ErrorIs(t, q.Push(context.Background(), v), want, "step %d", i)
				if want == nil {
					model = append(model, v)
				}
			default:
				ctx, cancel := context.WithCancel(context.Background())
				pending, pendingV, cancelPending = startPush(ctx, q, v), v, cancel
			}
		}
	}
	for i, b := range data[1:] {
		step(i, b)
		if pending != nil {
			switch {
			case closed:
				require.ErrorIs(t, waitPush(t, pending), ErrClosed, "step %d: Close must wake the blocked Push", i)
				pending = nil
			case len(model) < capacity:
				require.NoError(t, waitPush(t, pending), "step %d: a free slot must wake the blocked Push", i)
				model = append(model, pendingV)
				pending = nil
			default:
				require.Empty(t, pending, "step %d: Push returned while the queue was full", i)
			}
		}
		if popPending != nil {
			switch {
			case len(model) > 0:
				r := waitPop(t, popPending)
				require.NoError(t, r.err, "step %d: an item must wake the blocked Pop", i)
				require.Equal(t, model[0], r.v, "step %d", i)
				model = model[1:]
				popPending = nil
			case closed:
				require.ErrorIs(t, waitPop(t, popPending).err, ErrClosed, "step %d: Close must wake the blocked Pop", i)
				popPending = nil
			default:
				require.Empty(t, popPending, "step %d: Pop returned while the queue was empty", i)
			}
		}
		require.Equal(t, len(model), q.Len(), "step %d", i)
		require.Equal(t, capacity, q.Cap(), "step %d", i)
	}
	if pending != nil {
		cancelPending()
		require.ErrorIs(t, waitPush(t, pending), context.Canceled)
	}
	if popPending != nil {
		cancelPop()
		require.ErrorIs(t, waitPop(t, popPending).err, context.Canceled)
	}
}

// waitPop returns the result of a Pop started by startPop, failing the test
// if it does not return within 10s (a lost wakeup).
func waitPop(t *testing.T, result <-chan popResult) popResult {
	t.Helper()
	select {
	case r := <-result:
		return r
	case <-time.After(10 * time.Second):
		require.FailNow(t, "blocked Pop was not woken")
		return popResult{}
	}
}

// waitPush returns the result of a Push started by startPush, failing the
// test if it does not return within 10s (a lost wakeup).
func waitPush(t *testing.T, result <-chan error) error {
	t.Helper()
	select {
	case err := <-result:
		return err
	case <-time.After(10 * time.Second):
		require.FailNow(t, "blocked Push was not woken")
		return nil
	}
}
