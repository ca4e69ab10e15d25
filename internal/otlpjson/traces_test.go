package otlpjson

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
)

func TestAppendTracesRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		td   ptrace.Traces
	}{
		{name: "empty", td: ptrace.NewTraces()},
		{name: "rich", td: otlpfixtures.RichTraces()},
		{name: "telemetrygen", td: otlpfixtures.TelemetrygenTraces(10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireTracesRoundTrip(t, tt.td, tt.td)
		})
	}
}

func TestAppendTracesMatchesPdataBytes(t *testing.T) {
	minimal := ptrace.NewTraces()
	rs := minimal.ResourceSpans().AppendEmpty()
	sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.Events().AppendEmpty()
	sp.Links().AppendEmpty()
	rs.ScopeSpans().AppendEmpty()
	minimal.ResourceSpans().AppendEmpty()
	for _, td := range []ptrace.Traces{ptrace.NewTraces(), otlpfixtures.TelemetrygenTraces(5), minimal} {
		want, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(AppendTraces(nil, td)))
	}
}

func TestAppendTracesMatchesPdataSemantically(t *testing.T) {
	td := otlpfixtures.RichTraces()
	pj, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	require.NoError(t, err)
	fromPdata, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(pj)
	require.NoError(t, err)
	fromOurs, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(AppendTraces(nil, td))
	require.NoError(t, err)
	requireTracesEqual(t, fromPdata, fromOurs)
}

func TestAppendTracesExactOutput(t *testing.T) {
	td := ptrace.NewTraces()
	sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetSpanID(pcommon.SpanID{0: 0x0f, 7: 0xf0})
	sp.SetParentSpanID(pcommon.SpanID{7: 1})
	sp.TraceState().FromRaw("a=b")
	sp.SetKind(ptrace.SpanKindServer)
	sp.SetEndTimestamp(18446744073709551615)
	sp.Events().AppendEmpty().SetName("e")
	sp.Links().AppendEmpty().SetFlags(3)
	sp.SetDroppedLinksCount(2)
	sp.Status().SetCode(ptrace.StatusCodeError)
	want := `{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{},"spans":[{` +
		`"spanId":"0f000000000000f0","traceState":"a=b","parentSpanId":"0000000000000001",` +
		`"kind":2,"endTimeUnixNano":"18446744073709551615","events":[{"name":"e"}],` +
		`"links":[{"flags":3}],"droppedLinksCount":2,"status":{"code":2}}]}]}]}`
	assert.Equal(t, want, string(AppendTraces(nil, td)))
}

func TestAppendTracesInvalidUTF8(t *testing.T) {
	build := func(clean func(string) string) ptrace.Traces {
		td := ptrace.NewTraces()
		sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		sp.SetName(clean("span\xff"))
		sp.TraceState().FromRaw(clean("k=\xfe"))
		sp.Status().SetMessage(clean("\xc3("))
		ev := sp.Events().AppendEmpty()
		ev.SetName(clean("\xe2\x28\xa1"))
		ev.Attributes().PutStr(clean("k\x80"), clean("v\xbf"))
		sp.Links().AppendEmpty().TraceState().FromRaw(clean("\xf0\x9f\x98"))
		return td
	}
	requireTracesRoundTrip(t, build(sanitize), build(func(s string) string { return s }))
}
