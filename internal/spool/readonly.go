package spool

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Position is a place in a spool folder: the segment number and the offset
// of the next frame in that segment. Positions grow in append order; the
// zero Position is the start of the folder. A reader that checkpoints keeps
// its last Position and passes it to NewScanner after a restart.
type Position struct {
	// Segment is the segment number (0 names no segment: the start).
	Segment uint32
	// Offset is the byte offset in the segment.
	Offset int64
}

// Less reports whether p comes before q.
func (p Position) Less(q Position) bool {
	return p.Segment < q.Segment || (p.Segment == q.Segment && p.Offset < q.Offset)
}

// String returns "segment:offset".
func (p Position) String() string { return fmt.Sprintf("%d:%d", p.Segment, p.Offset) }

// Scanner reads the frames of a spool folder in append order, read-only: it
// takes no lock and writes nothing (no ack file, no repair), so it can read a
// folder a Spool of another process is appending to. Frames acked in the
// folder's ack files are passed over; damaged frames and regions are skipped
// and reported through OnProblem. A frame cut at the end of the newest
// segment may be a write in progress: Next stops before it and returns it
// once it is whole. The zero Scanner is not usable; use NewScanner. It is not
// safe for concurrent use.
type Scanner struct {
	// OnProblem, if set, is told about each damaged frame or region skipped.
	OnProblem func(Problem)

	fs   FS
	dir  string
	pos  Position
	f    File
	size int64 // of f, as last seen
	w    window
	skip map[uint32]struct{}
}

// NewScanner returns a Scanner of the folder dir that starts at from. fsys
// nil means OSFS. Nothing is opened before the first Next.
func NewScanner(fsys FS, dir string, from Position) *Scanner {
	if fsys == nil {
		fsys = OSFS{}
	}
	return &Scanner{fs: fsys, dir: dir, pos: from}
}

// Position returns where the next Next starts: just after the last frame it
// returned (or skipped).
func (s *Scanner) Position() Position { return s.pos }

// Close closes the open segment file. The Scanner may be used again.
func (s *Scanner) Close() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f, s.skip = nil, nil
	s.w.reset(nil)
	return err
}

// Next returns the next good frame and moves the position past it; ok is
// false when there is none right now (later appends may make more). The
// payload is read into buf when it fits and is the caller's until buf is
// reused. Frame.ID names the frame's place: segment<<32 | offset. A read
// error leaves the position unchanged.
func (s *Scanner) Next(buf []byte) (f Frame, ok bool, err error) {
	for {
		if s.f == nil {
			if oerr := s.open(); oerr != nil || s.f == nil {
				return Frame{}, false, oerr
			}
		}
		off := s.pos.Offset
		h, st := header{}, frameBad
		if off < s.size {
			if h, st, err = s.w.frameAt(off, s.size); err != nil {
				return Frame{}, false, fmt.Errorf("read segment %q: %w", s.segPath(), err)
			}
		}
		if off >= s.size || st == frameCut {
			// The end, or a frame cut by it: the segment may be growing,
			// and a newer segment means it is sealed.
			more, last, gerr := s.grown()
			switch {
			case gerr != nil:
				return Frame{}, false, gerr
			case more:
				continue
			case last:
				return Frame{}, false, nil
			case off >= s.size:
				if aerr := s.advance(); aerr != nil {
					return Frame{}, false, aerr
				}
				continue
			}
		}
		if st != frameWhole {
			next, berr := s.w.badEnd(off, s.size, st)
			if berr != nil {
				return Frame{}, false, fmt.Errorf("read segment %q: %w", s.segPath(), berr)
			}
			s.problem(regionProblem(s.segPath(), region{start: off, end: next, torn: next == s.size && st == frameCut}))
			s.pos.Offset = next
			continue
		}
		next := off + frameSize(int(h.length))
		if _, acked := s.skip[uint32(off)]; acked {
			s.pos.Offset = next
			continue
		}
		if buf, err = s.payload(off, h, buf); err != nil {
			return Frame{}, false, err
		}
		s.pos.Offset = next
		if !h.payloadOK(buf) {
			s.problem(Problem{Kind: ProblemCorruptFrame, Path: s.segPath(), Offset: off, Bytes: next - off, Items: int64(h.items)})
			continue
		}
		return Frame{ID: makeID(s.pos.Segment, off), Payload: buf, Items: h.items, Time: h.time}, true, nil
	}
}

// payload reads the payload of the frame at off into buf.
func (s *Scanner) payload(off int64, h header, buf []byte) ([]byte, error) {
	n := int(h.length)
	if n <= windowSize {
		p, err := s.w.get(off+headerSize, n, s.size)
		if err != nil {
			return buf, fmt.Errorf("read segment %q: %w", s.segPath(), err)
		}
		return append(buf[:0], p...), nil
	}
	buf = slicesGrow(buf, n)
	if _, err := s.f.ReadAt(buf, off+headerSize); err != nil && !errors.Is(err, io.EOF) {
		return buf, fmt.Errorf("read segment %q at %d: %w", s.segPath(), off, err)
	}
	return buf, nil
}

func (s *Scanner) problem(p Problem) {
	if s.OnProblem != nil {
		s.OnProblem(p)
	}
}

func (s *Scanner) segPath() string { return filepath.Join(s.dir, segmentName(s.pos.Segment)) }

// open opens the first segment at or after the position; s.f stays nil
// when there is none.
func (s *Scanner) open() error {
	nums, err := SegmentNumbers(s.fs, s.dir)
	if err != nil {
		return err
	}
	i, found := slices.BinarySearch(nums, s.pos.Segment)
	if i == len(nums) {
		return nil
	}
	if !found {
		s.pos = Position{Segment: nums[i]}
	}
	f, err := s.fs.OpenFile(s.segPath(), os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // deleted meanwhile: the next call moves on
	}
	if err != nil {
		return fmt.Errorf("open segment %q: %w", s.segPath(), err)
	}
	s.f, s.size = f, 0
	s.w.reset(f)
	s.skip = map[uint32]struct{}{}
	if af, aerr := s.fs.OpenFile(strings.TrimSuffix(s.segPath(), segSuffix)+ackSuffix, os.O_RDONLY, 0); aerr == nil {
		if b, rerr := readAll(af); rerr == nil {
			parseAckRecords(s.pos.Segment, b, s.skip, nil)
		}
		_ = af.Close()
	}
	_, _, err = s.grown()
	return err
}

// grown re-reads the size of the open segment: more says it grew; last
// says no newer segment exists (so it may still grow).
func (s *Scanner) grown() (more, last bool, err error) {
	st, err := s.f.Stat()
	if err != nil {
		return false, false, fmt.Errorf("stat segment %q: %w", s.segPath(), err)
	}
	if st.Size() != s.size {
		s.size = st.Size()
		s.w.reset(s.f) // a failed write may have been cut back and rewritten
		return true, false, nil
	}
	nums, err := SegmentNumbers(s.fs, s.dir)
	if err != nil {
		return false, false, err
	}
	return false, len(nums) == 0 || nums[len(nums)-1] <= s.pos.Segment, nil
}

// readAll reads a whole (small) file.
func readAll(f File) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	b := make([]byte, st.Size())
	n, err := f.ReadAt(b, 0)
	if n == len(b) {
		err = nil
	}
	return b[:n], err
}

// advance moves to the start of the next segment.
func (s *Scanner) advance() error {
	err := s.Close()
	s.pos = Position{Segment: s.pos.Segment + 1}
	return err
}

// SegmentNumbers lists the numbers of the segment files in dir, ascending.
// fsys nil means OSFS.
func SegmentNumbers(fsys FS, dir string) ([]uint32, error) {
	if fsys == nil {
		fsys = OSFS{}
	}
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list spool folder %q: %w", dir, err)
	}
	var nums []uint32
	for _, e := range entries {
		base, ok := strings.CutSuffix(e.Name(), segSuffix)
		n, err := strconv.ParseUint(base, 10, 32)
		if ok && err == nil && len(base) == 10 {
			nums = append(nums, uint32(n))
		}
	}
	slices.Sort(nums)
	return nums, nil
}

// Dir returns the folder the Scanner reads.
func (s *Scanner) Dir() string { return s.dir }
