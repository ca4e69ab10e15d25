// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink

import (
	"math"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
)

// nasty is a string with every hazard for a one-line-per-record output:
// newlines, carriage return, a terminal escape sequence, tab, DEL, invalid
// UTF-8, a C1 control (NEL), Unicode line separators, quotes, '=' and
// backslashes.
const nasty = "line1\nline2\r\x1b[31mred\x1b[0m\ttab\x7f bad\xff\xfe utf8 nel\u0085 ls\u2028ps\u2029 \"q\" a=b c:\\dir"

// edgeLogs covers what the shared fixtures do not: invalid UTF-8 and
// control characters in bodies, keys and severity text, a record with only
// an observed timestamp, a severity from its number alone, a resource
// without service.name and one whose service.name is not a string.
func edgeLogs() plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "svc "+nasty)
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("edge")
	lr := sl.LogRecords().AppendEmpty()
	lr.SetObservedTimestamp(otlpfixtures.BaseTime + 5)
	lr.SetSeverityNumber(plog.SeverityNumberWarn3)
	lr.Body().SetStr(nasty)
	lr.Attributes().PutStr("k"+nasty, nasty)
	lr.Attributes().PutDouble("nan", math.NaN())
	lr.Attributes().PutDouble("inf", math.Inf(1))
	lr.Attributes().PutDouble("neginf", math.Inf(-1))
	lr.SetTraceID(otlpfixtures.TraceID(7))
	lr2 := sl.LogRecords().AppendEmpty()
	lr2.SetTimestamp(otlpfixtures.BaseTime + 6)
	lr2.SetSeverityText("sev\nnewline")
	lr2.Body().SetStr("only span id")
	lr2.SetSpanID(otlpfixtures.SpanID(7))

	rl2 := ld.ResourceLogs().AppendEmpty() // no service.name
	rl2.Resource().Attributes().PutStr("host.name", "h1")
	r := rl2.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	r.SetTimestamp(otlpfixtures.BaseTime + 7)
	r.SetSeverityNumber(plog.SeverityNumber(99)) // out of range: no name
	r.Body().SetStr("no service")

	rl3 := ld.ResourceLogs().AppendEmpty() // non-string service.name
	rl3.Resource().Attributes().PutInt("service.name", 42)
	r3 := rl3.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	r3.SetTimestamp(otlpfixtures.BaseTime + 8)
	r3.SetSeverityText("INFO")
	r3.Body().SetEmptyBytes().FromRaw([]byte("\x00\xff"))
	return ld
}

// edgeTraces covers spans with control characters and invalid UTF-8 in
// names and status messages, an error status, a negative duration, zero
// timestamps and every duration unit.
func edgeTraces() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "edge")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	sp := spans.AppendEmpty()
	sp.SetName(nasty)
	sp.SetStartTimestamp(otlpfixtures.BaseTime)
	sp.SetEndTimestamp(otlpfixtures.BaseTime + 999)
	sp.Status().SetCode(ptrace.StatusCodeError)
	sp.Status().SetMessage("boom\n" + nasty)
	sp.Attributes().PutStr("k", nasty)
	for _, d := range []int64{1_500, 2_500_000, 3_250_000_000, -42} {
		s := spans.AppendEmpty()
		s.SetName("d")
		s.SetKind(ptrace.SpanKindProducer)
		s.SetStartTimestamp(otlpfixtures.BaseTime + 1_000_000_000)
		s.SetEndTimestamp(pcommon.Timestamp(int64(otlpfixtures.BaseTime) + 1_000_000_000 + d))
	}
	spans.AppendEmpty() // all defaults
	return td
}

// edgeMetrics covers every metric type with and without optional fields,
// NaN and infinite values, an empty metric and a data point without
// timestamp or attributes.
func edgeMetrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()
	g := ms.AppendEmpty()
	g.SetName("edge.gauge " + nasty)
	gd := g.SetEmptyGauge().DataPoints()
	gd.AppendEmpty().SetIntValue(math.MinInt64)
	gd.AppendEmpty().SetDoubleValue(math.NaN())
	gd.AppendEmpty().SetDoubleValue(math.Inf(-1))
	gd.AppendEmpty() // no value
	h := ms.AppendEmpty()
	h.SetName("edge.histogram")
	h.SetEmptyHistogram().DataPoints().AppendEmpty().SetCount(3) // no sum, min, max
	eh := ms.AppendEmpty()
	eh.SetName("edge.exp_histogram")
	ed := eh.SetEmptyExponentialHistogram().DataPoints().AppendEmpty()
	ed.SetTimestamp(otlpfixtures.BaseTime)
	ed.SetCount(10)
	ed.SetSum(12.5)
	ed.SetMin(0.5)
	ed.SetMax(4)
	ed.SetScale(-2)
	ed.SetZeroCount(1)
	ed.Attributes().PutStr("k", "v")
	su := ms.AppendEmpty()
	su.SetName("edge.summary")
	sd := su.SetEmptySummary().DataPoints().AppendEmpty()
	sd.SetTimestamp(otlpfixtures.BaseTime)
	sd.SetCount(4)
	sd.SetSum(math.Inf(1))
	ms.AppendEmpty().SetName("edge.empty") // no data: no line
	return md
}

// goldenLogs is the log input of the golden files.
func goldenLogs() plog.Logs {
	ld := otlpfixtures.TelemetrygenLogs(3)
	otlpfixtures.RichLogs().ResourceLogs().MoveAndAppendTo(ld.ResourceLogs())
	edgeLogs().ResourceLogs().MoveAndAppendTo(ld.ResourceLogs())
	return ld
}

// goldenTraces is the trace input of the golden files.
func goldenTraces() ptrace.Traces {
	td := otlpfixtures.TelemetrygenTraces(3)
	otlpfixtures.RichTraces().ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	edgeTraces().ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	return td
}

// goldenMetrics is the metric input of the golden files.
func goldenMetrics() pmetric.Metrics {
	md := otlpfixtures.TelemetrygenMetrics(6)
	otlpfixtures.RichMetrics().ResourceMetrics().MoveAndAppendTo(md.ResourceMetrics())
	edgeMetrics().ResourceMetrics().MoveAndAppendTo(md.ResourceMetrics())
	return md
}
