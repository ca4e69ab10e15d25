// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/resilientsink/resilientsink/processor/resilientsink/internal/metadatatest"
)

func TestTelemetryGaugesAndCounters(t *testing.T) {
	cfg := testConfig()
	cfg.QueueSize = 2
	cfg.MemoryLimitMiB = 3
	h := newHarness(t, cfg)
	require.NoError(t, h.send(4))
	require.NoError(t, h.send(5))
	require.NoError(t, h.send(6)) // evicts the first batch (drop_oldest)

	metadatatest.AssertEqualProcessorResilientsinkQueueCapacityBatches(t, h.tel,
		[]metricdata.DataPoint[int64]{{Value: 2, Attributes: instanceSet()}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorResilientsinkMemoryLimitBytes(t, h.tel,
		[]metricdata.DataPoint[int64]{{Value: 3 << 20, Attributes: instanceSet()}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorResilientsinkQueueBatches(t, h.tel,
		[]metricdata.DataPoint[int64]{{Value: 2, Attributes: instanceSet()}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorResilientsinkQueueItems(t, h.tel,
		[]metricdata.DataPoint[int64]{{Value: 11, Attributes: instanceSet()}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorResilientsinkBreakerState(t, h.tel,
		[]metricdata.DataPoint[int64]{{Value: 0, Attributes: instanceSet()}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorResilientsinkIncomingItems(t, h.tel,
		[]metricdata.DataPoint[int64]{{Value: 15, Attributes: instanceSet()}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorResilientsinkDroppedItems(t, h.tel,
		[]metricdata.DataPoint[int64]{{Value: 4, Attributes: instanceSet(attribute.String("reason", "overflow"))}},
		metricdatatest.IgnoreTimestamp())
	assert.Positive(t, h.metric("queue_bytes"))
	assert.LessOrEqual(t, h.metric("queue_bytes"), int64(3<<20))

	h.start()
	require.NoError(t, h.p.Shutdown(context.Background()))
	metadatatest.AssertEqualProcessorResilientsinkSentItems(t, h.tel,
		[]metricdata.DataPoint[int64]{{Value: 11, Attributes: instanceSet()}}, metricdatatest.IgnoreTimestamp())
	m, err := h.tel.GetMetric(metricPrefix + "send_duration")
	require.NoError(t, err)
	hist := m.Data.(metricdata.Histogram[float64])
	require.Len(t, hist.DataPoints, 1)
	assert.Equal(t, uint64(2), hist.DataPoints[0].Count)
	outcome, _ := hist.DataPoints[0].Attributes.Value("outcome")
	assert.Equal(t, "success", outcome.AsString())
	// Gauges are unregistered by Shutdown.
	_, err = h.tel.GetMetric(metricPrefix + "queue_batches")
	require.Error(t, err)
}

// instanceSet is the attribute set of the harness's instance, plus kv.
func instanceSet(kv ...attribute.KeyValue) attribute.Set {
	return attribute.NewSet(append([]attribute.KeyValue{
		attribute.String("processor", "resilientsink"), attribute.String("signal", "logs"),
	}, kv...)...)
}

// Without any feature gate, every instance has its own series: the same
// processor ID in pipelines of different signals, another ID, and the same ID
// twice for one signal (two pipelines) never share one.
func TestTelemetryPerInstanceWithoutGate(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	ctx := context.Background()
	newSet := func(id component.ID) processor.Settings {
		set := metadatatest.NewSettings(tel)
		set.ID = id
		return set
	}
	file := component.MustNewIDWithName("resilientsink", "file")
	cfg := createDefaultConfig().(*Config)
	lp, err := NewFactory().CreateLogs(ctx, newSet(file), cfg, consumertest.NewNop())
	require.NoError(t, err)
	tp, err := NewFactory().CreateTraces(ctx, newSet(file), cfg, consumertest.NewNop())
	require.NoError(t, err)
	other, err := NewFactory().CreateLogs(ctx, newSet(component.MustNewIDWithName("resilientsink", "console")), cfg, consumertest.NewNop())
	require.NoError(t, err)
	twin, err := NewFactory().CreateLogs(ctx, newSet(file), cfg, consumertest.NewNop())
	require.NoError(t, err)
	procs := []component.Component{lp, tp, other, twin}
	for _, p := range procs {
		require.NoError(t, p.Start(ctx, componenttest.NewNopHost()))
	}
	require.NoError(t, lp.ConsumeLogs(ctx, genLogs(1, 1)))
	require.NoError(t, tp.ConsumeTraces(ctx, genTraces(2, 1)))
	require.NoError(t, other.ConsumeLogs(ctx, genLogs(3, 1)))
	require.NoError(t, twin.ConsumeLogs(ctx, genLogs(4, 1)))

	m, err := tel.GetMetric(metricPrefix + "incoming_items")
	require.NoError(t, err)
	got := map[string]int64{}
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		p, _ := dp.Attributes.Value("processor")
		s, _ := dp.Attributes.Value("signal")
		assert.Equal(t, 2, dp.Attributes.Len(), "every series has the same two attributes")
		got[p.AsString()+" "+s.AsString()] += dp.Value
	}
	assert.Equal(t, map[string]int64{
		"resilientsink/file logs":    1,
		"resilientsink/file traces":  2,
		"resilientsink/console logs": 3,
		"resilientsink/file#2 logs":  4,
	}, got)
	for _, p := range procs {
		require.NoError(t, p.Shutdown(ctx))
	}
	fileLogs := attribute.NewSet(attribute.String("processor", "resilientsink/file"), attribute.String("signal", "logs"))
	// Numbers are freed at Shutdown: a reload starts again without "#2".
	again, err := NewFactory().CreateLogs(ctx, newSet(file), cfg, consumertest.NewNop())
	require.NoError(t, err)
	assert.Len(t, again.(*logsProcessor).tel.plain, 1)
	require.NoError(t, again.ConsumeLogs(ctx, genLogs(5, 1)))
	require.NoError(t, again.Shutdown(ctx))
	m, err = tel.GetMetric(metricPrefix + "incoming_items")
	require.NoError(t, err)
	var reloaded []int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		if dp.Attributes.Equals(&fileLogs) {
			reloaded = append(reloaded, dp.Value)
		}
	}
	assert.Equal(t, []int64{1 + 5}, reloaded, "the reloaded instance continues the first one's series")
}

// queue_oldest_age is the age of the oldest batch held, queued or in a
// worker's hands, and 0 when nothing is held.
func TestTelemetryOldestAge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, testConfig())
		age := func() float64 {
			m, err := h.tel.GetMetric(metricPrefix + "queue_oldest_age")
			require.NoError(t, err)
			dps := m.Data.(metricdata.Gauge[float64]).DataPoints
			require.Len(t, dps, 1)
			assert.Equal(t, instanceSet(), dps[0].Attributes)
			return dps[0].Value
		}
		assert.Zero(t, age(), "empty")
		require.NoError(t, h.send(1))
		advance(3 * time.Second)
		assert.InDelta(t, 3.0, age(), 1e-9, "queued") // a collection also reads the clock
		require.NoError(t, h.send(1))
		advance(2 * time.Second)
		assert.InDelta(t, 5.0, age(), 1e-9, "queued, not started")

		h.down.set(modeHold)
		h.start()
		synctest.Wait()
		require.Equal(t, int64(1), h.down.inFlight.Load())
		advance(time.Second)
		assert.InDelta(t, 6.0, age(), 1e-9, "the oldest batch is in a worker's hands")
		h.down.release <- struct{}{}
		synctest.Wait()
		assert.InDelta(t, 3.0, age(), 1e-9, "the next oldest, now in flight")
		h.down.release <- struct{}{}
		synctest.Wait()
		assert.Zero(t, age(), "all delivered")
	})
}

// Every counter series whose attributes are known exists at 0 from Start, so
// that increase() sees a single burst (DESIGN, Telemetry).
func TestCountersExportedAtZeroFromStart(t *testing.T) {
	h := newHarness(t, testConfig())
	h.start()
	s := h.collect()
	for _, name := range []string{"incoming_items", "sent_items", "refused_items", "send_failures", "spilled_items", "replayed_items"} {
		m, ok := s[metricPrefix+name]
		require.True(t, ok, "%s has no series at Start", name)
		require.Len(t, m.Data.(metricdata.Sum[int64]).DataPoints, 1, name)
	}
	for _, r := range reasonNames {
		assert.Zero(t, s.sum(t, "dropped_items", attribute.String("reason", r)), r)
	}
	dropped := s[metricPrefix+"dropped_items"].Data.(metricdata.Sum[int64]).DataPoints
	assert.Len(t, dropped, len(reasonNames))
	transitions := s[metricPrefix+"breaker_transitions"].Data.(metricdata.Sum[int64]).DataPoints
	assert.Len(t, transitions, 3)
}
