// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package monitoringtest

import (
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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

// TestParseScrapeTargetLabelClash: a scraped instance label (should a
// component ever export one) survives as exported_instance, as in Prometheus.
func TestParseScrapeTargetLabelClash(t *testing.T) {
	body := "# TYPE g gauge\ng{instance=\"2\",processor=\"resilientsink\"} 1\n"
	s, err := ParseScrape([]byte(body), time.Unix(0, 0), labels.FromStrings("instance", "host:8888", "job", "j"))
	require.NoError(t, err)
	require.Len(t, s.Series, 1)
	assert.Equal(t, `{__name__="g", exported_instance="2", instance="host:8888", job="j", processor="resilientsink"}`, s.Series[0].Labels.String())
}
