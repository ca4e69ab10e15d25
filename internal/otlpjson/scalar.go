package otlpjson

import (
	"encoding/base64"
	"encoding/hex"
	"math"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// appendQuotedUint appends v as a quoted decimal string, the protobuf JSON
// form of fixed64 and uint64.
func appendQuotedUint(dst []byte, v uint64) []byte {
	dst = append(dst, '"')
	dst = strconv.AppendUint(dst, v, 10)
	return append(dst, '"')
}

// appendQuotedInt appends v as a quoted decimal string, the protobuf JSON
// form of int64.
func appendQuotedInt(dst []byte, v int64) []byte {
	dst = append(dst, '"')
	dst = strconv.AppendInt(dst, v, 10)
	return append(dst, '"')
}

// appendUint32 appends v as a JSON number.
func appendUint32(dst []byte, v uint32) []byte {
	return strconv.AppendUint(dst, uint64(v), 10)
}

// appendInt32 appends v as a JSON number.
func appendInt32(dst []byte, v int32) []byte {
	return strconv.AppendInt(dst, int64(v), 10)
}

// appendFloat appends v as a JSON number, or as "NaN", "Infinity" or
// "-Infinity". Numbers use the shortest representation that round-trips,
// with exponent notation outside [1e-6, 1e21) as pdata's marshaler does.
func appendFloat(dst []byte, v float64) []byte {
	if math.IsNaN(v) {
		return append(dst, `"NaN"`...)
	}
	if math.IsInf(v, 0) {
		if v > 0 {
			return append(dst, `"Infinity"`...)
		}
		return append(dst, `"-Infinity"`...)
	}
	format := byte('f')
	if abs := math.Abs(v); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(dst, v, format, -1, 64)
}

// appendTraceID appends id as a quoted lowercase hex string.
func appendTraceID(dst []byte, id pcommon.TraceID) []byte {
	return appendHex(dst, id[:])
}

// appendSpanID appends id as a quoted lowercase hex string.
func appendSpanID(dst []byte, id pcommon.SpanID) []byte {
	return appendHex(dst, id[:])
}

func appendHex(dst []byte, b []byte) []byte {
	n := len(dst)
	dst = append(dst, make([]byte, 2*len(b)+2)...)
	out := dst[n:]
	out[0] = '"'
	hex.Encode(out[1:], b)
	out[len(out)-1] = '"'
	return dst
}

// appendBytes appends b as a quoted, padded standard base64 string without
// copying b out of pdata (ByteSlice.AsRaw copies).
func appendBytes(dst []byte, b pcommon.ByteSlice) []byte {
	dst = append(dst, '"')
	// Encode in chunks whose size is a multiple of 3 so that the chunks'
	// encodings concatenate to the encoding of the whole slice.
	var chunk [384]byte
	n := b.Len()
	for off := 0; off < n; off += len(chunk) {
		m := min(len(chunk), n-off)
		for i := range m {
			chunk[i] = b.At(off + i)
		}
		dst = base64.StdEncoding.AppendEncode(dst, chunk[:m])
	}
	return append(dst, '"')
}
