// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/internal/spool"
)

// feedRetryInterval is the wait before the feeder reads again after a read error.
const feedRetryInterval = time.Second

// decoded is a frame read back from disk and decoded: ok is false when it was
// dropped as corrupt.
type decoded[T any] struct {
	b  batch[T]
	ok bool
}

// feed moves frames from disk into memory, oldest first, as the memory
// budget makes room: at Start for what an earlier process left, and while
// the process runs for what was spilled. Each batch read back keeps its
// frame on disk until it is delivered or dropped. Decoding costs far more
// than reading, so it runs on up to feedDecoders goroutines at once, and the
// batches are queued in the order they were read. It returns when ctx ends;
// frames read but not queued by then stay on disk, unread.
func (c *core[T]) feed(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Each frame read gets a one-slot channel for its decoded batch, queued
	// in read order; decoders fill them in any order.
	ordered := make(chan chan decoded[T], feedDecoders)
	type job struct {
		f   spool.Frame
		ref diskRef
		out chan decoded[T]
	}
	jobs := make(chan job, feedDecoders)
	for range feedDecoders {
		wg.Go(func() {
			for j := range jobs {
				j.out <- c.decode(j.f, j.ref)
			}
		})
	}
	wg.Go(func() {
		defer close(jobs)
		defer close(ordered)
		c.readFrames(ctx, func(f spool.Frame, ref diskRef) bool {
			out := make(chan decoded[T], 1)
			select {
			case ordered <- out:
			case <-ctx.Done():
				return false
			}
			jobs <- job{f: f, ref: ref, out: out}
			return true
		})
	})
	for out := range ordered {
		if ctx.Err() != nil {
			return
		}
		var d decoded[T]
		select {
		case d = <-out:
		case <-ctx.Done():
			return
		}
		if !d.ok {
			continue
		}
		c.sig.ref(d.b.data)
		if !c.pushFed(ctx, d.b) {
			c.sig.unref(d.b.data)
			cancel()
			return
		}
	}
}

// feedDecoders is how many frames read back are decoded at once.
var feedDecoders = min(4, max(1, runtime.GOMAXPROCS(0)))

// readFrames reads frames from disk, oldest first, and hands each to emit
// until emit returns false or ctx ends. When every frame is read it waits for
// the next append.
func (c *core[T]) readFrames(ctx context.Context, emit func(spool.Frame, diskRef) bool) {
	d := c.disk
	var readErrs sometimes
	for {
		f, ref, ok, err := d.next()
		switch {
		case err != nil:
			if readErrs.allow(time.Now(), dropWarnInterval) {
				c.logger.Warn("Could not read the queue on disk: will try again", zap.String("folder", d.dir), zap.Error(err))
			}
			if !sleepCtx(ctx, feedRetryInterval) {
				return
			}
		case !ok:
			select {
			case <-d.kick:
			case <-ctx.Done():
				return
			}
		default:
			if !emit(f, ref) {
				return
			}
		}
	}
}

// decode turns a frame read back into a batch. A frame that passed its CRC
// but does not decode was written so: it is dropped with the damaged ones
// (reason corrupt).
func (c *core[T]) decode(f spool.Frame, ref diskRef) decoded[T] {
	d := c.disk
	data, err := c.sig.unmarshal(f.Payload)
	if err != nil {
		c.logger.Warn("Batch on disk does not decode: dropped", zap.String("folder", d.dir), zap.Stringer("frame", f.ID), zap.Error(err))
		d.ack(ref)
		d.unread.Add(-1)
		d.items.Add(-int64(f.Items))
		c.countDropped(int(f.Items), reasonCorrupt)
		return decoded[T]{}
	}
	items := c.sig.items(data)
	b := batch[T]{data: data, items: items, arrived: time.Unix(0, f.Time), disk: ref}
	b.bytes, _ = c.est.estimate(data, items)
	if c.bytes != nil {
		// A batch larger than the whole budget waits for all of it.
		b.bytes = min(b.bytes, c.limitBytes)
	}
	if items != int(f.Items) {
		// The header's count was wrong; the gauges follow the data.
		d.items.Add(int64(items) - int64(f.Items))
	}
	return decoded[T]{b: b, ok: true}
}

// pushFed queues a batch read from disk once memory has room for it. It
// reports false when ctx ended first (the frame stays on disk, unread).
func (c *core[T]) pushFed(ctx context.Context, b batch[T]) bool {
	for {
		c.mu.Lock()
		if c.tryReserve(b.bytes) {
			c.pushFedLocked(b)
			c.mu.Unlock()
			return true
		}
		// Take the wake channel, announce the wait, then look once more: a
		// release after the announcement closes this channel, and one before
		// it left its room for the second look.
		room := c.room.wait()
		c.feedWaiting.Store(true)
		if c.tryReserve(b.bytes) {
			c.feedWaiting.Store(false)
			c.pushFedLocked(b)
			c.mu.Unlock()
			return true
		}
		c.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			c.feedWaiting.Store(false)
			return false
		}
	}
}

// pushFedLocked queues a batch read from disk whose room is reserved.
// Callers MUST hold c.mu.
func (c *core[T]) pushFedLocked(b batch[T]) {
	// Memory's count goes up first: a collection in between counts the
	// batch twice rather than not at all.
	c.pushLocked(b)
	c.disk.unread.Add(-1)
	c.disk.items.Add(-int64(b.items))
}

// sleepCtx waits for d or until ctx ends; it reports whether ctx is still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// spillAtShutdown writes to disk the batches still held when the drain
// ended, oldest first, and releases them from memory without counting a
// loss. Batches that are on disk already (read back, or written ahead) stay
// there untouched. A batch in memory only goes to head/ when some frame of
// tail/ is newer than it (it was queued before the spill began), else to
// tail/; a tail/ frame older than such a batch is copied to head/ before it,
// so that head/ then tail/ is arrival order. A batch that cannot be written
// is dropped (reason spill_failed). owned says, per batch, whether this
// goroutine holds its data reference (not so for batches abandoned in a
// worker's hands, whose room was already given back).
func (c *core[T]) spillAtShutdown(held []batch[T], owned []bool) {
	d := c.disk
	start := time.Now()
	lastInHead := -1 // the last batch that must go to head/
	tailUnread := d.unread.Load() > 0
	lastTail := -1
	for i, b := range held {
		if b.disk != 0 && !b.disk.inHead() {
			lastTail = i
		}
	}
	for i, b := range held {
		if b.disk == 0 && (tailUnread || i < lastTail) {
			lastInHead = i
		}
	}
	recs, encErrs := c.encodeAll(held, func(i int) bool {
		return held[i].disk == 0 || (i <= lastInHead && !held[i].disk.inHead())
	})
	var written, writtenItems, failedItems int64
	for i, b := range held {
		toHead := i <= lastInHead
		switch {
		case b.disk == 0:
			s := d.tail
			if toHead {
				s = d.head
			}
			err := encErrs[i]
			if err == nil {
				_, err = s.Append(nil, recs[i])
			}
			if err != nil {
				c.logger.Error("Could not write a batch to disk at shutdown: dropped", zap.Int("items", b.items), zap.Error(err))
				failedItems += int64(b.items)
				c.countDropped(b.items, reasonSpillFailed)
				break
			}
			written++
			writtenItems += int64(b.items)
			d.items.Add(int64(b.items))
		case toHead && !b.disk.inHead():
			// Copy it ahead of the batches it is older than; if that
			// fails it stays in tail/, out of order but not lost.
			if encErrs[i] == nil {
				if _, err := d.head.Append(nil, recs[i]); err == nil {
					d.ack(b.disk)
				}
			}
			d.items.Add(int64(b.items))
		default:
			d.items.Add(int64(b.items))
		}
		if owned[i] {
			c.forget(b)
		}
	}
	clear(recs)
	c.tel.pending.spilled.Add(writtenItems)
	if written > 0 || failedItems > 0 {
		c.logger.Info("Queue written to disk at shutdown",
			zap.Int64("batches", written),
			zap.Int64("items", writtenItems),
			zap.Int64("failed_items", failedItems),
			zap.Duration("duration", time.Since(start)),
			zap.String("folder", d.dir))
	}
}

// encodeAll encodes the batches of held that need it, on up to feedDecoders
// goroutines: encoding, not the disk, bounds the shutdown spill.
func (c *core[T]) encodeAll(held []batch[T], need func(int) bool) ([]spool.Record, []error) {
	recs := make([]spool.Record, len(held))
	errs := make([]error, len(held))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(feedDecoders, len(held)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(held); i = int(next.Add(1) - 1) {
				if need(i) {
					recs[i], errs[i] = c.record(held[i], false)
				}
			}
		})
	}
	wg.Wait()
	return recs, errs
}
