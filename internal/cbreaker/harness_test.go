package cbreaker

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	errFail     = errors.New("downstream failed")
	errExcluded = errors.New("excluded")
	t0          = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

func isExcluded(err error) bool { return errors.Is(err, errExcluded) }

// fakeClock is a manually advanced clock, safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// harness drives a Breaker with a fake clock and records its transitions.
type harness struct {
	b           *Breaker
	clock       *fakeClock
	tokens      []Token
	transitions []transition
}

func newHarness(s Settings) *harness {
	h := &harness{clock: newFakeClock()}
	s.Now = h.clock.Now
	s.OnStateChange = func(from, to State) {
		h.transitions = append(h.transitions, transition{from: from, to: to})
	}
	h.b = New(s)
	return h
}

// step is one action or check of a table test.
type step func(t *testing.T, h *harness)

// allowOK expects Allow to succeed and keeps the token (tokens are numbered
// from 0 in the order they were allowed).
func allowOK() step {
	return func(t *testing.T, h *harness) {
		t.Helper()
		tok, err := h.b.Allow()
		require.NoError(t, err)
		h.tokens = append(h.tokens, tok)
	}
}

// allowN runs allowOK n times.
func allowN(n int) step {
	return func(t *testing.T, h *harness) {
		t.Helper()
		for range n {
			allowOK()(t, h)
		}
	}
}

// allowErr expects Allow to fail with want.
func allowErr(want error) step {
	return func(t *testing.T, h *harness) {
		t.Helper()
		tok, err := h.b.Allow()
		require.ErrorIs(t, err, want)
		assert.Equal(t, Token{}, tok)
	}
}

// done reports err for token i.
func done(i int, err error) step {
	return func(t *testing.T, h *harness) {
		t.Helper()
		require.Less(t, i, len(h.tokens), "token %d was never allowed", i)
		h.tokens[i].Done(err)
	}
}

// call allows one call and reports err for it at once.
func call(err error) step {
	return func(t *testing.T, h *harness) {
		t.Helper()
		allowOK()(t, h)
		h.tokens[len(h.tokens)-1].Done(err)
	}
}

// calls runs call(err) n times.
func calls(n int, err error) step {
	return func(t *testing.T, h *harness) {
		t.Helper()
		for range n {
			call(err)(t, h)
		}
	}
}

func advance(d time.Duration) step {
	return func(_ *testing.T, h *harness) { h.clock.Advance(d) }
}

func wantState(s State) step {
	return func(t *testing.T, h *harness) {
		t.Helper()
		assert.Equal(t, s, h.b.State(), "state at %v", h.clock.Now().Sub(t0))
	}
}

// wantOpenUntil expects OpenUntil to be t0+d, or the zero time if d < 0.
func wantOpenUntil(d time.Duration) step {
	return func(t *testing.T, h *harness) {
		t.Helper()
		if d < 0 {
			assert.True(t, h.b.OpenUntil().IsZero(), "OpenUntil = %v", h.b.OpenUntil())
			return
		}
		assert.Equal(t, t0.Add(d), h.b.OpenUntil())
	}
}

func wantCounts(c Counts) step {
	return func(t *testing.T, h *harness) {
		t.Helper()
		assert.Equal(t, c, h.b.Counts())
	}
}

// wantTransitions expects the transitions delivered so far, as from->to
// pairs of states.
func wantTransitions(states ...State) step {
	return func(t *testing.T, h *harness) {
		t.Helper()
		var want []transition
		for i := 0; i+1 < len(states); i += 2 {
			want = append(want, transition{from: states[i], to: states[i+1]})
		}
		assert.Equal(t, want, h.transitions)
	}
}
