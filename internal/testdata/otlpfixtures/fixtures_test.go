package otlpfixtures

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func TestTelemetrygenShapes(t *testing.T) {
	for _, n := range []int{0, 1, 100} {
		assert.Equal(t, n, TelemetrygenLogs(n).LogRecordCount())
		assert.Equal(t, n, TelemetrygenTraces(n).SpanCount())
		assert.Equal(t, n, TelemetrygenMetrics(n).DataPointCount())
	}
	lr := TelemetrygenLogs(1).ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	assert.NotZero(t, lr.Timestamp())
	assert.NotZero(t, lr.ObservedTimestamp())
	assert.Equal(t, plog.SeverityNumberInfo, lr.SeverityNumber())
	assert.Len(t, lr.Body().Str(), 30)
	assert.Equal(t, 3, lr.Attributes().Len())
	assert.False(t, lr.TraceID().IsEmpty())
	assert.False(t, lr.SpanID().IsEmpty())
}

func TestDeterministic(t *testing.T) {
	a, err := (&plog.ProtoMarshaler{}).MarshalLogs(RichLogs())
	require.NoError(t, err)
	b, err := (&plog.ProtoMarshaler{}).MarshalLogs(RichLogs())
	require.NoError(t, err)
	assert.Equal(t, a, b)
}

// TestRichRoundTrip checks the documented promise: rich fixtures survive a
// round trip through pdata's JSON marshaler and unmarshaler unchanged.
func TestRichRoundTrip(t *testing.T) {
	ld := RichLogs()
	j, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	ld2, err := (&plog.JSONUnmarshaler{}).UnmarshalLogs(j)
	require.NoError(t, err)
	requireSameProto(t, (&plog.ProtoMarshaler{}).MarshalLogs, ld, ld2)

	td := RichTraces()
	j, err = (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	require.NoError(t, err)
	td2, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(j)
	require.NoError(t, err)
	requireSameProto(t, (&ptrace.ProtoMarshaler{}).MarshalTraces, td, td2)

	md := RichMetrics()
	j, err = (&pmetric.JSONMarshaler{}).MarshalMetrics(md)
	require.NoError(t, err)
	md2, err := (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics(j)
	require.NoError(t, err)
	requireSameProto(t, (&pmetric.ProtoMarshaler{}).MarshalMetrics, md, md2)
}

func requireSameProto[T any](t *testing.T, marshal func(T) ([]byte, error), want, got T) {
	t.Helper()
	w, err := marshal(want)
	require.NoError(t, err)
	g, err := marshal(got)
	require.NoError(t, err)
	require.Equal(t, w, g)
}
