package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
)

// planProto walks the frame headers from the start and stops at the first
// that is not a whole frame (fewer than 4 bytes left, a length of 0 or over
// maxFrameBytes, or a body past the end). It then checks the bodies of the
// last maxTailChecks whole frames and stops at the first malformed one. The
// bytes from where it stopped are a torn tail, cut, if they are zeros or one
// frame cut short (see tornProtoTail); anything else is corruption, and the
// rest of the file is moved aside.
func planProto(f io.ReaderAt, size int64) (repairPlan, error) {
	var hdr [4]byte
	var off int64
	var starts []int64 // the last whole frames, at most 2*maxTailChecks
	for size-off >= 4 {
		if err := readFull(f, hdr[:], off); err != nil {
			return repairPlan{}, fmt.Errorf("read frame header at %d: %w", off, err)
		}
		n := int64(binary.BigEndian.Uint32(hdr[:]))
		if n == 0 || n > maxFrameBytes || off+4+n > size {
			break
		}
		if len(starts) == 2*maxTailChecks {
			starts = append(starts[:0], starts[maxTailChecks:]...)
		}
		starts = append(starts, off)
		off += 4 + n
	}
	stop := off
	for i := max(len(starts)-maxTailChecks, 0); i < len(starts); i++ {
		end := size
		if i+1 < len(starts) {
			end = starts[i+1]
		} else {
			end = off
		}
		pos, st, err := walkRequest(f, starts[i]+4, end, size)
		if err != nil {
			return repairPlan{}, err
		}
		if st != walkComplete || pos != end {
			stop = starts[i]
			break
		}
	}
	if stop == size {
		return repairPlan{}, nil
	}
	torn, err := tornProtoTail(f, stop, size)
	if err != nil {
		return repairPlan{}, err
	}
	if torn {
		return repairPlan{action: repairCut, keep: stop}, nil
	}
	return repairPlan{action: repairMoveAside, keep: stop}, nil
}

// tornProtoTail reports whether the bytes of f from off to size are what a
// crash or power loss leaves after the last whole frame, and nothing else:
//   - zeros only (the file grew before its data reached the disk);
//   - fewer than 4 bytes (a torn header);
//   - one frame, with a length from 1 to maxFrameBytes, whose body is a
//     well-formed start of a request that runs into the end of the file (a
//     torn write), or into zeros that last to the end of the file.
//
// So a cut removes at most one frame's bytes besides zeros. A header damaged
// in the middle of the file is not a torn tail: the frames after it make
// its body malformed (a frame header is not a 0x0a field), and they are
// moved aside with it.
func tornProtoTail(f io.ReaderAt, off, size int64) (bool, error) {
	if zero, err := allZeroFrom(f, off, size); err != nil || zero {
		return zero, err
	}
	if size-off < 4 {
		return true, nil
	}
	var hdr [4]byte
	if err := readFull(f, hdr[:], off); err != nil {
		return false, fmt.Errorf("read frame header at %d: %w", off, err)
	}
	n := int64(binary.BigEndian.Uint32(hdr[:]))
	if n == 0 || n > maxFrameBytes {
		return false, nil
	}
	end := off + 4 + n
	pos, st, err := walkRequest(f, off+4, end, size)
	if err != nil {
		return false, err
	}
	switch st {
	case walkTruncated:
		return end > size, nil
	case walkMalformed:
		return allZeroFrom(f, pos, size)
	}
	return false, nil // a whole frame followed by more bytes: not a tear
}

type walkStatus int

const (
	walkComplete  walkStatus = iota // the fields fill the frame exactly
	walkTruncated                   // the file ends inside a field
	walkMalformed                   // a field that no writer of ours writes
)

// walkRequest walks the top-level fields of an OTLP export request framed
// from start to end in f (of size bytes), without reading the fields'
// contents: every field is field 1, length-delimited (tag 0x0a), and ends
// within the frame. It returns where it stopped.
func walkRequest(f io.ReaderAt, start, end, size int64) (int64, walkStatus, error) {
	var buf [1 + binary.MaxVarintLen64]byte
	pos := start
	for pos < end {
		avail := min(end, size) - pos
		if avail <= 0 {
			return pos, walkTruncated, nil
		}
		b := buf[:min(int64(len(buf)), avail)]
		if err := readFull(f, b, pos); err != nil {
			return pos, 0, fmt.Errorf("read field at %d: %w", pos, err)
		}
		if b[0] != 0x0a {
			return pos, walkMalformed, nil
		}
		m, n := protowire.ConsumeVarint(b[1:])
		if n < 0 {
			if len(b) < len(buf) && errors.Is(protowire.ParseError(n), io.ErrUnexpectedEOF) && end > size {
				return pos, walkTruncated, nil
			}
			return pos, walkMalformed, nil
		}
		next := pos + 1 + int64(n) + int64(min(m, uint64(maxFrameBytes)+1))
		if next > end {
			return pos, walkMalformed, nil
		}
		if next > size {
			return pos, walkTruncated, nil
		}
		pos = next
	}
	return pos, walkComplete, nil
}
