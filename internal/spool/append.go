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
// to its last good frame, or, if that fails too, sealed, and the next Append
// starts a new segment.
func (s *Spool) Append(ids []ID, recs ...Record) ([]ID, error) {
	if len(recs) == 0 {
		return ids, nil
	}
	var total int64
	for i := range recs {
		if n := len(recs[i].Payload); n > maxPayload {
			return ids, fmt.Errorf("record of %d bytes: %w", n, ErrTooLarge)
		}
		total += frameSize(len(recs[i].Payload))
	}
	if total > maxAppend {
		return ids, fmt.Errorf("append of %d bytes: %w", total, ErrTooLarge)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ids, ErrClosed
	}
	if a := s.active; a != nil && !a.sealed && a.size > 0 && a.pending == 0 && !s.commit.pendingWrites() &&
		(a.size >= s.set.SegmentBytes/8 || a.writeFailed || s.diskBytes+total > s.set.MaxBytes) {
		// Every frame of the active segment is acked: roll it, which deletes
		// it, when keeping it costs (it is large, the budget is short, or a
		// write to it failed: its volume may be full). Sealed segments go
		// when their last frame is acked; the active one only here.
		if err := s.rollLocked(); err != nil {
			s.mu.Unlock()
			return ids, err
		}
	}
	if s.diskBytes+total > s.set.MaxBytes {
		s.mu.Unlock()
		return ids, ErrFull
	}
	seg := s.active
	if seg == nil || seg.sealed || (seg.size > 0 && seg.size+total > s.set.SegmentBytes) {
		if err := s.rollLocked(); err != nil {
			s.mu.Unlock()
			return ids, err
		}
		seg = s.active
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
		seg.writeFailed = true
		if n > 0 {
			seg.size += int64(n)
			s.diskBytes += int64(n)
			if !s.cutLocked(seg, start) {
				_ = s.sealLocked(seg) // commits earlier writes, or fails them
			}
		}
		s.mu.Unlock()
		return ids, fmt.Errorf("write %q: %w", seg.path, err)
	}
	seg.size += total
	s.diskBytes += total
	gc := &s.commit
	n0 := len(ids)
	off := start
	var c counts
	for i := range recs {
		id := makeID(seg.num, off)
		ids = append(ids, id)
		fsz := frameSize(len(recs[i].Payload))
		if recs[i].Held {
			s.inflight[id] = frameMeta{bytes: fsz, items: recs[i].Items}
			seg.skip[uint32(off)] = struct{}{}
		}
		if s.set.Sync {
			gc.unc = append(gc.unc, uncFrame{id: id, held: recs[i].Held})
		}
		c.add(counts{frames: 1, bytes: fsz, items: int64(recs[i].Items)})
		off += fsz
	}
	seg.pending += c.frames
	gc.written.add(c)
	gc.writeSeq++
	if !s.set.Sync {
		s.commitLocked(gc.writeSeq, seg, seg.size, gc.written, 0)
		s.mu.Unlock()
		return ids, nil
	}
	if err := s.waitCommitLocked(); err != nil {
		return ids[:n0], err
	}
	return ids, nil
}

// rollLocked seals the active segment (if any) and creates the next one.
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
	if s.set.Sync {
		if err := s.fs.SyncDir(s.set.Dir); err != nil {
			_ = f.Close()
			_ = s.fs.Remove(path)
			return fmt.Errorf("fsync folder %q: %w", s.set.Dir, err)
		}
	}
	seg := newSegment(s.set.Dir, num)
	seg.wf = f
	s.segs = append(s.segs, seg)
	s.byNum[num] = seg
	s.active = seg
	return nil
}
