package cbreaker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStateAtTakesTheTime: a read of the state after the open wait moves the
// breaker to half-open, at the time given, and tells OnStateChange before it
// returns (the idle pipeline's gauge; see doc.go).
func TestStateAtTakesTheTime(t *testing.T) {
	var got []transition
	b := New(Settings{OpenTimeout: time.Second, Now: func() time.Time {
		panic("the clock must not be read")
	}, OnStateChange: func(from, to State) { got = append(got, transition{from, to}) }})
	tok, err := b.allowAt(t0)
	require.NoError(t, err)
	b.doneAt(t0, tok, errFail)
	assert.Equal(t, StateOpen, b.stateAt(t0.Add(time.Second-1)))
	assert.Equal(t, []transition{{StateClosed, StateOpen}}, got)
	assert.Equal(t, StateHalfOpen, b.stateAt(t0.Add(time.Second)))
	assert.Equal(t, []transition{{StateClosed, StateOpen}, {StateOpen, StateHalfOpen}}, got,
		"the move made by a read is delivered to OnStateChange before State returns")
}

func TestStateReadsTheClockOnlyWhileOpen(t *testing.T) {
	reads := 0
	now := t0
	b := New(Settings{OpenTimeout: time.Second, Now: func() time.Time { reads++; return now }})
	assert.Equal(t, StateClosed, b.State())
	assert.Equal(t, 0, reads, "closed: no clock")
	tok, err := b.Allow()
	require.NoError(t, err)
	tok.Done(errFail)
	reads = 0
	assert.Equal(t, StateOpen, b.State())
	assert.Equal(t, 1, reads, "open: the clock says whether the wait is over")
	now = now.Add(time.Second)
	assert.Equal(t, StateHalfOpen, b.State())
	reads = 0
	assert.Equal(t, StateHalfOpen, b.State())
	assert.Equal(t, 0, reads, "half-open: no clock")
}
