package otlpfixtures

import (
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// TelemetrygenLogs returns one resource and one scope holding n log records
// shaped like telemetrygen's: timestamp, observed timestamp, severity number
// and text, a ~30 character string body, three string/int attributes, and
// trace and span ids.
func TelemetrygenLogs(n int) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	putTelemetrygenResource(rl.Resource())
	sl := rl.ScopeLogs().AppendEmpty()
	putTelemetrygenScope(sl.Scope())
	recs := sl.LogRecords()
	recs.EnsureCapacity(n)
	for i := range n {
		lr := recs.AppendEmpty()
		ts := BaseTime + pcommon.Timestamp(i)*1_000_000
		lr.SetTimestamp(ts)
		lr.SetObservedTimestamp(ts + 1234)
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("Info")
		lr.Body().SetStr("the message number " + strconv.Itoa(100000+i) + " okay")
		attrs := lr.Attributes()
		attrs.EnsureCapacity(3)
		attrs.PutStr("app", "server")
		attrs.PutStr("http.route", "/api/v1/items")
		attrs.PutInt("worker", int64(i%8))
		lr.SetTraceID(TraceID(i))
		lr.SetSpanID(SpanID(i))
	}
	return ld
}

// RichLogs returns logs that set every field of the OTLP logs data model:
// two resources (one empty), schema URLs, rich resource and scope attributes,
// entity refs, records with every body type, flags, dropped counts and event
// names, plus an all-default record and an empty scope.
func RichLogs() plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.SetSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
	fillRichResource(rl.Resource())
	sl := rl.ScopeLogs().AppendEmpty()
	sl.SetSchemaUrl("https://example.com/scope-schema")
	fillRichScope(sl.Scope())

	lr := sl.LogRecords().AppendEmpty()
	lr.SetTimestamp(BaseTime)
	lr.SetObservedTimestamp(BaseTime + 1)
	lr.SetSeverityNumber(plog.SeverityNumberFatal4)
	lr.SetSeverityText("FATAL4")
	lr.Body().SetStr("body with \"quotes\" and \n newline and ✓")
	PutRichAttributes(lr.Attributes())
	lr.SetDroppedAttributesCount(7)
	lr.SetFlags(plog.DefaultLogRecordFlags.WithIsSampled(true))
	lr.SetTraceID(TraceID(1))
	lr.SetSpanID(SpanID(1))
	lr.SetEventName("app.event")

	bodies := []func(v pcommon.Value){
		func(v pcommon.Value) { v.SetInt(-5) },
		func(v pcommon.Value) { v.SetDouble(0.1) },
		func(v pcommon.Value) { v.SetBool(true) },
		func(v pcommon.Value) { v.SetEmptyBytes().FromRaw([]byte{0xde, 0xad, 0xbe, 0xef}) },
		func(v pcommon.Value) { PutRichAttributes(v.SetEmptyMap()) },
		func(v pcommon.Value) {
			s := v.SetEmptySlice()
			s.AppendEmpty().SetStr("a")
			s.AppendEmpty().SetEmptySlice()
		},
		func(v pcommon.Value) { v.SetStr("") },
		func(pcommon.Value) {}, // empty body
	}
	for i, set := range bodies {
		r := sl.LogRecords().AppendEmpty()
		r.SetTimestamp(BaseTime + pcommon.Timestamp(i))
		r.SetSeverityNumber(plog.SeverityNumber(i + 1))
		set(r.Body())
	}
	sl.LogRecords().AppendEmpty() // all defaults
	rl.ScopeLogs().AppendEmpty()  // empty scope

	ld.ResourceLogs().AppendEmpty() // empty resource
	return ld
}
