package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// repairChunk is how much of the tail a JSON repair reads at a time.
const repairChunk = 64 << 10

// completeSize returns the length of the longest prefix of f (of size size)
// that holds only complete records: for json, up to and including the last
// newline; for proto, up to the end of the last frame that fits in the file.
func completeSize(f io.ReaderAt, size int64, format Format) (int64, error) {
	if size == 0 {
		return 0, nil
	}
	if format == FormatProto {
		return completeProtoSize(f, size)
	}
	return completeJSONSize(f, size)
}

func completeJSONSize(f io.ReaderAt, size int64) (int64, error) {
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
	var hdr [4]byte
	var off int64
	for off < size {
		if size-off < int64(len(hdr)) {
			return off, nil
		}
		if _, err := f.ReadAt(hdr[:], off); err != nil {
			return 0, fmt.Errorf("read frame header at %d: %w", off, err)
		}
		next := off + int64(len(hdr)) + int64(binary.BigEndian.Uint32(hdr[:]))
		if next > size {
			return off, nil
		}
		off = next
	}
	return off, nil
}
