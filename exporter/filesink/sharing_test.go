package filesink

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/resilientsink/resilientsink/exporter/filesink/internal/metadata"
	"github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
)

func createLogsWithID(t *testing.T, name string, cfg *Config) exporter.Logs {
	t.Helper()
	set := exportertest.NewNopSettings(metadata.Type)
	set.ID = component.NewIDWithName(metadata.Type, name)
	exp, err := NewFactory().CreateLogs(context.Background(), set, cfg)
	require.NoError(t, err)
	return exp
}

func TestTwoExporterIDsShareOneFile(t *testing.T) {
	for _, format := range []Format{FormatJSON, FormatProto} {
		for _, dur := range []Durability{DurabilityBuffered, DurabilityFlushed, DurabilitySynced} {
			t.Run(string(format)+"/"+string(dur), func(t *testing.T) {
				dir := t.TempDir()
				cfgA := newTestConfig(dir)
				cfgA.Format, cfgA.Durability = format, dur
				cfgB := *cfgA
				cfgB.Path = filepath.Join(dir, ".", "logs.jsonl") // same file, spelled differently
				a := createLogsWithID(t, "a", cfgA)
				b := createLogsWithID(t, "b", &cfgB)
				ctx := context.Background()
				require.NoError(t, a.Start(ctx, componenttest.NewNopHost()))
				require.NoError(t, b.Start(ctx, componenttest.NewNopHost()), "the second exporter shares the writer, no lock error")

				const perWriter = 50
				batchA, batchB := otlpfixtures.TelemetrygenLogs(7), otlpfixtures.TelemetrygenLogs(11)
				errs := make(chan error, 2*perWriter)
				var wg sync.WaitGroup
				for _, w := range []struct {
					exp   exporter.Logs
					batch any
				}{{a, batchA}, {b, batchB}} {
					wg.Go(func() {
						for range perWriter {
							if w.exp == a {
								errs <- a.ConsumeLogs(ctx, batchA)
							} else {
								errs <- b.ConsumeLogs(ctx, batchB)
							}
						}
					})
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					require.NoError(t, err)
				}
				require.NoError(t, a.Shutdown(ctx))
				require.NoError(t, b.ConsumeLogs(ctx, batchB), "the file stays open while b uses it")
				require.NoError(t, b.Shutdown(ctx))

				counts := map[int]int{}
				for _, ld := range decodeLogsFile(t, filepath.Join(dir, "logs.jsonl"), format) {
					counts[ld.LogRecordCount()]++
				}
				assert.Equal(t, map[int]int{7: perWriter, 11: perWriter + 1}, counts, "whole records only")
			})
		}
	}
}

func TestSharedPathWithDifferentSettingsFails(t *testing.T) {
	dir := t.TempDir()
	cfgA := newTestConfig(dir)
	cfgB := newTestConfig(dir)
	cfgB.Format = FormatProto
	a := createLogsWithID(t, "a", cfgA)
	b := createLogsWithID(t, "b", cfgB)
	ctx := context.Background()
	require.NoError(t, a.Start(ctx, componenttest.NewNopHost()))
	defer func() { require.NoError(t, a.Shutdown(ctx)) }()
	err := b.Start(ctx, componenttest.NewNopHost())
	require.EqualError(t, err, `"`+filepath.Join(dir, "logs.jsonl")+`" is already written by another filesink exporter of this collector with different format, durability, flush_interval, file_mode or rotation; exporters sharing a file must agree on them`)
	require.NoError(t, b.Shutdown(ctx))
}

func TestSignalsWithoutPlaceholderShareOneFile(t *testing.T) {
	dir := t.TempDir()
	cfg := newTestConfig(dir)
	cfg.Path = filepath.Join(dir, "all.jsonl")
	set := exportertest.NewNopSettings(metadata.Type)
	ctx := context.Background()
	le, err := NewFactory().CreateLogs(ctx, set, cfg)
	require.NoError(t, err)
	te, err := NewFactory().CreateTraces(ctx, set, cfg)
	require.NoError(t, err)
	require.NoError(t, le.Start(ctx, componenttest.NewNopHost()))
	require.NoError(t, te.Start(ctx, componenttest.NewNopHost()))
	require.NoError(t, le.ConsumeLogs(ctx, otlpfixtures.TelemetrygenLogs(2)))
	require.NoError(t, te.ConsumeTraces(ctx, otlpfixtures.TelemetrygenTraces(2)))
	require.NoError(t, le.Shutdown(ctx))
	require.NoError(t, te.Shutdown(ctx))
	assert.Len(t, readJSONLines(t, mustRead(t, cfg.Path)), 2)
}
