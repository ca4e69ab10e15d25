package cbreaker

import "time"

// outcome classifies the result of a call.
type outcome uint8

const (
	outcomeSuccess outcome = iota
	outcomeFailure
	outcomeExcluded
)

// The decision logic below takes the time as an argument so that tests are
// deterministic. Reading the clock costs more than the rest of a closed-state
// Allow, so callers may pass clock instead: it is called (once) only when
// the decision depends on the time. With clock nil, now is used.
// Callers MUST hold b.mu.

// stateLocked returns the state, first moving an open breaker whose open
// wait has passed to half-open.
func (b *Breaker) stateLocked(now time.Time, clock func() time.Time) State {
	if b.state == StateOpen {
		if clock != nil {
			now = clock()
		}
		if !now.Before(b.openUntil) {
			b.setStateLocked(StateHalfOpen)
		}
	}
	return b.state
}

// allowLocked decides whether one call may start.
func (b *Breaker) allowLocked(now time.Time, clock func() time.Time) (Token, error) {
	if b.stateLocked(now, clock) == StateOpen {
		return Token{}, ErrOpen
	}
	if b.state == StateHalfOpen && b.counts.InFlight >= b.halfOpenProbes {
		return Token{}, ErrTooManyProbes
	}
	b.counts.Requests++
	b.counts.InFlight++
	return Token{b: b, generation: b.generation, halfOpen: b.state == StateHalfOpen}, nil
}

// doneLocked records the outcome of the call allowed with t.
func (b *Breaker) doneLocked(t Token, o outcome, now time.Time, clock func() time.Time) {
	if t.generation != b.generation {
		return // allowed before the last state change
	}
	// A token of the current generation was allowed in this generation's
	// state, which is closed or half-open (open allows nothing).
	if b.counts.InFlight > 0 {
		b.counts.InFlight--
	}
	switch o {
	case outcomeExcluded:
		b.counts.TotalExcluded++
	case outcomeSuccess:
		b.counts.TotalSuccesses++
		b.counts.ConsecutiveSuccesses++
		b.counts.ConsecutiveFailures = 0
		if b.state == StateHalfOpen && b.counts.ConsecutiveSuccesses >= b.successThreshold {
			b.openWait = b.openTimeout
			b.setStateLocked(StateClosed)
		}
	case outcomeFailure:
		b.counts.TotalFailures++
		b.counts.ConsecutiveFailures++
		b.counts.ConsecutiveSuccesses = 0
		switch b.state {
		case StateClosed:
			if b.counts.ConsecutiveFailures < b.failureThreshold {
				return
			}
		case StateHalfOpen:
			b.openWait = doubleCapped(b.openWait, b.maxOpenTimeout)
		}
		if clock != nil {
			now = clock()
		}
		b.setStateLocked(StateOpen)
		b.openUntil = now.Add(b.openWait)
	}
}

// setStateLocked moves to state to, starting a new generation, and queues
// the transition for OnStateChange.
func (b *Breaker) setStateLocked(to State) {
	from := b.state
	b.state = to
	b.generation++
	b.counts = Counts{}
	b.openUntil = time.Time{}
	if b.onStateChange != nil {
		b.push(transition{from: from, to: to})
	}
}

// doubleCapped returns 2*d, at most limit, without overflowing.
func doubleCapped(d, limit time.Duration) time.Duration {
	if d > limit/2 {
		return limit
	}
	return 2 * d
}
