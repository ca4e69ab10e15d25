package otlpjson

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
)

// benchItems is the batch size: log records, spans or data points.
const benchItems = 100

// runEncode benchmarks encode, which appends one batch to the reused buffer,
// and reports the wall time and the process CPU time (which includes GC
// work) per item.
func runEncode(b *testing.B, items int, encode func(dst []byte) []byte) {
	b.Helper()
	buf := encode(nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	cpu := processCPUTime()
	for b.Loop() {
		buf = encode(buf[:0])
	}
	cpu = processCPUTime() - cpu
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*items), "ns/record")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*items), "cpu-ns/record")
}

func BenchmarkEncodeLogs(b *testing.B) {
	ld := otlpfixtures.TelemetrygenLogs(benchItems)
	b.Run("impl=otlpjson/records=100", func(b *testing.B) {
		runEncode(b, benchItems, func(dst []byte) []byte { return AppendLogs(dst, ld) })
	})
	b.Run("impl=pdata/records=100", func(b *testing.B) {
		m := &plog.JSONMarshaler{}
		runEncode(b, benchItems, func([]byte) []byte {
			out, err := m.MarshalLogs(ld)
			if err != nil {
				b.Fatal(err)
			}
			return out // already a fresh buffer; copying it into dst would be unfair
		})
	})
}

func BenchmarkEncodeTraces(b *testing.B) {
	td := otlpfixtures.TelemetrygenTraces(benchItems)
	b.Run("impl=otlpjson/spans=100", func(b *testing.B) {
		runEncode(b, benchItems, func(dst []byte) []byte { return AppendTraces(dst, td) })
	})
	b.Run("impl=pdata/spans=100", func(b *testing.B) {
		m := &ptrace.JSONMarshaler{}
		runEncode(b, benchItems, func([]byte) []byte {
			out, err := m.MarshalTraces(td)
			if err != nil {
				b.Fatal(err)
			}
			return out // already a fresh buffer; copying it into dst would be unfair
		})
	})
}

func BenchmarkEncodeMetrics(b *testing.B) {
	md := otlpfixtures.TelemetrygenMetrics(benchItems)
	b.Run("impl=otlpjson/points=100", func(b *testing.B) {
		runEncode(b, benchItems, func(dst []byte) []byte { return AppendMetrics(dst, md) })
	})
	b.Run("impl=pdata/points=100", func(b *testing.B) {
		m := &pmetric.JSONMarshaler{}
		runEncode(b, benchItems, func([]byte) []byte {
			out, err := m.MarshalMetrics(md)
			if err != nil {
				b.Fatal(err)
			}
			return out // already a fresh buffer; copying it into dst would be unfair
		})
	})
}

func BenchmarkAppendString(b *testing.B) {
	for _, tc := range []struct{ name, s string }{
		{name: "kind=ascii/len=30", s: "the message number 100000 okay"},
		{name: "kind=escapes/len=30", s: "line one\nline \"two\"\tand ✓ end"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			buf := make([]byte, 0, 256)
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendString(buf[:0], tc.s)
			}
		})
	}
}

func BenchmarkAppendTraceID(b *testing.B) {
	id := otlpfixtures.TraceID(7)
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendTraceID(buf[:0], id)
	}
}
