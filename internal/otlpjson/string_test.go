package otlpjson

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendString(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "empty", in: "", want: `""`},
		{name: "ascii", in: "hello world", want: `"hello world"`},
		{name: "quote and backslash", in: `a"b\c`, want: `"a\"b\\c"`},
		{name: "short escapes", in: "\n\r\t", want: `"\n\r\t"`},
		{name: "backspace and form feed as pdata writes them", in: "\b\f", want: `"\u0008\u000c"`},
		{name: "other controls", in: "\x00\x01\x1f", want: `"\u0000\u0001\u001f"`},
		{name: "del and html kept", in: "\x7f<>&/", want: "\"\x7f<>&/\""},
		{name: "unicode kept", in: "é✓日🚀", want: `"é✓日🚀"`},
		{name: "line separators", in: "a\u2028b\u2029", want: `"a\u2028b\u2029"`},
		{name: "invalid byte", in: "a\xffb", want: `"a\ufffdb"`},
		{name: "truncated sequence", in: "\xe2\x82", want: `"\ufffd\ufffd"`},
		{name: "surrogate half", in: "\xed\xa0\x80", want: `"\ufffd\ufffd\ufffd"`},
		{name: "overlong", in: "\xc0\xaf", want: `"\ufffd\ufffd"`},
		{name: "escape after unicode", in: "✓\"", want: `"✓\""`},
		{name: "c1 controls", in: "a\u0080b\u009b31mc\u0085\u009f", want: `"a\u0080b\u009b31mc\u0085\u009f"`},
		{name: "raw csi byte", in: "\x9b31m", want: `"\ufffd31m"`},
		{name: "bidi controls", in: "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
			want: `"\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"`},
		{name: "neighbours kept", in: "\u00a0\u061b\u061d\u200d\u2010\u202f\u2065\u206a", want: "\"\u00a0\u061b\u061d\u200d\u2010\u202f\u2065\u206a\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AppendString([]byte("x"), tt.in)
			assert.Equal(t, "x"+tt.want, string(got))
			var decoded string
			require.NoError(t, json.Unmarshal(got[1:], &decoded))
			assert.Equal(t, sanitize(tt.in), decoded)
		})
	}
}

func TestAppendStringAllBytes(t *testing.T) {
	// Every single byte, and every byte in context, decodes back to the
	// sanitized input.
	for c := range 256 {
		for _, s := range []string{string(rune(c)), string([]byte{byte(c)}), "ab" + string([]byte{byte(c)}) + "cd"} {
			out := AppendString(nil, s)
			require.Truef(t, utf8.Valid(out), "output for %q is not UTF-8", s)
			var decoded string
			require.NoErrorf(t, json.Unmarshal(out, &decoded), "output %q", out)
			require.Equal(t, sanitize(s), decoded)
		}
	}
}

func TestAppendStringLong(t *testing.T) {
	s := strings.Repeat("abc\"\n✓\xff", 1000)
	var decoded string
	require.NoError(t, json.Unmarshal(AppendString(nil, s), &decoded))
	assert.Equal(t, sanitize(s), decoded)
}

// TestAppendStringNoTerminalControls checks every rune up to U+FFFF: the
// output never carries a C1 or bidi control (nor U+2028/U+2029) raw, and
// everything else non-ASCII is kept as UTF-8.
func TestAppendStringNoTerminalControls(t *testing.T) {
	for r := rune(0x80); r <= 0xffff; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue // surrogates are not valid runes
		}
		out := string(AppendString(nil, string(r)))
		raw := strings.ContainsRune(out, r)
		terminal := (r >= 0x80 && r <= 0x9f) || r == 0x061c || r == 0x200e || r == 0x200f ||
			(r >= 0x2028 && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
		require.Equalf(t, !terminal, raw, "U+%04X: %q", r, out)
		require.Equal(t, terminal, EscapesRune(r), "U+%04X", r)
	}
}
