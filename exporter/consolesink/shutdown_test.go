// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink

import (
	"context"
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/resilientsink/resilientsink/exporter/consolesink/internal/metadatatest"
	"github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
)

// pipeWriter is the write end of an os.Pipe that says when a Write begins.
// Embedding *os.File keeps its SetWriteDeadline.
type pipeWriter struct {
	*os.File
	entered chan struct{}
}

func (w *pipeWriter) Write(p []byte) (int, error) {
	select {
	case w.entered <- struct{}{}:
	default:
	}
	return w.File.Write(p)
}

// stuckWriter blocks every Write until release is closed, like a plain
// blocking stdout whose reader stopped reading: it has no write deadline.
type stuckWriter struct {
	entered chan struct{}
	release chan struct{}
}

func (w *stuckWriter) Write(p []byte) (int, error) {
	select {
	case w.entered <- struct{}{}:
	default:
	}
	<-w.release
	return len(p), nil
}

// shutdownWithin runs e's Shutdown with a 200ms deadline and fails the test
// unless it returns within 3s; unblock is called either way afterwards
// (before failing), so a blocked write ends and no goroutine leaks.
func shutdownWithin(t *testing.T, e *consoleExporter, unblock func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.shutdownFunc(ctx) }()
	select {
	case err := <-done:
		require.NoError(t, err, "Shutdown reports loss in telemetry and logs, and returns nil")
	case <-time.After(3 * time.Second):
		unblock()
		t.Logf("Shutdown returned %v once the write was unblocked", <-done)
		t.Fatal("Shutdown did not return by its deadline behind a blocked write")
	}
}

// TestShutdownAbandonsWriteBlockedOnPipe: a reader that never reads an
// os.Pipe blocks a large batch's write; Shutdown cuts it short with a write
// deadline when its context ends, and the batch is counted and returned as
// an error.
func TestShutdownAbandonsWriteBlockedOnPipe(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	pw := &pipeWriter{File: w, entered: make(chan struct{}, 1)}
	e := newTestExporter(t, testConfig(FormatJSON, VerbosityNormal), nil, false, tel)
	e.w = pw

	pushed := make(chan error, 1)
	go func() {
		// About 700 KB: far more than a pipe buffer (64 KiB on Linux).
		pushed <- e.pushLogs(context.Background(), otlpfixtures.TelemetrygenLogs(2000))
	}()
	<-pw.entered
	shutdownWithin(t, e, func() { _ = r.Close() })

	err = <-pushed
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.ErrorContains(t, err, "write console output: ")
	metadatatest.AssertEqualExporterConsolesinkWriteErrors(t, tel,
		[]metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp())

	// This instance writes nothing more, but the deadline was lifted again
	// (the file may be os.Stdout, shared with other instances): once the
	// reader reads, a write to the file succeeds.
	require.ErrorIs(t, e.pushLogs(context.Background(), otlpfixtures.TelemetrygenLogs(1)), errAbandoned)
	drained := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, r)
		close(drained)
	}()
	n, err := w.Write([]byte("x"))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	require.NoError(t, w.Close())
	<-drained
}

// TestShutdownReturnsBehindUninterruptibleWrite: an output without write
// deadlines (a plain blocking stdout) cannot be interrupted. Shutdown
// returns by its deadline anyway; the final sampling report it could not
// write is counted and logged; the blocked batch completes when the reader
// resumes.
func TestShutdownReturnsBehindUninterruptibleWrite(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	cfg := testConfig(FormatText, VerbosityNormal)
	cfg.Sampling = SamplingConfig{Initial: 1, Thereafter: 0}
	sw := &stuckWriter{entered: make(chan struct{}, 1), release: make(chan struct{})}
	e := newTestExporter(t, cfg, nil, false, tel)
	e.w = sw
	core, logs := observer.New(zap.ErrorLevel)
	e.logger = zap.New(core)
	require.NoError(t, e.start(t.Context(), nil))

	pushed := make(chan error, 1)
	go func() {
		// One record printed, four suppressed: a final report is due.
		pushed <- e.pushLogs(context.Background(), otlpfixtures.TelemetrygenLogs(5))
	}()
	<-sw.entered
	shutdownWithin(t, e, func() { close(sw.release) })

	assert.Equal(t, 1, logs.FilterMessage("Console output lost at shutdown").Len())
	metadatatest.AssertEqualExporterConsolesinkWriteErrors(t, tel,
		[]metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp())

	close(sw.release) // the reader resumes: the blocked batch is written
	require.NoError(t, <-pushed)
}
