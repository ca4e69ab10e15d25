package otlpjson

import (
	"encoding/base64"
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
// with exponent notation outside [1e-6, 1e21), exactly as pdata's marshaler
// (strconv.AppendFloat) writes them; common values take a faster path.
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
	abs := math.Abs(v)
	if abs < maxFastFloat && abs >= 1e-4 {
		if out, ok := appendShortDecimal(dst, v); ok {
			return out
		}
	}
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(dst, v, format, -1, 64)
}

// maxFastFloat bounds appendShortDecimal's input so that v*10^maxFastDecimals
// is an exactly representable integer (< 2^53) and no two decimals with the
// same number of digits round to v.
const (
	maxFastFloat    = 1e11
	maxFastDecimals = 4
)

var pow10f = [maxFastDecimals + 1]float64{1, 10, 100, 1000, 10000}

// appendShortDecimal appends v if it is an integer or has at most
// maxFastDecimals decimals, in which case the result is the same as
// strconv.AppendFloat(dst, v, 'f', -1, 64). It reports false otherwise.
//
// For k = 0, 1, ... it takes n = round(v*10^k) and checks n/10^k == v. Both
// n and 10^k are exact, so the division is correctly rounded, just as parsing
// the decimal string n/10^k is: the string round-trips. The first k that
// works has the fewest digits, and for |v| < maxFastFloat the n is unique, so
// this is the shortest representation strconv would choose.
func appendShortDecimal(dst []byte, v float64) ([]byte, bool) {
	for k, p := range pow10f {
		n := math.Round(v * p)
		if n/p != v {
			continue
		}
		i := int64(n)
		if i < 0 {
			dst = append(dst, '-')
			i = -i
		}
		if k == 0 {
			return strconv.AppendInt(dst, i, 10), true
		}
		ip := int64(p)
		dst = strconv.AppendInt(dst, i/ip, 10)
		frac := i % ip
		var digits [maxFastDecimals]byte
		for j := k - 1; j >= 0; j-- {
			digits[j] = byte('0' + frac%10)
			frac /= 10
		}
		dst = append(dst, '.')
		return append(dst, digits[:k]...), true
	}
	return dst, false
}

// appendTraceID appends id as a quoted lowercase hex string.
func appendTraceID(dst []byte, id pcommon.TraceID) []byte {
	n := len(dst)
	dst = append(dst, make([]byte, 2*len(id)+2)...)
	out := dst[n : n+2*len(id)+2]
	out[0] = '"'
	for i, c := range id {
		out[1+2*i], out[2+2*i] = hexPairs[c][0], hexPairs[c][1]
	}
	out[len(out)-1] = '"'
	return dst
}

// appendSpanID appends id as a quoted lowercase hex string.
func appendSpanID(dst []byte, id pcommon.SpanID) []byte {
	n := len(dst)
	dst = append(dst, make([]byte, 2*len(id)+2)...)
	out := dst[n : n+2*len(id)+2]
	out[0] = '"'
	for i, c := range id {
		out[1+2*i], out[2+2*i] = hexPairs[c][0], hexPairs[c][1]
	}
	out[len(out)-1] = '"'
	return dst
}

// hexPairs holds the two lowercase hex digits of every byte value.
var hexPairs = func() (t [256][2]byte) {
	for i := range t {
		t[i] = [2]byte{hexDigits[i>>4], hexDigits[i&0xf]}
	}
	return t
}()

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
