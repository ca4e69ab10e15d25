// Package otlpfixtures builds deterministic pdata fixtures for tests and
// benchmarks: telemetrygen-shaped batches (TelemetrygenLogs, TelemetrygenTraces,
// TelemetrygenMetrics) and "rich" batches that set every field and every value
// type the OTLP data model has (RichLogs, RichTraces, RichMetrics).
//
// All fixtures are deterministic (fixed timestamps and ids, no randomness) and
// use valid UTF-8 only, so they survive an OTLP/JSON or protobuf round trip
// unchanged and can be compared with equality after decoding.
package otlpfixtures // import "github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
