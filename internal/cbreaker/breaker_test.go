package cbreaker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	closed   = StateClosed
	halfOpen = StateHalfOpen
	open     = StateOpen
)

func TestTransitions(t *testing.T) {
	base := Settings{
		FailureThreshold: 3,
		OpenTimeout:      time.Second,
		MaxOpenTimeout:   5 * time.Second,
		HalfOpenProbes:   2,
		SuccessThreshold: 2,
		IsExcluded:       isExcluded,
	}
	// tripped opens the breaker at t0 (3 consecutive failures).
	tripped := calls(3, errFail)
	tests := []struct {
		name     string
		settings Settings
		steps    []step
	}{
		{
			name:     "opens at the failure threshold",
			settings: base,
			steps: []step{
				calls(2, errFail), wantState(closed),
				wantCounts(Counts{Requests: 2, TotalFailures: 2, ConsecutiveFailures: 2}),
				call(errFail), wantState(open), wantOpenUntil(time.Second),
				wantCounts(Counts{}), wantTransitions(closed, open),
			},
		},
		{
			name:     "success resets the consecutive failures",
			settings: base,
			steps: []step{
				calls(2, errFail), call(nil), calls(2, errFail), wantState(closed),
				wantCounts(Counts{Requests: 5, TotalSuccesses: 1, TotalFailures: 4, ConsecutiveFailures: 2}),
				call(errFail), wantState(open),
			},
		},
		{
			name:     "excluded errors neither reset nor count",
			settings: base,
			steps: []step{
				calls(2, errFail), call(errExcluded), wantState(closed),
				wantCounts(Counts{Requests: 3, TotalFailures: 2, TotalExcluded: 1, ConsecutiveFailures: 2}),
				call(errFail), wantState(open),
			},
		},
		{
			name:     "no call allowed while open",
			settings: base,
			steps: []step{
				tripped, allowErr(ErrOpen),
				advance(time.Second - time.Nanosecond), allowErr(ErrOpen), wantState(open),
				wantOpenUntil(time.Second), wantTransitions(closed, open),
			},
		},
		{
			// An idle pipeline: nothing calls Allow after the breaker opened.
			// A read of State (the processor's gauge, at each collection) is
			// what moves it on, so the gauge and OnStateChange stop saying
			// open once the open wait is over.
			name:     "state read after the open wait moves to half-open without a call",
			settings: base,
			steps: []step{
				tripped, advance(time.Second - time.Nanosecond), wantState(open),
				wantTransitions(closed, open),
				advance(time.Nanosecond), wantState(halfOpen), wantOpenUntil(-1),
				wantTransitions(closed, open, open, halfOpen),
				advance(time.Hour), wantState(halfOpen), wantTransitions(closed, open, open, halfOpen),
				wantCounts(Counts{}),
			},
		},
		{
			name:     "half-open reached by a read admits probes and closes on success",
			settings: base,
			steps: []step{
				tripped, advance(time.Hour), wantState(halfOpen),
				allowN(2), allowErr(ErrTooManyProbes), wantCounts(Counts{Requests: 2, InFlight: 2}),
				done(3, nil), done(4, nil), wantState(closed),
				wantTransitions(closed, open, open, halfOpen, halfOpen, closed),
			},
		},
		{
			name:     "half-open reached by a read re-opens on a failed probe with the wait doubled",
			settings: base,
			steps: []step{
				tripped, advance(time.Second), wantState(halfOpen),
				call(errFail), wantState(open), wantOpenUntil(3 * time.Second),
				advance(2*time.Second - time.Nanosecond), wantState(open),
				advance(time.Nanosecond), wantState(halfOpen),
				wantTransitions(closed, open, open, halfOpen, halfOpen, open, open, halfOpen),
			},
		},
		{
			name:     "half-open probe budget",
			settings: base,
			steps: []step{
				tripped, advance(time.Second),
				allowN(2), allowErr(ErrTooManyProbes), wantState(halfOpen), // tokens 3, 4
				wantCounts(Counts{Requests: 2, InFlight: 2}),
				done(3, errExcluded), // frees a slot, counts nothing
				wantCounts(Counts{Requests: 2, InFlight: 1, TotalExcluded: 1}),
				allowOK(), allowErr(ErrTooManyProbes), // token 5
				done(4, nil), wantState(halfOpen), allowOK(), // token 6
				wantCounts(Counts{Requests: 4, InFlight: 2, TotalExcluded: 1, TotalSuccesses: 1, ConsecutiveSuccesses: 1}),
			},
		},
		{
			name:     "success threshold closes",
			settings: base,
			steps: []step{
				tripped, advance(time.Second), allowN(2), // tokens 3, 4
				done(3, nil), wantState(halfOpen),
				done(4, nil), wantState(closed), wantOpenUntil(-1), wantCounts(Counts{}),
				wantTransitions(closed, open, open, halfOpen, halfOpen, closed),
			},
		},
		{
			name:     "failed probe re-opens with the wait doubled and capped",
			settings: base,
			steps: []step{
				tripped, advance(time.Second), call(errFail), // at 1s, wait 2s
				wantState(open), wantOpenUntil(3 * time.Second),
				advance(2*time.Second - 1), allowErr(ErrOpen),
				advance(1), call(errFail), wantOpenUntil(7 * time.Second), // at 3s, wait 4s
				advance(4 * time.Second), call(errFail), wantOpenUntil(12 * time.Second), // at 7s, capped at 5s
				advance(5 * time.Second), call(errFail), wantOpenUntil(17 * time.Second), // at 12s, still 5s
				wantTransitions(closed, open, open, halfOpen, halfOpen, open, open, halfOpen,
					halfOpen, open, open, halfOpen, halfOpen, open, open, halfOpen, halfOpen, open),
			},
		},
		{
			name:     "a success before the failure does not save the probe",
			settings: base,
			steps: []step{
				tripped, advance(time.Second), allowN(2), done(3, nil), done(4, errFail),
				wantState(open), wantOpenUntil(3 * time.Second),
			},
		},
		{
			name:     "closing resets the wait to OpenTimeout",
			settings: base,
			steps: []step{
				tripped, advance(time.Second), call(errFail), // wait 2s
				advance(2 * time.Second), calls(2, nil), wantState(closed), // at 3s
				tripped, wantState(open), wantOpenUntil(4 * time.Second),
			},
		},
		{
			name:     "results of an older generation are ignored",
			settings: base,
			steps: []step{
				allowN(3),                      // tokens 0-2, closed generation
				calls(3, errFail),              // tokens 3-5 open it
				done(0, errFail), done(1, nil), // ignored
				wantState(open), wantCounts(Counts{}),
				advance(time.Second), allowOK(), // token 6, half-open
				done(2, nil), wantCounts(Counts{Requests: 1, InFlight: 1}),
				allowOK(), allowErr(ErrTooManyProbes), // the stale token freed no slot
				done(6, nil), done(7, nil), wantState(closed),
				done(6, errFail), done(7, errFail), wantState(closed), wantCounts(Counts{}),
			},
		},
		{
			name:     "zero Settings: first failure opens for DefaultOpenTimeout, one probe closes",
			settings: Settings{},
			steps: []step{
				call(nil), call(errFail), wantState(open), wantOpenUntil(DefaultOpenTimeout),
				advance(DefaultOpenTimeout), allowOK(), allowErr(ErrTooManyProbes), // token 2
				done(2, errExcluded), wantState(open), // nothing is excluded
				wantOpenUntil(2 * DefaultOpenTimeout), // no doubling without MaxOpenTimeout
				advance(DefaultOpenTimeout), call(nil), wantState(closed),
			},
		},
		{
			name:     "MaxOpenTimeout below OpenTimeout means no doubling",
			settings: Settings{OpenTimeout: time.Minute, MaxOpenTimeout: time.Second},
			steps: []step{
				call(errFail), advance(time.Minute), call(errFail), wantOpenUntil(2 * time.Minute),
			},
		},
		{
			name:     "negative OpenTimeout means DefaultOpenTimeout",
			settings: Settings{OpenTimeout: -time.Second},
			steps:    []step{call(errFail), wantOpenUntil(DefaultOpenTimeout)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(tt.settings)
			for i, s := range tt.steps {
				s(t, h)
				if t.Failed() {
					t.Fatalf("failed at step %d (time +%v)", i, h.clock.Now().Sub(t0))
				}
			}
		})
	}
}

func TestStateString(t *testing.T) {
	assert.Equal(t, "closed", StateClosed.String())
	assert.Equal(t, "half_open", StateHalfOpen.String())
	assert.Equal(t, "open", StateOpen.String())
	assert.Equal(t, "state(7)", State(7).String())
	assert.Equal(t, StateClosed, State(0))
	assert.Equal(t, StateHalfOpen, State(1))
	assert.Equal(t, StateOpen, State(2))
}

func TestZeroTokenDoneIsNoop(t *testing.T) {
	b := New(Settings{})
	Token{}.Done(errFail)
	assert.Equal(t, StateClosed, b.State())
	assert.Equal(t, Counts{}, b.Counts())
}

func TestAllowDoneAtTakeTheTime(t *testing.T) {
	b := New(Settings{Now: func() time.Time {
		panic("the clock must not be read")
	}})
	tok, err := b.allowAt(t0)
	require.NoError(t, err)
	b.doneAt(t0, tok, errFail)
	assert.Equal(t, t0.Add(DefaultOpenTimeout), b.OpenUntil())
	_, err = b.allowAt(t0.Add(DefaultOpenTimeout - 1))
	require.ErrorIs(t, err, ErrOpen)
	tok, err = b.allowAt(t0.Add(DefaultOpenTimeout))
	require.NoError(t, err)
	b.doneAt(t0.Add(DefaultOpenTimeout), tok, nil)
	assert.Equal(t, StateClosed, b.State())
}

func TestClosedPathDoesNotReadTheClock(t *testing.T) {
	reads := 0
	b := New(Settings{FailureThreshold: 2, Now: func() time.Time { reads++; return t0 }})
	for range 10 {
		tok, err := b.Allow()
		require.NoError(t, err)
		tok.Done(nil)
	}
	assert.Equal(t, 0, reads)
	tok, _ := b.Allow()
	tok.Done(errFail)
	assert.Equal(t, 0, reads, "a failure below the threshold needs no time")
	tok, _ = b.Allow()
	tok.Done(errFail)
	assert.Equal(t, 1, reads, "opening needs the time")
}

func TestDoneTwiceDoesNotUnderflow(t *testing.T) {
	b := New(Settings{FailureThreshold: 5})
	tok, err := b.Allow()
	require.NoError(t, err)
	tok.Done(nil)
	tok.Done(nil) // a caller bug: counted again, but InFlight stays at 0
	assert.Equal(t, Counts{Requests: 1, TotalSuccesses: 2, ConsecutiveSuccesses: 2}, b.Counts())
}

func TestHalfOpenStaleProbeDoesNotFreeASlot(t *testing.T) {
	// A probe allowed in an earlier half-open period is still running after
	// the breaker re-opened and went half-open again: it holds no slot of
	// the new period, and its result is ignored.
	h := newHarness(Settings{OpenTimeout: time.Second, HalfOpenProbes: 2})
	steps := []step{
		call(errFail), advance(time.Second), allowN(2), // tokens 1, 2
		done(1, errFail), wantState(open), // token 2 is still running
		advance(2 * time.Second), allowN(2), allowErr(ErrTooManyProbes), // tokens 3, 4
		done(2, nil), allowErr(ErrTooManyProbes), wantState(halfOpen),
		wantCounts(Counts{Requests: 2, InFlight: 2}),
	}
	for _, s := range steps {
		s(t, h)
	}
}
