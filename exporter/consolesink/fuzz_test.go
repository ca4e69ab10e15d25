// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// assertOneSafeLine fails if out contains a control byte (so it could
// break a line or drive a terminal) or invalid UTF-8.
func assertOneSafeLine(t *testing.T, out []byte) {
	t.Helper()
	assert.True(t, utf8.Valid(out), "invalid UTF-8 in %q", out)
	for _, b := range out {
		if b < 0x20 || b == 0x7f {
			t.Fatalf("control byte %#x in %q", b, out)
		}
	}
	for _, r := range string(out) {
		if needsEscape(r) {
			t.Fatalf("unescaped %U in %q", r, out)
		}
	}
}

// FuzzEscaping checks, for any string: text escaping and logfmt keys stay
// on one safe line; a logfmt value parses back to the (UTF-8-sanitized)
// input; a JSON attribute value parses back with encoding/json.
func FuzzEscaping(f *testing.F) {
	for _, s := range []string{"", "plain", nasty, "a=b", `"`, `\`, "\xff", "\u2028", "\u0085", "k\x00v", "✓ 日本語"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		assertOneSafeLine(t, appendEscaped(nil, s, false))
		key := appendKey(nil, s)
		assertOneSafeLine(t, key)
		for _, b := range key {
			if b == ' ' || b == '=' || b == '"' {
				t.Fatalf("key %q keeps %q", key, b)
			}
		}

		line := append([]byte("k="), appendLogfmtValue(nil, s)...)
		assertOneSafeLine(t, line)
		assert.Equal(t, validUTF8(s), parseLogfmt(t, string(line))["k"])

		m := pcommon.NewMap()
		m.PutStr(s, s)
		var got map[string]string
		require.NoError(t, json.Unmarshal(appendJSONMap(nil, m), &got))
		assert.Equal(t, map[string]string{validUTF8(s): validUTF8(s)}, got)
	})
}
