package ringqueue

import (
	"context"
	"testing"

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
func FuzzQueue(f *testing.F) {
	f.Add([]byte{2, 0, 8, 16, 2, 2, 2})                  // push until full, pop all
	f.Add([]byte{2, 0, 9, 17, 2, 2})                     // push front ordering
	f.Add([]byte{1, 0, 8, 5, 0, 1, 3, 3, 3, 6})          // close then drain
	f.Add([]byte{7, 0, 1, 2, 0, 1, 2, 0, 1, 6, 3, 3, 3}) // wrap-around
	f.Add([]byte{1, 0, 1, 8, 3, 4, 6, 0, 1, 2, 3, 2, 3}) // cancelled pops and ops after close
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		capacity := 1 + int(data[0]%8)
		q := New[int](capacity)
		var model []int
		closed := false
		cancelled, cancel := context.WithCancel(context.Background())
		cancel()

		pushErr := func() error {
			switch {
			case closed:
				return ErrClosed
			case len(model) == capacity:
				return ErrFull
			}
			return nil
		}
		for i, b := range data[1:] {
			v := int(b >> 3)
			switch b & 7 {
			case 0, 7: // TryPush
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
			case 3: // Pop, only when it cannot block
				if len(model) == 0 && !closed {
					continue
				}
				got, err := q.Pop(context.Background())
				if len(model) == 0 {
					require.ErrorIs(t, err, ErrClosed, "step %d", i)
					continue
				}
				require.NoError(t, err, "step %d", i)
				require.Equal(t, model[0], got, "step %d", i)
				model = model[1:]
			case 4: // Pop with a done context never takes an item
				_, err := q.Pop(cancelled)
				require.ErrorIs(t, err, context.Canceled, "step %d", i)
			case 5:
				q.Close()
				closed = true
			case 6:
				require.Equal(t, closed, q.Closed(), "step %d", i)
			}
			require.Equal(t, len(model), q.Len(), "step %d", i)
			require.Equal(t, capacity, q.Cap(), "step %d", i)
		}
	})
}
