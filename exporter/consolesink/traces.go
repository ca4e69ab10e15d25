// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink // import "github.com/resilientsink/resilientsink/exporter/consolesink"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// appendSpanLines appends one line per sampled span. Text layout:
//
//	<start time> SPAN [<service>] <name> kind=.. duration=.. status=.. [status_message=..] trace_id=.. span_id=.. [parent_span_id=..] [events=N] [links=N] <attrs> [<resource and scope>]
//
// It returns the grown buffer and the numbers of printed and suppressed spans.
func (l *lineWriter) appendSpanLines(dst []byte, td ptrace.Traces) ([]byte, int, int) {
	printed, suppressed := 0, 0
	enc := l.enc
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		res := rs.Resource()
		svc, hasSvc := res.Attributes().Get(serviceNameKey)
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				if !l.take(&printed, &suppressed) {
					continue
				}
				sp := spans.At(k)
				dst = enc.begin(dst)
				dst = enc.time(dst, "timestamp", sp.StartTimestamp())
				dst = enc.label(dst, "signal", "SPAN", "span")
				if hasSvc {
					dst = enc.service(dst, svc)
				}
				dst = enc.posStr(dst, "name", sp.Name())
				dst = enc.str(dst, "kind", sp.Kind().String())
				dst = enc.duration(dst, "duration", int64(sp.EndTimestamp())-int64(sp.StartTimestamp()))
				st := sp.Status()
				dst = enc.str(dst, "status", st.Code().String())
				if msg := st.Message(); msg != "" {
					dst = enc.str(dst, "status_message", msg)
				}
				dst = l.appendIDs(dst, sp.TraceID(), sp.SpanID())
				if pid := sp.ParentSpanID(); !pid.IsEmpty() {
					dst = enc.spanID(dst, "parent_span_id", pid)
				}
				if n := sp.Events().Len(); n > 0 {
					dst = enc.int(dst, "events", int64(n))
				}
				if n := sp.Links().Len(); n > 0 {
					dst = enc.int(dst, "links", int64(n))
				}
				dst = enc.attrs(dst, "attributes", "", sp.Attributes())
				dst = l.appendContext(dst, res, ss.Scope())
				dst = enc.end(dst)
			}
		}
	}
	return dst, printed, suppressed
}

// appendSpanSummary appends the basic-verbosity line for a batch of spans.
func (l *lineWriter) appendSpanSummary(dst []byte, td ptrace.Traces, now pcommon.Timestamp) []byte {
	dst = l.enc.begin(dst)
	dst = l.enc.time(dst, "timestamp", now)
	dst = l.enc.label(dst, "signal", "TRACES", "traces")
	dst = l.enc.int(dst, "resources", int64(td.ResourceSpans().Len()))
	dst = l.enc.int(dst, "spans", int64(td.SpanCount()))
	return l.enc.end(dst)
}
