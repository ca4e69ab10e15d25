package membudget

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzBudget runs a sequence of operations decoded from the fuzz input against
// a Budget and against an int64 model, comparing them after every step.
// The f.Add seeds run in plain `go test`; to explore further run
//
//	go test -fuzz=FuzzBudget -fuzztime=60s ./internal/membudget
//
// Input: byte 0 picks the limit (1..64); then each op is one byte, the
// operation in the low 2 bits and n (0..63) in the rest.
func FuzzBudget(f *testing.F) {
	f.Add([]byte{9, 40, 5, 4, 6, 38})          // fill to the limit, release, refill
	f.Add([]byte{3, 17, 1, 13, 2, 6})          // too large, exact fit, release
	f.Add([]byte{0, 7, 6, 10, 3})              // cancelled acquire, over-release panics
	f.Add([]byte{63, 0, 1, 2, 3, 255, 252, 2}) // zero-byte ops, cancelled acquires
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		limit := 1 + int64(data[0]%64)
		b := New(limit)
		var inUse int64
		for i, op := range data[1:] {
			n := int64(op >> 2)
			switch op & 3 {
			case 0: // TryAcquire
				fits := n <= limit-inUse
				require.Equal(t, fits, b.TryAcquire(n), "step %d", i)
				if fits {
					inUse += n
				}
			case 1: // Acquire, only when it cannot block
				switch {
				case n > limit:
					require.ErrorIs(t, b.Acquire(context.Background(), n), ErrTooLarge, "step %d", i)
				case n <= limit-inUse:
					require.NoError(t, b.Acquire(context.Background(), n), "step %d", i)
					inUse += n
				}
			case 2: // Release
				if n > inUse {
					require.PanicsWithValue(t, "membudget: released more than acquired", func() { b.Release(n) }, "step %d", i)
					break
				}
				b.Release(n)
				inUse -= n
			case 3: // Acquire with a done context fails unless n == 0
				var want error
				switch {
				case n > limit:
					want = ErrTooLarge
				case n > 0:
					want = context.Canceled
				}
				require.ErrorIs(t, b.Acquire(cancelled, n), want, "step %d", i)
			}
			require.Equal(t, inUse, b.InUse(), "step %d", i)
			require.Equal(t, limit, b.Limit(), "step %d", i)
		}
	})
}
