package replay

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/resilientsink/resilientsink/receiver/replay/internal/metadata"
)

// BenchmarkReplayMillion replays 1 M log records kept as 1000 dead letters
// of 1000 records, and reports the progress lines it logged (one per 10 s).
// Run it with -benchtime 1x.
func BenchmarkReplayMillion(b *testing.B) {
	const letters, per = 1000, 1000
	dir := filepath.Join(b.TempDir(), "dead")
	var all []plog.Logs
	for i := range letters {
		ld := benchBatch(i)
		for ld.LogRecordCount() < per {
			ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).CopyTo(
				ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().AppendEmpty())
		}
		all = append(all, ld)
	}
	writeLetters(b, dir, all, "permanent_error")
	cfg := createDefaultConfig().(*Config)
	cfg.Include = []string{dir}
	lines := 0
	b.ReportAllocs()
	for b.Loop() {
		cfg.Checkpoint = filepath.Join(b.TempDir(), "cp")
		core, logs := observer.New(zap.InfoLevel)
		set := receivertest.NewNopSettings(metadata.Type)
		set.Logger = zap.New(core)
		next := &countingLogs{want: letters * per, done: make(chan struct{})}
		r, err := NewFactory().CreateLogs(context.Background(), set, cfg, next)
		require.NoError(b, err)
		require.NoError(b, r.Start(context.Background(), componenttest.NewNopHost()))
		<-next.done
		require.NoError(b, r.Shutdown(context.Background()))
		lines += logs.FilterMessage("Replay progress").Len()
	}
	b.ReportMetric(float64(letters*per)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
	b.ReportMetric(float64(lines)/float64(b.N), "progress_lines/op")
}
