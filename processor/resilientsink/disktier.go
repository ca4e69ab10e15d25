// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/internal/spool"
)

// diskTier is the disk part of the queue (persistence): two spools in the
// instance's folder, read back in this order:
//
//   - tail/ takes every batch written while the process runs: spilled, or
//     written ahead under write_ahead.
//   - head/ is written only at Shutdown, with batches held in memory that
//     are older than some frame in tail/ (queued before a spill began), so
//     that head/ then tail/ is arrival order across restarts.
//
// Its fields below the spools are guarded by the queue's mutex, and only the
// queue touches them.
type diskTier struct {
	dir        string
	writeAhead bool
	sync       bool
	limit      int64 // logical budget: bytes of frames neither delivered nor dropped
	logger     *zap.Logger
	head, tail *spool.Spool
	kick       chan struct{} // wakes the feeder after an append

	headDone bool
	// unread counts frames on disk not read back into memory (batches are
	// frames, bytes their size on disk); the feeder's hand is among them
	// until it queues it.
	unread counts
	// appendingBytes are frames being appended without the lock (write_ahead).
	appendingBytes int64
	// hand is the frame the feeder read and is decoding or placing.
	hand *feedHand
	// problems found by the last read, for the queue to count.
	problems []spool.Problem
	opened   bool
}

// feedHand is the frame between the feeder's read and its push to memory.
type feedHand struct {
	ref diskRef
	c   counts
	// payload and arrived are the frame's, for a dead letter if it is evicted.
	payload []byte
	arrived time.Time
	// evicted: drop_oldest took it meanwhile (counted) and acked it at once,
	// so that frames are acked in the order they are evicted (a power cut
	// never keeps a newer eviction and loses this one); the feeder then
	// only lets it go.
	evicted bool
}

// headRef marks a disk reference to a frame of head/; the rest is the
// spool.ID (whose segment number never reaches bit 63).
const headRef = 1 << 63

// diskRef names a batch's frame on disk: 0 when the batch is in memory only.
type diskRef uint64

func (r diskRef) id() spool.ID    { return spool.ID(r &^ headRef) }
func (r diskRef) inHead() bool    { return r&headRef != 0 }
func tailRef(id spool.ID) diskRef { return diskRef(id) }

// instanceFolder is the folder of one instance: the component ID with "/"
// replaced by "_", a dash and the signal, e.g. resilientsink_file-logs.
func instanceFolder(dir string, id component.ID, signal string) string {
	return filepath.Join(dir, strings.ReplaceAll(id.String(), "/", "_")+"-"+signal)
}

// segmentBytes is the size of segment files: small enough that a small disk
// budget still holds several (files go a whole segment at a time), at most
// the spool's default.
func segmentBytes(limit int64) int64 {
	return min(spool.DefaultSegmentBytes, max(64<<10, limit/8))
}

// openDiskTier opens (creating them) and locks the instance's spools, on fs
// (nil: the real file system).
func openDiskTier(cfg PersistenceConfig, dir string, logger *zap.Logger, fs spool.FS) (*diskTier, error) {
	d := &diskTier{
		dir:        dir,
		writeAhead: cfg.Mode == PersistenceModeWriteAhead,
		sync:       cfg.Sync,
		limit:      int64(cfg.MaxMegabytes) << 20,
		logger:     logger,
		kick:       make(chan struct{}, 1),
	}
	open := func(name string, sync bool) (*spool.Spool, error) {
		s, err := spool.Open(spool.Settings{
			Dir: filepath.Join(dir, name),
			// The files may pass the logical budget by what acked frames
			// hold until their segment goes: usually a segment per tier,
			// but a frame larger than a segment gets a segment of its own,
			// so the cap on the files leaves the budget once more. The
			// logical budget is what admission meets first.
			MaxBytes:     2*d.limit + 2*segmentBytes(d.limit),
			SegmentBytes: segmentBytes(d.limit),
			Sync:         sync,
			FS:           fs,
			OnProblem:    d.onProblem,
		})
		if errors.Is(err, spool.ErrLocked) {
			return nil, fmt.Errorf("persistence.directory: folder %s is in use by another resilientsink instance (same processor ID and signal, or another collector): %w", dir, err)
		}
		if err != nil {
			return nil, fmt.Errorf("persistence.directory: open folder %s: %w", dir, err)
		}
		return s, nil
	}
	var err error
	if d.head, err = open("head", false); err != nil {
		return nil, err
	}
	// Only write_ahead waits for an fsync per append; spill syncs at Shutdown.
	if d.tail, err = open("tail", cfg.Sync && d.writeAhead); err != nil {
		_ = d.head.Close()
		return nil, err
	}
	for _, s := range []*spool.Spool{d.head, d.tail} {
		frames, bytes, items := s.Len()
		d.unread.add(counts{int64(frames), items, bytes})
	}
	d.opened = true
	return d, nil
}

// releaseWait bounds how long Start waits for an instance of this process
// that shut down to let go of the same folder.
const releaseWait = 30 * time.Second

// closing maps an instance folder to a channel closed once the instance of
// this process that shut down last on it has closed it: Shutdown returns at
// its deadline even while a slow disk still syncs and closes the folder (its
// lock held), and the next instance on it (a reload) waits for that instead
// of failing Start with "folder in use", which would stop the collector.
var closing sync.Map // string -> chan struct{}

// closingFolder marks dir as being closed; the returned func marks it closed.
func closingFolder(dir string) func() {
	ch := make(chan struct{})
	closing.Store(dir, ch)
	return func() {
		closing.CompareAndDelete(dir, ch)
		close(ch)
	}
}

// awaitFolder waits, at most releaseWait or until ctx ends, until an
// instance of this process that shut down has closed dir.
func awaitFolder(ctx context.Context, dir string) {
	v, ok := closing.Load(dir)
	if !ok {
		return
	}
	t := time.NewTimer(releaseWait)
	defer t.Stop()
	select {
	case <-v.(chan struct{}):
	case <-ctx.Done():
	case <-t.C:
	}
}

// onProblem logs damage found at Open, and keeps damage found while running
// for the queue, which reads under its lock and counts the loss after the
// read (the spool calls this without its own locks).
func (d *diskTier) onProblem(p spool.Problem) {
	d.logger.Warn("Damaged queue file on disk: skipped", zap.String("problem", p.String()))
	if d.opened {
		d.problems = append(d.problems, p)
	}
}

// usedLocked is the logical disk use: frames neither delivered nor dropped,
// and appends in progress.
func (d *diskTier) usedLocked() int64 {
	_, hb, _ := d.head.Len()
	_, tb, _ := d.tail.Len()
	return hb + tb + d.appendingBytes
}

// fitsLocked reports whether a frame of n bytes fits the logical budget.
func (d *diskTier) fitsLocked(n int64) bool { return d.usedLocked()+n <= d.limit }

// appendLocked appends rec to tail/ behind every frame there and counts it
// unread (spill: the tail is not synced per append, so the lock is held).
func (d *diskTier) appendLocked(rec *spool.Record, held bool, ids []spool.ID) error {
	rec.Held = held
	if _, err := d.tail.Append(ids, *rec); err != nil {
		return err
	}
	d.unread.add(counts{1, int64(rec.Items), frameBytes(rec)})
	d.wake()
	return nil
}

// nextLocked reads the oldest unread frame, from head/ until it is read to
// its end, then from tail/. ok is false when none is unread now.
func (d *diskTier) nextLocked() (f spool.Frame, ref diskRef, ok bool, err error) {
	if !d.headDone {
		f, ok, err = d.head.Next(nil)
		if err != nil || ok {
			return f, diskRef(f.ID) | headRef, ok, err
		}
		d.headDone = true
	}
	f, ok, err = d.tail.Next(nil)
	return f, tailRef(f.ID), ok, err
}

// ack marks a frame delivered or dropped; its space is reclaimed once its
// whole segment is. A failed ack only means the frame comes once more after
// a restart, so it is logged (at most every dropWarnInterval), not returned.
func (d *diskTier) ack(r diskRef, warn *sometimes) {
	s := d.tail
	if r.inHead() {
		s = d.head
	}
	if err := s.Ack(r.id()); err != nil && warn.allow(time.Now(), dropWarnInterval) {
		d.logger.Warn("Could not mark a delivered batch on disk: it will be delivered again after a restart (logged at most every 10s)",
			zap.String("folder", d.dir), zap.Error(err))
	}
}

// wake tells the feeder that a frame was appended.
func (d *diskTier) wake() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// fileBytes is the size of both spools' segment files.
func (d *diskTier) fileBytes() int64 {
	return d.head.Stats().DiskBytes + d.tail.Stats().DiskBytes
}

// close syncs (with sync) and closes both spools.
func (d *diskTier) close() error {
	var errs []error
	if d.sync {
		errs = append(errs, d.head.Sync(), d.tail.Sync())
	}
	errs = append(errs, d.head.Close(), d.tail.Close())
	return errors.Join(errs...)
}

// frameBytes is the size on disk of rec's frame.
func frameBytes(rec *spool.Record) int64 { return frameHeaderBytes + int64(len(rec.Payload)) }

// encodeRecord is b as a frame to append to a spool.
func encodeRecord[T any](sig *signal[T], b *batch[T]) (spool.Record, error) {
	if b.items > math.MaxUint32 {
		return spool.Record{}, fmt.Errorf("%w: %d items in one batch", spool.ErrTooLarge, b.items)
	}
	payload, err := sig.marshal(b.data)
	if err != nil {
		return spool.Record{}, fmt.Errorf("marshal: %w", err)
	}
	return spool.Record{Payload: payload, Items: uint32(b.items), Time: b.arrived.UnixNano()}, nil
}

// nextFrameLocked reads the oldest unread frame and counts the loss of any
// damage the read found (reason corrupt).
func (q *tieredQueue[T]) nextFrameLocked() (spool.Frame, diskRef, bool, error) {
	d := q.disk
	f, ref, ok, err := d.nextLocked()
	for _, p := range d.problems {
		lost := problemLoss(p)
		lost.bytes = min(lost.bytes, d.unread.bytes)
		d.unread.sub(lost)
		q.events.dropped(lost.items, reasonCorrupt)
	}
	clear(d.problems)
	d.problems = d.problems[:0]
	return f, ref, ok, err
}

// evictUnreadLocked drops (reason overflow) the oldest frame not read back:
// the feeder's hand, else the next frame on disk. Either is acked here, in
// the order of eviction.
func (q *tieredQueue[T]) evictUnreadLocked() bool {
	d := q.disk
	if h := d.hand; h != nil && !h.evicted {
		h.evicted = true
		d.unread.sub(h.c)
		q.dropFrame(h.payload, h.c.items, h.arrived, reasonOverflow)
		d.ack(h.ref, &q.ackWarn)
		q.room.broadcast() // the feeder may wait for room for it: it drops it now
		return true
	}
	f, ref, ok, err := q.nextFrameLocked()
	if err != nil || !ok {
		return false
	}
	c := counts{1, int64(f.Items), frameHeaderBytes + int64(len(f.Payload))}
	d.unread.sub(c)
	q.dropFrame(f.Payload, c.items, time.Unix(0, f.Time), reasonOverflow)
	d.ack(ref, &q.ackWarn)
	q.drained.add(time.Unix(0, q.lastNow.Load()), 0, 0, c.bytes)
	return true
}

// warnWrite logs a failed write to disk, at most once per dropWarnInterval.
func (q *tieredQueue[T]) warnWrite(err error) {
	if q.writeWarn.allow(time.Now(), dropWarnInterval) {
		q.logger.Warn("Could not write to the queue on disk (logged at most every 10s)", zap.String("folder", q.disk.dir), zap.Error(err))
	}
}

// frameHeaderBytes is the size of a spool frame's header (internal/spool's
// package doc has the layout).
const frameHeaderBytes = 28

// problemLoss is what a problem found while running takes off the frames
// not read back: the spool reports exactly the frames and items it will now
// never yield. Bytes are the damaged stretch (the whole file for a segment
// moved aside), so the caller clamps them to what it counts.
func problemLoss(p spool.Problem) counts {
	if p.Frames == 0 && p.Items == 0 {
		return counts{}
	}
	return counts{int64(p.Frames), p.Items, p.Bytes}
}
