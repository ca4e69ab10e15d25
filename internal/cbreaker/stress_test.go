package cbreaker

import (
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConcurrentStress runs many goroutines that Allow and Done with random
// outcomes while the clock advances, and checks the invariants: half-open
// calls of one generation never exceed HalfOpenProbes at once, the
// transitions delivered form a valid chain from closed, the callback is
// never run concurrently (the race detector checks the unguarded slice,
// with a reader calling State all along, as the processor's gauge does),
// and the counts add up.
func TestConcurrentStress(t *testing.T) {
	const (
		goroutines = 8
		iterations = 3000
		probes     = 2
	)
	clock := newFakeClock()
	var transitions []transition // written by the callback only, no lock
	b := New(Settings{
		FailureThreshold: 3,
		OpenTimeout:      time.Millisecond,
		MaxOpenTimeout:   8 * time.Millisecond,
		HalfOpenProbes:   probes,
		SuccessThreshold: 2,
		IsExcluded:       isExcluded,
		Now:              clock.Now,
		OnStateChange: func(from, to State) {
			transitions = append(transitions, transition{from, to})
		},
	})

	var (
		mu          sync.Mutex
		probing     = map[uint64]int{} // half-open calls in flight, by generation
		maxProbing  int
		allowed     atomic.Int64
		finished    atomic.Int64
		rejected    atomic.Int64
		unknownErrs atomic.Int64
	)
	finish := func(tok Token, rng *rand.Rand) {
		var result error
		switch r := rng.IntN(10); {
		case r < 3:
			result = errFail
		case r < 4:
			result = errExcluded
		}
		if tok.halfOpen {
			// Leave the slot before Done frees it in the Breaker.
			mu.Lock()
			probing[tok.generation]--
			mu.Unlock()
		}
		tok.Done(result)
		finished.Add(1)
	}
	var wg sync.WaitGroup
	// A reader, as the processor's gauge: State may move open to half-open.
	stopReading := make(chan struct{})
	var reader sync.WaitGroup
	reader.Go(func() {
		for {
			select {
			case <-stopReading:
				return
			default:
				_ = b.State()
			}
		}
	})
	for g := range goroutines {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 42))
			// Each goroutine keeps up to 3 calls in flight and ends them in
			// random order, so probes overlap even without preemption.
			var held []Token
			for range iterations {
				if rng.IntN(8) == 0 {
					clock.Advance(time.Duration(rng.IntN(300)) * time.Microsecond)
				}
				if len(held) == 3 || (len(held) > 0 && rng.IntN(2) == 0) {
					i := rng.IntN(len(held))
					finish(held[i], rng)
					held = append(held[:i], held[i+1:]...)
					continue
				}
				tok, err := b.Allow()
				switch {
				case err == nil:
				case errors.Is(err, ErrOpen), errors.Is(err, ErrTooManyProbes):
					rejected.Add(1)
					continue
				default:
					unknownErrs.Add(1)
					continue
				}
				allowed.Add(1)
				if tok.halfOpen {
					mu.Lock()
					probing[tok.generation]++
					maxProbing = max(maxProbing, probing[tok.generation])
					mu.Unlock()
				}
				held = append(held, tok)
			}
			for _, tok := range held {
				finish(tok, rng)
			}
		})
	}
	wg.Wait()
	close(stopReading)
	reader.Wait()
	final := b.State() // may itself move to half-open, delivered before it returns

	assert.Zero(t, unknownErrs.Load())
	assert.LessOrEqual(t, maxProbing, probes)
	assert.Equal(t, allowed.Load(), finished.Load())
	assert.Positive(t, rejected.Load())

	require.NotEmpty(t, transitions, "the stress run never opened the breaker")
	valid := map[transition]bool{
		{StateClosed, StateOpen}:     true,
		{StateOpen, StateHalfOpen}:   true,
		{StateHalfOpen, StateOpen}:   true,
		{StateHalfOpen, StateClosed}: true,
	}
	from := StateClosed
	seen := map[transition]int{}
	for i, tr := range transitions {
		assert.True(t, valid[tr], "transition %d: %s -> %s is not allowed", i, tr.from, tr.to)
		assert.Equal(t, from, tr.from, "transition %d does not start where the last one ended", i)
		from = tr.to
		seen[tr]++
	}
	assert.Equal(t, from, final, "the last transition delivered is the current state")
	for tr := range valid {
		assert.Positive(t, seen[tr], "transition %s -> %s never happened", tr.from, tr.to)
	}

	c := b.Counts()
	assert.Zero(t, c.InFlight)
	assert.Equal(t, c.Requests, c.TotalSuccesses+c.TotalFailures+c.TotalExcluded)
}
