// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"cmp"
	"context"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/internal/spool"
)

// closeIntake makes every later offer fail, and wakes the callers blocked by
// overflow block so that they fail too.
func (q *tieredQueue[T]) closeIntake() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.room.broadcast()
	q.ready.broadcast()
}

// isClosed reports whether intake is closed.
func (q *tieredQueue[T]) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

// drain waits until memory holds nothing, or ctx ends; it reports whether
// memory emptied.
func (q *tieredQueue[T]) drain(ctx context.Context) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.mem.batches > 0 {
		if ctx.Err() != nil {
			return false
		}
		q.room.wait(ctx, time.Time{})
	}
	return true
}

// spillBytesPerSecond is the write speed assumed to leave time for the
// shutdown spill: well under what was measured for a full 64 MiB queue
// (BENCHMARKS.md), applied to the heap estimate, which exceeds the bytes
// written.
const spillBytesPerSecond = 100 << 20

// sweepTime is the time the drain leaves for the sweep to write memory to
// disk: 0 without a disk tier or under write_ahead (everything is on disk).
func (q *tieredQueue[T]) sweepTime() time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.disk == nil || q.disk.writeAhead {
		return 0
	}
	return 50*time.Millisecond + time.Duration(float64(q.mem.bytes)/spillBytesPerSecond*float64(time.Second))
}

// abandon gives up the batches still in a worker's hands at the deadline:
// they leave the memory counts and go to the sweep; their data references
// stay with the workers, which give them back when the downstream returns.
func (q *tieredQueue[T]) abandon() []batch[T] {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []batch[T]
	for i := range q.hands {
		h := &q.hands[i]
		if !h.busy || h.abandoned {
			continue
		}
		h.abandoned = true
		q.mem.sub(h.b.memCounts())
		q.inHands.sub(h.b.memCounts())
		q.logger.Warn("Delivery did not return by the shutdown deadline: batch abandoned", zap.Int("items", h.b.items))
		out = append(out, h.b)
	}
	q.room.broadcast()
	return out
}

// sweep empties the queue at the end of Shutdown, once the workers are gone
// or abandoned, oldest first (abandoned batches, then those waiting for a
// retry, then the ring). Without a disk tier everything is dropped (reason
// shutdown); with one everything is written to disk and the disk tier is
// synced and closed, the close bounded by the deadline.
func (q *tieredQueue[T]) sweep(abandoned []batch[T], deadline time.Time) {
	q.mu.Lock()
	for q.appending.batches > 0 || (q.disk != nil && q.disk.appendingBytes > 0) {
		// A write_ahead append in progress: wait for it (until the
		// deadline, if any), so that nothing lands after the close.
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			break
		}
		q.room.wait(context.Background(), deadline)
	}
	held := abandoned
	for len(q.retrying) > 0 {
		held = append(held, q.retrying[0])
		q.retrying = deleteFirst(q.retrying)
	}
	for {
		b, ok := q.ring.TryPop()
		if !ok {
			break
		}
		held = append(held, b)
	}
	for _, b := range held[len(abandoned):] {
		q.mem.sub(b.memCounts())
	}
	d := q.disk
	q.mu.Unlock()
	if d == nil {
		for i := range held {
			q.dropData(&held[i], reasonShutdown, held[i].lastErr)
			if i >= len(abandoned) {
				q.sig.unref(held[i].data)
			}
		}
		return
	}
	q.spillAll(held, len(abandoned))
	q.closeDisk(deadline)
}

// closeDisk syncs and closes the disk tier, waiting at most until the
// deadline (at least a second): a hung disk must not hold Shutdown.
func (q *tieredQueue[T]) closeDisk(deadline time.Time) {
	done := make(chan error, 1)
	release := closingFolder(q.disk.dir)
	go func() {
		done <- q.disk.close()
		release()
	}()
	t := time.NewTimer(max(time.Until(deadline), time.Second))
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			q.logger.Error("Could not sync the queue on disk at shutdown: what was written since the last sync may not survive a power loss", zap.String("folder", q.disk.dir), zap.Error(err))
		}
	case <-t.C:
		q.logger.Error("The queue on disk was not synced and closed by the shutdown deadline: what was written since the last sync may not survive a power loss", zap.String("folder", q.disk.dir))
	}
}

// spillChunk is how many batches the shutdown spill encodes at once (in
// parallel) before it writes them: encoding bounds the spill, and a chunk
// bounds the memory it takes.
const spillChunk = 4

// spillAll writes held (oldest first) to disk at Shutdown. A batch in memory
// only goes to head/ when a frame of tail/ is newer than it (it was queued
// before the spill began), else to tail/; a tail/ frame older than such a
// batch is copied to head/ before it, so that head/ then tail/ is arrival
// order. A batch already on disk stays there. A batch that cannot be written
// is dropped (reason spill_failed). The first notOwned batches are abandoned
// ones, whose data references are the workers'.
func (q *tieredQueue[T]) spillAll(held []batch[T], notOwned int) {
	d := q.disk
	start := time.Now()
	lastInHead := q.lastInHead(held)
	var written, failed counts
	var firstErr error
	recs := make([]spool.Record, spillChunk)
	errs := make([]error, spillChunk)
	for lo := 0; lo < len(held); lo += spillChunk {
		chunk := held[lo:min(lo+spillChunk, len(held))]
		q.encodeChunk(chunk, lo, lastInHead, recs, errs)
		for j := range chunk {
			w, err := q.spillOne(&chunk[j], lo+j <= lastInHead, recs[j], errs[j])
			written.add(w)
			if err != nil {
				failed.add(counts{1, int64(chunk[j].items), 0})
				firstErr = cmp.Or(firstErr, err)
			}
			if lo+j >= notOwned {
				q.sig.unref(chunk[j].data)
			}
			chunk[j] = batch[T]{}
		}
		clear(recs)
	}
	q.events.spilled(written.items)
	if firstErr != nil {
		q.logger.Error("Could not write batches to disk at shutdown: dropped", zap.Int64("batches", failed.batches),
			zap.Int64("items", failed.items), zap.String("folder", d.dir), zap.Error(firstErr))
	}
	if written.batches > 0 || failed.batches > 0 {
		q.logger.Info("Queue written to disk at shutdown",
			zap.Int64("batches", written.batches), zap.Int64("items", written.items),
			zap.Int64("failed_items", failed.items), zap.Duration("duration", time.Since(start)),
			zap.String("folder", d.dir))
	}
}

// lastInHead is the index of the last batch of held that must go to head/:
// a batch in memory only, older than a frame of tail/ (-1: none).
func (q *tieredQueue[T]) lastInHead(held []batch[T]) int {
	q.mu.Lock()
	tailUnread := q.disk.unread.batches > 0
	q.mu.Unlock()
	lastTail := -1
	for i, b := range held {
		if b.disk != 0 && !b.disk.inHead() {
			lastTail = i
		}
	}
	last := -1
	for i, b := range held {
		if b.disk == 0 && (tailUnread || i < lastTail) {
			last = i
		}
	}
	return last
}

// encodeChunk encodes, in parallel, the batches of chunk (at offset lo of
// held) that spillOne will write.
func (q *tieredQueue[T]) encodeChunk(chunk []batch[T], lo, lastInHead int, recs []spool.Record, errs []error) {
	var wg sync.WaitGroup
	for j := range chunk {
		b := &chunk[j]
		if b.disk != 0 && (lo+j > lastInHead || b.disk.inHead()) {
			continue // stays where it is
		}
		wg.Go(func() { recs[j], errs[j] = q.record(b) })
	}
	wg.Wait()
}

// spillOne writes one batch at Shutdown and counts it as on disk; it returns
// what it wrote, or why it failed (the batch is then dropped, reason
// spill_failed).
func (q *tieredQueue[T]) spillOne(b *batch[T], toHead bool, rec spool.Record, encErr error) (written counts, err error) {
	d := q.disk
	c := counts{1, int64(b.items), b.frameBytes}
	switch {
	case b.disk == 0:
		s := d.tail
		if toHead {
			s = d.head
		}
		err = encErr
		if err == nil {
			_, err = s.Append(nil, rec)
		}
		if err != nil {
			q.events.dropped(c.items, reasonSpillFailed)
			return counts{}, err
		}
		c.bytes = frameBytes(&rec)
		written = c
	case toHead && !b.disk.inHead():
		// Copy it ahead of the batches it is older than; if that fails it
		// stays in tail/, out of order but not lost.
		if encErr == nil {
			if _, err := d.head.Append(nil, rec); err == nil {
				d.ack(b.disk, &q.ackWarn)
			}
		}
	}
	q.mu.Lock()
	d.unread.add(c)
	q.mu.Unlock()
	return written, nil
}
