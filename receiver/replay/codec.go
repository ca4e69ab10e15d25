package replay // import "github.com/resilientsink/resilientsink/receiver/replay"

import (
	"context"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Resource attributes added with dead_letter_attributes.
const (
	attrReason = "resilientsink.dead_letter.reason"
	attrError  = "resilientsink.dead_letter.error"
)

// batch is one decoded record, ready for the pipeline.
type batch struct {
	items int
	send  func(context.Context) error
	// resources calls f with each resource of the batch.
	resources func(f func(pcommon.Resource))
}

// codec decodes records of one signal and hands them to the pipeline.
type codec struct {
	signal string
	decode func(rec []byte, json bool) (batch, error)
}

func logsCodec(next consumer.Logs) codec {
	var jsonU plog.JSONUnmarshaler
	var protoU plog.ProtoUnmarshaler
	return codec{signal: "logs", decode: func(rec []byte, json bool) (batch, error) {
		var ld plog.Logs
		var err error
		if json {
			ld, err = jsonU.UnmarshalLogs(rec)
		} else {
			ld, err = protoU.UnmarshalLogs(rec)
		}
		if err != nil {
			return batch{}, err
		}
		return batch{
			items: ld.LogRecordCount(),
			send:  func(ctx context.Context) error { return next.ConsumeLogs(ctx, ld) },
			resources: func(f func(pcommon.Resource)) {
				for _, rl := range ld.ResourceLogs().All() {
					f(rl.Resource())
				}
			},
		}, nil
	}}
}

func tracesCodec(next consumer.Traces) codec {
	var jsonU ptrace.JSONUnmarshaler
	var protoU ptrace.ProtoUnmarshaler
	return codec{signal: "traces", decode: func(rec []byte, json bool) (batch, error) {
		var td ptrace.Traces
		var err error
		if json {
			td, err = jsonU.UnmarshalTraces(rec)
		} else {
			td, err = protoU.UnmarshalTraces(rec)
		}
		if err != nil {
			return batch{}, err
		}
		return batch{
			items: td.SpanCount(),
			send:  func(ctx context.Context) error { return next.ConsumeTraces(ctx, td) },
			resources: func(f func(pcommon.Resource)) {
				for _, rs := range td.ResourceSpans().All() {
					f(rs.Resource())
				}
			},
		}, nil
	}}
}

func metricsCodec(next consumer.Metrics) codec {
	var jsonU pmetric.JSONUnmarshaler
	var protoU pmetric.ProtoUnmarshaler
	return codec{signal: "metrics", decode: func(rec []byte, json bool) (batch, error) {
		var md pmetric.Metrics
		var err error
		if json {
			md, err = jsonU.UnmarshalMetrics(rec)
		} else {
			md, err = protoU.UnmarshalMetrics(rec)
		}
		if err != nil {
			return batch{}, err
		}
		return batch{
			items: md.DataPointCount(),
			send:  func(ctx context.Context) error { return next.ConsumeMetrics(ctx, md) },
			resources: func(f func(pcommon.Resource)) {
				for _, rm := range md.ResourceMetrics().All() {
					f(rm.Resource())
				}
			},
		}, nil
	}}
}

// annotate adds the dead letter's reason and error to every resource.
func annotate(b batch, reason, errText string) {
	b.resources(func(r pcommon.Resource) {
		r.Attributes().PutStr(attrReason, reason)
		r.Attributes().PutStr(attrError, errText)
	})
}
