// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/internal/spool"
)

// diskTier is the disk part of the queue (persistence). It owns two spools
// in the instance's folder, read back in this order:
//
//   - tail/ takes every batch written while the process runs: spilled when
//     the memory budget is full, or written ahead under write_ahead.
//   - head/ is written only at Shutdown, with batches held in memory that
//     are older than some batch in tail/ (they were queued before the spill
//     began). Every frame in head/ is older than every frame in tail/, so
//     reading head/ first keeps arrival order across restarts.
//
// The core decides where a new batch goes, under its mutex: to disk while
// frames wait there unread (so that no batch overtakes an older one), else to
// memory if it fits.
type diskTier struct {
	cfg    PersistenceConfig
	dir    string
	limit  int64
	logger *zap.Logger

	head, tail *spool.Spool
	// readMu serializes next; headDone is set once head/ is read to its end.
	readMu   sync.Mutex
	headDone bool

	// unread counts frames on disk not read back into memory yet, and items
	// their items (the disk_items gauge). Admission reads unread under
	// core.mu to decide where a batch goes; a frame that moves to memory
	// leaves the count under core.mu too, in the same step as its push.
	unread atomic.Int64
	items  atomic.Int64

	// kick wakes the feeder when a frame was appended.
	kick chan struct{}
}

// headRef marks a disk reference to a frame of head/; the rest of the
// reference is the spool.ID (whose segment number never reaches bit 63).
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
// budget still holds several (space is reclaimed a whole segment at a time),
// at most the spool's default.
func segmentBytes(limit int64) int64 {
	return min(spool.DefaultSegmentBytes, max(64<<10, limit/8))
}

// testFS, when set by a test before Start, is the file system of the spools
// (nil: the real one). FuzzQueue sets it (fuzz_seam_test.go).
var testFS spool.FS

// openDisk opens (creating them) and locks the instance's spools. onCorrupt
// is told about each frame that fails its check, with its items.
func openDisk(cfg PersistenceConfig, dir string, logger *zap.Logger, onCorrupt func(items int64)) (*diskTier, error) {
	d := &diskTier{
		cfg:    cfg,
		dir:    dir,
		limit:  int64(cfg.MaxMegabytes) << 20,
		logger: logger,
		kick:   make(chan struct{}, 1),
	}
	onProblem := func(p spool.Problem) {
		if p.Kind == spool.ProblemCorruptFrame {
			onCorrupt(p.Items)
		}
		logger.Warn("Damaged queue file on disk: skipped", zap.String("problem", p.String()))
	}
	open := func(name string, sync bool) (*spool.Spool, error) {
		s, err := spool.Open(spool.Settings{
			Dir:          filepath.Join(dir, name),
			MaxBytes:     d.limit,
			SegmentBytes: segmentBytes(d.limit),
			Sync:         sync,
			FS:           testFS,
			OnProblem:    onProblem,
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
	// Only write_ahead waits for an fsync per append; spill syncs once, at Shutdown.
	if d.tail, err = open("tail", cfg.Sync && cfg.Mode == PersistenceModeWriteAhead); err != nil {
		_ = d.head.Close()
		return nil, err
	}
	for _, s := range []*spool.Spool{d.head, d.tail} {
		frames, _, items := s.Len()
		d.unread.Add(int64(frames))
		d.items.Add(items)
	}
	return d, nil
}

// writeAhead reports whether every batch goes to disk before it is acknowledged.
func (d *diskTier) writeAhead() bool {
	return d != nil && d.cfg.Mode == PersistenceModeWriteAhead
}

// onlyOnDiskItems is the disk_items gauge; 0 without persistence.
func (d *diskTier) onlyOnDiskItems() int64 {
	if d == nil {
		return 0
	}
	return d.items.Load()
}

// diskBytes is the disk_bytes gauge: the size of both spools' segment files.
func (d *diskTier) diskBytes() int64 {
	if d == nil {
		return 0
	}
	return d.head.Stats().DiskBytes + d.tail.Stats().DiskBytes
}

// limitBytes is the disk_limit_bytes gauge.
func (d *diskTier) limitBytes() int64 {
	if d == nil {
		return 0
	}
	return d.limit
}

// wake tells the feeder that a frame was appended.
func (d *diskTier) wake() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// ack marks a batch's frame delivered (or dropped); its space is reclaimed
// once its whole segment is. A failed ack only means the frame is delivered
// once more after a restart, so it is logged, not returned.
func (d *diskTier) ack(r diskRef) {
	s := d.tail
	if r.inHead() {
		s = d.head
	}
	if err := s.Ack(r.id()); err != nil {
		d.logger.Warn("Could not mark a delivered batch on disk: it will be delivered again after a restart", zap.Error(err))
	}
}

// next reads the oldest unread frame, from head/ until it is exhausted, then
// from tail/. ok is false when none is unread right now. Safe for concurrent use
// (the feeder and eviction).
func (d *diskTier) next() (f spool.Frame, ref diskRef, ok bool, err error) {
	d.readMu.Lock()
	defer d.readMu.Unlock()
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

// close syncs (with sync) and closes both spools.
func (d *diskTier) close() error {
	var errs []error
	if d.cfg.Sync {
		errs = append(errs, d.head.Sync(), d.tail.Sync())
	}
	errs = append(errs, d.head.Close(), d.tail.Close())
	return errors.Join(errs...)
}
