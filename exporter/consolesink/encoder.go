// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink // import "github.com/resilientsink/resilientsink/exporter/consolesink"

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// lineEncoder writes the fields of one output line (one record) into a
// caller-owned buffer. The signal walkers (logs.go, traces.go, metrics.go)
// decide which fields a line has and in which order; an encoder decides how
// each field looks. Fields marked "positional" are written without a key by
// the text format and as key=value (or "key":value) by the other formats.
//
// An encoder keeps per-line state and is not safe for concurrent use; the
// exporter calls it under its mutex. No method allocates once the buffer and
// the encoder's scratch space have grown to their steady-state size.
//
// Every key argument is one of the walkers' own plain-ASCII constants and is
// written without escaping; attribute keys inside maps are escaped.
type lineEncoder interface {
	// begin starts a line at the end of dst.
	begin(dst []byte) []byte
	// end finishes the line, including its trailing newline.
	end(dst []byte) []byte
	// label writes a record-kind marker: text writes textVal positionally
	// (nothing when it is empty), the others write key=val.
	label(dst []byte, key, textVal, val string) []byte
	// time writes ts (RFC 3339 UTC, nanoseconds). Positional. A zero ts is
	// written as "-" by text and omitted by the others.
	time(dst []byte, key string, ts pcommon.Timestamp) []byte
	// severity writes the severity text, or the name derived from num when
	// the text is empty. Positional.
	severity(dst []byte, text string, num plog.SeverityNumber) []byte
	// service writes the service.name resource attribute. Positional; json
	// omits it (the resource object carries it).
	service(dst []byte, v pcommon.Value) []byte
	// posStr writes a string. Positional.
	posStr(dst []byte, key, s string) []byte
	// posValue writes any value (a log body). Positional.
	posValue(dst []byte, key string, v pcommon.Value) []byte
	// str writes a string field.
	str(dst []byte, key, s string) []byte
	// int writes an integer field.
	int(dst []byte, key string, i int64) []byte
	// uint writes an unsigned integer field (counts).
	uint(dst []byte, key string, u uint64) []byte
	// float writes a floating-point field.
	float(dst []byte, key string, f float64) []byte
	// duration writes a duration in nanoseconds (json: key+"_ns" as a number;
	// text and logfmt: a human duration such as 1.5ms).
	duration(dst []byte, key string, ns int64) []byte
	// traceID writes a trace id as lowercase hex. Ids are passed by value:
	// a slice of them would escape through the interface call and allocate.
	traceID(dst []byte, key string, id pcommon.TraceID) []byte
	// spanID writes a span id as lowercase hex.
	spanID(dst []byte, key string, id pcommon.SpanID) []byte
	// attrs writes a map of attributes: json as "key":{...}, text and logfmt
	// as one prefix+name=value pair per attribute.
	attrs(dst []byte, key, prefix string, m pcommon.Map) []byte
}

// severityName returns the short name for a severity number (INFO, WARN2,
// ...), or "" for SeverityNumberUnspecified and out-of-range numbers.
func severityName(n plog.SeverityNumber) string {
	if n < 1 || n > 24 {
		return ""
	}
	return severityNames[n-1]
}

var severityNames = [24]string{
	"TRACE", "TRACE2", "TRACE3", "TRACE4",
	"DEBUG", "DEBUG2", "DEBUG3", "DEBUG4",
	"INFO", "INFO2", "INFO3", "INFO4",
	"WARN", "WARN2", "WARN3", "WARN4",
	"ERROR", "ERROR2", "ERROR3", "ERROR4",
	"FATAL", "FATAL2", "FATAL3", "FATAL4",
}

// timeLayout is RFC 3339 with a fixed nine-digit fraction, so text columns
// line up. appendTime writes exactly this layout.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// timeCache formats timestamps in timeLayout (UTC). It remembers the
// "2006-01-02T15:04:05" prefix of the last second it formatted, since the
// records of a batch mostly share their second; time.AppendFormat would
// parse the layout on every call. The zero timeCache is ready to use.
type timeCache struct {
	valid  bool
	sec    int64
	prefix [19]byte
}

// appendTime appends ts formatted with timeLayout.
func (c *timeCache) appendTime(dst []byte, ts pcommon.Timestamp) []byte {
	ns := int64(ts) //nolint:gosec // timestamps past 2262 wrap, as in pdata's AsTime
	sec, frac := ns/1e9, ns%1e9
	if frac < 0 {
		sec, frac = sec-1, frac+1e9
	}
	if !c.valid || sec != c.sec {
		t := time.Unix(sec, 0).UTC()
		year, month, day := t.Date()
		hour, minute, second := t.Clock()
		p := c.prefix[:0]
		p = append4(p, year)
		p = append(p, '-')
		p = append2(p, int(month))
		p = append(p, '-')
		p = append2(p, day)
		p = append(p, 'T')
		p = append2(p, hour)
		p = append(p, ':')
		p = append2(p, minute)
		p = append(p, ':')
		p = append2(p, second)
		_ = p
		c.valid, c.sec = true, sec
	}
	dst = append(dst, c.prefix[:]...)
	dst = append(dst, '.')
	var digits [9]byte
	for i := 8; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	dst = append(dst, digits[:]...)
	return append(dst, 'Z')
}

func append2(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/10), byte('0'+v%10))
}

// append4 appends a year as four digits (years outside 0..9999 are clamped,
// which RFC 3339 cannot express anyway).
func append4(dst []byte, v int) []byte {
	v = max(0, min(v, 9999))
	return append(dst, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}
