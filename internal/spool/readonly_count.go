package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Count walks the frame headers of dir from the position (payloads are not
// read or checked) and returns the frames, their items and their bytes on
// disk (headers included), acked frames included: what a Scanner starting
// there has left to read, at most. fsys nil means OSFS.
func Count(fsys FS, dir string, from Position) (frames, items, bytes int64, err error) {
	if fsys == nil {
		fsys = OSFS{}
	}
	nums, err := SegmentNumbers(fsys, dir)
	if err != nil {
		return 0, 0, 0, err
	}
	for _, num := range nums {
		if num < from.Segment {
			continue
		}
		off := int64(0)
		if num == from.Segment {
			off = from.Offset
		}
		f, i, b, err := countSegment(fsys, filepath.Join(dir, segmentName(num)), off)
		if err != nil {
			return 0, 0, 0, err
		}
		frames, items, bytes = frames+f, items+i, bytes+b
	}
	return frames, items, bytes, nil
}

// countSegment counts the whole frames of one segment from off.
func countSegment(fsys FS, path string, off int64) (frames, items, bytes int64, err error) {
	f, err := fsys.OpenFile(path, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, 0, nil
	}
	if err != nil {
		return 0, 0, 0, fmt.Errorf("open segment %q: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, 0, 0, fmt.Errorf("stat segment %q: %w", path, err)
	}
	size := st.Size()
	w := &window{f: f}
	for off < size {
		h, state, err := w.frameAt(off, size)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("read segment %q: %w", path, err)
		}
		if state != frameWhole {
			if off, err = w.badEnd(off, size, state); err != nil {
				return 0, 0, 0, fmt.Errorf("read segment %q: %w", path, err)
			}
			continue
		}
		fsz := frameSize(int(h.length))
		frames, items, bytes = frames+1, items+int64(h.items), bytes+fsz
		off += fsz
	}
	return frames, items, bytes, nil
}
