// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"

	"github.com/resilientsink/resilientsink/internal/spool"
)

// admission is a new batch on its way into the queue.
type admission[T any] struct {
	b batch[T]
	// exact says whether b.bytes is the exact size rather than the
	// estimator's per-item price.
	exact bool
	// rec is b encoded as a frame, once a decision needs it (encoded).
	rec     spool.Record
	encoded bool
	// deadline ends the wait of overflow block; zero before the first wait.
	deadline time.Time
	ids      [1]spool.ID
}

// offer admits data, holding items, into the queue, as the overflow policy
// and the persistence mode say (policy.go). It returns nil once the batch is
// queued (under write_ahead: on disk) or dropped, and an error when it is
// handed back to the caller. It never waits on the downstream; only overflow
// block waits, for room.
func (q *tieredQueue[T]) offer(ctx context.Context, data T, items int) error {
	a := admission[T]{b: batch[T]{data: data, items: items, arrived: q.arrival()}}
	a.b.bytes, a.exact = q.est.estimate(data, items)
	if q.limitBytes > 0 && a.b.bytes > q.limitBytes && !a.exact {
		a.b.bytes, a.exact = q.est.exact(data, items), true
	}
	if q.limitBytes > 0 && a.b.bytes > q.limitBytes {
		return q.tooLarge(&a, fmt.Sprintf("%d estimated bytes, memory_limit_mib is %d bytes", a.b.bytes, q.limitBytes))
	}
	// Hold a reference before the batch becomes visible to the workers.
	q.sig.ref(data)
	if q.spilling.Load() || q.writeAheadOn.Load() {
		// It very likely goes to disk: encode it before taking the lock.
		if err := q.encode(&a); err != nil {
			return err
		}
	}
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return q.refuse(&a, errShutDown)
		}
		d := q.decideLocked(&a)
		if done, err := q.apply(ctx, &a, d); done {
			return err
		}
	}
}

// writeAhead reports whether every batch goes to disk before it is acknowledged.
func (q *tieredQueue[T]) writeAhead() bool { return q.disk != nil && q.disk.writeAhead }

// apply carries out decision d, with the lock held on entry and released on
// return. done is false when the caller must decide again.
func (q *tieredQueue[T]) apply(ctx context.Context, a *admission[T], d decision) (done bool, err error) {
	switch d.act {
	case actMemory:
		q.pushLocked(a.b)
		q.mu.Unlock()
		return true, nil
	case actDisk:
		if q.writeAhead() {
			return q.appendWriteAhead(a, d.held)
		}
		return q.spillUnlock(a)
	case actDrop:
		q.mu.Unlock()
		q.dropData(&a.b, d.reason, "")
		q.sig.unref(a.b.data)
		return true, nil
	case actRefuse:
		q.mu.Unlock()
		return true, q.refuse(a, d.err)
	case actTooLarge:
		q.mu.Unlock()
		q.sig.unref(a.b.data)
		return true, q.tooLarge(a, d.err.Error())
	case actWait:
		if a.deadline.IsZero() {
			a.deadline = time.Now().Add(q.cfg.BlockTimeout)
		}
		if time.Now().Before(a.deadline) && ctx.Err() == nil {
			q.room.wait(ctx, a.deadline)
			q.mu.Unlock()
			return false, nil
		}
		q.mu.Unlock()
		cause := ctx.Err()
		if cause == nil {
			cause = context.DeadlineExceeded
		}
		return true, q.refuse(a, fmt.Errorf("%w: %w: no room within block_timeout: %w", errQueueFull, d.err, cause))
	case actEncode:
		q.mu.Unlock()
		if err := q.encode(a); err != nil {
			return true, err
		}
		return false, nil
	default: // actSizeExactly
		q.mu.Unlock()
		a.b.bytes, a.exact = q.est.exact(a.b.data, a.b.items), true
		return false, nil
	}
}

// encode encodes a's batch as a frame; a batch that does not encode is
// refused (it could never be written).
func (q *tieredQueue[T]) encode(a *admission[T]) error {
	rec, err := q.record(&a.b)
	if err != nil {
		return q.refuse(a, fmt.Errorf("%w: %w", errSpillFailed, err))
	}
	a.rec, a.encoded = rec, true
	return nil
}

// tooLarge drops (reason too_large) or, under reject and block, refuses
// permanently a batch that could never fit. The data reference is the caller's.
func (q *tieredQueue[T]) tooLarge(a *admission[T], why string) error {
	if q.cfg.Overflow == OverflowPolicyReject || q.cfg.Overflow == OverflowPolicyBlock {
		return consumererror.NewPermanent(fmt.Errorf("%w: %s", errTooLarge, why))
	}
	q.dropData(&a.b, reasonTooLarge, why)
	return nil
}

// refuse hands a's batch back to the caller with err, giving back its data
// reference. The refused count is the admission decorator's.
func (q *tieredQueue[T]) refuse(a *admission[T], err error) error {
	q.sig.unref(a.b.data)
	return err
}

// spillUnlock writes a's batch to the disk tier's tail, behind every frame
// there, under the lock (spill mode: the tail is not synced per append), and
// releases the lock. A write that fails leaves the batch to memory if it may
// go there (no frame waits on disk, and there is room), else to the policy:
// dropped (spill_failed) or refused.
func (q *tieredQueue[T]) spillUnlock(a *admission[T]) (bool, error) {
	err := q.disk.appendLocked(&a.rec, false, a.ids[:0])
	if err == nil {
		q.spilling.Store(true)
		q.mu.Unlock()
		q.sig.unref(a.b.data)
		q.events.spilled(int64(a.b.items))
		return true, nil
	}
	if errors.Is(err, spool.ErrFull) {
		// Past the files' limit (the logical budget had room: acked frames
		// wait for their segment to go). As a full disk, without eviction.
		return true, q.noRoomUnlock(a, fmt.Errorf("disk files full: %w", err))
	}
	if q.disk.unread.batches == 0 && (q.memFitsLocked(a.b.bytes) || q.makeMemRoomLocked(a.b.bytes)) {
		q.pushLocked(a.b)
		q.mu.Unlock()
		return true, nil
	}
	q.mu.Unlock()
	q.warnWrite(err)
	if q.cfg.Overflow == OverflowPolicyReject || q.cfg.Overflow == OverflowPolicyBlock {
		return true, q.refuse(a, fmt.Errorf("%w: %w: %w", errQueueFull, errSpillFailed, err))
	}
	q.sig.unref(a.b.data)
	q.events.dropped(int64(a.b.items), reasonSpillFailed)
	return true, nil
}

// noRoomUnlock applies the policy to a batch for which no room can be made,
// with the lock held on entry and released on return.
func (q *tieredQueue[T]) noRoomUnlock(a *admission[T], why error) error {
	q.mu.Unlock()
	switch q.cfg.Overflow {
	case OverflowPolicyReject, OverflowPolicyBlock:
		return q.refuse(a, fmt.Errorf("%w: %w", errQueueFull, why))
	default:
		q.dropData(&a.b, reasonOverflow, why.Error())
		q.sig.unref(a.b.data)
		return nil
	}
}

// appendWriteAhead writes a's batch to the disk tier (write_ahead), without
// the lock, so that concurrent callers share one fsync. Its room is reserved
// first: in memory when held (it is also queued there), else as a frame
// waiting on disk. It returns once the batch is on disk, or handed back.
func (q *tieredQueue[T]) appendWriteAhead(a *admission[T], held bool) (bool, error) {
	d := q.disk
	c := counts{1, int64(a.b.items), frameBytes(&a.rec)}
	if held {
		q.mem.add(a.b.memCounts())
		q.appending.add(a.b.memCounts())
	} else {
		d.unread.add(c)
	}
	d.appendingBytes += c.bytes
	q.mu.Unlock()
	a.rec.Held = held
	ids, err := d.tail.Append(a.ids[:0], a.rec)
	q.mu.Lock()
	d.appendingBytes -= c.bytes
	if held {
		q.appending.sub(a.b.memCounts())
	}
	if err != nil {
		if held {
			q.mem.sub(a.b.memCounts())
		} else {
			d.unread.sub(c)
		}
		q.room.broadcast() // the room reserved is free again
		if errors.Is(err, spool.ErrFull) {
			return true, q.noRoomUnlock(a, fmt.Errorf("disk files full: %w", err))
		}
		q.mu.Unlock()
		q.warnWrite(err)
		return true, q.refuse(a, fmt.Errorf("%w: %w", errSpillFailed, err))
	}
	kept := false
	switch {
	case !held:
		d.wake()
	case q.closed:
		// Shutdown began meanwhile: the batch stays on disk only, for the
		// next Start; the sweep waits for this append before it closes.
		q.mem.sub(a.b.memCounts())
		d.unread.add(c)
	default:
		a.b.disk, a.b.frameBytes = tailRef(ids[0]), c.bytes
		q.enqueueLocked(a.b)
		kept = true // the queue holds the data reference now
	}
	q.room.broadcast()
	q.mu.Unlock()
	if !kept {
		q.sig.unref(a.b.data)
	}
	q.events.spilled(c.items)
	return true, nil
}
