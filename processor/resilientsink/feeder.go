// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/internal/spool"
)

// feedRetryInterval is the wait before the feeder reads again after a read error.
const feedRetryInterval = time.Second

// feed moves frames from disk into memory, oldest first, as the memory budget
// makes room: at Start for what an earlier process left, and while the
// process runs for what was spilled. A batch read back keeps its frame until
// it is delivered or dropped. One frame is read at a time (under the queue's
// lock, so that eviction and the feeder agree on which frame is oldest) and
// decoded without the lock; the decoded batch waits for memory room, so at
// most one batch beyond the budget is in memory. It returns when ctx ends; a
// frame in hand then stays on disk, unread.
func (q *tieredQueue[T]) feed(ctx context.Context) {
	for ctx.Err() == nil {
		q.mu.Lock()
		f, ref, ok, err := q.nextFrameLocked()
		switch {
		case err != nil:
			q.mu.Unlock()
			if q.readWarn.allow(time.Now(), dropWarnInterval) {
				q.logger.Warn("Could not read the queue on disk: will try again", zap.String("folder", q.disk.dir), zap.Error(err))
			}
			sleepCtx(ctx, feedRetryInterval)
			continue
		case !ok:
			q.idleLocked()
			q.mu.Unlock()
			select {
			case <-q.disk.kick:
			case <-ctx.Done():
			}
			continue
		}
		h := &feedHand{ref: ref, c: counts{1, int64(f.Items), frameHeaderBytes + int64(len(f.Payload))}, payload: f.Payload, arrived: time.Unix(0, f.Time)}
		q.disk.hand = h
		q.mu.Unlock()
		data, derr := q.sig.unmarshal(f.Payload)
		q.mu.Lock()
		q.placeFedLocked(ctx, f, h, data, derr)
		q.disk.hand = nil
		q.mu.Unlock()
	}
}

// idleLocked runs when the disk has no frame to read now: admission may use
// memory again once nothing waits there. The counts are exact (the spool
// reports every frame it will never yield), so they are not reset here: a
// frame still counted is being appended, or was written ahead while
// Shutdown began (held, so never read in this process).
func (q *tieredQueue[T]) idleLocked() {
	if q.disk.unread.batches == 0 {
		q.spilling.Store(false)
	}
}

// placeFedLocked queues a decoded frame once memory has room for it, or
// drops it if it does not decode (reason corrupt) or was evicted meanwhile
// (acked by the eviction).
func (q *tieredQueue[T]) placeFedLocked(ctx context.Context, f spool.Frame, h *feedHand, data T, derr error) {
	d := q.disk
	if !h.evicted && derr != nil {
		q.logger.Warn("Batch on disk does not decode: dropped", zap.String("folder", d.dir), zap.Stringer("frame", f.ID), zap.Error(derr))
		d.unread.sub(h.c)
		q.events.dropped(h.c.items, reasonCorrupt)
		d.ack(h.ref, &q.ackWarn)
		q.room.broadcast()
		return
	}
	b := batch[T]{data: data, items: int(f.Items), arrived: time.Unix(0, f.Time), disk: h.ref, frameBytes: h.c.bytes}
	if !h.evicted {
		b.bytes, _ = q.est.estimate(data, max(1, b.items))
		if q.limitBytes > 0 {
			b.bytes = min(b.bytes, q.limitBytes) // a batch larger than the whole budget waits for all of it
		}
	}
	for !h.evicted && !q.memFitsLocked(b.bytes) {
		if ctx.Err() != nil {
			return // stays on disk, unread
		}
		q.room.wait(ctx, time.Time{})
	}
	if h.evicted {
		q.room.broadcast()
		return
	}
	q.sig.ref(data)
	d.unread.sub(h.c)
	q.pushLocked(b)
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
