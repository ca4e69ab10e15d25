package otlpjson

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// safeASCII reports whether an ASCII byte can be copied into a JSON string
// as is. Control characters, '"' and '\\' need escaping.
var safeASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// AppendString appends s to dst as a quoted JSON string and returns the
// extended buffer. '"', '\\' and control characters are escaped, the runes
// EscapesRune lists are written as \uXXXX escapes, and each byte of invalid
// UTF-8 is replaced with \ufffd, as encoding/json does. HTML characters are
// not escaped.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	i := 0
	// Fast path: a run of safe ASCII, the common case for telemetry, eight
	// bytes at a time and then byte by byte.
	for i+8 <= len(s) && !needsAttention(load64(s, i)) {
		i += 8
	}
	for i < len(s) {
		c := s[i]
		if c >= utf8.RuneSelf || !safeASCII[c] {
			break
		}
		i++
	}
	if i == len(s) {
		dst = append(dst, s...)
		return append(dst, '"')
	}
	return appendStringSlow(dst, s, i)
}

// appendStringSlow escapes s starting at i, where the first byte needing
// attention is; s[:i] is safe and copied as is.
func appendStringSlow(dst []byte, s string, i int) []byte {
	start := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if safeASCII[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if EscapesRune(r) {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u',
				hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// EscapesRune reports whether AppendString writes the valid non-ASCII rune r
// as a \uXXXX escape rather than as UTF-8: the C1 controls U+0080-U+009F
// (U+009B is a one-character CSI that terminals obey), the bidirectional
// controls U+061C, U+200E, U+200F, U+202A-U+202E and U+2066-U+2069 (they
// reorder what a terminal shows), and U+2028 and U+2029 (line breaks to
// JavaScript). The escapes decode to the same string.
func EscapesRune(r rune) bool {
	if r < 0xa0 {
		return r >= 0x80
	}
	if r < 0x061c || r > 0x2069 {
		return false
	}
	return r == 0x061c || r == 0x200e || r == 0x200f ||
		(r >= 0x2028 && r <= 0x202e) || r >= 0x2066
}

// load64 returns s[i:i+8] as a little-endian word; the compiler turns it into
// a single load.
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// needsAttention reports whether any of the eight bytes in x is a control
// character, '"', '\\' or not ASCII. It has no false negatives; false
// positives only end the fast path early.
func needsAttention(x uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	quote := x ^ (lo * '"')
	backslash := x ^ (lo * '\\')
	return ((x-lo*0x20)&^x|(quote-lo)&^quote|(backslash-lo)&^backslash|x)&hi != 0
}
