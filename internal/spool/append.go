package spool

import (
	"fmt"
	"io"
)

// maxAppend bounds the bytes of one Append call (see ErrTooLarge).
const maxAppend = 2 << 30

// maxKeptBuf is the largest encoding buffer Append keeps between calls.
const maxKeptBuf = 4 << 20

// Append writes recs at the tail, in order, as one write(2), and appends
// their IDs to ids (pass nil if not needed; a reused slice keeps Append free
// of allocations). With Settings.Sync it returns after an fsync that covers
// the records, shared with concurrent callers; without, after the write.
//
// On error no record is appended and ids is returned unchanged: ErrFull when
// the disk budget would be exceeded, ErrTooLarge, ErrClosed, or a wrapped
// I/O error (disk full, I/O error, short write, failed fsync). A failed write
// or fsync leaves no frame behind for later appends: the segment is cut back
// to its last good frame, or, if that fails too, the failed bytes are
// recorded as a bad region and the segment is sealed, and the next Append
// starts a new segment. What an Append was refused is never yielded by Next,
// now or after a restart (see the package doc for the one exception).
func (s *Spool) Append(ids []ID, recs ...Record) ([]ID, error) {
	if len(recs) == 0 {
		return ids, nil
	}
	total, err := appendSize(recs)
	if err != nil {
		return ids, err
	}
	s.mu.Lock()
	seg, err := s.segmentForLocked(total)
	if err != nil {
		s.mu.Unlock()
		return ids, err
	}
	buf := s.wbuf[:0]
	for i := range recs {
		buf = appendFrame(buf, recs[i])
	}
	if cap(buf) <= maxKeptBuf {
		s.wbuf = buf
	} else {
		s.wbuf = nil
	}
	start := seg.size
	n, err := seg.wf.Write(buf)
	if err == nil && n != len(buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		s.writeFailedLocked(seg, start, n)
		s.mu.Unlock()
		return ids, fmt.Errorf("write %q: %w", seg.path, err)
	}
	n0 := len(ids)
	ids = s.wroteLocked(ids, seg, start, recs)
	if !s.set.Sync {
		gc := &s.commit
		s.commitLocked(gc.writeSeq, seg, seg.size, gc.written, len(gc.unc))
		s.mu.Unlock()
		return ids, nil
	}
	if err := s.waitCommitLocked(); err != nil {
		return ids[:n0], err
	}
	return ids, nil
}

// appendSize returns the bytes recs take on disk, or ErrTooLarge.
func appendSize(recs []Record) (int64, error) {
	var total int64
	for i := range recs {
		if n := len(recs[i].Payload); n > maxPayload {
			return 0, fmt.Errorf("record of %d bytes: %w", n, ErrTooLarge)
		}
		total += frameSize(len(recs[i].Payload))
	}
	if total > maxAppend {
		return 0, fmt.Errorf("append of %d bytes: %w", total, ErrTooLarge)
	}
	return total, nil
}

// segmentForLocked returns the segment an Append of total bytes writes to,
// rolling to a new one if needed, or ErrClosed or ErrFull.
func (s *Spool) segmentForLocked(total int64) (*segment, error) {
	if s.closed {
		return nil, ErrClosed
	}
	if s.idleActiveCostsLocked(total) {
		// Every frame of the active segment is acked: roll it, which
		// deletes it. Sealed segments go when their last frame is acked;
		// the active one only here.
		if err := s.rollLocked(); err != nil {
			return nil, err
		}
	}
	if s.diskBytes+total > s.set.MaxBytes {
		return nil, ErrFull
	}
	if s.mustRollLocked(total) {
		if err := s.rollLocked(); err != nil {
			return nil, err
		}
	}
	return s.active, nil
}

// idleActiveCostsLocked reports whether the active segment holds nothing
// pending (every frame acked, no write waiting for its fsync) and keeping
// it costs: it is large (an eighth of SegmentBytes), the budget cannot take
// the next total bytes beside it, or a write to it failed (its volume may be
// full).
func (s *Spool) idleActiveCostsLocked(total int64) bool {
	a := s.active
	if a == nil || a.sealed || a.size == 0 || a.pend.frames > 0 || s.commit.pendingWrites() {
		return false
	}
	return a.size >= s.set.SegmentBytes/8 || a.writeFailed || s.diskBytes+total > s.set.MaxBytes
}

// mustRollLocked reports whether an Append of total bytes needs a new
// segment: there is no open one, or the records would take it past
// SegmentBytes (an empty segment takes any Append).
func (s *Spool) mustRollLocked(total int64) bool {
	a := s.active
	return a == nil || a.sealed || (a.size > 0 && a.size+total > s.set.SegmentBytes)
}

// writeFailedLocked undoes a write to seg that failed after n bytes (at
// start): the bytes are cut off or recorded as a bad region, and seg is
// sealed if they could not be cut.
func (s *Spool) writeFailedLocked(seg *segment, start int64, n int) {
	seg.writeFailed = true
	if n <= 0 {
		return
	}
	seg.size += int64(n)
	s.diskBytes += int64(n)
	if !s.dropTailLocked(seg, start) {
		_ = s.sealLocked(seg) // commits earlier writes, or fails them
	}
}

// wroteLocked accounts for recs written to seg at start, not committed yet,
// and appends their IDs to ids.
func (s *Spool) wroteLocked(ids []ID, seg *segment, start int64, recs []Record) []ID {
	gc := &s.commit
	off := start
	var c counts
	for i := range recs {
		id := makeID(seg.num, off)
		ids = append(ids, id)
		fsz := frameSize(len(recs[i].Payload))
		if recs[i].Held {
			gc.unc = append(gc.unc, uncFrame{id: id, meta: frameMeta{seg: seg, bytes: fsz, items: recs[i].Items}})
		}
		c.add(counts{frames: 1, bytes: fsz, items: int64(recs[i].Items)})
		off += fsz
	}
	seg.size = off
	s.diskBytes += off - start
	gc.written.add(c)
	gc.writeSeq++
	return ids
}

// rollLocked seals the active segment (if any) and creates the next one.
// With Sync it fsyncs the folder, for the new file and for the old one if
// it was deleted.
func (s *Spool) rollLocked() error {
	if old := s.active; old != nil {
		if !old.sealed {
			if err := s.sealLocked(old); err != nil {
				return err
			}
		}
		s.active = nil
		if s.reclaimableLocked(old) {
			s.ackMu.Lock()
			err := s.deleteFiles(old)
			s.ackMu.Unlock()
			if err != nil {
				return err
			}
		}
	}
	num := s.nextNum
	path := s.path(segmentName(num))
	f, err := s.fs.OpenFile(path, segmentFlags, 0o600)
	if err != nil {
		return fmt.Errorf("create segment %q: %w", path, err)
	}
	s.nextNum++
	s.dirDirty.Store(true)
	if err := s.syncDirIfDirty(); err != nil {
		_ = f.Close()
		_ = s.fs.Remove(path)
		return err
	}
	seg := newSegment(s.set.Dir, num)
	seg.wf = f
	s.segs = append(s.segs, seg)
	s.byNum[num] = seg
	s.active = seg
	return nil
}
