// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink // import "github.com/resilientsink/resilientsink/exporter/consolesink"

import (
	"encoding/hex"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// jsonEncoder writes one flat JSON object per line. Field values keep their
// JSON types: numbers, booleans, objects for maps, arrays for slices.
type jsonEncoder struct {
	lineStart int
	tc        timeCache
}

var _ lineEncoder = (*jsonEncoder)(nil)

// key starts a field with one of the encoder's own keys (plain ASCII
// constants such as "trace_id"), which need no escaping; attribute keys are
// escaped by appendJSONMap.
func (e *jsonEncoder) key(dst []byte, k string) []byte {
	if len(dst) > e.lineStart+1 {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, k...)
	return append(dst, '"', ':')
}

func (e *jsonEncoder) begin(dst []byte) []byte {
	e.lineStart = len(dst)
	return append(dst, '{')
}

func (e *jsonEncoder) end(dst []byte) []byte {
	return append(dst, '}', '\n')
}

func (e *jsonEncoder) label(dst []byte, key, _, val string) []byte {
	return e.str(dst, key, val)
}

func (e *jsonEncoder) time(dst []byte, key string, ts pcommon.Timestamp) []byte {
	if ts == 0 {
		return dst
	}
	dst = append(e.key(dst, key), '"')
	dst = e.tc.appendTime(dst, ts)
	return append(dst, '"')
}

func (e *jsonEncoder) severity(dst []byte, text string, num plog.SeverityNumber) []byte {
	if text == "" {
		text = severityName(num)
	}
	if text != "" {
		dst = e.str(dst, "severity", text)
	}
	if num != plog.SeverityNumberUnspecified {
		dst = e.int(dst, "severity_number", int64(num))
	}
	return dst
}

func (e *jsonEncoder) service(dst []byte, _ pcommon.Value) []byte {
	return dst
}

func (e *jsonEncoder) posStr(dst []byte, key, s string) []byte {
	return e.str(dst, key, s)
}

func (e *jsonEncoder) posValue(dst []byte, key string, v pcommon.Value) []byte {
	return appendJSONValue(e.key(dst, key), v)
}

func (e *jsonEncoder) str(dst []byte, key, s string) []byte {
	return appendJSONString(e.key(dst, key), s)
}

func (e *jsonEncoder) int(dst []byte, key string, i int64) []byte {
	return strconv.AppendInt(e.key(dst, key), i, 10)
}

func (e *jsonEncoder) uint(dst []byte, key string, u uint64) []byte {
	return strconv.AppendUint(e.key(dst, key), u, 10)
}

func (e *jsonEncoder) float(dst []byte, key string, f float64) []byte {
	return appendJSONFloat(e.key(dst, key), f)
}

func (e *jsonEncoder) duration(dst []byte, key string, ns int64) []byte {
	if len(dst) > e.lineStart+1 {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, key...)
	dst = append(dst, `_ns":`...)
	return strconv.AppendInt(dst, ns, 10)
}

func (e *jsonEncoder) traceID(dst []byte, key string, id pcommon.TraceID) []byte {
	dst = append(e.key(dst, key), '"')
	dst = hex.AppendEncode(dst, id[:])
	return append(dst, '"')
}

func (e *jsonEncoder) spanID(dst []byte, key string, id pcommon.SpanID) []byte {
	dst = append(e.key(dst, key), '"')
	dst = hex.AppendEncode(dst, id[:])
	return append(dst, '"')
}

func (e *jsonEncoder) attrs(dst []byte, key, _ string, m pcommon.Map) []byte {
	return appendJSONMap(e.key(dst, key), m)
}
