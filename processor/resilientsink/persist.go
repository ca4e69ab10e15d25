// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/internal/spool"
)

// errNoRoom says that neither tier has room for a batch under overflow
// block: the caller waits and tries again. It never reaches a caller.
var errNoRoom = errors.New("resilientsink: no room in memory or on disk")

// errSpillFailed wraps a failed write to disk.
var errSpillFailed = errors.New("resilientsink: write to disk failed")

// record is b as a frame to append to a spool.
func (c *core[T]) record(b batch[T], held bool) (spool.Record, error) {
	if b.items > math.MaxUint32 {
		return spool.Record{}, fmt.Errorf("%w: %d items in one batch", spool.ErrTooLarge, b.items)
	}
	payload, err := c.sig.marshal(b.data)
	if err != nil {
		return spool.Record{}, fmt.Errorf("marshal: %w", err)
	}
	return spool.Record{Payload: payload, Items: uint32(b.items), Time: b.arrived.UnixNano(), Held: held}, nil
}

// appendTailLocked writes b, held in memory by no one, to the tail of the
// disk tier, behind every frame there. rec is b encoded, or nil to encode it
// now. Callers MUST hold c.mu.
func (c *core[T]) appendTailLocked(b batch[T], rec *spool.Record) error {
	if rec == nil {
		r, err := c.record(b, false)
		if err != nil {
			return err
		}
		rec = &r
	}
	if _, err := c.disk.tail.Append(nil, *rec); err != nil {
		return err
	}
	c.disk.unread.Add(1)
	c.disk.items.Add(int64(b.items))
	c.tel.pending.spilled.Add(int64(b.items))
	c.disk.wake()
	return nil
}

// spillLocked writes b (encoded as rec, or nil), for which memory has no room or which must queue
// behind frames on disk, to disk instead of meeting the overflow policy.
// Only when the disk budget is full too does the policy apply, to the queue
// as a whole; drop_oldest then evicts the oldest batches on disk (those in
// memory are older still, but they are next to be delivered). A write that
// fails for another reason (I/O error) leaves b to the memory policy:
// dropped with reason spill_failed unless drop_oldest can make room in
// memory, which it does only while no frame waits on disk (b would overtake
// them). Under block it returns errNoRoom when both budgets are full, with b
// still the caller's. Callers MUST hold c.mu; it is released on return.
func (c *core[T]) spillLocked(b batch[T], rec *spool.Record) error {
	defer c.mu.Unlock()
	err := c.appendTailLocked(b, rec)
	if errors.Is(err, spool.ErrFull) && c.cfg.Overflow == OverflowPolicyDropOldest {
		err = c.evictDiskLocked(b, rec)
	}
	switch {
	case err == nil:
		c.sig.unref(b.data)
		return nil
	case errors.Is(err, spool.ErrFull):
		switch c.cfg.Overflow {
		case OverflowPolicyBlock:
			return errNoRoom
		case OverflowPolicyReject:
			c.sig.unref(b.data)
			return c.refuse(b.items, fmt.Errorf("%w: memory and disk budgets are full", errQueueFull))
		default:
			c.sig.unref(b.data)
			c.countDropped(b.items, reasonOverflow)
			return nil
		}
	default:
		// Into memory only when no frame waits on disk: it would overtake them.
		if c.cfg.Overflow == OverflowPolicyDropOldest && c.disk.unread.Load() == 0 && c.evictForLocked(b.bytes) {
			c.pushLocked(b)
			return nil
		}
		c.sig.unref(b.data)
		if c.cfg.Overflow == OverflowPolicyReject || c.cfg.Overflow == OverflowPolicyBlock {
			return c.refuse(b.items, fmt.Errorf("%w: %w: %w", errQueueFull, errSpillFailed, err))
		}
		c.warnSpillFailed(err)
		c.countDropped(b.items, reasonSpillFailed)
		return nil
	}
}

// warnSpillFailed logs a failed write to disk, at most once per
// dropWarnInterval: the error names the file (a full volume, an I/O error).
func (c *core[T]) warnSpillFailed(err error) {
	if c.spillWarn.allow(time.Now(), dropWarnInterval) {
		c.logger.Warn("Could not write to the queue on disk (logged at most every 10s)", zap.String("folder", c.folder), zap.Error(err))
	}
}

// evictDiskLocked drops (reason overflow) the oldest unread frames on disk
// until b fits on disk, then writes it. It returns spool.ErrFull when even
// an empty disk tier, but for the frames held in memory, has no room.
// Callers MUST hold c.mu.
func (c *core[T]) evictDiskLocked(b batch[T], rec *spool.Record) error {
	for {
		f, ref, ok, err := c.disk.next()
		if err != nil || !ok {
			return spool.ErrFull
		}
		c.disk.ack(ref)
		c.disk.unread.Add(-1)
		c.disk.items.Add(-int64(f.Items))
		c.countDropped(int(f.Items), reasonOverflow)
		if err := c.appendTailLocked(b, rec); !errors.Is(err, spool.ErrFull) {
			return err
		}
	}
}

// admitSpillBlocking admits b under overflow block with persistence: to
// memory or disk as admitNow does, waiting while both are full, until
// block_timeout, the caller's context or Shutdown.
func (c *core[T]) admitSpillBlocking(ctx context.Context, b batch[T], exact bool) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.BlockTimeout)
	defer cancel()
	for {
		woken := c.wake.wait()
		err := c.admitNow(b, exact)
		if !errors.Is(err, errNoRoom) {
			return err
		}
		select {
		case <-woken: // a delivery ended: its frame's space may be free
		case <-c.stopIntake.Done():
		case <-ctx.Done():
		}
		if c.stopIntake.Err() != nil || ctx.Err() != nil {
			c.sig.unref(b.data)
			if c.stopIntake.Err() != nil {
				return c.refuse(b.items, errShutDown)
			}
			return c.refuse(b.items, fmt.Errorf("%w: no room in memory or on disk within block_timeout: %w", errQueueFull, ctx.Err()))
		}
	}
}

// admitWriteAhead admits b under write_ahead: it returns nil only once b is
// on disk (after an fsync shared with concurrent callers, with sync). b also
// goes to memory when it fits and no frame waits on disk unread; otherwise
// the feeder reads it back later. A disk error is handed back as a retryable
// error; a full disk budget meets the overflow policy.
func (c *core[T]) admitWriteAhead(ctx context.Context, b batch[T]) error {
	rec, err := c.record(b, false)
	if err != nil {
		c.sig.unref(b.data)
		return c.refuse(b.items, fmt.Errorf("%w: %w", errSpillFailed, err))
	}
	var deadline <-chan time.Time
	ids := make([]spool.ID, 0, 1)
	for {
		c.mu.Lock()
		if c.closed.Load() {
			c.mu.Unlock()
			c.sig.unref(b.data)
			return c.refuse(b.items, errShutDown)
		}
		rec.Held = c.disk.unread.Load() == 0 && (c.tryReserve(b.bytes) || c.dropExpiredLocked(b.bytes))
		if !rec.Held {
			// Counted before the append, so the feeder, which may read the
			// frame as soon as it is written, never takes the count below 0.
			c.disk.unread.Add(1)
			c.disk.items.Add(int64(b.items))
		}
		c.mu.Unlock()
		woken := c.wake.wait()
		ids, err = c.disk.tail.Append(ids[:0], rec)
		if err == nil {
			break
		}
		c.undoWriteAhead(b, rec.Held)
		if !errors.Is(err, spool.ErrFull) {
			c.warnSpillFailed(err)
			c.sig.unref(b.data)
			return c.refuse(b.items, fmt.Errorf("%w: %w", errSpillFailed, err))
		}
		switch c.cfg.Overflow {
		case OverflowPolicyDropOldest:
			// Behind the evicted frames, on disk only: never held, or it
			// would wait for an ack that no delivery gives.
			rec.Held = false
			c.mu.Lock()
			err = c.evictDiskLocked(b, &rec)
			c.mu.Unlock()
			c.sig.unref(b.data)
			if err != nil {
				c.countDropped(b.items, reasonOverflow)
			}
			return nil
		case OverflowPolicyDropNewest:
			c.sig.unref(b.data)
			c.countDropped(b.items, reasonOverflow)
			return nil
		case OverflowPolicyReject:
			c.sig.unref(b.data)
			return c.refuse(b.items, fmt.Errorf("%w: disk budget full", errQueueFull))
		}
		if deadline == nil {
			timer := time.NewTimer(c.cfg.BlockTimeout)
			defer timer.Stop()
			deadline = timer.C
		}
		select {
		case <-woken:
			continue
		case <-c.stopIntake.Done():
			c.sig.unref(b.data)
			return c.refuse(b.items, errShutDown)
		case <-ctx.Done():
		case <-deadline:
		}
		c.sig.unref(b.data)
		return c.refuse(b.items, fmt.Errorf("%w: disk budget full within block_timeout", errQueueFull))
	}
	c.tel.pending.spilled.Add(int64(b.items))
	if !rec.Held {
		c.sig.unref(b.data)
		c.disk.wake()
		return nil
	}
	b.disk = tailRef(ids[0])
	c.mu.Lock()
	if c.closed.Load() {
		// Shutdown began meanwhile: the batch is on disk, replayed at the
		// next Start.
		c.mu.Unlock()
		c.unreserve(b.bytes)
		c.sig.unref(b.data)
		return nil
	}
	c.pushLocked(b)
	c.mu.Unlock()
	return nil
}

// undoWriteAhead takes back what admitWriteAhead reserved or counted before
// an append that failed.
func (c *core[T]) undoWriteAhead(b batch[T], held bool) {
	if held {
		c.unreserve(b.bytes)
		return
	}
	c.disk.unread.Add(-1)
	c.disk.items.Add(-int64(b.items))
}
