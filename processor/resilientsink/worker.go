// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/internal/cbreaker"
)

// pause is a wait a worker makes after it gave its batch back: until a time
// (zero: none), or until woken (nil: not).
type pause struct {
	until time.Time
	woken <-chan struct{}
}

// work delivers batches as worker w until ctx is cancelled.
func (c *core[T]) work(ctx context.Context, w int) {
	for {
		b, ok := c.q.pop(ctx, w)
		if !ok {
			return
		}
		o, p := c.attempt(ctx, &b)
		c.q.finish(w, o)
		waitUntil(ctx, p.until, p.woken)
	}
}

// attempt is one turn of a batch in a worker's hands: the gate (max_age, the
// breaker), then the delivery, and the outcome for the queue.
func (c *core[T]) attempt(ctx context.Context, b *batch[T]) (outcome, pause) {
	now := c.q.readClock()
	if c.cfg.MaxAge > 0 && now.Sub(b.arrived) > c.cfg.MaxAge {
		return dropOutcome(reasonExpired), pause{}
	}
	if ctx.Err() != nil {
		return outcome{kind: outcomeAborted}, pause{}
	}
	tok, o, p, ok := c.gate(b, now)
	if !ok {
		return o, p
	}
	err := c.deliver(ctx, b)
	panicked := errors.Is(err, errDownstreamPanic)
	hint, throttled := throttleDelay(err)
	switch {
	case (err != nil && ctx.Err() != nil) || panicked:
		// Cancelled by Shutdown, or a panic: neither says anything about
		// the downstream's health.
		tok.Done(errAborted)
	case throttled && !consumererror.IsPermanent(err):
		// The backend is alive and asked us to wait.
		c.tel.pending.throttled.Add(1)
		tok.Done(errThrottled)
	default:
		tok.Done(err)
	}
	c.wake.broadcast()
	o = c.outcomeOf(ctx, b, err, now, panicked, throttled, hint)
	o.attempts = b.attempts + 1
	if throttled && !consumererror.IsPermanent(err) && ctx.Err() == nil && !panicked {
		// Nothing drains before the queue tries the batch again: its
		// backoff, at least the hint.
		until := o.notBefore
		if o.kind != outcomeRetry {
			until = now.Add(c.throttledWait(0, hint))
		}
		o.throttledUntil = until.UnixNano()
	}
	if err != nil {
		o.errText = err.Error()
	}
	return o, pause{}
}

// outcomeOf is the outcome of a delivery that returned err.
func (c *core[T]) outcomeOf(ctx context.Context, b *batch[T], err error, now time.Time, panicked, throttled bool, hint time.Duration) outcome {
	switch {
	case err == nil:
		return outcome{kind: outcomeSent}
	case panicked:
		// A batch that panics the downstream panics it again: retrying it
		// would block the queue and open the breaker against a healthy
		// backend. The panic was logged once, with its stack.
		return dropOutcome(reasonPanic)
	case ctx.Err() != nil:
		return outcome{kind: outcomeAborted}
	case consumererror.IsPermanent(err):
		c.logger.Debug("Downstream rejected batch permanently", zap.Int("items", b.items), zap.Error(err))
		return dropOutcome(reasonPermanentError)
	case throttled:
		return c.retryOutcome(b, err, now, hint)
	default:
		return c.retryOutcome(b, err, now, 0)
	}
}

// gate asks the breaker for a delivery. When it refuses, ok is false and the
// batch goes back to the head with the worker pausing: while half-open with
// every probe busy, until a delivery ends; while open, until the open wait
// ends or the batch is to be given up (max_age, max_elapsed_time), whichever
// is first. The breaker holds every worker, so they all wait.
func (c *core[T]) gate(b *batch[T], now time.Time) (cbreaker.Token, outcome, pause, bool) {
	if c.breaker == nil {
		return cbreaker.Token{}, outcome{}, pause{}, true
	}
	back := outcome{kind: outcomeRetry, firstFail: b.firstFail, backoff: b.backoff}
	t, err := c.breaker.Allow()
	if errors.Is(err, cbreaker.ErrTooManyProbes) {
		// Ask again after taking the wake channel, so that a probe ending
		// in between is not missed.
		woken := c.wake.wait()
		if t, err = c.breaker.Allow(); errors.Is(err, cbreaker.ErrTooManyProbes) {
			return t, back, pause{woken: woken}, false
		}
	}
	if err == nil {
		return t, outcome{}, pause{}, true
	}
	if d := retryDeadline(c.cfg.Retry, b); !d.IsZero() && !now.Before(d) {
		c.logger.Debug("Batch waited past max_elapsed_time behind the open breaker: dropped", zap.Int("items", b.items))
		return t, dropOutcome(reasonRetriesExhausted), pause{}, false
	}
	// OpenUntil is zero when the breaker left open since Allow: look again at once.
	until := c.breaker.OpenUntil()
	if giveUp := giveUpAt(c.cfg, b); !until.IsZero() && !giveUp.IsZero() && giveUp.Before(until) {
		until = giveUp
	}
	return t, back, pause{until: until}, false
}

// retryOutcome is the outcome of a failed delivery: a retry after backoff
// (after at least hint, when the downstream throttled), or a drop once
// retries are off or max_elapsed_time has passed.
func (c *core[T]) retryOutcome(b *batch[T], err error, now time.Time, hint time.Duration) outcome {
	rc := c.cfg.Retry
	if !rc.Enabled {
		c.logger.Debug("Delivery failed, retry disabled: batch dropped", zap.Int("items", b.items), zap.Error(err))
		return dropOutcome(reasonRetriesExhausted)
	}
	next := *b
	if next.firstFail.IsZero() {
		next.firstFail = now
	}
	next.backoff = nextBackoff(rc, b.backoff)
	if d := retryDeadline(rc, &next); !d.IsZero() && !now.Before(d) {
		c.logger.Debug("Delivery failed past max_elapsed_time: batch dropped", zap.Int("items", b.items), zap.Error(err))
		return dropOutcome(reasonRetriesExhausted)
	}
	wait := c.throttledWait(jitter(next.backoff, rc.RandomizationFactor, rand.Float64()), hint)
	c.logger.Debug("Delivery failed, will retry", zap.Int("items", b.items), zap.Duration("backoff", wait), zap.Error(err))
	return outcome{kind: outcomeRetry, firstFail: next.firstFail, backoff: next.backoff, notBefore: now.Add(wait)}
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
