// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// hostile holds every C1 and bidi control a terminal acts on: the
// one-character CSI U+009B (and a raw 0x9B byte, which is invalid UTF-8),
// NEL, the first and last C1, and each bidirectional control.
const hostile = "csi\u009b31mred raw\x9b1mbold nel\u0085 c1\u0080\u009f " +
	"\u202eevil\u202c \u2066iso\u2069 \u2067\u2068 \u200e\u200f\u061c \u202a\u202b\u202d end"

// isTerminalControl reports whether r is a C1 or bidi control.
func isTerminalControl(r rune) bool {
	return (r >= 0x80 && r <= 0x9f) || r == 0x061c || r == 0x200e || r == 0x200f ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// requireNoTerminalControls requires out to be valid UTF-8 (so no raw 0x9B
// byte) without ESC or a C1 or bidi control.
func requireNoTerminalControls(t *testing.T, out []byte) {
	t.Helper()
	require.NotEmpty(t, out)
	require.Truef(t, utf8.Valid(out), "output is not valid UTF-8: %q", out)
	require.NotContains(t, string(out), "\x1b")
	for i, r := range string(out) {
		if isTerminalControl(r) {
			t.Fatalf("raw U+%04X at byte %d of %q", r, i, out)
		}
	}
}

func hostileLogs() plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", hostile)
	rl.Resource().Attributes().PutStr("r"+hostile, hostile)
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(hostile)
	sl.Scope().SetVersion(hostile)
	lr := sl.LogRecords().AppendEmpty()
	lr.SetSeverityText(hostile)
	lr.SetEventName(hostile)
	lr.Body().SetStr(hostile)
	lr.Attributes().PutStr("k"+hostile, hostile)
	lr.Attributes().PutEmptyMap("map").PutStr(hostile, hostile)
	lr.Attributes().PutEmptySlice("slice").AppendEmpty().SetStr(hostile)
	return ld
}

func hostileTraces() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", hostile)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(hostile)
	sp := ss.Spans().AppendEmpty()
	sp.SetName(hostile)
	sp.Status().SetMessage(hostile)
	sp.Attributes().PutStr(hostile, hostile)
	sp.Events().AppendEmpty().SetName(hostile)
	return td
}

func hostileMetrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", hostile)
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(hostile)
	m.SetUnit(hostile)
	m.SetDescription(hostile)
	dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetIntValue(1)
	dp.Attributes().PutStr(hostile, hostile)
	return md
}

// TestNoTerminalControlsInOutput pushes C1 and bidi controls in every
// string field through every format, verbosity and signal: none reaches
// the output raw.
func TestNoTerminalControlsInOutput(t *testing.T) {
	ctx := context.Background()
	for _, f := range []Format{FormatText, FormatJSON, FormatLogfmt, FormatOTLPJSON} {
		for _, v := range []Verbosity{VerbosityNormal, VerbosityDetailed} {
			for _, color := range []bool{false, true} {
				if color && f != FormatText {
					continue
				}
				name := fmt.Sprintf("%s/%s/color=%t", f, v, color)
				t.Run(name, func(t *testing.T) {
					for _, push := range []func(*consoleExporter) error{
						func(e *consoleExporter) error { return e.pushLogs(ctx, hostileLogs()) },
						func(e *consoleExporter) error { return e.pushTraces(ctx, hostileTraces()) },
						func(e *consoleExporter) error { return e.pushMetrics(ctx, hostileMetrics()) },
					} {
						var buf bytes.Buffer
						e := newTestExporter(t, testConfig(f, v), &buf, color, nil)
						require.NoError(t, push(e))
						if color {
							// Color codes are the exporter's own ESC
							// sequences; strip them, then check.
							requireNoTerminalControls(t, stripColor(t, buf.Bytes()))
							continue
						}
						requireNoTerminalControls(t, buf.Bytes())
					}
				})
			}
		}
	}
}

// stripColor removes the SGR sequences of color.go ("\x1b[...m").
func stripColor(t *testing.T, b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); i++ {
		if b[i] == 0x1b && i+1 < len(b) && b[i+1] == '[' {
			j := bytes.IndexByte(b[i:], 'm')
			require.GreaterOrEqual(t, j, 0, "unterminated escape sequence")
			i += j
			continue
		}
		out = append(out, b[i])
	}
	return out
}

// TestTerminalControlsEscapedLosslessly checks that the JSON formats escape
// the controls as \uXXXX, which decode back to the string sent (with the
// raw 0x9B byte, invalid UTF-8, as U+FFFD), and that text and logfmt show
// them as visible \uXXXX.
func TestTerminalControlsEscapedLosslessly(t *testing.T) {
	ctx := context.Background()
	want := validUTF8(hostile)

	var buf bytes.Buffer
	e := newTestExporter(t, testConfig(FormatJSON, VerbosityNormal), &buf, false, nil)
	require.NoError(t, e.pushLogs(ctx, hostileLogs()))
	obj := parseJSONLines(t, buf.Bytes())[0]
	assert.Equal(t, want, obj["body"])
	assert.Contains(t, buf.String(), `csi\u009b31mred raw\ufffd1mbold nel\u0085`)

	buf.Reset()
	e = newTestExporter(t, testConfig(FormatOTLPJSON, VerbosityNormal), &buf, false, nil)
	require.NoError(t, e.pushLogs(ctx, hostileLogs()))
	ld, err := (&plog.JSONUnmarshaler{}).UnmarshalLogs(buf.Bytes())
	require.NoError(t, err)
	assert.Equal(t, want, ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body().Str())

	for _, f := range []Format{FormatText, FormatLogfmt} {
		buf.Reset()
		e = newTestExporter(t, testConfig(f, VerbosityNormal), &buf, false, nil)
		require.NoError(t, e.pushLogs(ctx, hostileLogs()))
		assert.Contains(t, buf.String(), `\u202eevil\u202c \u2066iso\u2069 \u2067\u2068 \u200e\u200f\u061c \u202a\u202b\u202d end`, f)
		assert.Contains(t, buf.String(), "csi\\u009b31mred raw\ufffd1mbold nel\\u0085", f)
	}
}
