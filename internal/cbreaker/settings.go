package cbreaker

import "time"

// DefaultOpenTimeout is the first open wait when Settings.OpenTimeout is 0
// or negative. It matches the processor's default circuit_breaker.open_timeout.
const DefaultOpenTimeout = 5 * time.Second

// Settings configures a Breaker. Every zero value has a usable meaning, so
// Settings{} gives a breaker that opens on the first failure, waits
// DefaultOpenTimeout, and closes after one successful probe.
type Settings struct {
	// FailureThreshold is the number of consecutive failures, while closed,
	// that open the breaker. 0 means 1.
	FailureThreshold uint32
	// OpenTimeout is the first wait in open before a half-open probe is
	// allowed. 0 or negative means DefaultOpenTimeout.
	OpenTimeout time.Duration
	// MaxOpenTimeout caps the open wait, which doubles each time a half-open
	// probe fails. 0 or less than OpenTimeout means OpenTimeout (no doubling).
	MaxOpenTimeout time.Duration
	// HalfOpenProbes is the number of calls allowed in flight at once while
	// half-open. 0 means 1.
	HalfOpenProbes uint32
	// SuccessThreshold is the number of successful half-open calls that
	// close the breaker. 0 means 1.
	SuccessThreshold uint32
	// IsExcluded reports whether a non-nil error passed to Token.Done counts
	// neither as a success nor as a failure (a cancelled context, a
	// permanent data error). nil excludes nothing. It is called without any
	// lock held.
	IsExcluded func(err error) bool
	// Now returns the current time. nil means time.Now. Tests inject a fake
	// clock. It is called with the Breaker's mutex held, so it must not call
	// into the Breaker. It is read only when the answer depends on it: by
	// Allow and State while open, and by Token.Done when a failure opens the
	// breaker.
	Now func() time.Time
	// OnStateChange, if not nil, is called once for each transition
	// (closed->open, open->half_open, half_open->open, half_open->closed),
	// without any lock held, so it may call back into the Breaker. Calls are
	// never concurrent and always come in transition order: they are made
	// by one of the goroutines whose Allow, State or Done made a transition, which
	// delivers every pending transition, including ones made meanwhile by
	// other goroutines (so a Done may return before its own transition was
	// delivered, if another goroutine is delivering). A transition made
	// from inside the callback is delivered after the callback returns.
	OnStateChange func(from, to State)
}
