// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package resilientsink

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		[]metricdata.DataPoint[int64]{{Value: 2}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorResilientsinkMemoryLimitBytes(t, h.tel,
		[]metricdata.DataPoint[int64]{{Value: 3 << 20}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorResilientsinkQueueBatches(t, h.tel,
		[]metricdata.DataPoint[int64]{{Value: 2}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorResilientsinkQueueItems(t, h.tel,
		[]metricdata.DataPoint[int64]{{Value: 11}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorResilientsinkBreakerState(t, h.tel,
		[]metricdata.DataPoint[int64]{{Value: 0}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorResilientsinkIncomingItems(t, h.tel,
		[]metricdata.DataPoint[int64]{{Value: 15}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorResilientsinkDroppedItems(t, h.tel,
		[]metricdata.DataPoint[int64]{{Value: 4, Attributes: attribute.NewSet(attribute.String("reason", "overflow"))}},
		metricdatatest.IgnoreTimestamp())
	assert.Positive(t, h.metric("queue_bytes"))
	assert.LessOrEqual(t, h.metric("queue_bytes"), int64(3<<20))

	h.start()
	require.NoError(t, h.p.Shutdown(context.Background()))
	metadatatest.AssertEqualProcessorResilientsinkSentItems(t, h.tel,
		[]metricdata.DataPoint[int64]{{Value: 11}}, metricdatatest.IgnoreTimestamp())
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
