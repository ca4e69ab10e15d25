// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink // import "github.com/resilientsink/resilientsink/exporter/consolesink"

import (
	"unicode/utf8"

	"github.com/resilientsink/resilientsink/internal/otlpjson"
)

const hexDigits = "0123456789abcdef"

// Byte classes, indexed by any byte (bytes >= 0x80 are never "safe" and
// go through UTF-8 decoding):
//   - safeRaw: printable ASCII, copied as is into unquoted text.
//   - safeQuoted: printable ASCII except '"' and '\\', copied as is inside quotes.
//   - safeBare: printable ASCII except ' ', '"' and '=': needs no quoting in
//     a logfmt value and is kept in a key.
var safeRaw, safeQuoted, safeBare = func() (raw, quoted, bare [256]bool) {
	for b := 0x20; b < 0x7f; b++ {
		raw[b] = true
		quoted[b] = b != '"' && b != '\\'
		bare[b] = b != ' ' && b != '"' && b != '='
	}
	return raw, quoted, bare
}()

// needsEscape reports whether r is a valid non-ASCII rune that must still
// be escaped to keep output on one line and free of terminal control
// sequences: C1 controls (U+009B is a one-character CSI), bidirectional
// controls, and the Unicode line and paragraph separators. It is the set
// the JSON formats escape (otlpjson.EscapesRune), so all formats agree.
func needsEscape(r rune) bool {
	return otlpjson.EscapesRune(r)
}

// appendEscaped appends s with control characters escaped (\n, \r, \t,
// \u00XX), invalid UTF-8 replaced by U+FFFD, and, when quoted is true, '"'
// and '\' backslash-escaped. It never emits a raw control character, so the
// result always stays on one line.
func appendEscaped(dst []byte, s string, quoted bool) []byte {
	safe := &safeRaw
	if quoted {
		safe = &safeQuoted
	}
	i := 0
	for i < len(s) && safe[s[i]] {
		i++
	}
	if i == len(s) {
		return append(dst, s...)
	}
	start := 0
	for i < len(s) {
		b := s[i]
		if safe[b] {
			i++
			continue
		}
		if b < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\ufffd"...)
			i++
			start = i
			continue
		}
		if needsEscape(r) {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u',
				hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}

// needsQuote reports whether a logfmt value must be quoted: it is empty or
// contains a space, '"', '=', a control character, invalid UTF-8 or a rune
// that appendEscaped escapes.
func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	i := 0
	for i < len(s) && safeBare[s[i]] {
		i++
	}
	for i < len(s) {
		b := s[i]
		if safeBare[b] {
			i++
			continue
		}
		if b < utf8.RuneSelf {
			return true
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || needsEscape(r) {
			return true
		}
		i += size
	}
	return false
}

// appendLogfmtValue appends s as a logfmt value, quoted only when needed.
func appendLogfmtValue(dst []byte, s string) []byte {
	if !needsQuote(s) {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	dst = appendEscaped(dst, s, true)
	return append(dst, '"')
}

// appendKey appends s as a logfmt key: bytes that would end or split a key
// (space, '"', '=', control characters, invalid UTF-8) become '_'. An empty
// key is written as "_".
func appendKey(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, '_')
	}
	i := 0
	for i < len(s) && safeBare[s[i]] {
		i++
	}
	if i == len(s) {
		return append(dst, s...)
	}
	start := 0
	for i < len(s) {
		b := s[i]
		if safeBare[b] {
			i++
			continue
		}
		if b < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '_')
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || needsEscape(r) {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '_')
			start = i + size
		}
		i += size
	}
	return append(dst, s[start:]...)
}
