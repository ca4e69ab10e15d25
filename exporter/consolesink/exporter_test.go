// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/resilientsink/resilientsink/exporter/consolesink/internal/metadata"
	"github.com/resilientsink/resilientsink/exporter/consolesink/internal/metadatatest"
	"github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
)

func TestUseColor(t *testing.T) {
	tests := []struct {
		mode     ColorMode
		terminal bool
		noColor  string
		want     bool
	}{
		{ColorAuto, true, "", true},
		{ColorAuto, true, "1", false},
		{ColorAuto, false, "", false},
		{ColorAuto, false, "1", false},
		{ColorAlways, false, "", true},
		{ColorAlways, true, "1", true},
		{ColorNever, true, "", false},
		{ColorNever, false, "", false},
		{ColorMode("bogus"), true, "", false},
	}
	for _, tt := range tests {
		got := useColor(tt.mode, tt.terminal, tt.noColor)
		assert.Equal(t, tt.want, got, "mode=%s terminal=%v NO_COLOR=%q", tt.mode, tt.terminal, tt.noColor)
	}
}

func TestIsTerminal(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	assert.False(t, isTerminal(w), "a pipe is not a terminal")
	f, err := os.CreateTemp(t.TempDir(), "out")
	require.NoError(t, err)
	defer f.Close()
	assert.False(t, isTerminal(f), "a file is not a terminal")
	require.NoError(t, f.Close())
	assert.False(t, isTerminal(f), "a closed file is not a terminal")
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	require.NoError(t, err)
	defer null.Close()
	assert.False(t, isTerminal(null), "/dev/null is a character device, not a terminal")
}

func TestColorFromEnvironment(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	cfg := testConfig(FormatText, VerbosityNormal)
	cfg.Color = ColorAlways
	e, err := newFromSettings(exportertest.NewNopSettings(metadata.Type), cfg, "logs")
	require.NoError(t, err)
	enc, ok := e.lines.enc.(*kvEncoder)
	require.True(t, ok)
	assert.True(t, enc.color, "always overrides NO_COLOR")

	cfg.Color = ColorAuto
	e, err = newFromSettings(exportertest.NewNopSettings(metadata.Type), cfg, "logs")
	require.NoError(t, err)
	assert.False(t, e.lines.enc.(*kvEncoder).color, "auto with NO_COLOR set")
}

// flakyWriter fails while err is set, writing n bytes of the batch first.
type flakyWriter struct {
	bytes.Buffer
	err   error
	n     int
	calls int
}

func (w *flakyWriter) Write(p []byte) (int, error) {
	w.calls++
	if w.err != nil {
		n := min(w.n, len(p))
		w.Buffer.Write(p[:n])
		return n, w.err
	}
	return w.Buffer.Write(p)
}

func TestWriteErrorThenRecover(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	var sink bytes.Buffer
	e := newTestExporter(t, testConfig(FormatLogfmt, VerbosityNormal), &sink, false, tel)

	// A real closed pipe: EPIPE is returned, wrapped, and counted.
	r, w, err := os.Pipe()
	require.NoError(t, err)
	require.NoError(t, r.Close())
	defer w.Close()
	e.w = w
	err = e.pushLogs(t.Context(), otlpfixtures.TelemetrygenLogs(2))
	require.ErrorIs(t, err, syscall.EPIPE)
	require.ErrorContains(t, err, "write console output: ")

	// A writer that tears a batch part-way through a line, then recovers.
	fw := &flakyWriter{err: errors.New("disk full"), n: 10}
	e.w = fw
	require.EqualError(t, e.pushLogs(t.Context(), otlpfixtures.TelemetrygenLogs(2)), "write console output: disk full")
	fw.n = 0 // fails again before writing anything: the torn line is still open
	require.EqualError(t, e.pushLogs(t.Context(), otlpfixtures.TelemetrygenLogs(2)), "write console output: disk full")
	fw.err = nil
	require.NoError(t, e.pushLogs(t.Context(), otlpfixtures.TelemetrygenLogs(3)))
	require.NoError(t, e.pushLogs(t.Context(), otlpfixtures.TelemetrygenLogs(1)))
	assert.Equal(t, 4, fw.calls, "one write per batch")

	lines := strings.Split(strings.TrimSuffix(fw.String(), "\n"), "\n")
	require.Len(t, lines, 1+3+1)
	assert.Equal(t, "timestamp=", lines[0], "torn line ended before the next batch")
	for _, l := range lines[1:] {
		assert.True(t, strings.HasPrefix(l, "timestamp=2023-11-14T22:13:20"), l)
	}

	metadatatest.AssertEqualExporterConsolesinkWriteErrors(t, tel,
		[]metricdata.DataPoint[int64]{{Value: 3}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualExporterConsolesinkRecordsPrinted(t, tel,
		[]metricdata.DataPoint[int64]{{Value: 4}}, metricdatatest.IgnoreTimestamp())
}

func TestShortWriteIsAnError(t *testing.T) {
	var buf bytes.Buffer
	e := newTestExporter(t, testConfig(FormatText, VerbosityNormal), &buf, false, nil)
	e.w = shortWriter{}
	require.ErrorContains(t, e.pushLogs(t.Context(), otlpfixtures.TelemetrygenLogs(1)), "short write")
}

type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) - 1, nil }

func TestEmptyBatchWritesNothing(t *testing.T) {
	fw := &flakyWriter{}
	emptyResource := plog.NewLogs()
	emptyResource.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
	for _, f := range []Format{FormatText, FormatJSON, FormatLogfmt, FormatOTLPJSON} {
		for _, v := range []Verbosity{VerbosityBasic, VerbosityNormal, VerbosityDetailed} {
			e := newTestExporter(t, testConfig(f, v), &bytes.Buffer{}, false, nil)
			e.w = fw
			require.NoError(t, e.pushLogs(t.Context(), plog.NewLogs()))
			require.NoError(t, e.pushLogs(t.Context(), emptyResource))
			require.NoError(t, e.pushTraces(t.Context(), ptrace.NewTraces()))
			require.NoError(t, e.pushMetrics(t.Context(), pmetric.NewMetrics()))
		}
	}
	assert.Equal(t, 0, fw.calls)
}

func TestLargeBufferReleased(t *testing.T) {
	var buf bytes.Buffer
	e := newTestExporter(t, testConfig(FormatText, VerbosityNormal), &buf, false, nil)
	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr(strings.Repeat("x", maxRetainedBuffer+1))
	require.NoError(t, e.pushLogs(t.Context(), ld))
	assert.Zero(t, cap(e.buf), "oversized buffer not kept")
	require.NoError(t, e.pushLogs(t.Context(), otlpfixtures.TelemetrygenLogs(1)))
	assert.NotZero(t, cap(e.buf))
}

func TestShutdownTwiceAndBeforeStart(t *testing.T) {
	cfg := testConfig(FormatText, VerbosityNormal)
	cfg.Sampling.Initial = 1
	for _, start := range []bool{false, true} {
		e := newTestExporter(t, cfg, &bytes.Buffer{}, false, nil)
		if start {
			require.NoError(t, e.start(t.Context(), nil))
			require.NoError(t, e.start(t.Context(), nil), "second start is a no-op")
		}
		require.NoError(t, e.shutdownFunc(t.Context()))
		require.NoError(t, e.shutdownFunc(t.Context()))
		require.NoError(t, e.start(t.Context(), nil), "start after shutdown starts nothing")
	}
}

func TestFactoryLifecycleWithSampling(t *testing.T) {
	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.Output = OutputStderr
	cfg.Verbosity = VerbosityBasic
	cfg.Sampling.Initial = 5
	exp, err := f.CreateLogs(t.Context(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, exp.ConsumeLogs(t.Context(), otlpfixtures.TelemetrygenLogs(1)))
	require.NoError(t, exp.Shutdown(t.Context()))
}

func TestConcurrentPushes(t *testing.T) {
	fw := &flakyWriter{}
	e := newTestExporter(t, testConfig(FormatJSON, VerbosityNormal), &bytes.Buffer{}, false, nil)
	e.w = fw
	done := make(chan error, 8)
	for range 8 {
		go func() {
			var err error
			for range 20 {
				err = errors.Join(err, e.pushLogs(context.Background(), otlpfixtures.TelemetrygenLogs(5)))
			}
			done <- err
		}()
	}
	for range 8 {
		require.NoError(t, <-done)
	}
	objs := parseJSONLines(t, fw.Bytes())
	assert.Len(t, objs, 8*20*5)
	assert.Equal(t, 8*20, fw.calls)
}

func TestClockIsInjected(t *testing.T) {
	var buf bytes.Buffer
	e := newTestExporter(t, testConfig(FormatLogfmt, VerbosityBasic), &buf, false, nil)
	e.now = func() time.Time { return time.Unix(1, 5).UTC() }
	require.NoError(t, e.pushLogs(t.Context(), otlpfixtures.TelemetrygenLogs(1)))
	assert.Equal(t, "timestamp=1970-01-01T00:00:01.000000005Z signal=logs resources=1 records=1\n", buf.String())
}
