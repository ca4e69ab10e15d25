// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/internal/cbreaker"
)

// work delivers batches until ctx is cancelled; f is this worker's batch in hand.
func (c *core[T]) work(ctx context.Context, f *flight[T]) {
	for {
		b, err := c.ring.Pop(ctx)
		if err != nil {
			return
		}
		if ctx.Err() != nil {
			// Handed a batch just as the workers were stopped: start no
			// delivery, leave it to Shutdown, which drops what is queued.
			c.requeue(b)
			return
		}
		f.take(b)
		c.handle(ctx, f, b)
	}
}

// settle ends the worker's hold on b before the worker sends, drops or
// requeues it. It reports false when Shutdown gave up waiting for this worker
// and counted b itself: the worker then only gives back the data reference,
// now that the downstream has returned.
func (c *core[T]) settle(f *flight[T], b batch[T]) bool {
	if f.finish() {
		return true
	}
	c.sig.unref(b.data)
	return false
}

// handle takes one popped batch: drops it if expired, waits if it is not due
// or the breaker refuses, else delivers it and acts on the result.
func (c *core[T]) handle(ctx context.Context, f *flight[T], b batch[T]) {
	if c.cfg.MaxAge > 0 && time.Since(b.arrived) > c.cfg.MaxAge {
		if c.settle(f, b) {
			c.drop(b, reasonExpired)
		}
		return
	}
	if !b.notBefore.IsZero() {
		if until := b.notBefore; time.Now().Before(until) {
			if c.settle(f, b) {
				c.requeue(b)
			}
			waitUntil(ctx, until, nil)
			return
		}
	}
	var tok cbreaker.Token
	if c.breaker != nil {
		t, err := c.breaker.Allow()
		if errors.Is(err, cbreaker.ErrTooManyProbes) {
			// Half-open with every probe busy: wait for a delivery to end.
			// Ask again after taking the wake channel, so that a probe
			// ending in between is not missed.
			woken := c.wake.wait()
			if t, err = c.breaker.Allow(); errors.Is(err, cbreaker.ErrTooManyProbes) {
				if c.settle(f, b) {
					c.requeue(b)
				}
				waitUntil(ctx, time.Time{}, woken)
				return
			}
		}
		if err != nil {
			// Open: sleep until the open wait ends, or until the batch is
			// to be given up (max_age, max_elapsed_time), whichever is
			// first. OpenUntil is zero when the breaker left open since
			// Allow: then look again at once.
			if !c.settle(f, b) {
				return
			}
			if c.retriesExhausted(b, time.Now()) {
				c.logger.Debug("Batch waited past max_elapsed_time behind the open breaker: dropped", zap.Int("items", b.items))
				c.drop(b, reasonRetriesExhausted)
				return
			}
			until := c.breaker.OpenUntil()
			if giveUp := c.giveUpAt(b); !until.IsZero() && !giveUp.IsZero() && giveUp.Before(until) {
				until = giveUp
			}
			c.requeue(b)
			waitUntil(ctx, until, nil)
			return
		}
		tok = t
	}
	err := c.deliver(ctx, b)
	if err != nil {
		// Every failed attempt, as send_duration's outcome=failure counts it:
		// retryable, permanent, panic, or cancelled by Shutdown.
		c.tel.pending.sendFailures.Add(1)
	}
	panicked := errors.Is(err, errDownstreamPanic)
	if (err != nil && ctx.Err() != nil) || panicked {
		// Cancelled by Shutdown, or a panic: neither says anything about
		// the downstream's health.
		tok.Done(errAborted)
	} else {
		tok.Done(err)
	}
	c.wake.broadcast()
	if !c.settle(f, b) {
		return
	}
	switch {
	case err == nil:
		c.release(b)
		c.tel.pending.sent.Add(int64(b.items))
	case panicked:
		// A batch that panics the downstream panics it again: retrying it
		// would block the queue and open the breaker against a healthy
		// backend. The panic was logged once, with its stack.
		c.drop(b, reasonPanic)
	case ctx.Err() != nil && c.disk != nil:
		// Shutdown cancelled this delivery: back to the queue, which
		// Shutdown writes to disk.
		c.requeue(b)
	case ctx.Err() != nil:
		// Shutdown cancelled this delivery.
		c.drop(b, reasonShutdown)
	case consumererror.IsPermanent(err):
		c.logger.Debug("Downstream rejected batch permanently", zap.Int("items", b.items), zap.Error(err))
		c.drop(b, reasonPermanentError)
	default:
		c.retryLater(ctx, b, err)
	}
}

// retryDeadline is when b, which has failed before, has been failing for
// max_elapsed_time; zero when that limit does not apply.
func (c *core[T]) retryDeadline(b batch[T]) time.Time {
	rc := c.cfg.Retry
	if !rc.Enabled || rc.MaxElapsedTime <= 0 || b.firstFail.IsZero() {
		return time.Time{}
	}
	return b.firstFail.Add(rc.MaxElapsedTime)
}

// retriesExhausted reports whether b's retry deadline has passed by now.
func (c *core[T]) retriesExhausted(b batch[T], now time.Time) bool {
	d := c.retryDeadline(b)
	return !d.IsZero() && !now.Before(d)
}

// giveUpAt is the earliest time at which b is to be dropped even if it is
// never tried again: just past max_age after it arrived (reason expired, as
// handle checks on the next pop), or its retry deadline (retries_exhausted).
// Zero when neither applies. A worker waiting behind the open breaker wakes
// then, so a batch does not outlive its limits by up to max_open_timeout.
func (c *core[T]) giveUpAt(b batch[T]) time.Time {
	at := c.retryDeadline(b)
	if c.cfg.MaxAge > 0 {
		if t := b.arrived.Add(c.cfg.MaxAge + time.Nanosecond); at.IsZero() || t.Before(at) { // "older than max_age"
			at = t
		}
	}
	return at
}

// retryLater handles a failed delivery: requeue at the head with backoff, or
// drop once retries are off or max_elapsed_time has passed.
func (c *core[T]) retryLater(ctx context.Context, b batch[T], err error) {
	rc := c.cfg.Retry
	now := time.Now()
	if !rc.Enabled {
		c.logger.Debug("Delivery failed, retry disabled: batch dropped", zap.Int("items", b.items), zap.Error(err))
		c.drop(b, reasonRetriesExhausted)
		return
	}
	if b.firstFail.IsZero() {
		b.firstFail = now
	}
	b.backoff = nextBackoff(rc, b.backoff)
	if c.retriesExhausted(b, now) {
		c.logger.Debug("Delivery failed past max_elapsed_time: batch dropped", zap.Int("items", b.items), zap.Error(err))
		c.drop(b, reasonRetriesExhausted)
		return
	}
	wait := jitter(b.backoff, rc.RandomizationFactor, rand.Float64())
	c.logger.Debug("Delivery failed, will retry", zap.Int("items", b.items), zap.Duration("backoff", wait), zap.Error(err))
	b.notBefore = now.Add(wait)
	until := b.notBefore
	c.requeue(b)
	waitUntil(ctx, until, nil)
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

// requeue puts a held batch back at the head of the queue.
func (c *core[T]) requeue(b batch[T]) {
	if err := c.ring.PushFront(b); err != nil {
		// Unreachable: a held batch always has a ring slot.
		c.drop(b, reasonShutdown)
	}
}

// deliver calls the downstream with the delivery timeout, recovering panics.
func (c *core[T]) deliver(ctx context.Context, b batch[T]) error {
	if c.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
		defer cancel()
	}
	h := c.tel.tb.ProcessorResilientsinkSendDuration
	if !h.Enabled(ctx) {
		return c.call(ctx, b.data)
	}
	start := c.readClock()
	err := c.call(ctx, b.data)
	outcome := c.tel.success
	if err != nil {
		outcome = c.tel.failure
	}
	h.Record(ctx, float64(time.Since(start))/float64(time.Millisecond), outcome...)
	return err
}

// call calls the downstream. A panic is recovered, logged once with its
// stack, and returned as an error wrapping errDownstreamPanic.
func (c *core[T]) call(ctx context.Context, data T) (err error) {
	defer func() {
		if r := recover(); r != nil {
			c.logger.Error("Downstream consumer panicked: batch dropped", zap.Any("panic", r), zap.Stack("stack"))
			err = fmt.Errorf("%w: %v", errDownstreamPanic, r)
		}
	}()
	return c.sig.consume(ctx, data)
}

// waitUntil blocks until t (if not zero), woken is closed (if not nil), or
// ctx is done.
func waitUntil(ctx context.Context, t time.Time, woken <-chan struct{}) {
	var timeout <-chan time.Time
	if !t.IsZero() {
		d := time.Until(t)
		if d <= 0 {
			return
		}
		timer := time.NewTimer(d)
		defer timer.Stop()
		timeout = timer.C
	} else if woken == nil {
		return
	}
	select {
	case <-ctx.Done():
	case <-timeout:
	case <-woken:
	}
}
