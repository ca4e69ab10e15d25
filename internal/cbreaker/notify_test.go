package cbreaker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The callback calls back into the Breaker (which would deadlock if it ran
// under the mutex) and makes a transition of its own from inside.
func TestOnStateChangeCanCallBack(t *testing.T) {
	clock := newFakeClock()
	var b *Breaker
	type seen struct {
		from, to State
		state    State
		counts   Counts
		until    time.Time
	}
	var got []seen
	b = New(Settings{
		FailureThreshold: 1,
		OpenTimeout:      time.Second,
		Now:              clock.Now,
		OnStateChange: func(from, to State) {
			got = append(got, seen{from, to, b.State(), b.Counts(), b.OpenUntil()})
			if to == StateOpen && len(got) == 1 {
				// A probe from inside the callback: open -> half_open -> open.
				clock.Advance(time.Second)
				tok, err := b.Allow()
				if err == nil {
					tok.Done(errFail)
				}
			}
		},
	})
	tok, err := b.Allow()
	require.NoError(t, err)
	tok.Done(errFail)
	require.Len(t, got, 3)
	// Each callback sees the state after all transitions made so far, and
	// the nested transitions are delivered after the outer callback, in order.
	assert.Equal(t, seen{StateClosed, StateOpen, StateOpen, Counts{}, t0.Add(time.Second)}, got[0])
	assert.Equal(t, StateOpen, got[1].from)
	assert.Equal(t, StateHalfOpen, got[1].to)
	assert.Equal(t, StateHalfOpen, got[2].from)
	assert.Equal(t, StateOpen, got[2].to)
	assert.Equal(t, StateOpen, got[2].state)
	assert.Equal(t, t0.Add(2*time.Second), got[2].until, "the probe failed at 1s; MaxOpenTimeout 0 keeps the wait at 1s")
}

func TestOnStateChangePanicDoesNotStopDelivery(t *testing.T) {
	var got []transition
	b := New(Settings{OpenTimeout: time.Second, Now: func() time.Time { return t0 }, OnStateChange: func(from, to State) {
		got = append(got, transition{from, to})
		if len(got) == 1 {
			panic("callback failed")
		}
	}})
	tok, err := b.Allow()
	require.NoError(t, err)
	assert.PanicsWithValue(t, "callback failed", func() { tok.Done(errFail) })
	assert.Equal(t, StateOpen, b.State())
	// The next transition is delivered normally.
	tok, err = b.allowAt(t0.Add(time.Second))
	require.NoError(t, err)
	tok.Done(nil)
	assert.Equal(t, []transition{{StateClosed, StateOpen}, {StateOpen, StateHalfOpen}, {StateHalfOpen, StateClosed}}, got)
}
