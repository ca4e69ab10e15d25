// Package cbreaker is a circuit breaker: a closed / open / half-open state
// machine with an injectable clock, for callers that start a call in one
// step (Allow) and report its result in another (Token.Done).
//
// Closed: every call is allowed; FailureThreshold consecutive failures open
// the breaker (a success resets the count). Open: no call is allowed until
// the open wait has passed (OpenUntil says when). The first Allow or State at
// or after that moment moves the breaker to half-open: State makes the move
// too, so that a breaker with no call to make (an idle pipeline) does not
// report open long after its wait is over, when its downstream may be back.
// Half-open: at most HalfOpenProbes calls run at once; SuccessThreshold successes close the
// breaker and reset the open wait to OpenTimeout, and any failure re-opens
// it with the open wait doubled, up to MaxOpenTimeout.
//
// Every state change starts a new generation: a result reported for a call
// allowed in an earlier generation is ignored, and the Counts start from
// zero. Errors for which Settings.IsExcluded returns true count neither as a
// success nor as a failure, but do end the call (freeing a half-open slot).
//
// The package uses the standard library only; the processor turns State,
// Counts and the OnStateChange callback into telemetry.
package cbreaker
