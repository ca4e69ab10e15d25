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
		torn, err := r.w.torn(off, next, limit, st)
		if err != nil {
			return readResult{}, fmt.Errorf("read segment %q: %w", seg.path, err)
		}
		p := regionProblem(seg.path, region{start: off, end: next, torn: torn})
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
