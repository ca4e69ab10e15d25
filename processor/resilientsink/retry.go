// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"slices"
	"time"

	"go.opentelemetry.io/collector/config/configretry"
)

// outcomeKind says how a worker's hold on a batch ended.
type outcomeKind int

const (
	outcomeSent    outcomeKind = iota // the downstream accepted it
	outcomeDropped                    // given up, counted with a reason
	outcomeRetry                      // to be tried again, not before notBefore (zero: at once)
	outcomeAborted                    // cancelled by Shutdown: kept for the disk, else dropped (shutdown)
)

// outcome is how a worker's hold on a batch ended: the value finish takes.
type outcome struct {
	kind   outcomeKind
	reason dropReason
	// attempts is the batch's deliveries tried so far; errText the last
	// error's text, if any.
	attempts int
	errText  string
	// The batch's retry state, for outcomeRetry.
	firstFail time.Time
	backoff   time.Duration
	notBefore time.Time
	// throttledUntil is, if the downstream throttled the delivery, when
	// the queue tries it again (unix nanoseconds; 0: not throttled), for the
	// delay a refusal tells (backpressure.go). An int64 keeps the outcome,
	// copied on every delivery, small.
	throttledUntil int64
}

func dropOutcome(r dropReason) outcome { return outcome{kind: outcomeDropped, reason: r} }

// The retry schedule: a batch waiting for its backoff (or for the breaker
// to allow a probe) waits in retrying, not at the head of the ring, so that
// with num_workers > 1 it holds no worker and no other batch back. With
// num_workers 1 it keeps arrival order: the worker takes nothing else while
// a batch waits there.

// retryLocked puts b back to be tried again at b.notBefore (zero: at once).
func (q *tieredQueue[T]) retryLocked(b batch[T]) {
	if b.notBefore.IsZero() {
		q.putBackLocked(b)
		return
	}
	q.insertRetryingLocked(b)
	q.ready.broadcast() // a worker waiting for another due time looks again
}

// insertRetryingLocked inserts b into retrying, in arrival order.
func (q *tieredQueue[T]) insertRetryingLocked(b batch[T]) {
	i, _ := slices.BinarySearchFunc(q.retrying, b.arrived, func(e batch[T], t time.Time) int {
		return e.arrived.Compare(t)
	})
	q.retrying = slices.Insert(q.retrying, i, b)
}

// takeDueLocked takes the next batch due at now: the oldest due batch
// waiting for a retry, else the head of the ring. When none is due, next is
// the earliest time one will be (zero: none waits).
func (q *tieredQueue[T]) takeDueLocked(now time.Time) (b batch[T], ok bool, next time.Time) {
	for i := range q.retrying {
		nb := q.retrying[i].notBefore
		if !nb.After(now) {
			b = q.retrying[i]
			q.retrying = slices.Delete(q.retrying, i, i+1)
			return b, true, time.Time{}
		}
		if next.IsZero() || nb.Before(next) {
			next = nb
		}
	}
	if len(q.retrying) > 0 && q.cfg.NumWorkers == 1 {
		return b, false, next // arrival order: the oldest waits first
	}
	b, ok = q.ring.TryPop()
	return b, ok, next
}

// deleteFirst removes s[0] without keeping its data alive.
func deleteFirst[E any](s []E) []E {
	return slices.Delete(s, 0, 1)
}

// retryDeadline is when b, which has failed before, has been failing for
// max_elapsed_time; zero when that limit does not apply.
func retryDeadline[T any](rc configretry.BackOffConfig, b *batch[T]) time.Time {
	if !rc.Enabled || rc.MaxElapsedTime <= 0 || b.firstFail.IsZero() {
		return time.Time{}
	}
	return b.firstFail.Add(rc.MaxElapsedTime)
}

// giveUpAt is the earliest time at which b is to be dropped even if it is
// never tried again: just past max_age after it arrived (expired), or its
// retry deadline (retries_exhausted). Zero when neither applies.
func giveUpAt[T any](cfg *Config, b *batch[T]) time.Time {
	at := retryDeadline(cfg.Retry, b)
	if cfg.MaxAge > 0 {
		if t := b.arrived.Add(cfg.MaxAge + time.Nanosecond); at.IsZero() || t.Before(at) { // "older than max_age"
			at = t
		}
	}
	return at
}

// nextBackoff is the nominal wait after a failed attempt, given the previous
// one (0 before the first retry): initial_interval, then multiplied by
// multiplier per attempt, capped at max_interval. It is computed in floating
// point and capped before the conversion, so it never overflows.
func nextBackoff(rc configretry.BackOffConfig, prev time.Duration) time.Duration {
	if prev <= 0 {
		return rc.InitialInterval
	}
	next := float64(prev) * rc.Multiplier
	if next >= float64(rc.MaxInterval) {
		return rc.MaxInterval
	}
	return time.Duration(next)
}

// jitter spreads a nominal wait uniformly over +-factor of it, given u in
// [0, 1), so that many collectors do not retry in step.
func jitter(d time.Duration, factor, u float64) time.Duration {
	return time.Duration(float64(d) * (1 + factor*(2*u-1)))
}
