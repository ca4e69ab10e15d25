package filesink

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/resilientsink/resilientsink/exporter/filesink/internal/metadata"
	"github.com/resilientsink/resilientsink/exporter/filesink/internal/metadatatest"
	"github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
)

func instanceAttrs(id, signal string) attribute.Set {
	return attribute.NewSet(attribute.String("exporter", id), attribute.String("signal", signal))
}

// TestEveryInstanceHasItsOwnSeries: without the telemetry.newPipelineTelemetry
// gate the service adds no component attributes, so filesink adds exporter
// and signal itself. Three instances (two IDs, one of them for two signals)
// share one file, and so one writer: each counts its own bytes, also when
// another instance's flush writes them (buffered).
func TestEveryInstanceHasItsOwnSeries(t *testing.T) {
	for _, dur := range []Durability{DurabilityFlushed, DurabilityBuffered, DurabilitySynced} {
		t.Run(string(dur), func(t *testing.T) {
			tel := componenttest.NewTelemetry()
			t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
			cfg := newTestConfig(t.TempDir())
			cfg.Path = filepath.Join(filepath.Dir(cfg.Path), "all.jsonl")
			cfg.Durability = dur
			newExp := func(name, signal string) *fileExporter {
				set := metadatatest.NewSettings(tel)
				set.ID = component.NewIDWithName(metadata.Type, name)
				e, err := newFileExporter(cfg, set, signal)
				require.NoError(t, err)
				require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
				return e
			}
			ctx := context.Background()
			aLogs, bLogs, aTraces := newExp("a", "logs"), newExp("b", "logs"), newExp("a", "traces")
			require.NoError(t, aLogs.pushLogs(ctx, otlpfixtures.TelemetrygenLogs(1)))
			require.NoError(t, bLogs.pushLogs(ctx, otlpfixtures.TelemetrygenLogs(5)))
			require.NoError(t, bLogs.pushLogs(ctx, otlpfixtures.TelemetrygenLogs(5)))
			td := otlpfixtures.TelemetrygenTraces(3)
			require.NoError(t, aTraces.pushTraces(ctx, td))
			for _, e := range []*fileExporter{aLogs, bLogs, aTraces} { // the last one flushes and closes
				require.NoError(t, e.stop(ctx))
			}
			tracesRec, err := appendTracesRecord(nil, FormatJSON, td)
			require.NoError(t, err)
			metadatatest.AssertEqualExporterFilesinkWrittenBytes(t, tel, []metricdata.DataPoint[int64]{
				{Attributes: instanceAttrs("filesink/a", "logs"), Value: int64(len(logsRecord(t, FormatJSON, 1)))},
				{Attributes: instanceAttrs("filesink/b", "logs"), Value: int64(2 * len(logsRecord(t, FormatJSON, 5)))},
				{Attributes: instanceAttrs("filesink/a", "traces"), Value: int64(len(tracesRec))},
			}, metricdatatest.IgnoreTimestamp())
		})
	}
}

// TestCorruptFileCounted: moving a corrupt end aside at Start is counted
// for the instance that started.
func TestCorruptFileCounted(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	cfg := newTestConfig(t.TempDir())
	rec := logsRecord(t, FormatJSON, 1)
	path := filepath.Join(filepath.Dir(cfg.Path), "logs.jsonl")
	require.NoError(t, os.WriteFile(path, cat(rec, []byte("not json\n"), rec), 0o600))
	e, err := newFileExporter(cfg, metadatatest.NewSettings(tel), "logs")
	require.NoError(t, err)
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, e.stop(context.Background()))
	metadatatest.AssertEqualExporterFilesinkCorruptFiles(t, tel,
		[]metricdata.DataPoint[int64]{{Attributes: instanceAttrs("filesink", "logs"), Value: 1}}, metricdatatest.IgnoreTimestamp())
	require.Equal(t, rec, mustRead(t, path))
}
