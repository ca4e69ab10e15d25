package cbreaker

import (
	"sync"
	"time"
)

// Breaker is a circuit breaker. It is safe for concurrent use. The zero
// Breaker is not usable (it would stay half-open for good); use New.
type Breaker struct {
	failureThreshold uint32
	halfOpenProbes   uint32
	successThreshold uint32
	openTimeout      time.Duration
	maxOpenTimeout   time.Duration
	isExcluded       func(error) bool
	now              func() time.Time
	onStateChange    func(from, to State)

	mu         sync.Mutex
	state      State
	generation uint64
	counts     Counts
	openWait   time.Duration // wait of the next (or current) open period
	openUntil  time.Time     // when the current open period ends; zero unless open
	transitionQueue
}

// New returns a closed Breaker configured by s (see Settings for the
// meaning of each zero value).
func New(s Settings) *Breaker {
	b := &Breaker{
		failureThreshold: max(s.FailureThreshold, 1),
		halfOpenProbes:   max(s.HalfOpenProbes, 1),
		successThreshold: max(s.SuccessThreshold, 1),
		openTimeout:      s.OpenTimeout,
		maxOpenTimeout:   s.MaxOpenTimeout,
		isExcluded:       s.IsExcluded,
		now:              s.Now,
		onStateChange:    s.OnStateChange,
	}
	if b.openTimeout <= 0 {
		b.openTimeout = DefaultOpenTimeout
	}
	if b.maxOpenTimeout < b.openTimeout {
		b.maxOpenTimeout = b.openTimeout
	}
	if b.now == nil {
		b.now = time.Now
	}
	b.openWait = b.openTimeout
	return b
}

// Token is the permission to make one call, returned by Allow. It is a small
// value; the zero Token's Done does nothing.
type Token struct {
	b          *Breaker
	generation uint64
	halfOpen   bool // allowed as a half-open probe
}

// Done reports the result of the call: nil is a success, an error for which
// Settings.IsExcluded returns true counts as neither, any other error is a
// failure. Call it exactly once per Token returned with a nil error; a
// result for a call allowed before the last state change is ignored.
func (t Token) Done(err error) {
	if t.b != nil {
		t.b.done(t, err, time.Time{}, t.b.now)
	}
}

// Allow asks to make one call. It returns ErrOpen while the breaker is open
// and its open wait has not passed, and ErrTooManyProbes while half-open with
// every probe slot busy. On a nil error the caller must call Token.Done
// exactly once. The first Allow at or after OpenUntil moves an open breaker
// to half-open.
func (b *Breaker) Allow() (Token, error) {
	return b.allow(time.Time{}, b.now)
}

// State returns the current state. An open breaker whose open wait has
// passed moves to half-open on this read, as the next Allow would, and
// OnStateChange is called for it: a breaker with no call to make (an idle
// pipeline) does not report open for good after its open wait is over, so a
// gauge that reads State at each collection, and whatever OnStateChange
// reports, follow the open wait without traffic. Half-open then allows the
// next call as a probe. State reads the clock only while open.
func (b *Breaker) State() State {
	return b.readState(time.Time{}, b.now)
}

// OpenUntil returns when an open breaker admits its next probe: Allow
// returns ErrOpen before that moment and a half-open probe at or after it.
// It returns the zero time when the breaker is not open.
func (b *Breaker) OpenUntil() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.openUntil
}

// Counts returns a snapshot of the counters of the current generation.
func (b *Breaker) Counts() Counts {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.counts
}

// allowAt is Allow at the time now. Tests use it with a fixed clock.
func (b *Breaker) allowAt(now time.Time) (Token, error) {
	return b.allow(now, nil)
}

// stateAt is State at the time now. Tests use it with a fixed clock.
func (b *Breaker) stateAt(now time.Time) State {
	return b.readState(now, nil)
}

// doneAt is t.Done(err) at the time now. Tests use it with a fixed clock.
func (b *Breaker) doneAt(now time.Time, t Token, err error) {
	b.done(t, err, now, nil)
}

// allow runs allowLocked under the mutex (see allowLocked for now and
// clock), then delivers any transition it made.
func (b *Breaker) allow(now time.Time, clock func() time.Time) (Token, error) {
	b.mu.Lock()
	t, err := b.allowLocked(now, clock)
	notify := b.shouldNotifyLocked()
	b.mu.Unlock()
	if notify {
		b.notify()
	}
	return t, err
}

// readState runs stateLocked under the mutex (see allowLocked for now and
// clock), then delivers any transition it made.
func (b *Breaker) readState(now time.Time, clock func() time.Time) State {
	b.mu.Lock()
	st := b.stateLocked(now, clock)
	notify := b.shouldNotifyLocked()
	b.mu.Unlock()
	if notify {
		b.notify()
	}
	return st
}

// done classifies err (calling IsExcluded without the lock), runs
// doneLocked under the mutex, then delivers any transition it made.
func (b *Breaker) done(t Token, err error, now time.Time, clock func() time.Time) {
	o := outcomeSuccess
	if err != nil {
		o = outcomeFailure
		if b.isExcluded != nil && b.isExcluded(err) {
			o = outcomeExcluded
		}
	}
	b.mu.Lock()
	b.doneLocked(t, o, now, clock)
	notify := b.shouldNotifyLocked()
	b.mu.Unlock()
	if notify {
		b.notify()
	}
}
