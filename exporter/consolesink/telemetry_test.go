// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/resilientsink/resilientsink/exporter/consolesink/internal/metadata"
	"github.com/resilientsink/resilientsink/exporter/consolesink/internal/metadatatest"
	"github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
)

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken") }

// TestTelemetryPerInstance: with default telemetry settings (no feature
// gate adds component attributes), two consolesink IDs and two signals of
// one ID each get their own series of every metric, labelled exporter and
// signal.
func TestTelemetryPerInstance(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	ctx := context.Background()
	cfg := testConfig(FormatLogfmt, VerbosityNormal)
	cfg.Sampling = SamplingConfig{Initial: 1, Thereafter: 0}

	newInstance := func(id component.ID, signal string) *consoleExporter {
		set := metadatatest.NewSettings(tel)
		set.ID = id
		e, err := newFromSettings(set, cfg, signal)
		require.NoError(t, err)
		e.w = io.Discard
		e.now = func() time.Time { return fixedNow }
		return e
	}
	logsA := newInstance(component.MustNewID(metadata.Type.String()), "logs")
	logsB := newInstance(component.MustNewIDWithName(metadata.Type.String(), "b"), "logs")
	tracesA := newInstance(component.MustNewID(metadata.Type.String()), "traces")

	require.NoError(t, logsA.pushLogs(ctx, otlpfixtures.TelemetrygenLogs(3)))       // 1 printed, 2 suppressed
	require.NoError(t, logsB.pushLogs(ctx, otlpfixtures.TelemetrygenLogs(5)))       // 1 printed, 4 suppressed
	require.NoError(t, tracesA.pushTraces(ctx, otlpfixtures.TelemetrygenTraces(1))) // 1 printed
	// The next second's batches fail to write.
	for _, e := range []*consoleExporter{logsB, tracesA} {
		e.w = failWriter{}
		e.now = func() time.Time { return fixedNow.Add(time.Second) }
	}
	require.Error(t, logsB.pushLogs(ctx, otlpfixtures.TelemetrygenLogs(1)))
	require.Error(t, tracesA.pushTraces(ctx, otlpfixtures.TelemetrygenTraces(1)))

	set := func(id, signal string) attribute.Set {
		return attribute.NewSet(attribute.String("exporter", id), attribute.String("signal", signal))
	}
	metadatatest.AssertEqualExporterConsolesinkRecordsPrinted(t, tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: set("consolesink", "logs")},
		{Value: 1, Attributes: set("consolesink/b", "logs")},
		{Value: 1, Attributes: set("consolesink", "traces")},
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualExporterConsolesinkRecordsSuppressed(t, tel, []metricdata.DataPoint[int64]{
		{Value: 2, Attributes: set("consolesink", "logs")},
		{Value: 4, Attributes: set("consolesink/b", "logs")},
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualExporterConsolesinkWriteErrors(t, tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: set("consolesink/b", "logs")},
		{Value: 1, Attributes: set("consolesink", "traces")},
	}, metricdatatest.IgnoreTimestamp())
}
