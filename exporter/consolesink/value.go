// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink // import "github.com/resilientsink/resilientsink/exporter/consolesink"

import (
	"encoding/base64"
	"math"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// appendJSONValue appends v as plain JSON (not OTLP/JSON): strings, numbers,
// booleans, bytes as a base64 string, slices as arrays, maps as objects, and
// an empty value as null. NaN and infinities, which JSON cannot express, are
// written as the strings "NaN", "Infinity" and "-Infinity".
func appendJSONValue(dst []byte, v pcommon.Value) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return appendJSONString(dst, v.Str())
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(dst, v.Int(), 10)
	case pcommon.ValueTypeDouble:
		return appendJSONFloat(dst, v.Double())
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(dst, v.Bool())
	case pcommon.ValueTypeBytes:
		dst = append(dst, '"')
		dst = appendBase64(dst, v.Bytes())
		return append(dst, '"')
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		dst = append(dst, '[')
		for i := 0; i < s.Len(); i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONValue(dst, s.At(i))
		}
		return append(dst, ']')
	case pcommon.ValueTypeMap:
		return appendJSONMap(dst, v.Map())
	default:
		return append(dst, "null"...)
	}
}

// appendJSONMap appends m as a JSON object.
func appendJSONMap(dst []byte, m pcommon.Map) []byte {
	dst = append(dst, '{')
	first := true
	for k, v := range m.All() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		dst = appendJSONValue(dst, v)
	}
	return append(dst, '}')
}

// appendJSONFloat appends f as a JSON number, or as a string for NaN and
// infinities.
func appendJSONFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// appendKVValue appends v for text (raw is true) or logfmt. Scalars are
// written as text (doubles in Go's shortest 'g' form, bytes in base64);
// slices and maps as JSON, which logfmt then quotes. scratch is reused space
// for rendering before quoting; the grown scratch is returned.
func appendKVValue(dst, scratch []byte, v pcommon.Value, raw bool) ([]byte, []byte) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		if raw {
			return appendEscaped(dst, v.Str(), false), scratch
		}
		return appendLogfmtValue(dst, v.Str()), scratch
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(dst, v.Int(), 10), scratch
	case pcommon.ValueTypeDouble:
		return strconv.AppendFloat(dst, v.Double(), 'g', -1, 64), scratch
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(dst, v.Bool()), scratch
	case pcommon.ValueTypeEmpty:
		return dst, scratch
	}
	// Bytes, slices and maps: render first, then escape or quote.
	scratch = scratch[:0]
	if v.Type() == pcommon.ValueTypeBytes {
		scratch = appendBase64(scratch, v.Bytes())
	} else {
		scratch = appendJSONValue(scratch, v)
	}
	if raw {
		return appendEscaped(dst, unsafeString(scratch), false), scratch
	}
	return appendLogfmtValue(dst, unsafeString(scratch)), scratch
}

// appendBase64 appends the standard base64 encoding of b. It copies b in
// chunks through a stack buffer, because ByteSlice.AsRaw allocates a copy.
// Chunks are a multiple of 3 bytes long, so the chunk encodings concatenate
// to the encoding of the whole.
func appendBase64(dst []byte, b pcommon.ByteSlice) []byte {
	var chunk [96]byte
	n := b.Len()
	for off := 0; off < n; off += len(chunk) {
		end := min(off+len(chunk), n)
		for i := off; i < end; i++ {
			chunk[i-off] = b.At(i)
		}
		dst = base64.StdEncoding.AppendEncode(dst, chunk[:end-off])
	}
	return dst
}
