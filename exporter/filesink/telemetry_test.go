package filesink

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/resilientsink/resilientsink/exporter/filesink/internal/metadatatest"
	"github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
)

func TestTelemetry(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	dir := t.TempDir()
	cfg := newTestConfig(dir)
	cfg.Durability = DurabilitySynced
	cfg.Rotation = configoptional.Some(RotationConfig{MaxAge: time.Hour, Compression: CompressionNone})
	e, err := newFileExporter(cfg, metadatatest.NewSettings(tel), "logs")
	require.NoError(t, err)
	var ff *faultFile
	e.fs = faultFS(func() *faultFile { ff = &faultFile{}; return ff }, nil, nil)
	clk := newFakeClock()
	e.fs.now = clk.Now
	ctx := context.Background()
	require.NoError(t, e.start(ctx, componenttest.NewNopHost()))

	rec := logsRecord(t, FormatJSON, 4)
	require.NoError(t, e.pushLogs(ctx, otlpfixtures.TelemetrygenLogs(4))) // new file: no rotation
	clk.Advance(time.Hour)
	require.NoError(t, e.pushLogs(ctx, otlpfixtures.TelemetrygenLogs(4))) // older than max_age: rotates first
	ff.setFailWrite(halfWrite(syscall.ENOSPC))
	require.Error(t, e.pushLogs(ctx, otlpfixtures.TelemetrygenLogs(4)))
	require.NoError(t, e.stop(ctx))

	metadatatest.AssertEqualExporterFilesinkWrittenBytes(t, tel,
		[]metricdata.DataPoint[int64]{{Attributes: instanceAttrs("filesink", "logs"), Value: int64(2 * len(rec))}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualExporterFilesinkRotations(t, tel,
		[]metricdata.DataPoint[int64]{{Attributes: instanceAttrs("filesink", "logs"), Value: 1}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualExporterFilesinkWriteErrors(t, tel,
		[]metricdata.DataPoint[int64]{{Attributes: instanceAttrs("filesink", "logs"), Value: 1}}, metricdatatest.IgnoreTimestamp())
	got, err := tel.GetMetric("otelcol_exporter_filesink_fsync_duration")
	require.NoError(t, err)
	hist, ok := got.Data.(metricdata.Histogram[float64])
	require.True(t, ok)
	require.Len(t, hist.DataPoints, 1)
	assert.Equal(t, uint64(4), hist.DataPoints[0].Count, "one fsync a synced batch (2), before the rotation (1), at shutdown (1)")
	assert.Len(t, readJSONLines(t, mustRead(t, filepath.Join(dir, "logs.jsonl"))), 1)
}

// TestShutdownFsyncFailureCounted: the fsync at shutdown is a write error too.
func TestShutdownFsyncFailureCounted(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	cfg := newTestConfig(t.TempDir())
	cfg.Durability = DurabilityFlushed
	e, err := newFileExporter(cfg, metadatatest.NewSettings(tel), "logs")
	require.NoError(t, err)
	var ff *faultFile
	e.fs = faultFS(func() *faultFile { ff = &faultFile{}; return ff }, nil, nil)
	ctx := context.Background()
	require.NoError(t, e.start(ctx, componenttest.NewNopHost()))
	require.NoError(t, e.pushLogs(ctx, otlpfixtures.TelemetrygenLogs(2)))
	ff.failSyncs.Store(1)
	require.ErrorIs(t, e.stop(ctx), syscall.EIO)
	metadatatest.AssertEqualExporterFilesinkWriteErrors(t, tel,
		[]metricdata.DataPoint[int64]{{Attributes: instanceAttrs("filesink", "logs"), Value: 1}}, metricdatatest.IgnoreTimestamp())
}
