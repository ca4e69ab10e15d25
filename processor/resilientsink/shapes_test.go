// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func pcommonTime(t time.Time) pcommon.Timestamp { return pcommon.NewTimestampFromTime(t) }

// shortKeys and shortValues are the first attributes of every shape: short,
// like telemetrygen's ("app": "server").
var (
	shortKeys   = []string{"app", "host.name", "env"}
	shortValues = []string{"server", "node-1", "prod"}
)

func attrKey(j int) string {
	if j < len(shortKeys) {
		return shortKeys[j]
	}
	return "attribute.key." + strconv.Itoa(j)
}

func attrValue(i, j int) string {
	if j < len(shortValues) {
		return shortValues[j]
	}
	return "value-" + strconv.Itoa(i) + "-" + strconv.Itoa(j)
}

// genLogs builds one resource and scope with n records of attrs string
// attributes each, shaped like telemetrygen's logs.
func genLogs(n, attrs int) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "telemetrygen")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("telemetrygen")
	recs := sl.LogRecords()
	recs.EnsureCapacity(n)
	now := pcommonTime(time.Now())
	for i := range n {
		r := recs.AppendEmpty()
		r.SetTimestamp(now)
		r.SetObservedTimestamp(now)
		r.SetSeverityNumber(plog.SeverityNumberInfo)
		r.SetSeverityText("Info")
		r.Body().SetStr("the message")
		a := r.Attributes()
		a.EnsureCapacity(attrs)
		for j := range attrs {
			a.PutStr(attrKey(j), attrValue(i, j))
		}
	}
	return ld
}

// genTraces builds one resource and scope with n spans of attrs string
// attributes each, shaped like telemetrygen's traces.
func genTraces(n, attrs int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "telemetrygen")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("telemetrygen")
	spans := ss.Spans()
	spans.EnsureCapacity(n)
	now := time.Now()
	for i := range n {
		sp := spans.AppendEmpty()
		sp.SetName("okey-dokey-" + strconv.Itoa(i%10))
		sp.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, byte(i)})
		sp.SetSpanID(pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, byte(i)})
		sp.SetParentSpanID(pcommon.SpanID{1, 2, 3, 4, 5, 6, 8, byte(i)})
		sp.SetKind(ptrace.SpanKindServer)
		sp.SetStartTimestamp(pcommonTime(now))
		sp.SetEndTimestamp(pcommonTime(now.Add(time.Millisecond)))
		a := sp.Attributes()
		a.EnsureCapacity(attrs)
		for j := range attrs {
			a.PutStr(attrKey(j), attrValue(i, j))
		}
	}
	return td
}

// genMetrics builds one resource and scope with one gauge of n data points of
// attrs string attributes each, shaped like telemetrygen's metrics.
func genMetrics(n, attrs int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "telemetrygen")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("telemetrygen")
	m := sm.Metrics().AppendEmpty()
	m.SetName("gen")
	dps := m.SetEmptyGauge().DataPoints()
	dps.EnsureCapacity(n)
	now := pcommonTime(time.Now())
	for i := range n {
		dp := dps.AppendEmpty()
		dp.SetTimestamp(now)
		dp.SetStartTimestamp(now)
		dp.SetIntValue(int64(i))
		a := dp.Attributes()
		a.EnsureCapacity(attrs)
		for j := range attrs {
			a.PutStr(attrKey(j), attrValue(i, j))
		}
	}
	return md
}

// wire round-trips data through the OTLP proto encoding, so its memory
// layout is that of data decoded off the wire.
func wireLogs(ld plog.Logs) plog.Logs {
	b, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	if err != nil {
		panic(err)
	}
	out, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(b)
	if err != nil {
		panic(err)
	}
	return out
}

func wireTraces(td ptrace.Traces) ptrace.Traces {
	b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	if err != nil {
		panic(err)
	}
	out, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(b)
	if err != nil {
		panic(err)
	}
	return out
}

func wireMetrics(md pmetric.Metrics) pmetric.Metrics {
	b, err := (&pmetric.ProtoMarshaler{}).MarshalMetrics(md)
	if err != nil {
		panic(err)
	}
	out, err := (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics(b)
	if err != nil {
		panic(err)
	}
	return out
}
