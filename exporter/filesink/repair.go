package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
)

// repairChunk is how much of the tail a JSON repair reads at a time.
const repairChunk = 64 << 10

// maxTailChecks bounds how many trailing records start-up decodes.
const maxTailChecks = 64

// completeSize returns the length of the longest prefix of f (of size size)
// that holds only complete, well-formed records. A crash mid-write leaves a
// torn last record: for json, bytes after the last newline; for proto, a
// frame whose header or body runs past the end. A power loss can also leave
// whole-looking records of zeros or stale bytes where the file grew before
// its data reached the disk, so the trailing records are also checked (JSON
// syntax; protobuf wire format) and cut back to the last well-formed one.
func completeSize(f io.ReaderAt, size int64, format Format) (int64, error) {
	if size == 0 {
		return 0, nil
	}
	if format == FormatProto {
		return completeProtoSize(f, size)
	}
	end, err := completeJSONSize(f, size)
	for i := 0; err == nil && end > 0 && i < maxTailChecks; i++ {
		var start int64
		if start, err = completeJSONSize(f, end-1); err != nil {
			break
		}
		line := make([]byte, end-1-start)
		if err = readFull(f, line, start); err != nil {
			return 0, fmt.Errorf("read line at %d: %w", start, err)
		}
		if len(line) > 0 && line[0] == '{' && json.Valid(line) {
			return end, nil
		}
		end = start
	}
	return end, err
}

func completeJSONSize(f io.ReaderAt, size int64) (int64, error) {
	if size <= 0 {
		return 0, nil
	}
	buf := make([]byte, repairChunk)
	end := size
	for end > 0 {
		start := max(end-repairChunk, 0)
		chunk := buf[:end-start]
		if _, err := f.ReadAt(chunk, start); err != nil && !errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("read tail: %w", err)
		}
		if i := bytes.LastIndexByte(chunk, '\n'); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
}

func completeProtoSize(f io.ReaderAt, size int64) (int64, error) {
	end, starts, err := protoFrames(f, size)
	if err != nil {
		return 0, err
	}
	for i := len(starts) - 1; i >= 0; i-- {
		body := make([]byte, end-starts[i]-4)
		if err := readFull(f, body, starts[i]+4); err != nil {
			return 0, fmt.Errorf("read frame at %d: %w", starts[i], err)
		}
		if wellFormedProto(body) {
			return end, nil
		}
		end = starts[i]
	}
	return end, nil
}

// protoFrames walks the frames from the start and returns where the last
// whole frame ends and where the last frames (at most maxTailChecks) start.
func protoFrames(f io.ReaderAt, size int64) (end int64, starts []int64, err error) {
	var hdr [4]byte
	var off int64
	for off < size {
		if size-off < int64(len(hdr)) {
			return off, starts, nil
		}
		if _, err := f.ReadAt(hdr[:], off); err != nil {
			return 0, nil, fmt.Errorf("read frame header at %d: %w", off, err)
		}
		n := binary.BigEndian.Uint32(hdr[:])
		next := off + int64(len(hdr)) + int64(n)
		if n == 0 || next > size {
			// The writer never writes an empty frame (empty batches write
			// nothing), so a zero length is a zero-filled tail: data ends here.
			return off, starts, nil
		}
		if len(starts) == 2*maxTailChecks {
			starts = append(starts[:0], starts[maxTailChecks:]...)
		}
		starts = append(starts, off)
		off = next
	}
	return off, starts, nil
}

// wellFormedProto reports whether b is a sequence of valid protobuf fields.
// It does not look inside nested messages: zeros or stale bytes fail at the
// first tag (field number 0) or length.
func wellFormedProto(b []byte) bool {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return false
		}
		b = b[n:]
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return false
		}
		b = b[m:]
	}
	return true
}

// readFull reads len(p) bytes at off; reading nothing always succeeds.
func readFull(f io.ReaderAt, p []byte, off int64) error {
	if len(p) == 0 {
		return nil
	}
	_, err := f.ReadAt(p, off)
	return err
}
