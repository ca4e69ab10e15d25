// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"bytes"
	"encoding/binary"

	"go.opentelemetry.io/collector/pdata/plog"
)

// fuzzFrameHeader is the size of a spool frame's header: magic "RSP\x01",
// payload length, items, time, payload CRC, header CRC (internal/spool
// frame.go). FuzzQueue reads frames only to know which batch bit rot hit.
const fuzzFrameHeader = 28

// fuzzFrameAt walks the frames of a segment file from its start and returns
// the id of the batch whose frame holds byte off, and whether off is in its
// header. ok is false when off is not inside a frame that parses.
func fuzzFrameAt(data []byte, off int) (id int, inHeader, ok bool) {
	for pos := 0; pos+fuzzFrameHeader <= len(data); {
		if !bytes.Equal(data[pos:pos+4], []byte("RSP\x01")) {
			return 0, false, false
		}
		end := pos + fuzzFrameHeader + int(binary.LittleEndian.Uint32(data[pos+4:pos+8]))
		if end > len(data) || end < pos {
			return 0, false, false
		}
		if off < end {
			ld, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(data[pos+fuzzFrameHeader : end])
			if err != nil || off < pos {
				return 0, false, false
			}
			return fuzzBatchID(ld), off < pos+fuzzFrameHeader, true
		}
		pos = end
	}
	return 0, false, false
}
