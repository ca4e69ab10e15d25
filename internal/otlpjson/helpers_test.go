package otlpjson

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// sanitize returns s with each byte of invalid UTF-8 replaced by U+FFFD,
// which is what the encoder writes for it.
func sanitize(s string) string {
	return string([]rune(s))
}

// requireLogsRoundTrip encodes got, checks the output is valid JSON, decodes
// it with pdata's unmarshaler and requires the result to equal want.
func requireLogsRoundTrip(t testing.TB, want, got plog.Logs) []byte {
	t.Helper()
	out := AppendLogs(nil, got)
	requireValidLine(t, out)
	decoded, err := (&plog.JSONUnmarshaler{}).UnmarshalLogs(out)
	require.NoErrorf(t, err, "output: %s", out)
	requireLogsEqual(t, want, decoded)
	return out
}

// requireLogsEqual compares two Logs through pdata's JSON form (readable
// diffs) and proto form (every bit of every field).
func requireLogsEqual(t testing.TB, want, got plog.Logs) {
	t.Helper()
	wj, err := (&plog.JSONMarshaler{}).MarshalLogs(want)
	require.NoError(t, err)
	gj, err := (&plog.JSONMarshaler{}).MarshalLogs(got)
	require.NoError(t, err)
	require.Equal(t, string(wj), string(gj))
	wp, err := (&plog.ProtoMarshaler{}).MarshalLogs(want)
	require.NoError(t, err)
	gp, err := (&plog.ProtoMarshaler{}).MarshalLogs(got)
	require.NoError(t, err)
	require.Equal(t, wp, gp)
}

// requireTracesRoundTrip is requireLogsRoundTrip for traces.
func requireTracesRoundTrip(t testing.TB, want, got ptrace.Traces) []byte {
	t.Helper()
	out := AppendTraces(nil, got)
	requireValidLine(t, out)
	decoded, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(out)
	require.NoErrorf(t, err, "output: %s", out)
	requireTracesEqual(t, want, decoded)
	return out
}

// requireTracesEqual is requireLogsEqual for traces.
func requireTracesEqual(t testing.TB, want, got ptrace.Traces) {
	t.Helper()
	wj, err := (&ptrace.JSONMarshaler{}).MarshalTraces(want)
	require.NoError(t, err)
	gj, err := (&ptrace.JSONMarshaler{}).MarshalTraces(got)
	require.NoError(t, err)
	require.Equal(t, string(wj), string(gj))
	wp, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(want)
	require.NoError(t, err)
	gp, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(got)
	require.NoError(t, err)
	require.Equal(t, wp, gp)
}

// requireMetricsRoundTrip is requireLogsRoundTrip for metrics.
func requireMetricsRoundTrip(t testing.TB, want, got pmetric.Metrics) []byte {
	t.Helper()
	out := AppendMetrics(nil, got)
	requireValidLine(t, out)
	decoded, err := (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics(out)
	require.NoErrorf(t, err, "output: %s", out)
	requireMetricsEqual(t, want, decoded)
	return out
}

// requireMetricsEqual is requireLogsEqual for metrics.
func requireMetricsEqual(t testing.TB, want, got pmetric.Metrics) {
	t.Helper()
	wj, err := (&pmetric.JSONMarshaler{}).MarshalMetrics(want)
	require.NoError(t, err)
	gj, err := (&pmetric.JSONMarshaler{}).MarshalMetrics(got)
	require.NoError(t, err)
	require.Equal(t, string(wj), string(gj))
	wp, err := (&pmetric.ProtoMarshaler{}).MarshalMetrics(want)
	require.NoError(t, err)
	gp, err := (&pmetric.ProtoMarshaler{}).MarshalMetrics(got)
	require.NoError(t, err)
	require.Equal(t, wp, gp)
}

func base64Std(b []byte) string {
	return base64.StdEncoding.EncodeToString(b)
}

// requireValidLine requires out to be valid JSON that fits on one line, as
// filesink's and consolesink's line-per-request formats need.
func requireValidLine(t testing.TB, out []byte) {
	t.Helper()
	require.Truef(t, json.Valid(out), "invalid JSON: %s", out)
	require.NotContains(t, string(out), "\n")
	require.NotContains(t, string(out), "\r")
}
