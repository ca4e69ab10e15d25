package filesink

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/resilientsink/resilientsink/exporter/filesink/internal/metadata"
	"github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
)

func TestRoundTripAllSignals(t *testing.T) {
	for _, format := range []Format{FormatJSON, FormatProto} {
		for _, dur := range []Durability{DurabilityBuffered, DurabilityFlushed, DurabilitySynced} {
			t.Run(string(format)+"/"+string(dur), func(t *testing.T) {
				dir := t.TempDir()
				cfg := newTestConfig(dir)
				cfg.Format = format
				cfg.Durability = dur
				set := exportertest.NewNopSettings(metadata.Type)
				f := NewFactory()
				ctx := context.Background()
				le, err := f.CreateLogs(ctx, set, cfg)
				require.NoError(t, err)
				te, err := f.CreateTraces(ctx, set, cfg)
				require.NoError(t, err)
				me, err := f.CreateMetrics(ctx, set, cfg)
				require.NoError(t, err)
				host := componenttest.NewNopHost()
				require.NoError(t, le.Start(ctx, host))
				require.NoError(t, te.Start(ctx, host))
				require.NoError(t, me.Start(ctx, host))

				logs := []plog.Logs{otlpfixtures.RichLogs(), otlpfixtures.TelemetrygenLogs(100)}
				traces := []ptrace.Traces{otlpfixtures.RichTraces(), otlpfixtures.TelemetrygenTraces(10)}
				metrics := []pmetric.Metrics{otlpfixtures.RichMetrics(), otlpfixtures.TelemetrygenMetrics(10)}
				for i := range 2 {
					require.NoError(t, le.ConsumeLogs(ctx, logs[i]))
					require.NoError(t, te.ConsumeTraces(ctx, traces[i]))
					require.NoError(t, me.ConsumeMetrics(ctx, metrics[i]))
				}
				require.NoError(t, le.Shutdown(ctx))
				require.NoError(t, te.Shutdown(ctx))
				require.NoError(t, me.Shutdown(ctx))

				gotLogs := decodeLogsFile(t, filepath.Join(dir, "logs.jsonl"), format)
				require.Len(t, gotLogs, 2)
				for i := range logs {
					assert.Equal(t, logs[i], gotLogs[i])
				}
				tr := decodeRecords(t, filepath.Join(dir, "traces.jsonl"), format, func(b []byte, proto bool) (any, error) {
					if proto {
						return (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(b)
					}
					return (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(b)
				})
				require.Len(t, tr, 2)
				for i := range traces {
					assert.Equal(t, traces[i], tr[i])
				}
				md := decodeRecords(t, filepath.Join(dir, "metrics.jsonl"), format, func(b []byte, proto bool) (any, error) {
					if proto {
						return (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics(b)
					}
					return (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics(b)
				})
				require.Len(t, md, 2)
				for i := range metrics {
					assert.Equal(t, metrics[i], md[i])
				}
			})
		}
	}
}

// decodeRecords splits a file into records and decodes each with dec.
func decodeRecords(t *testing.T, path string, f Format, dec func([]byte, bool) (any, error)) []any {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	recs := readJSONLines
	if f == FormatProto {
		recs = readFrames
	}
	var out []any
	for _, r := range recs(t, data) {
		v, err := dec(r, f == FormatProto)
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

func TestRestartAppendsNeverTruncates(t *testing.T) {
	dir := t.TempDir()
	cfg := newTestConfig(dir)
	for range 3 {
		exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
		require.NoError(t, err)
		require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
		require.NoError(t, exp.ConsumeLogs(context.Background(), otlpfixtures.TelemetrygenLogs(3)))
		require.NoError(t, exp.Shutdown(context.Background()))
	}
	assert.Len(t, decodeLogsFile(t, filepath.Join(dir, "logs.jsonl"), FormatJSON), 3)
}

func TestFileModeAndFolders(t *testing.T) {
	dir := t.TempDir()
	cfg := newTestConfig(filepath.Join(dir, "a", "b"))
	cfg.FileMode = "0600"
	exp := startLogs(t, cfg)
	require.NoError(t, exp.ConsumeLogs(context.Background(), otlpfixtures.TelemetrygenLogs(1)))
	fi, err := os.Stat(filepath.Join(dir, "a", "b", "logs.jsonl"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	di, err := os.Stat(filepath.Join(dir, "a", "b"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), di.Mode().Perm())
}

func TestConsumeBeforeStartAndAfterShutdown(t *testing.T) {
	cfg := newTestConfig(t.TempDir())
	exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.ErrorIs(t, exp.ConsumeLogs(context.Background(), otlpfixtures.TelemetrygenLogs(1)), errNotStarted)
	require.NoError(t, exp.Shutdown(context.Background()), "shutdown without start")
	require.NoError(t, exp.Shutdown(context.Background()), "second shutdown")
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()), "start after shutdown does nothing")
	require.ErrorIs(t, exp.ConsumeLogs(context.Background(), otlpfixtures.TelemetrygenLogs(1)), errNotStarted)
}

func TestShutdownTwiceAfterStart(t *testing.T) {
	cfg := newTestConfig(t.TempDir())
	exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, exp.ConsumeLogs(context.Background(), otlpfixtures.TelemetrygenLogs(1)))
	require.NoError(t, exp.Shutdown(context.Background()))
	require.NoError(t, exp.Shutdown(context.Background()))
	require.Error(t, exp.ConsumeLogs(context.Background(), otlpfixtures.TelemetrygenLogs(1)))
}

// TestEmptyRequestsWriteNothing: a request without resources holds no data;
// in proto it would be an empty frame, which start-up repair reads as the
// start of a zero-filled tail, so nothing is written for it.
func TestEmptyRequestsWriteNothing(t *testing.T) {
	for _, format := range []Format{FormatJSON, FormatProto} {
		t.Run(string(format), func(t *testing.T) {
			dir := t.TempDir()
			cfg := newTestConfig(dir)
			cfg.Format = format
			ctx := context.Background()
			set := exportertest.NewNopSettings(metadata.Type)
			logs, err := NewFactory().CreateLogs(ctx, set, cfg)
			require.NoError(t, err)
			traces, err := NewFactory().CreateTraces(ctx, set, cfg)
			require.NoError(t, err)
			metrics, err := NewFactory().CreateMetrics(ctx, set, cfg)
			require.NoError(t, err)
			for _, c := range []component.Component{logs, traces, metrics} {
				require.NoError(t, c.Start(ctx, componenttest.NewNopHost()))
			}
			require.NoError(t, logs.ConsumeLogs(ctx, plog.NewLogs()))
			require.NoError(t, traces.ConsumeTraces(ctx, ptrace.NewTraces()))
			require.NoError(t, metrics.ConsumeMetrics(ctx, pmetric.NewMetrics()))
			for _, c := range []component.Component{logs, traces, metrics} {
				require.NoError(t, c.Shutdown(ctx))
			}
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			for _, e := range entries {
				fi, err := e.Info()
				require.NoError(t, err)
				assert.Zero(t, fi.Size(), "%s", e.Name())
			}
		})
	}
}
