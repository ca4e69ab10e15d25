// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"errors"
	"fmt"
	"time"
)

// action is what admission does with a new batch.
type action int

const (
	actMemory      action = iota // queue it in memory
	actDisk                      // write it to disk (and, if held, queue it in memory too)
	actDrop                      // drop it, counted with reason
	actRefuse                    // hand it back to the caller, retryable
	actTooLarge                  // it could never fit: drop (too_large) or refuse permanently
	actWait                      // overflow block: wait for room, then decide again
	actEncode                    // encode it (without the lock), then decide again
	actSizeExactly               // size it exactly (without the lock), then decide again
)

// decision is the outcome of decideLocked.
type decision struct {
	act    action
	held   bool       // actDisk under write_ahead: also queued in memory
	reason dropReason // actDrop
	err    error      // actRefuse, actTooLarge, actWait: which budget is full
}

// Where a new batch goes, by persistence mode:
//
//	mode         goes to                                   when that tier is full
//	off          memory                                    memory policy
//	spill        memory, unless frames wait on disk (it    disk policy; memory policy when
//	             must queue behind them) or memory is      no frame waits on disk
//	             full: then disk
//	write_ahead  disk, and also memory while no frame      disk policy
//	             waits on disk and memory has room
//
// and what the overflow policy does when the tier is full:
//
//	policy       memory                                    disk
//	drop_oldest  evict the oldest queued batches; if they  evict the oldest batches holding disk
//	             cannot make room, drop the new one        room (write_ahead: queued in memory
//	             (overflow)                                first, then unread frames; spill: unread
//	                                                       frames); if they cannot make room,
//	                                                       drop the new one (too_large)
//	drop_newest  drop the new one (overflow)               same
//	reject       refuse (after sizing it exactly)          same
//	block        wait up to block_timeout, then refuse     same
//
// A batch larger than a whole budget never fits: too_large (dropped, or
// refused permanently under reject and block), and nothing is evicted for it.

var (
	errMemoryFull = errors.New("memory budget full")
	errDiskFull   = errors.New("disk budget full")
)

// decideLocked applies the tables above to a's batch.
func (q *tieredQueue[T]) decideLocked(a *admission[T]) decision {
	if q.limitBytes > 0 && a.b.bytes > q.limitBytes {
		return decision{act: actTooLarge, err: fmt.Errorf("%d bytes, memory_limit_mib is %d bytes", a.b.bytes, q.limitBytes)}
	}
	if q.disk == nil {
		if q.memFitsLocked(a.b.bytes) || q.dropExpiredLocked(a.b.bytes) {
			return decision{act: actMemory}
		}
		return q.overflowLocked(a, false)
	}
	diskFirst := q.writeAhead() || q.disk.unread.batches > 0
	if !diskFirst && (q.memFitsLocked(a.b.bytes) || q.dropExpiredLocked(a.b.bytes)) {
		return decision{act: actMemory}
	}
	if !a.encoded {
		return decision{act: actEncode}
	}
	fb := frameBytes(&a.rec)
	if fb > q.disk.limit {
		return decision{act: actTooLarge, err: fmt.Errorf("frame of %d bytes, persistence.max_megabytes is %d bytes", fb, q.disk.limit)}
	}
	if q.disk.fitsLocked(fb) {
		return decision{act: actDisk, held: q.heldLocked(a)}
	}
	if !diskFirst {
		// Nothing waits on disk: the batch may as well take memory's
		// policy, whose oldest batches are older than anything on disk.
		return q.overflowLocked(a, false)
	}
	return q.overflowLocked(a, true)
}

// heldLocked reports whether a write_ahead batch is also queued in memory.
func (q *tieredQueue[T]) heldLocked(a *admission[T]) bool {
	return q.writeAhead() && q.disk.unread.batches == 0 && q.memFitsLocked(a.b.bytes)
}

// overflowLocked applies the overflow policy to a batch that finds its tier
// (memory, or disk when onDisk) full.
func (q *tieredQueue[T]) overflowLocked(a *admission[T], onDisk bool) decision {
	switch q.cfg.Overflow {
	case OverflowPolicyDropOldest:
		if !onDisk && q.makeMemRoomLocked(a.b.bytes) {
			return decision{act: actMemory}
		}
		if onDisk {
			if q.makeDiskRoomLocked(frameBytes(&a.rec)) {
				return decision{act: actDisk, held: q.heldLocked(a)}
			}
			// Larger than what eviction could free: it costs only itself.
			return decision{act: actDrop, reason: reasonTooLarge}
		}
		return decision{act: actDrop, reason: reasonOverflow}
	case OverflowPolicyDropNewest:
		return decision{act: actDrop, reason: reasonOverflow}
	}
	if !a.exact && !onDisk && q.limitBytes > 0 {
		// An estimate drawn from other batches must not refuse this one.
		return decision{act: actSizeExactly}
	}
	full := q.fullErrLocked(onDisk) // only here: it allocates, and drops are the hot path under overload
	if q.cfg.Overflow == OverflowPolicyBlock {
		return decision{act: actWait, err: full}
	}
	return decision{act: actRefuse, err: fmt.Errorf("%w: %w", errQueueFull, full)}
}

// fullErrLocked says which budget is full and how full, for a refusal.
func (q *tieredQueue[T]) fullErrLocked(onDisk bool) error {
	if onDisk {
		return fmt.Errorf("%w: %d of %d bytes", errDiskFull, q.disk.usedLocked(), q.disk.limit)
	}
	if q.limitBytes == 0 {
		return fmt.Errorf("%w: %d of %d batches (queue_size)", errMemoryFull, q.mem.batches, q.cfg.QueueSize)
	}
	return fmt.Errorf("%w: %d of %d batches (queue_size), %d of %d bytes (memory_limit_mib)",
		errMemoryFull, q.mem.batches, q.cfg.QueueSize, q.mem.bytes, q.limitBytes)
}

// makeMemRoomLocked evicts (reason overflow) the oldest queued batches until
// one of n bytes fits in memory. Batches in a worker's hands and appends in
// progress cannot be evicted: when they alone leave no room, it evicts nothing
// and returns false, so the caller drops only the new batch.
func (q *tieredQueue[T]) makeMemRoomLocked(n int64) bool {
	pinned := q.inHands
	pinned.add(q.appending)
	if pinned.batches+1 > int64(q.cfg.QueueSize) || (q.limitBytes > 0 && pinned.bytes+n > q.limitBytes) {
		return false
	}
	for !q.memFitsLocked(n) {
		b, ok := q.popOldestLocked()
		if !ok {
			return false // unreachable: what is not pinned is queued
		}
		q.endLocked(b, dropOutcome(reasonOverflow))
	}
	return true
}

// makeDiskRoomLocked evicts (reason overflow) the oldest batches holding disk
// room until a frame of n bytes fits: under write_ahead the batches queued in
// memory first (every one has its frame, and they are the oldest), then the
// frames not read back yet. It checks first that it can make room, and evicts
// nothing when it cannot.
func (q *tieredQueue[T]) makeDiskRoomLocked(n int64) bool {
	need := q.disk.usedLocked() + n - q.disk.limit
	victims := q.victims[:0]
	for q.writeAhead() && need > 0 {
		b, ok := q.popOldestLocked()
		if !ok {
			break
		}
		victims = append(victims, b)
		need -= b.frameBytes
	}
	if need > q.disk.unread.bytes {
		for i := len(victims) - 1; i >= 0; i-- {
			q.restoreLocked(victims[i])
		}
		q.clearVictims(victims)
		return false
	}
	for _, b := range victims {
		q.endLocked(b, dropOutcome(reasonOverflow))
	}
	q.clearVictims(victims)
	for !q.disk.fitsLocked(n) {
		if !q.evictUnreadLocked() {
			return false
		}
	}
	return true
}

// popOldestLocked takes the oldest queued batch: the first waiting for a
// retry (they left the head of the ring before any batch now in it), else
// the head of the ring.
func (q *tieredQueue[T]) popOldestLocked() (batch[T], bool) {
	if len(q.retrying) > 0 {
		if head, ok := q.ring.Peek(); !ok || !head.arrived.Before(q.retrying[0].arrived) {
			b := q.retrying[0]
			q.retrying = deleteFirst(q.retrying)
			return b, true
		}
	}
	return q.ring.TryPop()
}

// restoreLocked puts back a batch taken by popOldestLocked; restoring them
// newest first leaves every batch where it was.
func (q *tieredQueue[T]) restoreLocked(b batch[T]) {
	if !b.notBefore.IsZero() {
		q.insertRetryingLocked(b)
		return
	}
	q.putBackLocked(b)
}

// clearVictims keeps the scratch slice without keeping the data alive.
func (q *tieredQueue[T]) clearVictims(victims []batch[T]) {
	clear(victims)
	q.victims = victims[:0]
}

// dropExpiredLocked drops batches past max_age from the head of the ring, so
// that stale data does not hold the room a new batch of n bytes needs, and
// reports whether it now fits in memory.
func (q *tieredQueue[T]) dropExpiredLocked(n int64) bool {
	if q.cfg.MaxAge <= 0 {
		return false
	}
	now := time.Now()
	dropped := false
	for {
		old, ok := q.ring.Peek()
		if !ok || now.Sub(old.arrived) <= q.cfg.MaxAge {
			break
		}
		old, _ = q.ring.TryPop()
		q.endLocked(old, dropOutcome(reasonExpired))
		dropped = true
	}
	return dropped && q.memFitsLocked(n)
}
