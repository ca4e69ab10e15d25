package cbreaker

import (
	"errors"
	"strconv"
)

// State is the state of a Breaker. Its values match the processor's
// breaker_state gauge: 0 closed, 1 half-open, 2 open.
type State int32

const (
	// StateClosed allows every call and counts consecutive failures.
	StateClosed State = 0
	// StateHalfOpen allows up to Settings.HalfOpenProbes calls at once.
	StateHalfOpen State = 1
	// StateOpen allows no call until the open wait has passed.
	StateOpen State = 2
)

// String returns "closed", "half_open" or "open" (the values of the
// processor's transition telemetry attribute), or "state(N)" for any other value.
func (s State) String() string {
	switch s {
	case StateClosed:
		return "closed"
	case StateHalfOpen:
		return "half_open"
	case StateOpen:
		return "open"
	default:
		return "state(" + strconv.Itoa(int(s)) + ")"
	}
}

var (
	// ErrOpen is returned by Allow while the breaker is open and its open
	// wait has not passed yet.
	ErrOpen = errors.New("cbreaker: open")
	// ErrTooManyProbes is returned by Allow while the breaker is half-open
	// and HalfOpenProbes calls are already in flight.
	ErrTooManyProbes = errors.New("cbreaker: too many half-open probes")
)

// Counts is a snapshot of the counters of the current generation. Every
// state change starts a new generation with all counters at zero, so
// Requests == TotalSuccesses + TotalFailures + TotalExcluded + InFlight holds
// in every snapshot, as long as no Token's Done is called twice.
type Counts struct {
	// Requests is the number of calls allowed in this generation.
	Requests uint32
	// InFlight is the number of calls allowed in this generation whose
	// Token.Done has not been called yet.
	InFlight uint32
	// TotalSuccesses is the number of calls that ended with a nil error.
	TotalSuccesses uint32
	// TotalFailures is the number of calls that ended with a counted error.
	TotalFailures uint32
	// TotalExcluded is the number of calls that ended with an excluded error.
	TotalExcluded uint32
	// ConsecutiveSuccesses is the number of successes since the last failure.
	ConsecutiveSuccesses uint32
	// ConsecutiveFailures is the number of failures since the last success.
	// Excluded errors leave it unchanged.
	ConsecutiveFailures uint32
}
