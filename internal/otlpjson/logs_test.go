package otlpjson

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
)

func TestAppendLogsRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		ld   plog.Logs
	}{
		{name: "empty", ld: plog.NewLogs()},
		{name: "rich", ld: otlpfixtures.RichLogs()},
		{name: "telemetrygen", ld: otlpfixtures.TelemetrygenLogs(10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireLogsRoundTrip(t, tt.ld, tt.ld)
		})
	}
}

func TestAppendLogsMatchesPdataBytes(t *testing.T) {
	// Without characters the two encoders escape differently, the output is
	// byte for byte what pdata's marshaler writes.
	for _, ld := range []plog.Logs{plog.NewLogs(), otlpfixtures.TelemetrygenLogs(5), minimalLogs()} {
		want, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(AppendLogs(nil, ld)))
	}
}

func TestAppendLogsMatchesPdataSemantically(t *testing.T) {
	ld := otlpfixtures.RichLogs()
	pj, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	fromPdata, err := (&plog.JSONUnmarshaler{}).UnmarshalLogs(pj)
	require.NoError(t, err)
	fromOurs, err := (&plog.JSONUnmarshaler{}).UnmarshalLogs(AppendLogs(nil, ld))
	require.NoError(t, err)
	requireLogsEqual(t, fromPdata, fromOurs)
}

// minimalLogs has empty resources, scopes and records, where only the
// always-present objects are written.
func minimalLogs() plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	rl.ScopeLogs().AppendEmpty()
	ld.ResourceLogs().AppendEmpty()
	return ld
}

func TestAppendLogsExactOutput(t *testing.T) {
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetTimestamp(1)
	lr.SetSeverityNumber(plog.SeverityNumberWarn)
	lr.Body().SetStr("hi")
	lr.Attributes().PutInt("n", -3)
	lr.SetFlags(1)
	lr.SetTraceID(pcommon.TraceID{0: 0xab, 15: 0x01})
	lr.SetEventName("ev")
	want := `{"resourceLogs":[{"resource":{},"scopeLogs":[{"scope":{},"logRecords":[{` +
		`"timeUnixNano":"1","severityNumber":13,"body":{"stringValue":"hi"},` +
		`"attributes":[{"key":"n","value":{"intValue":"-3"}}],"flags":1,` +
		`"traceId":"ab000000000000000000000000000001","eventName":"ev"}]}]}]}`
	assert.Equal(t, want, string(AppendLogs(nil, ld)))
}

func TestAppendLogsAppendsToDst(t *testing.T) {
	ld := otlpfixtures.TelemetrygenLogs(3)
	prefix := []byte("prefix\n")
	out := AppendLogs(prefix, ld)
	assert.Equal(t, "prefix\n", string(out[:len(prefix)]))
	assert.Equal(t, string(AppendLogs(nil, ld)), string(out[len(prefix):]))
	// Reusing the buffer gives the same bytes.
	again := AppendLogs(out[:0], ld)
	assert.Equal(t, string(AppendLogs(nil, ld)), string(again))
}

func TestAppendLogsInvalidUTF8(t *testing.T) {
	bad := []string{"\xff", "a\xc3", "\xed\xa0\x80 surrogate", "ok\xe2\x82 truncated", "\x80\x80\x80", "mixed ✓\xfe✓"}
	build := func(clean func(string) string) plog.Logs {
		ld := plog.NewLogs()
		rl := ld.ResourceLogs().AppendEmpty()
		rl.SetSchemaUrl(clean(bad[0]))
		rl.Resource().Attributes().PutStr(clean(bad[1]), clean(bad[2]))
		sl := rl.ScopeLogs().AppendEmpty()
		sl.Scope().SetName(clean(bad[3]))
		lr := sl.LogRecords().AppendEmpty()
		lr.SetSeverityText(clean(bad[4]))
		lr.Body().SetStr(clean(bad[5]))
		lr.SetEventName(clean(bad[0]))
		m := lr.Attributes().PutEmptyMap(clean(bad[5]))
		m.PutEmptySlice(clean(bad[2])).AppendEmpty().SetStr(clean(bad[3]))
		return ld
	}
	out := requireLogsRoundTrip(t, build(sanitize), build(func(s string) string { return s }))
	assert.Contains(t, string(out), `\ufffd`)
}

func TestAppendLogsSpecialDoubles(t *testing.T) {
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	otlpfixtures.PutSpecialDoubles(lr.Attributes())
	lr.Body().SetDouble(math.Copysign(0, -1))
	out := AppendLogs(nil, ld)
	assert.Contains(t, string(out), `{"doubleValue":"NaN"}`)
	assert.Contains(t, string(out), `{"doubleValue":"Infinity"}`)
	assert.Contains(t, string(out), `{"doubleValue":"-Infinity"}`)
	assert.Contains(t, string(out), `"body":{"doubleValue":-0}`)

	decoded, err := (&plog.JSONUnmarshaler{}).UnmarshalLogs(out)
	require.NoError(t, err)
	attrs := decoded.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes()
	nan, ok := attrs.Get("double.nan")
	require.True(t, ok)
	assert.True(t, math.IsNaN(nan.Double()))
	inf, ok := attrs.Get("double.inf")
	require.True(t, ok)
	assert.True(t, math.IsInf(inf.Double(), 1))
	ninf, ok := attrs.Get("double.neginf")
	require.True(t, ok)
	assert.True(t, math.IsInf(ninf.Double(), -1))
}
