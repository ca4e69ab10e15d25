package filesink

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/fileexporter"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/exporter/filesink/internal/metadata"
	"github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
)

const benchBatch = 100 // log records a batch

var zapNop = zap.NewNop()

// benchLogs is a telemetrygen-shaped batch, marked read-only as the pipeline would.
func benchLogs() plog.Logs {
	ld := otlpfixtures.TelemetrygenLogs(benchBatch)
	ld.MarkReadOnly()
	return ld
}

func startBench(b *testing.B, exp exporter.Logs) {
	b.Helper()
	if err := exp.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := exp.Shutdown(context.Background()); err != nil {
			b.Error(err)
		}
	})
}

func newFilesinkBench(b *testing.B, format Format, dur Durability) exporter.Logs {
	b.Helper()
	cfg := newTestConfig(b.TempDir())
	cfg.Format, cfg.Durability = format, dur
	exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	if err != nil {
		b.Fatal(err)
	}
	return exp
}

func newContribBench(b *testing.B, format string) exporter.Logs {
	b.Helper()
	f := fileexporter.NewFactory()
	cfg := f.CreateDefaultConfig().(*fileexporter.Config)
	cfg.Path = filepath.Join(b.TempDir(), "logs.out")
	cfg.FormatType = format
	cfg.Rotation = nil
	cfg.FlushInterval = time.Second // what its Unmarshal sets when unset
	exp, err := f.CreateLogs(context.Background(), exportertest.NewNopSettings(component.MustNewType("file")), cfg)
	if err != nil {
		b.Fatal(err)
	}
	return exp
}

// BenchmarkExportLogs compares the whole ConsumeLogs path with the contrib
// fileexporter (which always buffers in the process and flushes every 1s).
func BenchmarkExportLogs(b *testing.B) {
	ld := benchLogs()
	cases := []struct {
		name string
		make func(*testing.B) exporter.Logs
	}{
		{"exporter=contrib/format=json/durability=buffered", func(b *testing.B) exporter.Logs { return newContribBench(b, "json") }},
		{"exporter=filesink/format=json/durability=flushed", func(b *testing.B) exporter.Logs { return newFilesinkBench(b, FormatJSON, DurabilityFlushed) }},
		{"exporter=filesink/format=json/durability=buffered", func(b *testing.B) exporter.Logs { return newFilesinkBench(b, FormatJSON, DurabilityBuffered) }},
		{"exporter=contrib/format=proto/durability=buffered", func(b *testing.B) exporter.Logs { return newContribBench(b, "proto") }},
		{"exporter=filesink/format=proto/durability=flushed", func(b *testing.B) exporter.Logs { return newFilesinkBench(b, FormatProto, DurabilityFlushed) }},
		{"exporter=filesink/format=proto/durability=buffered", func(b *testing.B) exporter.Logs { return newFilesinkBench(b, FormatProto, DurabilityBuffered) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			exp := c.make(b)
			startBench(b, exp)
			ctx := context.Background()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			cpuBefore := cpuTime()
			b.ReportAllocs()
			for b.Loop() {
				if err := exp.ConsumeLogs(ctx, ld); err != nil {
					b.Fatal(err)
				}
			}
			cpu := cpuTime() - cpuBefore
			runtime.ReadMemStats(&after)
			records := float64(b.N * benchBatch)
			b.ReportMetric(records/b.Elapsed().Seconds(), "records/s")
			// CPU time (user+system, whole process) per record: steadier than
			// wall time on a machine shared with other work.
			b.ReportMetric(float64(cpu.Nanoseconds())/records, "cpu-ns/record")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/records, "allocs/record")
		})
	}
}

// BenchmarkSyncedConcurrent measures group commit: each op is one batch from
// each of W concurrent writers, all with durability synced.
func BenchmarkSyncedConcurrent(b *testing.B) {
	ld := benchLogs()
	for _, writers := range []int{1, 4, 16} {
		b.Run("writers="+strconv.Itoa(writers), func(b *testing.B) {
			cfg := newTestConfig(b.TempDir())
			cfg.Durability = DurabilitySynced
			e, err := newFileExporter(cfg, exportertest.NewNopSettings(metadata.Type), "logs")
			if err != nil {
				b.Fatal(err)
			}
			var files []*faultFile
			var mu sync.Mutex
			e.fs = faultFS(func() *faultFile { return &faultFile{} }, &files, &mu)
			ctx := context.Background()
			if err := e.start(ctx, componenttest.NewNopHost()); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				var wg sync.WaitGroup
				for range writers {
					wg.Go(func() {
						if err := e.pushLogs(ctx, ld); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
			}
			elapsed := b.Elapsed()
			mu.Lock()
			syncs := files[0].syncs.Load()
			mu.Unlock()
			if err := e.stop(ctx); err != nil {
				b.Fatal(err)
			}
			batches := float64(b.N * writers)
			b.ReportMetric(batches*benchBatch/elapsed.Seconds(), "records/s")
			b.ReportMetric(float64(syncs)/batches, "fsyncs/batch")
		})
	}
}

// BenchmarkWriteThroughput compares writing the same encoded batch through
// the writer with a plain bufio.Writer over an *os.File (no locks, no
// rollback, no durability).
func BenchmarkWriteThroughput(b *testing.B) {
	rec, err := appendLogsRecord(nil, FormatJSON, benchLogs())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("writer=bufio-osfile", func(b *testing.B) {
		f, err := os.OpenFile(filepath.Join(b.TempDir(), "logs.jsonl"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			b.Fatal(err)
		}
		bw := bufio.NewWriterSize(f, bufferFlushBytes)
		b.SetBytes(int64(len(rec)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := bw.Write(rec); err != nil {
				b.Fatal(err)
			}
		}
		if err := bw.Flush(); err != nil {
			b.Fatal(err)
		}
		_ = f.Close()
	})
	for _, dur := range []Durability{DurabilityBuffered, DurabilityFlushed} {
		b.Run("writer=filesink/durability="+string(dur), func(b *testing.B) {
			w, err := openWriter(writerSettings{
				path: filepath.Join(b.TempDir(), "logs.jsonl"), format: FormatJSON, durability: dur,
				flushInterval: time.Second, mode: 0o600,
			}, defaultFileSystem(), zapNop, nil)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.SetBytes(int64(len(rec)))
			b.ReportAllocs()
			for b.Loop() {
				if err := w.write(ctx, rec, nil); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.close(ctx, nil); err != nil {
				b.Fatal(err)
			}
		})
	}
}
