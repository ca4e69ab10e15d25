// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink

import (
	"encoding/base64"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestAppendBase64Chunks(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 95, 96, 97, 191, 192, 193, 1000} {
		raw := make([]byte, n)
		for i := range raw {
			raw[i] = byte(i * 7)
		}
		bs := pcommon.NewByteSlice()
		bs.FromRaw(raw)
		assert.Equal(t, base64.StdEncoding.EncodeToString(raw), string(appendBase64(nil, bs)), "n=%d", n)
	}
}

func TestAppendEscaped(t *testing.T) {
	tests := []struct{ in, unquoted, quoted string }{
		{"plain", "plain", "plain"},
		{"a\"b\\c", `a"b\c`, `a\"b\\c`},
		{"nl\ncr\rtab\t", `nl\ncr\rtab\t`, `nl\ncr\rtab\t`},
		{"\x00\x1b\x7f", `\u0000\u001b\u007f`, `\u0000\u001b\u007f`},
		{"bad\xff\xfeend", "bad\ufffd\ufffdend", "bad\ufffd\ufffdend"},
		{"nel\u0085 ls\u2028 ps\u2029", `nel\u0085 ls\u2028 ps\u2029`, `nel\u0085 ls\u2028 ps\u2029`},
		{"✓ 日本語 🚀", "✓ 日本語 🚀", "✓ 日本語 🚀"},
		{"trunc\xe2\x9c", "trunc\ufffd\ufffd", "trunc\ufffd\ufffd"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.unquoted, string(appendEscaped(nil, tt.in, false)), "%q", tt.in)
		assert.Equal(t, tt.quoted, string(appendEscaped(nil, tt.in, true)), "%q", tt.in)
	}
}

func TestAppendLogfmtValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"", `""`},
		{"with space", `"with space"`},
		{"a=b", `"a=b"`},
		{`say "hi"`, `"say \"hi\""`},
		{`back\slash`, `back\slash`},
		{"nl\n", `"nl\n"`},
		{"\xff", "\"\ufffd\""},
		{"héllo", "héllo"},
		{"ls\u2028", `"ls\u2028"`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, string(appendLogfmtValue(nil, tt.in)), "%q", tt.in)
	}
}

func TestAppendKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http.method", "http.method"},
		{"", "_"},
		{"a b=c\"d\ne", "a_b_c_d_e"},
		{"bad\xffkey", "bad_key"},
		{"ключ", "ключ"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, string(appendKey(nil, tt.in)), "%q", tt.in)
	}
}

func TestAppendDuration(t *testing.T) {
	tests := []struct {
		ns   int64
		want string
	}{
		{0, "0ns"}, {999, "999ns"}, {1_000, "1.000µs"}, {1_500, "1.500µs"},
		{2_500_000, "2.500ms"}, {999_999_999, "999.999ms"}, {3_250_000_000, "3.250s"},
		{-42, "-42ns"}, {-1_500_000, "-1.500ms"}, {-9223372036854775808, "-9223372036.855s"},
		{3_600_000_000_000, "3600.000s"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, string(appendDuration(nil, tt.ns)), "ns=%d", tt.ns)
	}
}

func TestSeverityName(t *testing.T) {
	assert.Empty(t, severityName(0))
	assert.Equal(t, "TRACE", severityName(1))
	assert.Equal(t, "INFO", severityName(9))
	assert.Equal(t, "WARN3", severityName(15))
	assert.Equal(t, "FATAL4", severityName(24))
	assert.Empty(t, severityName(25))
	assert.Empty(t, severityName(-1))
}

// TestLogfmtParsesBack splits each logfmt line with a strict parser and
// checks that every value written for a hostile string comes back intact.
func TestLogfmtParsesBack(t *testing.T) {
	out := string(renderAll(t, testConfig(FormatLogfmt, VerbosityNormal), "logs", false))
	found := false
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		pairs := parseLogfmt(t, line)
		if pairs["body"] == validUTF8(nasty) {
			found = true
			assert.Equal(t, validUTF8(nasty), pairs[string(appendKey(nil, "k"+nasty))])
			assert.Equal(t, "WARN3", pairs["level"])
		}
	}
	assert.True(t, found, "the hostile body round-trips")
}

// parseLogfmt is a strict logfmt parser for tests: key=value pairs separated
// by single spaces; quoted values use \" \\ \n \r \t \uXXXX escapes.
func parseLogfmt(t *testing.T, line string) map[string]string {
	t.Helper()
	pairs := map[string]string{}
	for i := 0; i < len(line); {
		eq := strings.IndexByte(line[i:], '=')
		if !assert.GreaterOrEqual(t, eq, 0, "no '=' in %q", line[i:]) {
			return pairs
		}
		key := line[i : i+eq]
		assert.NotContains(t, key, " ", "line %q", line)
		i += eq + 1
		var val strings.Builder
		if i < len(line) && line[i] == '"' {
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				if line[i] != '\\' {
					val.WriteByte(line[i])
					continue
				}
				i++
				switch line[i] {
				case 'n':
					val.WriteByte('\n')
				case 'r':
					val.WriteByte('\r')
				case 't':
					val.WriteByte('\t')
				case 'u':
					var r rune
					for _, c := range line[i+1 : i+5] {
						r = r<<4 | rune(strings.IndexRune(hexDigits, c))
					}
					val.WriteRune(r)
					i += 4
				default:
					val.WriteByte(line[i])
				}
			}
			i++ // closing quote
		} else {
			end := strings.IndexByte(line[i:], ' ')
			if end < 0 {
				end = len(line) - i
			}
			val.WriteString(line[i : i+end])
			i += end
		}
		pairs[key] = val.String()
		if i < len(line) {
			assert.Equal(t, byte(' '), line[i], "line %q", line)
			i++
		}
	}
	return pairs
}

func TestAppendTimeMatchesTimeFormat(t *testing.T) {
	var c timeCache
	for _, ns := range []int64{
		1, 999_999_999, 1_000_000_000, 1_700_000_000_123_456_789, 1_700_000_000_999_999_999,
		1_700_000_001_000_000_000, 951_782_400_000_000_000 /* 2000-02-29 */, -1, -1_000_000_001,
		math.MaxInt64, 253_402_300_799_999_999_9 / 10, /* 9999-12-31T23:59:59.999999999 */
	} {
		ts := pcommon.Timestamp(uint64(ns)) //nolint:gosec // negative on purpose
		want := ts.AsTime().Format(timeLayout)
		assert.Equal(t, want, string(c.appendTime(nil, ts)), "ns=%d", ns)
		var fresh timeCache
		assert.Equal(t, want, string(fresh.appendTime(nil, ts)), "ns=%d uncached", ns)
	}
}
