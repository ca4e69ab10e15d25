package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// repairChunk is how much of the tail a json repair reads at a time.
const repairChunk = 64 << 10

// planJSON looks at the end of a json file. Every record ends with a
// newline, so the bytes after the last newline are never a whole record:
//   - if they are a complete, valid JSON object, only the newline was lost,
//     and it is appended;
//   - otherwise they are a torn record (or zeros) and are cut.
//
// Before that, the last maxTailChecks complete lines are checked: a line
// that is not a JSON object (zeros or stale bytes after a power loss, or
// another format) is corruption, and it is moved aside with everything
// after it. Lines further back are not read.
func planJSON(f io.ReaderAt, size int64) (repairPlan, error) {
	end, err := lastLineEnd(f, size)
	if err != nil {
		return repairPlan{}, err
	}
	bad := int64(-1)
	for i, lineEnd := 0, end; lineEnd > 0 && i < maxTailChecks; i++ {
		start, err := lastLineEnd(f, lineEnd-1)
		if err != nil {
			return repairPlan{}, err
		}
		ok, err := validJSONAt(f, start, lineEnd-1)
		if err != nil {
			return repairPlan{}, err
		}
		if !ok {
			bad = start
		}
		lineEnd = start
	}
	switch {
	case bad >= 0:
		return repairPlan{action: repairMoveAside, keep: bad}, nil
	case end == size:
		return repairPlan{}, nil
	}
	ok, err := validJSONAt(f, end, size)
	if err != nil {
		return repairPlan{}, err
	}
	if ok {
		return repairPlan{action: repairComplete, keep: size}, nil
	}
	return repairPlan{action: repairCut, keep: end}, nil
}

// validJSONAt reports whether the bytes of f from start to end are one
// JSON object. It reads them only when they start with '{' and end with '}'.
func validJSONAt(f io.ReaderAt, start, end int64) (bool, error) {
	if end-start < 2 {
		return false, nil
	}
	var first, last [1]byte
	if err := readFull(f, first[:], start); err != nil {
		return false, fmt.Errorf("read line at %d: %w", start, err)
	}
	if err := readFull(f, last[:], end-1); err != nil {
		return false, fmt.Errorf("read line at %d: %w", start, err)
	}
	if first[0] != '{' || last[0] != '}' {
		return false, nil
	}
	line := make([]byte, end-start)
	if err := readFull(f, line, start); err != nil {
		return false, fmt.Errorf("read line at %d: %w", start, err)
	}
	return json.Valid(line), nil
}

// lastLineEnd returns the offset just after the last newline before size,
// or 0 if there is none.
func lastLineEnd(f io.ReaderAt, size int64) (int64, error) {
	buf := make([]byte, repairChunk)
	end := size
	for end > 0 {
		start := max(end-repairChunk, 0)
		chunk := buf[:end-start]
		if err := readFull(f, chunk, start); err != nil {
			return 0, fmt.Errorf("read tail: %w", err)
		}
		if i := bytes.LastIndexByte(chunk, '\n'); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
}
