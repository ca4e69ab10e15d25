// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink // import "github.com/resilientsink/resilientsink/exporter/consolesink"

import (
	"encoding/hex"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// ANSI escape sequences used by the text format when color is on.
const (
	ansiReset = "\x1b[0m"
	ansiDim   = "\x1b[2m"
	ansiCyan  = "\x1b[36m"
)

// kvEncoder writes text (text is true) and logfmt lines. Text writes the
// positional fields (time, severity or record kind, service, body or name)
// as bare values and complex values as raw JSON; logfmt writes key=value
// throughout and quotes values when needed. Both escape control characters
// and replace invalid UTF-8, so a record is always exactly one line.
type kvEncoder struct {
	text      bool
	color     bool
	lineStart int
	scratch   []byte
	tc        timeCache
}

var _ lineEncoder = (*kvEncoder)(nil)

func (e *kvEncoder) sep(dst []byte) []byte {
	if len(dst) > e.lineStart {
		dst = append(dst, ' ')
	}
	return dst
}

// key starts a field with one of the encoder's own keys (plain ASCII
// constants such as "trace_id"), which need no sanitizing; attribute keys go
// through appendKey in attrs.
func (e *kvEncoder) key(dst []byte, k string) []byte {
	dst = e.sep(dst)
	dst = append(dst, k...)
	return append(dst, '=')
}

func (e *kvEncoder) begin(dst []byte) []byte {
	e.lineStart = len(dst)
	return dst
}

func (e *kvEncoder) end(dst []byte) []byte {
	return append(dst, '\n')
}

func (e *kvEncoder) label(dst []byte, key, textVal, val string) []byte {
	if !e.text {
		return appendLogfmtValue(e.key(dst, key), val)
	}
	if textVal == "" {
		return dst
	}
	dst = e.sep(dst)
	if e.color {
		dst = append(dst, ansiCyan...)
		dst = append(dst, textVal...)
		return append(dst, ansiReset...)
	}
	return append(dst, textVal...)
}

func (e *kvEncoder) time(dst []byte, key string, ts pcommon.Timestamp) []byte {
	if !e.text {
		if ts == 0 {
			return dst
		}
		return e.tc.appendTime(e.key(dst, key), ts)
	}
	dst = e.sep(dst)
	if e.color {
		dst = append(dst, ansiDim...)
	}
	if ts == 0 {
		dst = append(dst, '-')
	} else {
		dst = e.tc.appendTime(dst, ts)
	}
	if e.color {
		dst = append(dst, ansiReset...)
	}
	return dst
}

func (e *kvEncoder) severity(dst []byte, text string, num plog.SeverityNumber) []byte {
	if text == "" {
		text = severityName(num)
	}
	if !e.text {
		if text == "" {
			return dst
		}
		return appendLogfmtValue(e.key(dst, "level"), text)
	}
	dst = e.sep(dst)
	if text == "" {
		return append(dst, '-')
	}
	color := ""
	if e.color {
		color = severityColor(num)
	}
	if color != "" {
		dst = append(dst, color...)
	}
	dst = appendEscaped(dst, text, false)
	if color != "" {
		dst = append(dst, ansiReset...)
	}
	return dst
}

// severityColor returns the ANSI color for a severity number, or "".
func severityColor(num plog.SeverityNumber) string {
	switch {
	case num >= plog.SeverityNumberFatal:
		return "\x1b[1;31m"
	case num >= plog.SeverityNumberError:
		return "\x1b[31m"
	case num >= plog.SeverityNumberWarn:
		return "\x1b[33m"
	case num >= plog.SeverityNumberInfo:
		return "\x1b[32m"
	case num >= plog.SeverityNumberTrace:
		return "\x1b[90m"
	}
	return ""
}

func (e *kvEncoder) service(dst []byte, v pcommon.Value) []byte {
	return e.posValue(dst, "service", v)
}

func (e *kvEncoder) posStr(dst []byte, key, s string) []byte {
	if !e.text {
		return e.str(dst, key, s)
	}
	dst = e.sep(dst)
	if s == "" {
		return append(dst, `""`...)
	}
	return appendEscaped(dst, s, false)
}

func (e *kvEncoder) posValue(dst []byte, key string, v pcommon.Value) []byte {
	if !e.text {
		return e.value(e.key(dst, key), v)
	}
	dst = e.sep(dst)
	switch {
	case v.Type() == pcommon.ValueTypeEmpty:
		return append(dst, '-')
	case v.Type() == pcommon.ValueTypeStr && v.Str() == "":
		return append(dst, `""`...)
	}
	dst, e.scratch = appendKVValue(dst, e.scratch, v, true)
	return dst
}

func (e *kvEncoder) str(dst []byte, key, s string) []byte {
	return appendLogfmtValue(e.key(dst, key), s)
}

func (e *kvEncoder) int(dst []byte, key string, i int64) []byte {
	return strconv.AppendInt(e.key(dst, key), i, 10)
}

func (e *kvEncoder) uint(dst []byte, key string, u uint64) []byte {
	return strconv.AppendUint(e.key(dst, key), u, 10)
}

func (e *kvEncoder) float(dst []byte, key string, f float64) []byte {
	return strconv.AppendFloat(e.key(dst, key), f, 'g', -1, 64)
}

func (e *kvEncoder) duration(dst []byte, key string, ns int64) []byte {
	return appendDuration(e.key(dst, key), ns)
}

func (e *kvEncoder) traceID(dst []byte, key string, id pcommon.TraceID) []byte {
	return hex.AppendEncode(e.key(dst, key), id[:])
}

func (e *kvEncoder) spanID(dst []byte, key string, id pcommon.SpanID) []byte {
	return hex.AppendEncode(e.key(dst, key), id[:])
}

func (e *kvEncoder) attrs(dst []byte, _, prefix string, m pcommon.Map) []byte {
	for k, v := range m.All() {
		dst = e.sep(dst)
		dst = append(dst, prefix...)
		dst = appendKey(dst, k)
		dst = append(dst, '=')
		dst = e.value(dst, v)
	}
	return dst
}

// value writes an attribute value: strings and scalars as logfmt values
// (quoted when needed); in text, bytes, slices and maps unquoted, since
// their rendering (base64, JSON) holds no spaces or control characters
// outside JSON strings.
func (e *kvEncoder) value(dst []byte, v pcommon.Value) []byte {
	raw := false
	if e.text {
		switch v.Type() {
		case pcommon.ValueTypeBytes, pcommon.ValueTypeSlice, pcommon.ValueTypeMap:
			raw = true
		}
	}
	dst, e.scratch = appendKVValue(dst, e.scratch, v, raw)
	return dst
}

// appendDuration appends ns as a short human duration: whole nanoseconds
// below 1µs, else three decimals in µs, ms or s (e.g. 1.500ms).
func appendDuration(dst []byte, ns int64) []byte {
	if ns < 0 {
		dst = append(dst, '-')
		if ns == -ns { // math.MinInt64
			return append(dst, "9223372036.855s"...)
		}
		ns = -ns
	}
	var unit string
	var div int64
	switch {
	case ns < 1_000:
		return append(strconv.AppendInt(dst, ns, 10), "ns"...)
	case ns < 1_000_000:
		unit, div = "µs", 1_000
	case ns < 1_000_000_000:
		unit, div = "ms", 1_000_000
	default:
		unit, div = "s", 1_000_000_000
	}
	frac := (ns % div) * 1000 / div
	dst = strconv.AppendInt(dst, ns/div, 10)
	dst = append(dst, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
	return append(dst, unit...)
}
