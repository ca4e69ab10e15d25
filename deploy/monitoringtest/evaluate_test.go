// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package monitoringtest

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRuleEvaluatorFor: an alert fires only once its expression has held at
// every evaluation for For; a gap resets it, as in Prometheus.
func TestRuleEvaluatorFor(t *testing.T) {
	st := &MemStore{}
	t0 := time.Unix(1_700_000_000, 0)
	ls := labels.FromStrings("__name__", "g", "job", "j")
	values := []float64{2, 2, 0, 2, 2, 2}
	ev := NewRuleEvaluator(NewEngine(), st, []Alert{{Name: "High", Expr: "g > 1", For: 2 * time.Second}})
	var fired []int
	for i, v := range values {
		ts := t0.Add(time.Duration(i) * time.Second)
		require.NoError(t, st.Append(ls, ts.UnixMilli(), v))
		f, err := ev.Eval(context.Background(), ts)
		require.NoError(t, err)
		if len(f) > 0 {
			fired = append(fired, i)
			assert.Equal(t, t0.Add(3*time.Second), f[0].ActiveAt, "active since the gap ended")
			assert.Equal(t, `{job="j"}`, f[0].Labels.String())
		}
	}
	assert.Equal(t, []int{5}, fired, "held at 3, 4, 5 after the gap at 2: fires at 5 only")
}

// TestMemStoreRejectsOutOfOrder: a series' samples must go forward in time.
func TestMemStoreRejectsOutOfOrder(t *testing.T) {
	st := &MemStore{}
	ls := labels.FromStrings("__name__", "g")
	require.NoError(t, st.Append(ls, 2000, 1))
	require.EqualError(t, st.Append(ls, 2000, 1), `sample of {__name__="g"} at 2000 is not after 2000`)
}

// TestMatchMetadata: the exported family must be otelcol_ + the metadata name
// exactly, with the type the metric's kind exports as.
func TestMatchMetadata(t *testing.T) {
	md := map[string]MetadataMetric{
		"processor_resilientsink_sent_items":    {Name: "processor_resilientsink_sent_items", Kind: "sum", Monotonic: true},
		"processor_resilientsink_send_duration": {Name: "processor_resilientsink_send_duration", Kind: "histogram", Unit: "ms"},
		"processor_resilientsink_queue_bytes":   {Name: "processor_resilientsink_queue_bytes", Kind: "gauge", Unit: "By"},
	}
	tests := []struct {
		name, family string
		typ          model.MetricType
		wantErr      string
	}{
		{name: "counter", family: "otelcol_processor_resilientsink_sent_items", typ: model.MetricTypeCounter},
		{name: "histogram", family: "otelcol_processor_resilientsink_send_duration", typ: model.MetricTypeHistogram},
		{name: "gauge", family: "otelcol_processor_resilientsink_queue_bytes", typ: model.MetricTypeGauge},
		{name: "unit suffix", family: "otelcol_processor_resilientsink_send_duration_milliseconds", typ: model.MetricTypeHistogram,
			wantErr: "otelcol_processor_resilientsink_send_duration_milliseconds is not otelcol_ + a metadata.yaml metric"},
		{name: "total suffix", family: "otelcol_processor_resilientsink_sent_items_total", typ: model.MetricTypeCounter,
			wantErr: "otelcol_processor_resilientsink_sent_items_total is not otelcol_ + a metadata.yaml metric"},
		{name: "no prefix", family: "processor_resilientsink_sent_items", typ: model.MetricTypeCounter,
			wantErr: "processor_resilientsink_sent_items has no otelcol_ prefix"},
		{name: "wrong type", family: "otelcol_processor_resilientsink_sent_items", typ: model.MetricTypeGauge,
			wantErr: "otelcol_processor_resilientsink_sent_items is a gauge in the scrape, but metadata.yaml processor_resilientsink_sent_items is a sum (want counter)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := MatchMetadata(tt.family, tt.typ, md)
			if tt.wantErr == "" {
				assert.NoError(t, err)
			} else {
				assert.EqualError(t, err, tt.wantErr)
			}
		})
	}
}

// TestParseScrapeHistogram: a histogram's series map back to its family, and
// the target labels are added.
func TestParseScrapeHistogram(t *testing.T) {
	body := "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n"
	s, err := ParseScrape([]byte(body), time.Unix(0, 0), labels.FromStrings("instance", "i:1"))
	require.NoError(t, err)
	require.Len(t, s.Series, 4)
	// Prometheus normalizes le to a float's text on ingestion.
	assert.Equal(t, `{__name__="h_bucket", instance="i:1", le="1.0"}`, s.Series[0].Labels.String())
	for _, n := range []string{"h_bucket", "h_sum", "h_count", "h"} {
		fam, typ, ok := s.Family(n)
		assert.True(t, ok, n)
		assert.Equal(t, "h", fam, n)
		assert.Equal(t, model.MetricTypeHistogram, typ, n)
	}
	_, _, ok := s.Family("h_total")
	assert.False(t, ok)
}

// TestParseScrapeTargetLabelClash: a scraped instance label (resilientsink's
// attribute for a second instance of one ID) survives as exported_instance.
func TestParseScrapeTargetLabelClash(t *testing.T) {
	body := "# TYPE g gauge\ng{instance=\"2\",processor=\"resilientsink\"} 1\n"
	s, err := ParseScrape([]byte(body), time.Unix(0, 0), labels.FromStrings("instance", "host:8888", "job", "j"))
	require.NoError(t, err)
	require.Len(t, s.Series, 1)
	assert.Equal(t, `{__name__="g", exported_instance="2", instance="host:8888", job="j", processor="resilientsink"}`, s.Series[0].Labels.String())
}
