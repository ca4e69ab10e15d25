// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink // import "github.com/resilientsink/resilientsink/processor/resilientsink"

import (
	"context"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/xpdata/pref"
	"go.opentelemetry.io/collector/processor"
)

// signal is what the generic core needs to know about one pdata type.
type signal[T any] struct {
	// name is the signal's name: logs, traces or metrics.
	name string
	// items counts log records, spans or metric data points.
	items func(T) int
	// protoSize is the OTLP protobuf size; the estimator samples it.
	protoSize func(T) int
	// heap is the live-heap model of decoded data of this signal.
	heap heapModel
	// consume delivers to the next consumer.
	consume func(context.Context, T) error
	// ref and unref hold a reference on pdata kept past ConsumeX.
	ref, unref func(T)
	// marshal and unmarshal convert to and from the OTLP protobuf export
	// request, the payload of a frame on disk (persistence).
	marshal   func(T) ([]byte, error)
	unmarshal func([]byte) (T, error)
}

type logsProcessor struct{ *core[plog.Logs] }

// ConsumeLogs queues ld for asynchronous delivery.
func (p *logsProcessor) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	return p.consume(ctx, ld)
}

type tracesProcessor struct{ *core[ptrace.Traces] }

// ConsumeTraces queues td for asynchronous delivery.
func (p *tracesProcessor) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	return p.consume(ctx, td)
}

type metricsProcessor struct{ *core[pmetric.Metrics] }

// ConsumeMetrics queues md for asynchronous delivery.
func (p *metricsProcessor) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	return p.consume(ctx, md)
}

func logsSignal(next consumer.Logs) signal[plog.Logs] {
	sizer := &plog.ProtoMarshaler{}
	unmarshaler := &plog.ProtoUnmarshaler{}
	return signal[plog.Logs]{
		name:      "logs",
		items:     plog.Logs.LogRecordCount,
		protoSize: sizer.LogsSize,
		heap:      logsHeapModel,
		consume:   next.ConsumeLogs,
		ref:       pref.RefLogs,
		unref:     pref.UnrefLogs,
		marshal:   sizer.MarshalLogs,
		unmarshal: unmarshaler.UnmarshalLogs,
	}
}

func tracesSignal(next consumer.Traces) signal[ptrace.Traces] {
	sizer := &ptrace.ProtoMarshaler{}
	unmarshaler := &ptrace.ProtoUnmarshaler{}
	return signal[ptrace.Traces]{
		name:      "traces",
		items:     ptrace.Traces.SpanCount,
		protoSize: sizer.TracesSize,
		heap:      tracesHeapModel,
		consume:   next.ConsumeTraces,
		ref:       pref.RefTraces,
		unref:     pref.UnrefTraces,
		marshal:   sizer.MarshalTraces,
		unmarshal: unmarshaler.UnmarshalTraces,
	}
}

func metricsSignal(next consumer.Metrics) signal[pmetric.Metrics] {
	sizer := &pmetric.ProtoMarshaler{}
	unmarshaler := &pmetric.ProtoUnmarshaler{}
	return signal[pmetric.Metrics]{
		name:      "metrics",
		items:     pmetric.Metrics.DataPointCount,
		protoSize: sizer.MetricsSize,
		heap:      metricsHeapModel,
		consume:   next.ConsumeMetrics,
		ref:       pref.RefMetrics,
		unref:     pref.UnrefMetrics,
		marshal:   sizer.MarshalMetrics,
		unmarshal: unmarshaler.UnmarshalMetrics,
	}
}

func newLogsProcessor(set processor.Settings, cfg *Config, next consumer.Logs) (*logsProcessor, error) {
	c, err := newCore(set, cfg, logsSignal(next))
	if err != nil {
		return nil, err
	}
	return &logsProcessor{c}, nil
}

func newTracesProcessor(set processor.Settings, cfg *Config, next consumer.Traces) (*tracesProcessor, error) {
	c, err := newCore(set, cfg, tracesSignal(next))
	if err != nil {
		return nil, err
	}
	return &tracesProcessor{c}, nil
}

func newMetricsProcessor(set processor.Settings, cfg *Config, next consumer.Metrics) (*metricsProcessor, error) {
	c, err := newCore(set, cfg, metricsSignal(next))
	if err != nil {
		return nil, err
	}
	return &metricsProcessor{c}, nil
}
