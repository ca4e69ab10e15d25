package spool

import (
	"errors"
	"maps"
)

// Next returns the oldest pending frame not yet handed out in this process's
// lifetime, and marks it in flight; ok is false when there is none right now
// (later Appends make more). Frames come in append order, each once, and
// are read lazily, one at a time, through a 64 KiB window: nothing else is
// held in memory. Only committed frames are returned: with Sync, frames whose
// fsync succeeded.
//
// The payload is read into buf when it fits (pass the previous Frame's
// payload to reuse it, or nil) and is the caller's until the buffer is
// reused. A frame that fails its payload check, or a bad region, is skipped,
// counted and reported (Settings.OnProblem), and Next goes on to the next
// one. A segment that cannot be read any more (a read error, or the file
// vanished) is moved aside as Open does, reported as ProblemMovedAside, and
// Next goes on with the next segment: a bad file never stalls the reader.
// Each problem reported by Next carries the exact frames and items it takes
// out of the pending counts (Len, Unread). OnProblem runs on the goroutine
// of Next with no lock of the Spool held.
//
// The error is ErrClosed after Close. Next calls are serialized.
func (s *Spool) Next(buf []byte) (f Frame, ok bool, err error) {
	s.rmu.Lock()
	var probs []Problem
	defer func() {
		s.closeGoneReaderLocked()
		s.rmu.Unlock()
		// A segment deleted while this call held the reader, after the
		// check above, left the handle to us.
		if s.readerStale.Swap(false) {
			s.dropReaderHandle()
		}
		_ = s.syncDirIfDirty() // segments deleted or moved aside; else at the next Sync or Close
		s.report(probs)
	}()
	for {
		at, found, err := s.seek()
		if err != nil || !found {
			return Frame{}, false, err
		}
		res, err := s.readAt(at.seg, at.off, at.limit, at.skipped, buf)
		var lost counts
		if err == nil && res.region != nil {
			lost, err = s.lostInRegion(at, res.next)
		}
		if err != nil {
			p, ok := s.moveAsideWhileRunning(at.seg, err)
			if !ok {
				return Frame{}, false, ErrClosed
			}
			probs = append(probs, p)
			continue
		}
		f, ok, p := s.settle(at, res, lost)
		if p != nil {
			probs = append(probs, *p)
		}
		if ok {
			return f, true, nil
		}
	}
}

// cursor is where Next is about to read.
type cursor struct {
	seg        *segment
	off, limit int64 // the frame's offset; the committed end of seg
	skipped    bool  // the frame is acked or in flight: read its header only
	unread     counts
}

// seek moves the reader to the next offset to read: past the end of sealed
// segments and over known bad regions. found is false when there is nothing
// to read now. It marks the segment as being read.
func (s *Spool) seek() (at cursor, found bool, err error) {
	r := &s.reader
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if s.closed {
			return at, false, ErrClosed
		}
		seg := s.cursorLocked()
		if seg == nil {
			return at, false, nil
		}
		if r.off >= seg.committed {
			if !seg.sealed {
				return at, false, nil // caught up with Append
			}
			r.num, r.off = seg.num+1, 0
			if r.seg == seg {
				r.close()
			}
			continue
		}
		if end, jump := seg.jumps[uint32(r.off)]; jump {
			delete(seg.jumps, uint32(r.off))
			r.off = end
			continue
		}
		_, skipped := seg.skip[uint32(r.off)]
		seg.reading = true
		return cursor{seg: seg, off: r.off, limit: seg.committed, skipped: skipped, unread: seg.unread()}, true, nil
	}
}

// cursorLocked returns the segment at the cursor, moving the cursor to the
// next live segment if its own is gone, or nil if there is none.
func (s *Spool) cursorLocked() *segment {
	r := &s.reader
	if seg, ok := s.byNum[r.num]; ok {
		return seg
	}
	for _, seg := range s.segs {
		if seg.num >= r.num {
			r.num, r.off = seg.num, 0
			return seg
		}
	}
	return nil
}

// lostInRegion returns what a bad region found at at.off, ending at next,
// takes from the pending counts: what Next had yet to yield from the
// segment (at.unread) minus the frames it can still yield after the region.
// Damage further on in the segment is counted here too, so a later region
// may report nothing new.
func (s *Spool) lostInRegion(at cursor, next int64) (counts, error) {
	s.mu.Lock()
	skip, known := maps.Clone(at.seg.skip), maps.Clone(at.seg.jumps)
	s.mu.Unlock()
	rest, err := walk(&s.reader.w, next, at.limit, skip, known)
	if err != nil {
		return counts{}, err
	}
	lost := at.unread
	lost.sub(rest.pending)
	lost.frames, lost.bytes, lost.items = max(lost.frames, 0), max(lost.bytes, 0), max(lost.items, 0)
	return lost, nil
}

// settle applies what Next read at at: it hands out a good frame, or takes
// a corrupt frame or a bad region out of the counts and records it in the
// ack file (the problem is returned, to be reported); then it reclaims the
// segment if nothing in it is pending any more.
func (s *Spool) settle(at cursor, res readResult, lost counts) (Frame, bool, *Problem) {
	seg, off := at.seg, at.off
	s.mu.Lock()
	seg.reading = false
	s.reader.off = res.next
	if at.skipped {
		delete(seg.skip, uint32(off))
	}
	id := makeID(seg.num, off)
	if res.frame {
		m := frameMeta{seg: seg, bytes: res.next - off, items: res.h.items}
		s.inflight[id] = m
		seg.infl.add(m.counts())
		s.infl.add(m.counts())
		s.mu.Unlock()
		return Frame{ID: id, Payload: res.payload, Items: res.h.items, Time: res.h.time}, true, nil
	}
	var p *Problem
	var end int64 // the end of a bad region, for its ack record
	switch {
	case res.corrupt:
		lost = counts{frames: 1, bytes: res.next - off, items: int64(res.h.items)}
		p = &Problem{Kind: ProblemCorruptFrame, Path: seg.path, Offset: off, Bytes: lost.bytes, Frames: 1, Items: lost.items}
	case res.region != nil && (!at.skipped || lost.frames > 0):
		p = res.region
		p.Frames, p.Items = lost.frames, lost.items
		end = res.next
	}
	seg.pend.sub(lost)
	s.pending.sub(lost)
	if p != nil {
		s.countLocked(*p)
	}
	del := s.reclaimableLocked(seg)
	s.mu.Unlock()
	if p != nil || del {
		s.ackMu.Lock()
		var aerr error
		if p != nil {
			aerr = s.writeAckRecords(seg, uint32(off), end)
		}
		if del {
			aerr = errors.Join(aerr, s.deleteFiles(seg))
		}
		s.ackMu.Unlock()
		_ = aerr // at worst the problem is reported again after a restart
	}
	return Frame{}, false, p
}

// moveAsideWhileRunning takes a segment Next cannot read out of the spool:
// what Next had yet to yield from it leaves the counts and is reported, the
// file is renamed as Open does, and the reader moves on to the next segment.
// Frames of it in flight stay in flight until acked. ok is false if the
// Spool was closed meanwhile. Called with rmu held.
func (s *Spool) moveAsideWhileRunning(seg *segment, cause error) (Problem, bool) {
	r := &s.reader
	s.mu.Lock()
	seg.reading = false
	if s.closed {
		s.mu.Unlock()
		return Problem{}, false
	}
	if seg == s.active {
		_ = s.sealLocked(seg) // its pending writes are committed, or failed
	}
	lost := seg.unread()
	seg.pend.sub(lost)
	s.pending.sub(lost)
	if !seg.deleted {
		s.detachLocked(seg)
	}
	size := seg.size
	r.num, r.off = seg.num+1, 0
	s.mu.Unlock()
	if r.seg == seg {
		r.close()
	}

	s.ackMu.Lock()
	_ = s.closeAckFile(seg)
	p := s.moveAside(seg, size, cause)
	seg.ackGone = p.Path != seg.path // renamed: its ack file is gone too
	s.ackMu.Unlock()
	p.Frames, p.Items = lost.frames, lost.items
	s.mu.Lock()
	s.countLocked(p)
	s.mu.Unlock()
	return p, true
}
