package otlpjson

import (
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// AppendTraces appends the OTLP/JSON encoding of td, an
// ExportTraceServiceRequest ({"resourceSpans":[...]}), to dst and returns the
// extended buffer. No trailing newline is written.
func AppendTraces(dst []byte, td ptrace.Traces) []byte {
	rss := td.ResourceSpans()
	if rss.Len() == 0 {
		return append(dst, '{', '}')
	}
	dst = append(dst, `{"resourceSpans":[`...)
	for i := range rss.Len() {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendResourceSpans(dst, rss.At(i))
	}
	return append(dst, ']', '}')
}

func appendResourceSpans(dst []byte, rs ptrace.ResourceSpans) []byte {
	dst = append(dst, `{"resource":`...)
	dst = appendResource(dst, rs.Resource())
	if sss := rs.ScopeSpans(); sss.Len() > 0 {
		dst = append(dst, `,"scopeSpans":[`...)
		for i := range sss.Len() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendScopeSpans(dst, sss.At(i))
		}
		dst = append(dst, ']')
	}
	dst = appendStringField(dst, `,"schemaUrl":`, rs.SchemaUrl())
	return append(dst, '}')
}

func appendScopeSpans(dst []byte, ss ptrace.ScopeSpans) []byte {
	dst = append(dst, `{"scope":`...)
	dst = appendScope(dst, ss.Scope())
	if spans := ss.Spans(); spans.Len() > 0 {
		dst = append(dst, `,"spans":[`...)
		for i := range spans.Len() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendSpan(dst, spans.At(i))
		}
		dst = append(dst, ']')
	}
	dst = appendStringField(dst, `,"schemaUrl":`, ss.SchemaUrl())
	return append(dst, '}')
}

func appendSpan(dst []byte, sp ptrace.Span) []byte {
	start := len(dst)
	if id := sp.TraceID(); !id.IsEmpty() {
		dst = append(dst, `,"traceId":`...)
		dst = appendTraceID(dst, id)
	}
	if id := sp.SpanID(); !id.IsEmpty() {
		dst = append(dst, `,"spanId":`...)
		dst = appendSpanID(dst, id)
	}
	dst = appendStringField(dst, `,"traceState":`, sp.TraceState().AsRaw())
	if id := sp.ParentSpanID(); !id.IsEmpty() {
		dst = append(dst, `,"parentSpanId":`...)
		dst = appendSpanID(dst, id)
	}
	dst = appendUint32Field(dst, `,"flags":`, sp.Flags())
	dst = appendStringField(dst, `,"name":`, sp.Name())
	if kind := sp.Kind(); kind != 0 {
		dst = append(dst, `,"kind":`...)
		dst = appendInt32(dst, int32(kind))
	}
	dst = appendTimeField(dst, `,"startTimeUnixNano":`, sp.StartTimestamp())
	dst = appendTimeField(dst, `,"endTimeUnixNano":`, sp.EndTimestamp())
	dst = appendAttributesField(dst, sp.Attributes())
	dst = appendDroppedAttributesCount(dst, sp.DroppedAttributesCount())
	if evs := sp.Events(); evs.Len() > 0 {
		dst = append(dst, `,"events":[`...)
		for i := range evs.Len() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendSpanEvent(dst, evs.At(i))
		}
		dst = append(dst, ']')
	}
	dst = appendUint32Field(dst, `,"droppedEventsCount":`, sp.DroppedEventsCount())
	if links := sp.Links(); links.Len() > 0 {
		dst = append(dst, `,"links":[`...)
		for i := range links.Len() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendSpanLink(dst, links.At(i))
		}
		dst = append(dst, ']')
	}
	dst = appendUint32Field(dst, `,"droppedLinksCount":`, sp.DroppedLinksCount())
	dst = append(dst, `,"status":`...)
	dst = appendStatus(dst, sp.Status())
	dst[start] = '{' // status is always written, so there is a leading comma
	return append(dst, '}')
}

func appendSpanEvent(dst []byte, ev ptrace.SpanEvent) []byte {
	start := len(dst)
	dst = appendTimeField(dst, `,"timeUnixNano":`, ev.Timestamp())
	dst = appendStringField(dst, `,"name":`, ev.Name())
	dst = appendAttributesField(dst, ev.Attributes())
	dst = appendDroppedAttributesCount(dst, ev.DroppedAttributesCount())
	return closeObject(dst, start)
}

func appendSpanLink(dst []byte, ln ptrace.SpanLink) []byte {
	start := len(dst)
	if id := ln.TraceID(); !id.IsEmpty() {
		dst = append(dst, `,"traceId":`...)
		dst = appendTraceID(dst, id)
	}
	if id := ln.SpanID(); !id.IsEmpty() {
		dst = append(dst, `,"spanId":`...)
		dst = appendSpanID(dst, id)
	}
	dst = appendStringField(dst, `,"traceState":`, ln.TraceState().AsRaw())
	dst = appendAttributesField(dst, ln.Attributes())
	dst = appendDroppedAttributesCount(dst, ln.DroppedAttributesCount())
	dst = appendUint32Field(dst, `,"flags":`, ln.Flags())
	return closeObject(dst, start)
}

func appendStatus(dst []byte, st ptrace.Status) []byte {
	start := len(dst)
	dst = appendStringField(dst, `,"message":`, st.Message())
	if code := st.Code(); code != 0 {
		dst = append(dst, `,"code":`...)
		dst = appendInt32(dst, int32(code))
	}
	return closeObject(dst, start)
}
