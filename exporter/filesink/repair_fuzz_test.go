package filesink

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
)

// FuzzPlanRepair checks start-up repair against its promises, on any input:
//   - no complete, valid record before the first corruption is ever lost:
//     the kept part reaches at least to the first bad record;
//   - the kept part is whole records only;
//   - a cut removes at most one record's bytes besides zeros (proto: one
//     frame, possibly short, then zeros; json: bytes after the last newline,
//     which never hold a whole record) and never a valid last json object;
//   - anything else is moved aside, which deletes nothing.
func FuzzPlanRepair(f *testing.F) {
	jsonRec := []byte(`{"resourceLogs":[{}]}` + "\n")
	protoRec := []byte{0, 0, 0, 2, 0x0a, 0x00}
	f.Add([]byte("{}\n{\"a\":1}\n{\"b"), false)
	f.Add([]byte{0, 0, 0, 2, 'a', 'b', 0, 0, 0, 9, 'x'}, true)
	f.Add([]byte{0, 0}, true)
	f.Add([]byte{}, true)
	f.Add(cat(protoRec, make([]byte, 8)), true)                                        // a zero-filled tail
	f.Add(cat(protoRec, []byte{0, 0, 0, 9, 0x0a, 0x05, 1, 2}), true)                   // a torn frame
	f.Add(cat(protoRec, []byte{0, 0, 0x10, 0, 0x0a, 0x00}, protoRec, protoRec), true)  // a bad header mid-file
	f.Add(cat(jsonRec, jsonRec), true)                                                 // json read as proto
	f.Add(cat(protoRec, []byte{0, 0, 0, 3, 0x0a, 0x01, 0x0a}, protoRec), false)        // proto read as json
	f.Add(cat(jsonRec, jsonRec[:len(jsonRec)-1]), false)                               // a lost newline
	f.Add(cat(jsonRec, make([]byte, 30), []byte("\n"), jsonRec, []byte(`{"x`)), false) // a stale line
	f.Fuzz(func(t *testing.T, data []byte, proto bool) {
		format := FormatJSON
		if proto {
			format = FormatProto
		}
		plan, err := planRepair(bytes.NewReader(data), int64(len(data)), format)
		require.NoError(t, err)
		require.GreaterOrEqual(t, plan.keep, int64(0))
		require.LessOrEqual(t, plan.keep, int64(len(data)))
		if plan.action == repairNone {
			plan.keep = int64(len(data))
		}
		kept, rest := data[:plan.keep], data[plan.keep:]
		if proto {
			checkProtoPlan(t, plan, kept, rest, firstBadFrame(data))
			return
		}
		checkJSONPlan(t, plan, kept, rest, data)
	})
}

func checkProtoPlan(t *testing.T, plan repairPlan, kept, rest []byte, firstBad int) {
	require.GreaterOrEqual(t, len(kept), firstBad, "a valid frame before the corruption was not kept")
	for len(kept) > 0 { // the kept part is a sequence of whole, non-empty frames
		require.GreaterOrEqual(t, len(kept), 4)
		l := int(binary.BigEndian.Uint32(kept))
		require.NotZero(t, l, "an empty frame is never kept (the writer writes none)")
		require.GreaterOrEqual(t, len(kept)-4, l)
		kept = kept[4+l:]
	}
	switch plan.action {
	case repairNone:
		assert.Empty(t, rest)
	case repairCut:
		require.NotEmpty(t, rest)
		data := bytes.TrimRight(rest, "\x00")
		if len(data) == 0 || len(rest) < 4 {
			return // zeros, or a torn header
		}
		l := int(binary.BigEndian.Uint32(rest))
		require.LessOrEqual(t, l, maxFrameBytes)
		assert.LessOrEqual(t, len(data), 4+l, "a cut removes one frame and zeros, nothing more")
	case repairMoveAside:
		require.NotEmpty(t, rest)
	default:
		t.Fatalf("action %d on a proto file", plan.action)
	}
}

func checkJSONPlan(t *testing.T, plan repairPlan, kept, rest, data []byte) {
	lastNL := bytes.LastIndexByte(data, '\n') + 1
	first := firstBadLine(data[:lastNL])
	require.GreaterOrEqual(t, len(kept), min(first, lastNL), "a valid line before the corruption was not kept")
	switch plan.action {
	case repairNone:
		assert.True(t, len(data) == 0 || data[len(data)-1] == '\n')
	case repairCut:
		assert.Equal(t, lastNL, len(kept), "only the bytes after the last newline are cut")
		assert.False(t, validJSONLine(rest), "a whole object is completed, not cut")
	case repairComplete:
		assert.Equal(t, len(data), len(kept))
		assert.True(t, validJSONLine(data[lastNL:]))
	case repairMoveAside:
		require.NotEmpty(t, rest)
		assert.True(t, len(kept) == 0 || kept[len(kept)-1] == '\n', "moved aside from a line start")
		line, _, _ := bytes.Cut(rest, []byte("\n"))
		assert.False(t, validJSONLine(line), "moved aside from a bad line")
	}
}

// firstBadFrame is where a plain walk of data meets the first frame that
// is not whole and well-formed (the model of the proto rules).
func firstBadFrame(data []byte) int {
	off := 0
	for len(data)-off >= 4 {
		l := int(binary.BigEndian.Uint32(data[off:]))
		if l == 0 || l > maxFrameBytes || l > len(data)-off-4 || !wellFormedRequest(data[off+4:off+4+l]) {
			break
		}
		off += 4 + l
	}
	return off
}

// wellFormedRequest: every top-level field is field 1, length-delimited.
func wellFormedRequest(b []byte) bool {
	for len(b) > 0 {
		if b[0] != 0x0a {
			return false
		}
		_, n := protowire.ConsumeBytes(b[1:])
		if n < 0 {
			return false
		}
		b = b[1+n:]
	}
	return true
}

// firstBadLine is the start of the first line that is not a JSON object,
// or len(data) if every line is one.
func firstBadLine(data []byte) int {
	off := 0
	for off < len(data) {
		line, _, _ := bytes.Cut(data[off:], []byte("\n"))
		if !validJSONLine(line) {
			return off
		}
		off += len(line) + 1
	}
	return len(data)
}

func validJSONLine(b []byte) bool {
	return len(b) > 0 && b[0] == '{' && b[len(b)-1] == '}' && json.Valid(b)
}
