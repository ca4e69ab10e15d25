package otlpfixtures

import (
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TelemetrygenTraces returns one resource and one scope holding n spans shaped
// like telemetrygen's: trace, span and parent span ids, name, kind, start and
// end timestamps, two attributes and an OK status.
func TelemetrygenTraces(n int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	putTelemetrygenResource(rs.Resource())
	ss := rs.ScopeSpans().AppendEmpty()
	putTelemetrygenScope(ss.Scope())
	spans := ss.Spans()
	spans.EnsureCapacity(n)
	for i := range n {
		sp := spans.AppendEmpty()
		sp.SetTraceID(TraceID(i / 2))
		sp.SetSpanID(SpanID(i))
		if i%2 == 1 {
			sp.SetParentSpanID(SpanID(i - 1))
			sp.SetKind(ptrace.SpanKindServer)
			sp.SetName("okey-dokey-" + strconv.Itoa(i))
		} else {
			sp.SetKind(ptrace.SpanKindClient)
			sp.SetName("lets-go")
		}
		start := BaseTime + pcommon.Timestamp(i)*1_000_000
		sp.SetStartTimestamp(start)
		sp.SetEndTimestamp(start + 123_456_789)
		attrs := sp.Attributes()
		attrs.EnsureCapacity(2)
		attrs.PutStr("network.peer.address", "1.2.3.4")
		attrs.PutStr("peer.service", "telemetrygen-server")
		sp.Status().SetCode(ptrace.StatusCodeOk)
	}
	return td
}

// RichTraces returns traces that set every field of the OTLP traces data
// model: schema URLs, rich resource and scope attributes, entity refs, spans
// with trace state, flags, every kind and status, events, links and dropped
// counts, plus an all-default span, an empty scope and an empty resource.
func RichTraces() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.SetSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
	fillRichResource(rs.Resource())
	ss := rs.ScopeSpans().AppendEmpty()
	ss.SetSchemaUrl("https://example.com/scope-schema")
	fillRichScope(ss.Scope())

	sp := ss.Spans().AppendEmpty()
	sp.SetTraceID(TraceID(1))
	sp.SetSpanID(SpanID(1))
	sp.TraceState().FromRaw("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
	sp.SetParentSpanID(SpanID(2))
	sp.SetFlags(0x301)
	sp.SetName("rich \"span\" ✓\n")
	sp.SetKind(ptrace.SpanKindConsumer)
	sp.SetStartTimestamp(BaseTime)
	sp.SetEndTimestamp(BaseTime + 1_000)
	PutRichAttributes(sp.Attributes())
	sp.SetDroppedAttributesCount(1)
	ev := sp.Events().AppendEmpty()
	ev.SetTimestamp(BaseTime + 10)
	ev.SetName("exception")
	ev.Attributes().PutStr("exception.message", "boom\t\"bad\"")
	ev.SetDroppedAttributesCount(2)
	sp.Events().AppendEmpty() // empty event
	sp.SetDroppedEventsCount(3)
	ln := sp.Links().AppendEmpty()
	ln.SetTraceID(TraceID(9))
	ln.SetSpanID(SpanID(9))
	ln.TraceState().FromRaw("k=v")
	ln.Attributes().PutBool("link.ok", true)
	ln.SetDroppedAttributesCount(5)
	ln.SetFlags(1)
	sp.Links().AppendEmpty() // empty link
	sp.SetDroppedLinksCount(6)
	sp.Status().SetCode(ptrace.StatusCodeError)
	sp.Status().SetMessage("it failed: \"why\"")

	for k := ptrace.SpanKindUnspecified; k <= ptrace.SpanKindConsumer; k++ {
		s := ss.Spans().AppendEmpty()
		s.SetKind(k)
		s.SetSpanID(SpanID(int(k) + 100))
		s.Status().SetCode(ptrace.StatusCode(int(k) % 3))
	}
	ss.Spans().AppendEmpty()      // all defaults
	rs.ScopeSpans().AppendEmpty() // empty scope

	td.ResourceSpans().AppendEmpty() // empty resource
	return td
}
