// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package monitoringtest

import (
	"testing"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
)

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
				require.NoError(t, err)
			} else {
				require.EqualError(t, err, tt.wantErr)
			}
		})
	}
}
