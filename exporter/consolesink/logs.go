// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink // import "github.com/resilientsink/resilientsink/exporter/consolesink"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// serviceNameKey is the resource attribute shown as the service.
const serviceNameKey = "service.name"

// appendLogLines appends one line per sampled log record. Text layout:
//
//	<time> <severity> [<service>] <body> [event=<name>] <attrs> [trace_id=.. span_id=..] [<resource and scope>]
//
// time is the record's timestamp, or its observed timestamp when unset.
// It returns the grown buffer and the numbers of printed and suppressed records.
func (l *lineWriter) appendLogLines(dst []byte, ld plog.Logs) ([]byte, int, int) {
	printed, suppressed := 0, 0
	enc := l.enc
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		res := rl.Resource()
		svc, hasSvc := res.Attributes().Get(serviceNameKey)
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			lrs := sl.LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				if !l.take(&printed, &suppressed) {
					continue
				}
				lr := lrs.At(k)
				dst = enc.begin(dst)
				ts := lr.Timestamp()
				if ts == 0 {
					ts = lr.ObservedTimestamp()
				}
				dst = enc.time(dst, "timestamp", ts)
				dst = enc.severity(dst, lr.SeverityText(), lr.SeverityNumber())
				if hasSvc {
					dst = enc.service(dst, svc)
				}
				dst = enc.posValue(dst, "body", lr.Body())
				if name := lr.EventName(); name != "" {
					dst = enc.str(dst, "event", name)
				}
				dst = enc.attrs(dst, "attributes", "", lr.Attributes())
				dst = l.appendIDs(dst, lr.TraceID(), lr.SpanID())
				dst = l.appendContext(dst, res, sl.Scope())
				dst = enc.end(dst)
			}
		}
	}
	return dst, printed, suppressed
}

// appendLogSummary appends the basic-verbosity line for a batch of logs.
func (l *lineWriter) appendLogSummary(dst []byte, ld plog.Logs, now pcommon.Timestamp) []byte {
	dst = l.enc.begin(dst)
	dst = l.enc.time(dst, "timestamp", now)
	dst = l.enc.label(dst, "signal", "LOGS", "logs")
	dst = l.enc.int(dst, "resources", int64(ld.ResourceLogs().Len()))
	dst = l.enc.int(dst, "records", int64(ld.LogRecordCount()))
	return l.enc.end(dst)
}
