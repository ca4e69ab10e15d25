package otlpjson

import (
	"go.opentelemetry.io/collector/pdata/plog"
)

// AppendLogs appends the OTLP/JSON encoding of ld, an ExportLogsServiceRequest
// ({"resourceLogs":[...]}), to dst and returns the extended buffer. No
// trailing newline is written.
func AppendLogs(dst []byte, ld plog.Logs) []byte {
	rls := ld.ResourceLogs()
	if rls.Len() == 0 {
		return append(dst, '{', '}')
	}
	dst = append(dst, `{"resourceLogs":[`...)
	for i := range rls.Len() {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendResourceLogs(dst, rls.At(i))
	}
	return append(dst, ']', '}')
}

func appendResourceLogs(dst []byte, rl plog.ResourceLogs) []byte {
	dst = append(dst, `{"resource":`...)
	dst = appendResource(dst, rl.Resource())
	if sls := rl.ScopeLogs(); sls.Len() > 0 {
		dst = append(dst, `,"scopeLogs":[`...)
		for i := range sls.Len() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendScopeLogs(dst, sls.At(i))
		}
		dst = append(dst, ']')
	}
	dst = appendStringField(dst, `,"schemaUrl":`, rl.SchemaUrl())
	return append(dst, '}')
}

func appendScopeLogs(dst []byte, sl plog.ScopeLogs) []byte {
	dst = append(dst, `{"scope":`...)
	dst = appendScope(dst, sl.Scope())
	if lrs := sl.LogRecords(); lrs.Len() > 0 {
		dst = append(dst, `,"logRecords":[`...)
		for i := range lrs.Len() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendLogRecord(dst, lrs.At(i))
		}
		dst = append(dst, ']')
	}
	dst = appendStringField(dst, `,"schemaUrl":`, sl.SchemaUrl())
	return append(dst, '}')
}

func appendLogRecord(dst []byte, lr plog.LogRecord) []byte {
	start := len(dst)
	dst = appendTimeField(dst, `,"timeUnixNano":`, lr.Timestamp())
	dst = appendTimeField(dst, `,"observedTimeUnixNano":`, lr.ObservedTimestamp())
	if sev := lr.SeverityNumber(); sev != 0 {
		dst = append(dst, `,"severityNumber":`...)
		dst = appendInt32(dst, int32(sev))
	}
	dst = appendStringField(dst, `,"severityText":`, lr.SeverityText())
	dst = append(dst, `,"body":`...)
	dst = AppendAnyValue(dst, lr.Body())
	dst = appendAttributesField(dst, lr.Attributes())
	dst = appendDroppedAttributesCount(dst, lr.DroppedAttributesCount())
	dst = appendUint32Field(dst, `,"flags":`, uint32(lr.Flags()))
	if id := lr.TraceID(); !id.IsEmpty() {
		dst = append(dst, `,"traceId":`...)
		dst = appendTraceID(dst, id)
	}
	if id := lr.SpanID(); !id.IsEmpty() {
		dst = append(dst, `,"spanId":`...)
		dst = appendSpanID(dst, id)
	}
	dst = appendStringField(dst, `,"eventName":`, lr.EventName())
	dst[start] = '{' // body is always written, so there is a leading comma
	return append(dst, '}')
}
