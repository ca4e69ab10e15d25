package filesink

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
)

func TestShutdownWithExpiredContextStillFlushesAndCloses(t *testing.T) {
	dir := t.TempDir()
	cfg := newTestConfig(dir)
	cfg.Durability = DurabilityBuffered
	cfg.FlushInterval = time.Hour
	exp := startLogs(t, cfg)
	require.NoError(t, exp.ConsumeLogs(context.Background(), otlpfixtures.TelemetrygenLogs(3)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, exp.Shutdown(ctx))
	require.NoError(t, exp.Shutdown(ctx), "second shutdown")
	got := decodeLogsFile(t, filepath.Join(dir, "logs.jsonl"), FormatJSON)
	require.Len(t, got, 1)
	assert.Equal(t, 3, got[0].LogRecordCount())
	// The lock is released: the file can be opened again.
	testWriter(t, writerSettings{path: filepath.Join(dir, "logs.jsonl")}, fileSystem{})
}

func TestInterruptedCompressionKeepsBackup(t *testing.T) {
	dir := t.TempDir()
	backup := filepath.Join(dir, "logs-2026-01-01T00-00-00.000.jsonl")
	rec := logsRecord(t, FormatJSON, 5)
	require.NoError(t, os.WriteFile(backup, rec, 0o600))
	rot := RotationConfig{MaxMegabytes: 1, Compression: CompressionZstd}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // as when Shutdown's context ends mid-compression
	b := &backupWorker{
		set:    writerSettings{path: filepath.Join(dir, "logs.jsonl"), mode: 0o600, rotation: &rot},
		logger: zap.NewNop(), ctx: ctx, cancel: cancel,
	}
	b.pass()
	assert.Equal(t, []string{"logs-2026-01-01T00-00-00.000.jsonl"}, backups(t, dir), "no .tmp left, backup kept")

	_, err := compressFile(ctx, backup, CompressionGzip, 0o600, syncDir)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, rec, mustRead(t, backup))
}

func TestSendingQueueCanBeEnabled(t *testing.T) {
	dir := t.TempDir()
	cfg := newTestConfig(dir)
	q := exporterhelper.NewDefaultQueueConfig()
	q.Batch = configoptional.None[exporterhelper.BatchConfig]()
	cfg.QueueConfig = configoptional.Some(q)
	exp := startLogs(t, cfg)
	require.NoError(t, exp.ConsumeLogs(context.Background(), otlpfixtures.TelemetrygenLogs(2)))
	require.NoError(t, exp.Shutdown(context.Background()), "the queue drains before the file closes")
	got := decodeLogsFile(t, filepath.Join(dir, "logs.jsonl"), FormatJSON)
	require.Len(t, got, 1)
}
