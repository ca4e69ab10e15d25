// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink

import (
	"context"
	"io"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/collector/config/configtelemetry"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/debugexporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/resilientsink/resilientsink/exporter/consolesink/internal/metadata"
	"github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
)

// benchRecords is the batch size of every benchmark: 100 telemetrygen-shaped
// log records.
const benchRecords = 100

// countingDiscard counts bytes and discards them; it proves the baseline
// really formats its output instead of dropping it by level.
type countingDiscard struct{ n atomic.Int64 }

func (c *countingDiscard) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return len(p), nil
}

func (c *countingDiscard) Sync() error { return nil }

// newDebugLogs builds the core debug exporter through its factory, with a
// collector-style console zap logger at Info level writing to sink.
func newDebugLogs(b *testing.B, level configtelemetry.Level, sink zapcore.WriteSyncer) exporter.Logs {
	b.Helper()
	f := debugexporter.NewFactory()
	cfg := f.CreateDefaultConfig().(*debugexporter.Config)
	cfg.Verbosity = level
	set := exportertest.NewNopSettings(f.Type())
	enc := zapcore.NewConsoleEncoder(zap.NewProductionEncoderConfig())
	set.Logger = zap.New(zapcore.NewCore(enc, sink, zapcore.InfoLevel))
	exp, err := f.CreateLogs(context.Background(), set, cfg)
	if err != nil {
		b.Fatal(err)
	}
	return exp
}

// newConsoleLogs builds consolesink through exporterhelper, as the factory
// does, but writing to w.
func newConsoleLogs(b *testing.B, cfg *Config, w io.Writer) (exporter.Logs, *consoleExporter) {
	b.Helper()
	set := exportertest.NewNopSettings(metadata.Type)
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		b.Fatal(err)
	}
	e := newConsoleExporter(cfg, w, false, tel)
	exp, err := exporterhelper.NewLogs(context.Background(), set, cfg, e.pushLogs, helperOptions(cfg, e)...)
	if err != nil {
		b.Fatal(err)
	}
	return exp, e
}

func reportPerRecord(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRecords), "ns/record")
}

func BenchmarkLogs(b *testing.B) {
	ld := otlpfixtures.TelemetrygenLogs(benchRecords)
	ld.MarkReadOnly()
	ctx := context.Background()

	for _, level := range []configtelemetry.Level{configtelemetry.LevelNormal, configtelemetry.LevelDetailed} {
		b.Run("exporter=debug/verbosity="+level.String(), func(b *testing.B) {
			sink := &countingDiscard{}
			exp := newDebugLogs(b, level, sink)
			if err := exp.Start(ctx, nil); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = exp.Shutdown(ctx) })
			if err := exp.ConsumeLogs(ctx, ld); err != nil || sink.n.Load() < benchRecords*30 {
				b.Fatalf("debug exporter did not format the batch: err=%v bytes=%d", err, sink.n.Load())
			}
			b.ReportAllocs()
			for b.Loop() {
				_ = exp.ConsumeLogs(ctx, ld)
			}
			reportPerRecord(b)
		})
	}

	for _, f := range []Format{FormatText, FormatJSON, FormatLogfmt, FormatOTLPJSON} {
		cfg := testConfig(f, VerbosityNormal)
		b.Run("exporter=consolesink/format="+string(f)+"/verbosity=normal", func(b *testing.B) {
			sink := &countingDiscard{}
			exp, _ := newConsoleLogs(b, cfg, sink)
			if err := exp.Start(ctx, nil); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = exp.Shutdown(ctx) })
			if err := exp.ConsumeLogs(ctx, ld); err != nil || sink.n.Load() < benchRecords*30 {
				b.Fatalf("consolesink did not format the batch: err=%v bytes=%d", err, sink.n.Load())
			}
			b.ReportAllocs()
			for b.Loop() {
				_ = exp.ConsumeLogs(ctx, ld)
			}
			reportPerRecord(b)
		})
	}

	// The encoder and write path alone, without exporterhelper's per-batch
	// bookkeeping: 0 allocs per batch.
	for _, f := range []Format{FormatText, FormatJSON, FormatLogfmt, FormatOTLPJSON} {
		cfg := testConfig(f, VerbosityNormal)
		b.Run("exporter=consolesink-push/format="+string(f)+"/verbosity=normal", func(b *testing.B) {
			_, e := newConsoleLogs(b, cfg, io.Discard)
			_ = e.pushLogs(ctx, ld)
			b.ReportAllocs()
			for b.Loop() {
				_ = e.pushLogs(ctx, ld)
			}
			reportPerRecord(b)
		})
	}
}
