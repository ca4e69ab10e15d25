package spool

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// windowSize is how much a window reads at a time.
const windowSize = 64 << 10

// window reads a segment file sequentially through one buffer, so frames
// smaller than the buffer cost no system call of their own.
type window struct {
	f   File
	buf []byte
	off int64 // file offset of buf[0]
	n   int   // valid bytes in buf
}

// get returns the n bytes at off (n <= windowSize, off+n <= limit). The
// slice is valid until the next call.
func (w *window) get(off int64, n int, limit int64) ([]byte, error) {
	if off >= w.off && off+int64(n) <= w.off+int64(w.n) {
		i := int(off - w.off)
		return w.buf[i : i+n], nil
	}
	if w.buf == nil {
		w.buf = make([]byte, windowSize)
	}
	want := int(min(int64(windowSize), limit-off))
	got, err := w.f.ReadAt(w.buf[:want], off)
	if got < n {
		w.n = 0
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("read %d bytes at %d: %w", n, off, err)
	}
	w.off, w.n = off, got
	return w.buf[:n], nil
}

// reset forgets the buffered bytes (the file changed or was replaced).
func (w *window) reset(f File) { w.f, w.n = f, 0 }

// frameState classifies the bytes at an offset.
type frameState int

const (
	frameBad   frameState = iota // no valid header
	frameWhole                   // a valid header and all its payload bytes
	frameCut                     // a valid header whose frame runs past the limit
)

// frameAt classifies the bytes at off; limit is where the segment's data
// ends. The payload is not checked.
func (w *window) frameAt(off, limit int64) (header, frameState, error) {
	if limit-off < headerSize {
		// A header cut short: it counts as a cut frame if what is left
		// starts like one.
		n := int(min(int64(len(magic)), limit-off))
		b, err := w.get(off, n, limit)
		if err != nil || !bytes.Equal(b, magic[:n]) {
			return header{}, frameBad, err
		}
		return header{}, frameCut, nil
	}
	b, err := w.get(off, headerSize, limit)
	if err != nil {
		return header{}, frameBad, err
	}
	h, ok := parseHeader(b)
	switch {
	case !ok:
		return h, frameBad, nil
	case off+frameSize(int(h.length)) > limit:
		return h, frameCut, nil
	}
	return h, frameWhole, nil
}

// resync looks for the next valid frame header after a bad one at off, and
// returns its offset, or limit if there is none (the bad region reaches the
// end). The frame there may be cut by the limit: it then starts a torn tail
// of its own, which must not hide inside an older bad region.
func (w *window) resync(off, limit int64) (int64, error) {
	pos := off + 1
	for pos+headerSize <= limit {
		n := int(min(int64(windowSize), limit-pos))
		chunk, err := w.get(pos, n, limit)
		if err != nil {
			return 0, err
		}
		i := bytes.Index(chunk, magic[:])
		if i < 0 {
			pos += int64(max(n-len(magic)+1, 1))
			continue
		}
		cand := pos + int64(i)
		if cand+headerSize > limit {
			pos = cand
			break
		}
		if _, st, err := w.frameAt(cand, limit); err != nil {
			return 0, err
		} else if st != frameBad {
			return cand, nil
		}
		pos = cand + 1
	}
	// Fewer bytes than a header are left: a frame cut inside its header
	// shows as (a prefix of) the magic.
	for ; pos < limit; pos++ {
		n := int(min(int64(len(magic)), limit-pos))
		b, err := w.get(pos, n, limit)
		if err != nil {
			return 0, err
		}
		if bytes.Equal(b, magic[:n]) {
			return pos, nil
		}
	}
	return limit, nil
}

// badEnd returns where the bad stretch at off (state st) ends. A cut frame
// has a valid header, so everything up to the limit is its own: it is not
// searched (its payload could hold bytes that look like a frame start).
func (w *window) badEnd(off, limit int64, st frameState) (int64, error) {
	if st == frameCut {
		return limit, nil
	}
	return w.resync(off, limit)
}

// region is a stretch of a segment that holds no whole frame.
type region struct {
	start, end int64
	// torn: the region reaches the end of the file and begins with a cut
	// frame (a valid header whose frame runs past the end, or fewer bytes
	// than a header), the mark of a write cut short.
	torn bool
}

// walkResult is what walking a segment's headers found.
type walkResult struct {
	pending counts // valid frames not in skip
	valid   int    // valid frames, skipped or not (none inside known regions)
	regions []region
}

// walk reads every frame header of a segment from offset from to size
// (payloads are checked later, by Next) and finds the regions without whole
// frames. known are the bad regions recorded before (start -> end): walk
// jumps over them whatever their bytes hold now (a region recorded after a
// failed write may hold whole frames that were refused), and new damage
// right after one is found as a region of its own.
func walk(w *window, from, size int64, skip map[uint32]struct{}, known map[uint32]int64) (walkResult, error) {
	var res walkResult
	off := from
	for off < size {
		if end, ok := known[uint32(off)]; ok && end > off {
			end = min(end, size)
			res.regions = append(res.regions, region{start: off, end: end})
			off = end
			continue
		}
		h, st, err := w.frameAt(off, size)
		if err != nil {
			return res, err
		}
		if st == frameWhole {
			fsz := frameSize(int(h.length))
			res.valid++
			if _, acked := skip[uint32(off)]; !acked {
				res.pending.add(counts{frames: 1, bytes: fsz, items: int64(h.items)})
			}
			off += fsz
			continue
		}
		next, err := w.badEnd(off, size, st)
		if err != nil {
			return res, err
		}
		torn, err := w.torn(off, next, size, st)
		if err != nil {
			return res, err
		}
		res.regions = append(res.regions, region{start: off, end: next, torn: torn})
		off = next
	}
	return res, nil
}

// torn reports whether the bad stretch [off, next) in state st is a torn
// tail: it reaches the limit and begins with a cut frame (a valid header
// whose frame runs past the limit, or fewer bytes than a header), or holds
// only zeros (after a power loss a file's size can grow before its data is
// written: ext4 then reads the missing blocks as zeros).
func (w *window) torn(off, next, limit int64, st frameState) (bool, error) {
	if next != limit {
		return false, nil
	}
	if limit-off < headerSize || st == frameCut {
		return true, nil
	}
	for pos := off; pos < limit; {
		n := int(min(int64(windowSize), limit-pos))
		b, err := w.get(pos, n, limit)
		if err != nil {
			return false, err
		}
		for _, c := range b {
			if c != 0 {
				return false, nil
			}
		}
		pos += int64(n)
	}
	return true, nil
}
