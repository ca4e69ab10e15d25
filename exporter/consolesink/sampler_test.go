// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/resilientsink/resilientsink/exporter/consolesink/internal/metadatatest"
	"github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
)

func TestSamplerDecisions(t *testing.T) {
	tests := []struct {
		initial, thereafter int
		want                string // one char per record: p printed, s suppressed
	}{
		{1, 1, "pppppp"},
		{2, 3, "ppsspssp"},
		{3, 0, "pppsss"},
	}
	for _, tt := range tests {
		s := newSampler(tt.initial, tt.thereafter)
		s.roll(1)
		var got strings.Builder
		for range len(tt.want) {
			if s.take() {
				got.WriteByte('p')
			} else {
				got.WriteByte('s')
			}
		}
		assert.Equal(t, tt.want, got.String(), "initial=%d thereafter=%d", tt.initial, tt.thereafter)
	}
	assert.Nil(t, newSampler(0, 5), "initial 0 disables sampling")
}

func TestSamplerRoll(t *testing.T) {
	s := newSampler(1, 0)
	n, w := s.roll(10)
	assert.Zero(t, n)
	assert.Zero(t, w)
	s.take()
	s.take()
	s.take()
	n, _ = s.roll(10)
	assert.Zero(t, n, "same second: nothing to report yet")
	n, _ = s.roll(9)
	assert.Zero(t, n, "time going backwards keeps the window")
	n, w = s.roll(12)
	assert.Equal(t, int64(2), n)
	assert.Equal(t, int64(10), w)
	assert.True(t, s.take(), "new window starts afresh")
}

// TestSamplingScriptedClock drives the exporter with a scripted clock and
// checks exact printed and suppressed counts, the report lines, and the
// telemetry.
func TestSamplingScriptedClock(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	cfg := testConfig(FormatLogfmt, VerbosityNormal)
	cfg.Sampling = SamplingConfig{Initial: 2, Thereafter: 3}
	var buf bytes.Buffer
	e := newTestExporter(t, cfg, &buf, false, tel)
	base := time.Unix(1_700_000_100, 0).UTC()
	now := base
	e.now = func() time.Time { return now }
	ctx := t.Context()

	countRecords := func() (records int, reports []string) {
		for _, l := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
			if strings.Contains(l, "signal=sampling") {
				reports = append(reports, l)
			} else if l != "" {
				records++
			}
		}
		buf.Reset()
		return records, reports
	}

	// Second 100: 10 records -> #1,#2 (initial), #5, #8 (every 3rd) = 4 printed, 6 suppressed.
	require.NoError(t, e.pushLogs(ctx, otlpfixtures.TelemetrygenLogs(10)))
	n, reports := countRecords()
	assert.Equal(t, 4, n)
	assert.Empty(t, reports)
	// Same second, 5 more (#11..#15) -> #11, #14 printed, 3 suppressed.
	now = base.Add(900 * time.Millisecond)
	require.NoError(t, e.pushLogs(ctx, otlpfixtures.TelemetrygenLogs(5)))
	n, reports = countRecords()
	assert.Equal(t, 2, n)
	assert.Empty(t, reports)

	// Second 101: the next batch first reports second 100's 9 suppressed records.
	now = base.Add(1100 * time.Millisecond)
	require.NoError(t, e.pushLogs(ctx, otlpfixtures.TelemetrygenLogs(3)))
	n, reports = countRecords()
	assert.Equal(t, 2, n)
	assert.Equal(t, []string{"timestamp=2023-11-14T22:15:00.000000000Z signal=sampling suppressed=9 window=1s"}, reports)

	// No batch arrives; the reporter (called here as its ticker would) reports second 101's 1 suppressed record.
	now = base.Add(2500 * time.Millisecond)
	require.NoError(t, e.reportSuppressed(ctx))
	n, reports = countRecords()
	assert.Zero(t, n)
	assert.Equal(t, []string{"timestamp=2023-11-14T22:15:01.000000000Z signal=sampling suppressed=1 window=1s"}, reports)
	require.NoError(t, e.reportSuppressed(ctx))
	assert.Zero(t, buf.Len(), "nothing more to report")

	// Second 102: suppressed records are reported at shutdown.
	require.NoError(t, e.pushLogs(ctx, otlpfixtures.TelemetrygenLogs(4)))
	require.NoError(t, e.shutdownFunc(ctx))
	n, reports = countRecords()
	assert.Equal(t, 2, n)
	assert.Equal(t, []string{"timestamp=2023-11-14T22:15:02.000000000Z signal=sampling suppressed=2 window=1s"}, reports)

	metadatatest.AssertEqualExporterConsolesinkRecordsPrinted(t, tel,
		[]metricdata.DataPoint[int64]{{Value: 4 + 2 + 2 + 2}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualExporterConsolesinkRecordsSuppressed(t, tel,
		[]metricdata.DataPoint[int64]{{Value: 6 + 3 + 1 + 2}}, metricdatatest.IgnoreTimestamp())
}

// TestSamplingAllSignalsAndOTLP checks per-record sampling for spans, data
// points and the otlp_json format (which prunes a copy of the batch).
func TestSamplingAllSignalsAndOTLP(t *testing.T) {
	for _, f := range []Format{FormatText, FormatOTLPJSON} {
		cfg := testConfig(f, VerbosityNormal)
		cfg.Sampling = SamplingConfig{Initial: 3, Thereafter: 0}
		var buf bytes.Buffer
		e := newTestExporter(t, cfg, &buf, false, nil)
		tick := int64(0)
		e.now = func() time.Time { tick++; return time.Unix(tick*10, 0) }

		buf.Reset()
		ld := otlpfixtures.TelemetrygenLogs(10)
		require.NoError(t, e.pushLogs(t.Context(), ld))
		td := otlpfixtures.TelemetrygenTraces(10)
		require.NoError(t, e.pushTraces(t.Context(), td))
		md := otlpfixtures.TelemetrygenMetrics(10)
		require.NoError(t, e.pushMetrics(t.Context(), md))
		out := buf.String()
		assert.Equal(t, 10, ld.LogRecordCount(), "input not mutated")
		assert.Equal(t, 10, td.SpanCount(), "input not mutated")
		assert.Equal(t, 10, md.DataPointCount(), "input not mutated")
		if f == FormatText {
			assert.Equal(t, 3, strings.Count(out, " Info "), out)
			assert.Equal(t, 3, strings.Count(out, " SPAN "), out)
			assert.Equal(t, 3, strings.Count(out, " METRIC "), out)
			assert.Equal(t, 2, strings.Count(out, "SAMPLING suppressed=7"), out)
			continue
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		require.Len(t, lines, 5)
		assert.Equal(t, 3, strings.Count(lines[0], `"body":`), lines[0])
		assert.JSONEq(t, `{"timestamp":"1970-01-01T00:00:10.000000000Z","signal":"sampling","suppressed":7,"window":"1s"}`, lines[1])
		assert.Equal(t, 3, strings.Count(lines[2], `"spanId":`), lines[2])
		assert.Equal(t, 3, strings.Count(lines[4], `"timeUnixNano":`), lines[4])
	}
}

// TestSamplingReporterGoroutine checks that, with no further batch, the
// background reporter writes the suppressed line once the second has
// passed. synctest gives the ticker and the clock fake time.
func TestSamplingReporterGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig(FormatText, VerbosityNormal)
		cfg.Sampling = SamplingConfig{Initial: 1, Thereafter: 0}
		var buf bytes.Buffer
		e := newTestExporter(t, cfg, &buf, false, nil)
		e.now = time.Now // fake time inside the bubble
		require.NoError(t, e.start(t.Context(), nil))
		require.NoError(t, e.pushLogs(t.Context(), otlpfixtures.TelemetrygenLogs(5)))

		read := func() string {
			require.NoError(t, e.acquire(t.Context()))
			defer e.release()
			return buf.String()
		}
		assert.NotContains(t, read(), "SAMPLING")
		time.Sleep(2 * time.Second) // fake time: the ticker fires twice
		synctest.Wait()
		assert.Equal(t, 1, strings.Count(read(), "SAMPLING suppressed=4 window=1s"), read())
		require.NoError(t, e.shutdownFunc(t.Context()))
		assert.Equal(t, 1, strings.Count(read(), "SAMPLING"), "nothing left to report at shutdown")
	})
}
