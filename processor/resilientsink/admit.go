// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"

	"github.com/resilientsink/resilientsink/internal/spool"
)

// consume admits data into the queue according to the overflow policy. It
// never waits on the downstream; only overflow block waits, for room.
func (c *core[T]) consume(ctx context.Context, data T) error {
	items := c.sig.items(data)
	if items > 0 {
		c.tel.pending.incoming.Add(int64(items))
	}
	if c.closed.Load() {
		return c.refuse(items, errShutDown)
	}
	if items == 0 {
		return nil
	}
	// exact says whether b.bytes is the batch's exact size rather than the
	// estimator's per-item price; it is not kept in the batch, which the
	// ring copies.
	b := batch[T]{data: data, items: items}
	var exact bool
	b.bytes, exact = c.est.estimate(data, items)
	b.arrived = c.arrival()
	if c.tooLarge(b) && !exact {
		b.bytes, exact = c.est.exact(data, items), true
	}
	if c.tooLarge(b) {
		return c.refuseTooLarge(b)
	}
	// Hold a reference before the batch becomes visible to the workers.
	c.sig.ref(data)
	if c.disk != nil {
		if c.disk.writeAhead() {
			return c.admitWriteAhead(ctx, b)
		}
		if c.cfg.Overflow == OverflowPolicyBlock {
			return c.admitSpillBlocking(ctx, b, exact)
		}
	}
	if c.cfg.Overflow == OverflowPolicyBlock {
		return c.admitBlocking(ctx, b, exact)
	}
	return c.admitNow(b, exact)
}

// arrival is the arrival time to stamp on a new batch. Reading the clock
// costs about half of an admission on some machines (about 70 ns here), so
// it is read only with max_age, which needs the exact time. Otherwise the
// batch gets the last time the processor read the clock: at Start, at each
// delivery attempt (including the breaker's probes, at most max_open_timeout
// apart) and at each collection of the telemetry. So an arrival time is at
// most one of those intervals early, and queue_oldest_age errs on the old
// side by at most that much.
func (c *core[T]) arrival() time.Time {
	if c.cfg.MaxAge > 0 {
		return c.readClock()
	}
	return time.Unix(0, c.lastNow.Load())
}

// readClock reads the clock and keeps the reading for arrival.
func (c *core[T]) readClock() time.Time {
	now := time.Now()
	c.lastNow.Store(now.UnixNano())
	return now
}

// tooLarge reports whether b alone is larger than the whole memory budget.
func (c *core[T]) tooLarge(b batch[T]) bool {
	return c.bytes != nil && b.bytes > c.limitBytes
}

// refuseTooLarge drops (reason too_large) or, under reject and block, refuses
// permanently a batch larger than the whole memory budget.
func (c *core[T]) refuseTooLarge(b batch[T]) error {
	if c.cfg.Overflow == OverflowPolicyReject || c.cfg.Overflow == OverflowPolicyBlock {
		return c.refuse(b.items, consumererror.NewPermanent(fmt.Errorf("%w: %d estimated bytes, limit %d", errTooLarge, b.bytes, c.limitBytes)))
	}
	c.countDropped(b.items, reasonTooLarge)
	return nil
}

// A batch is sized exactly before a decision that refuses it or finds it too
// large: an estimate drawn from other batches must not decide that. (The drop
// policies, which run on every admission under sustained overload, use the
// estimate: exact sizing there would cost several microseconds per batch.)

// admitNow admits b without waiting: drop_oldest, drop_newest and reject.
// exact says whether b.bytes is exact.
func (c *core[T]) admitNow(b batch[T], exact bool) error {
	var rec *spool.Record
	if c.disk != nil && c.disk.unread.Load() > 0 {
		// Frames wait on disk, so this batch very likely goes there too:
		// encode it before taking the lock, which other callers and the
		// feeder wait for. (The first batch to spill is encoded under the
		// lock: reading the budgets here would cost the hot path.)
		if r, err := c.record(b, false); err == nil {
			rec = &r
		}
	}
	c.mu.Lock()
	if c.closed.Load() {
		c.mu.Unlock()
		c.sig.unref(b.data)
		return c.refuse(b.items, errShutDown)
	}
	if c.disk != nil && c.disk.unread.Load() > 0 {
		// Batches wait on disk: this one queues behind them.
		return c.spillLocked(b, rec)
	}
	if !c.tryReserve(b.bytes) && !c.dropExpiredLocked(b.bytes) {
		if c.disk != nil {
			return c.spillLocked(b, rec)
		}
		if !exact && c.cfg.Overflow == OverflowPolicyReject {
			// Size it exactly, outside the lock, before refusing it,
			// then try again.
			c.mu.Unlock()
			if b.bytes = c.est.exact(b.data, b.items); c.tooLarge(b) {
				c.sig.unref(b.data)
				return c.refuseTooLarge(b)
			}
			return c.admitNow(b, true)
		}
		if c.cfg.Overflow == OverflowPolicyDropOldest && c.evictForLocked(b.bytes) {
			c.pushLocked(b)
			c.mu.Unlock()
			return nil
		}
		c.mu.Unlock()
		c.sig.unref(b.data)
		if c.cfg.Overflow == OverflowPolicyReject {
			return c.refuse(b.items, errQueueFull)
		}
		c.countDropped(b.items, reasonOverflow)
		return nil
	}
	c.pushLocked(b)
	c.mu.Unlock()
	return nil
}

// dropExpiredLocked drops batches past max_age from the head of the queue,
// so that stale data does not hold room a new batch of n bytes needs (while
// the breaker is open, workers look only at the batch they pop), then tries
// to reserve that room. Batches wait in arrival order, a retried one back at
// the head, so the expired ones are at the head; the sweep stops at the first
// batch that is not. Callers MUST hold c.mu.
func (c *core[T]) dropExpiredLocked(n int64) bool {
	if c.cfg.MaxAge <= 0 {
		return false
	}
	now := time.Now()
	dropped := false
	for {
		old, ok := c.ring.TryPop()
		if !ok {
			break
		}
		if now.Sub(old.arrived) <= c.cfg.MaxAge {
			c.requeue(old) // it kept its room, so the ring has its slot
			break
		}
		c.drop(old, reasonExpired)
		dropped = true
	}
	return dropped && c.tryReserve(n)
}

// lockedDropExpired is dropExpiredLocked for callers that do not hold c.mu.
func (c *core[T]) lockedDropExpired(n int64) bool {
	if c.cfg.MaxAge <= 0 {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dropExpiredLocked(n)
}

// evictForLocked makes room for a new batch of n bytes under drop_oldest by
// dropping queued batches from the head, and reserves that room. Batches in
// flight cannot be evicted: when they hold so much that even an empty queue
// would not fit the new batch, it evicts nothing, puts back what it took, and
// returns false, so the caller drops only the new batch. Callers MUST hold
// c.mu; every other reservation under drop_oldest is made under it too, and
// the workers only release room meanwhile, so the room counted here stays free.
func (c *core[T]) evictForLocked(n int64) bool {
	victims := c.victims[:0]
	var victimBytes int64
	for !c.fitsAfter(len(victims), victimBytes, n) {
		old, ok := c.ring.TryPop()
		if !ok {
			// The queue is empty: put them back, oldest first, so a worker
			// that parked meanwhile gets the oldest. They kept their room,
			// so the ring has a slot for each.
			for _, v := range victims {
				if err := c.ring.TryPush(v); err != nil {
					c.drop(v, reasonOverflow) // unreachable, see above
				}
			}
			c.clearVictims(victims)
			return false
		}
		victims = append(victims, old)
		victimBytes += old.bytes
	}
	for _, v := range victims {
		c.drop(v, reasonOverflow)
	}
	c.clearVictims(victims)
	return c.tryReserve(n)
}

// fitsAfter reports whether one more batch of n bytes fits once batches
// holding the given room are released.
func (c *core[T]) fitsAfter(batches int, bytes, n int64) bool {
	if c.slots.Limit()-c.slots.InUse()+int64(batches) < 1 {
		return false
	}
	return c.bytes == nil || c.bytes.Limit()-c.bytes.InUse()+bytes >= n
}

// clearVictims keeps the scratch slice for the next eviction without keeping
// the evicted data alive.
func (c *core[T]) clearVictims(victims []batch[T]) {
	clear(victims)
	c.victims = victims[:0]
}

// admitBlocking admits b under overflow block: it waits for room up to
// block_timeout, the caller's context or Shutdown, then refuses. exact says
// whether b.bytes is exact.
func (c *core[T]) admitBlocking(ctx context.Context, b batch[T], exact bool) error {
	reserved := c.tryReserve(b.bytes)
	if !reserved && !exact {
		// Size it exactly before waiting and perhaps refusing.
		if b.bytes = c.est.exact(b.data, b.items); c.tooLarge(b) {
			c.sig.unref(b.data)
			return c.refuseTooLarge(b)
		}
		reserved = c.tryReserve(b.bytes)
	}
	if !reserved && !c.lockedDropExpired(b.bytes) {
		if err := c.reserveWait(ctx, b.bytes); err != nil {
			c.sig.unref(b.data)
			if c.stopIntake.Err() != nil {
				return c.refuse(b.items, errShutDown)
			}
			return c.refuse(b.items, fmt.Errorf("%w: no room within block_timeout: %w", errQueueFull, err))
		}
	}
	c.mu.Lock()
	if c.closed.Load() {
		c.mu.Unlock()
		c.unreserve(b.bytes)
		c.sig.unref(b.data)
		return c.refuse(b.items, errShutDown)
	}
	c.pushLocked(b)
	c.mu.Unlock()
	return nil
}

// tryReserve takes one slot and n bytes without waiting, both or neither.
func (c *core[T]) tryReserve(n int64) bool {
	if !c.slots.TryAcquire(1) {
		return false
	}
	if c.bytes != nil && !c.bytes.TryAcquire(n) {
		c.slots.Release(1)
		return false
	}
	return true
}

// reserveWait waits for one slot and n bytes, both or neither.
func (c *core[T]) reserveWait(ctx context.Context, n int64) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.BlockTimeout)
	defer cancel()
	stop := context.AfterFunc(c.stopIntake, cancel) //nolint:contextcheck // stopIntake is a cancel signal, not a parent: Shutdown ends the wait early
	defer stop()
	if err := c.slots.Acquire(ctx, 1); err != nil {
		return err
	}
	if c.bytes != nil {
		if err := c.bytes.Acquire(ctx, n); err != nil {
			c.slots.Release(1)
			return err
		}
	}
	return nil
}

func (c *core[T]) unreserve(n int64) {
	c.slots.Release(1)
	if c.bytes != nil {
		c.bytes.Release(n)
	}
}

// pushLocked queues a batch whose room is reserved. Callers MUST hold c.mu.
func (c *core[T]) pushLocked(b batch[T]) {
	c.heldBatches.Add(1)
	c.heldItems.Add(int64(b.items))
	c.heldBytes.Add(b.bytes)
	if err := c.ring.TryPush(b); err != nil {
		// Unreachable: the ring has queue_size slots and a reserved slot.
		c.drop(b, reasonOverflow)
	}
}

// release gives back the room of a held batch and its data reference, and
// its frame on disk. The gauges go down before the budget, so they never show
// more than it admits.
func (c *core[T]) release(b batch[T]) {
	if b.disk != 0 {
		c.disk.ack(b.disk)
	}
	c.forget(b)
}

// forget is release without the ack: the batch's frame, if it has one, stays
// on disk for the next Start.
func (c *core[T]) forget(b batch[T]) {
	c.heldItems.Add(-int64(b.items))
	c.heldBytes.Add(-b.bytes)
	last := c.heldBatches.Add(-1) == 0
	c.unreserve(b.bytes)
	c.sig.unref(b.data)
	if c.feedWaiting.Load() && c.feedWaiting.CompareAndSwap(true, false) {
		c.room.broadcast()
	}
	if last && c.stopping.Load() {
		select {
		case c.drained <- struct{}{}:
		default:
		}
	}
}

// drop releases a held batch and counts its items as dropped.
func (c *core[T]) drop(b batch[T], r dropReason) {
	c.release(b)
	c.countDropped(b.items, r)
}

func (c *core[T]) countDropped(items int, r dropReason) {
	c.dropped[r].Add(int64(items))
	c.tel.pending.dropped[r].Add(int64(items))
	c.flushIfClosed()
	if r != reasonShutdown {
		c.warnDropped(items, r)
	}
}

func (c *core[T]) refuse(items int, err error) error {
	if items > 0 {
		c.tel.pending.refused.Add(int64(items))
		c.flushIfClosed()
	}
	return err
}

// flushIfClosed flushes the pending counts at once once intake is closed:
// what is counted during and after Shutdown (refusals, the last drops) may
// see no further collection callback, since Shutdown unregisters them.
func (c *core[T]) flushIfClosed() {
	if c.closed.Load() {
		c.tel.flush(context.Background())
	}
}
