// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/config/configtelemetry"
	"go.opentelemetry.io/collector/exporter/debugexporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
)

// BenchmarkSignals compares traces and metrics (100 spans, 100 data points)
// with the debug exporter at verbosity normal, encoder and write path only
// for consolesink (exporterhelper adds the same per-batch cost to both).
func BenchmarkSignals(b *testing.B) {
	ctx := context.Background()
	td := otlpfixtures.TelemetrygenTraces(benchRecords)
	md := otlpfixtures.TelemetrygenMetrics(benchRecords)
	td.MarkReadOnly()
	md.MarkReadOnly()

	b.Run("signal=traces/exporter=debug/verbosity=normal", func(b *testing.B) {
		sink := &countingDiscard{}
		f := debugexporter.NewFactory()
		cfg := f.CreateDefaultConfig().(*debugexporter.Config)
		cfg.Verbosity = configtelemetry.LevelNormal
		set := exportertest.NewNopSettings(f.Type())
		set.Logger = zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(zap.NewProductionEncoderConfig()), sink, zapcore.InfoLevel))
		exp, err := f.CreateTraces(ctx, set, cfg)
		if err != nil {
			b.Fatal(err)
		}
		if err = exp.ConsumeTraces(ctx, td); err != nil || sink.n.Load() < benchRecords*30 {
			b.Fatalf("debug exporter did not format: err=%v bytes=%d", err, sink.n.Load())
		}
		b.ReportAllocs()
		for b.Loop() {
			_ = exp.ConsumeTraces(ctx, td)
		}
		reportPerRecord(b)
	})
	b.Run("signal=metrics/exporter=debug/verbosity=normal", func(b *testing.B) {
		sink := &countingDiscard{}
		f := debugexporter.NewFactory()
		cfg := f.CreateDefaultConfig().(*debugexporter.Config)
		cfg.Verbosity = configtelemetry.LevelNormal
		set := exportertest.NewNopSettings(f.Type())
		set.Logger = zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(zap.NewProductionEncoderConfig()), sink, zapcore.InfoLevel))
		exp, err := f.CreateMetrics(ctx, set, cfg)
		if err != nil {
			b.Fatal(err)
		}
		if err = exp.ConsumeMetrics(ctx, md); err != nil || sink.n.Load() < benchRecords*30 {
			b.Fatalf("debug exporter did not format: err=%v bytes=%d", err, sink.n.Load())
		}
		b.ReportAllocs()
		for b.Loop() {
			_ = exp.ConsumeMetrics(ctx, md)
		}
		reportPerRecord(b)
	})
	for _, f := range []Format{FormatText, FormatJSON} {
		b.Run("signal=traces/exporter=consolesink-push/format="+string(f), func(b *testing.B) {
			sink := &countingDiscard{}
			_, e := newConsoleLogs(b, testConfig(f, VerbosityNormal), sink)
			_ = e.pushTraces(ctx, td)
			b.ReportAllocs()
			for b.Loop() {
				_ = e.pushTraces(ctx, td)
			}
			reportPerRecord(b)
		})
		b.Run("signal=metrics/exporter=consolesink-push/format="+string(f), func(b *testing.B) {
			sink := &countingDiscard{}
			_, e := newConsoleLogs(b, testConfig(f, VerbosityNormal), sink)
			_ = e.pushMetrics(ctx, md)
			b.ReportAllocs()
			for b.Loop() {
				_ = e.pushMetrics(ctx, md)
			}
			reportPerRecord(b)
		})
	}
}
