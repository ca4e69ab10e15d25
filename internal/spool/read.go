package spool

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// reader is the cursor of Next. Guarded by Spool.rmu; num and off also by
// Spool.mu (Next changes them holding both).
type reader struct {
	num uint32 // segment of the cursor
	off int64  // offset of the next frame in it
	seg *segment
	rf  File // read handle of seg
	w   window
}

func (r *reader) close() {
	if r.rf != nil {
		_ = r.rf.Close()
	}
	r.rf, r.seg = nil, nil
	r.w.reset(nil)
}

// readResult is what Next found at the cursor.
type readResult struct {
	next    int64    // where the cursor goes
	frame   bool     // a good frame: h and payload
	corrupt bool     // a whole frame whose payload failed its CRC
	region  *Problem // a bad region (not counted at Open)
	h       header
	payload []byte
}

// Next returns the oldest pending frame not yet handed out in this process's
// lifetime, and marks it in flight; ok is false when there is none right now
// (later Appends make more). Frames come in append order, each once, and
// are read lazily, one at a time, through a 64 KiB window: nothing else is
// held in memory. Only committed frames are returned: with Sync, frames whose
// fsync succeeded.
//
// The payload is read into buf when it fits (pass the previous Frame's
// payload to reuse it, or nil) and is the caller's until the buffer is
// reused. A frame that fails its payload check is skipped, counted and
// reported (Settings.OnProblem), and Next goes on to the next one.
//
// A read error is returned as is, without moving the cursor: the next call
// tries the same frame again. Next calls are serialized.
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
		s.report(probs)
	}()
	r := &s.reader
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return Frame{}, false, ErrClosed
		}
		seg := s.cursorLocked()
		if seg == nil {
			s.mu.Unlock()
			return Frame{}, false, nil
		}
		off := r.off
		if off >= seg.committed {
			if !seg.sealed {
				s.mu.Unlock()
				return Frame{}, false, nil // caught up with Append
			}
			r.num, r.off = seg.num+1, 0
			if r.seg == seg {
				r.close()
			}
			s.mu.Unlock()
			continue
		}
		if end, jump := seg.jumps[uint32(off)]; jump {
			delete(seg.jumps, uint32(off))
			r.off = end
			s.mu.Unlock()
			continue
		}
		_, skipped := seg.skip[uint32(off)]
		limit := seg.committed
		seg.reading = true
		s.mu.Unlock()

		res, err := s.readAt(seg, off, limit, skipped, buf)

		s.mu.Lock()
		seg.reading = false
		if err != nil {
			del := s.reclaimableLocked(seg)
			s.mu.Unlock()
			if del {
				s.ackMu.Lock()
				_ = s.deleteFiles(seg)
				s.ackMu.Unlock()
			}
			return Frame{}, false, err
		}
		r.off = res.next
		if skipped {
			delete(seg.skip, uint32(off))
		}
		id := makeID(seg.num, off)
		if res.frame {
			s.inflight[id] = frameMeta{bytes: res.next - off, items: res.h.items}
			s.mu.Unlock()
			return Frame{ID: id, Payload: res.payload, Items: res.h.items, Time: res.h.time}, true, nil
		}
		var mark bool // record the problem in the ack file
		var end int64 // and the end of a bad region
		switch {
		case res.corrupt:
			p := Problem{Kind: ProblemCorruptFrame, Path: seg.path, Offset: off, Bytes: res.next - off, Items: int64(res.h.items)}
			s.countLocked(p)
			probs = append(probs, p)
			seg.pending--
			s.pending.sub(counts{frames: 1, bytes: p.Bytes, items: p.Items})
			mark = true
		case res.region != nil && !skipped:
			s.countLocked(*res.region)
			probs = append(probs, *res.region)
			mark, end = true, res.next
		}
		del := s.reclaimableLocked(seg)
		s.mu.Unlock()
		if mark || del {
			s.ackMu.Lock()
			var aerr error
			if mark {
				aerr = s.writeAckRecords(seg, uint32(off), end)
			}
			if del {
				aerr = errors.Join(aerr, s.deleteFiles(seg))
			}
			s.ackMu.Unlock()
			_ = aerr // at worst the problem is reported again after a restart
		}
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

// readAt reads what is at off in seg (below limit). Only the reader's
// state is touched; seg.reading keeps seg from being deleted meanwhile.
func (s *Spool) readAt(seg *segment, off, limit int64, skipped bool, buf []byte) (readResult, error) {
	r := &s.reader
	if r.seg != seg {
		r.close()
		f, err := s.fs.OpenFile(seg.path, os.O_RDONLY, 0)
		if err != nil {
			return readResult{}, fmt.Errorf("open segment %q: %w", seg.path, err)
		}
		r.rf, r.seg = f, seg
		r.w.reset(f)
	}
	h, st, err := r.w.frameAt(off, limit)
	if err != nil {
		return readResult{}, fmt.Errorf("read segment %q: %w", seg.path, err)
	}
	if st != frameWhole {
		next, err := r.w.badEnd(off, limit, st)
		if err != nil {
			return readResult{}, fmt.Errorf("read segment %q: %w", seg.path, err)
		}
		p := regionProblem(seg.path, region{start: off, end: next, torn: next == limit && (limit-off < headerSize || st == frameCut)})
		return readResult{next: next, region: &p}, nil
	}
	res := readResult{next: off + frameSize(int(h.length)), h: h}
	if skipped {
		return res, nil
	}
	n := int(h.length)
	if n <= windowSize {
		p, err := r.w.get(off+headerSize, n, limit)
		if err != nil {
			return readResult{}, fmt.Errorf("read segment %q: %w", seg.path, err)
		}
		buf = append(buf[:0], p...)
	} else {
		buf = slicesGrow(buf, n)
		if _, err := r.rf.ReadAt(buf, off+headerSize); err != nil && !errors.Is(err, io.EOF) {
			return readResult{}, fmt.Errorf("read segment %q at %d: %w", seg.path, off, err)
		}
	}
	if !h.payloadOK(buf) {
		res.corrupt = true
		return res, nil
	}
	res.frame, res.payload = true, buf
	return res, nil
}

// slicesGrow returns buf resized to n bytes, reusing its array if it can.
func slicesGrow(buf []byte, n int) []byte {
	if cap(buf) >= n {
		return buf[:n]
	}
	return make([]byte, n)
}
