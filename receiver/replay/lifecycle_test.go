package replay

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/resilientsink/resilientsink/receiver/replay/internal/metadata"
)

// Shutdown before Start, and twice, returns nil.
func TestShutdownBeforeStartAndTwice(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	r, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, r.Shutdown(context.Background()))
	require.NoError(t, r.Shutdown(context.Background()))

	r = start(t, cfg, consumertest.NewNop(), nil)
	require.NoError(t, r.Shutdown(context.Background()))
	require.NoError(t, r.Shutdown(context.Background()))
}

// A Shutdown whose context ends while the pipeline holds a batch returns
// nil at its deadline; the batch is replayed by the next start.
func TestShutdownDeadlineWithBatchInFlight(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "logs.json"), "json", "", batches(0, 2, 1))
	cfg := testConfig(t, filepath.Join(dir, "logs.json"))
	release := make(chan struct{})
	rec := &recorder{fn: func(_ context.Context, call int, _ plog.Logs) error {
		if call == 0 {
			<-release // ignores its context, as a stuck exporter would
		}
		return nil
	}}
	r := start(t, cfg, rec, nil)
	waitCalls(t, rec, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.NoError(t, r.Shutdown(ctx))
	require.ErrorIs(t, ctx.Err(), context.DeadlineExceeded, "Shutdown returned at its deadline")
	close(release)
}

// A second receiver on the same checkpoint fails Start and names it; so
// does a checkpoint of another signal.
func TestCheckpointInUseAndOtherSignal(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	start(t, cfg, consumertest.NewNop(), nil)
	r2, err := NewFactory().CreateTraces(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	require.NoError(t, err)
	err = r2.Start(context.Background(), componenttest.NewNopHost())
	require.EqualError(t, err, "checkpoint \""+cfg.Checkpoint+"\" is in use by another replay receiver (in this process or another): give each replay receiver, and each signal, its own checkpoint")
	require.NoError(t, r2.Shutdown(context.Background()))

	other := testConfig(t, t.TempDir())
	require.NoError(t, os.MkdirAll(filepath.Dir(other.Checkpoint), 0o750))
	cf, cp, err := openCheckpoint(other.Checkpoint, "logs")
	require.NoError(t, err)
	require.NoError(t, cf.save(cp))
	require.NoError(t, cf.close())
	r3, err := NewFactory().CreateMetrics(context.Background(), receivertest.NewNopSettings(metadata.Type), other, consumertest.NewNop())
	require.NoError(t, err)
	err = r3.Start(context.Background(), componenttest.NewNopHost())
	require.EqualError(t, err, "checkpoint \""+other.Checkpoint+"\" belongs to the logs replay, not metrics: give each signal's replay receiver its own checkpoint")
	require.NoError(t, r3.Shutdown(context.Background()))
}
