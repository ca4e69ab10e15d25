// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const exposition = `# HELP otelcol_receiver_accepted_log_records Number of log records successfully pushed into the pipeline.
# TYPE otelcol_receiver_accepted_log_records counter
otelcol_receiver_accepted_log_records{receiver="otlp",service_name="otelcol",transport="grpc"} 125500
otelcol_receiver_accepted_log_records{receiver="otlp",service_name="otelcol",transport="http"} 10
otelcol_processor_resilientsink_dropped_items{processor="resilientsink",reason="overflow"} 44400
otelcol_processor_resilientsink_dropped_items{processor="resilientsink",reason="shutdown"} 1e+03
otelcol_exporter_queue_size{data_type="logs",exporter="otlp_grpc",note="a \"quoted\", value"} 4.926448e+06
target_info 1
broken{label="x" notanumber
`

func TestParseMetrics(t *testing.T) {
	m, err := parseMetrics(strings.NewReader(exposition))
	require.NoError(t, err)
	assert.InDelta(t, 125510.0, m.sum(acceptedMetric), 0)
	assert.InDelta(t, 125500.0, m.sum(acceptedMetric, "transport", "grpc"), 0)
	assert.InDelta(t, 0.0, m.sum(acceptedMetric, "transport", "udp"), 0)
	assert.Equal(t, map[string]float64{"overflow": 44400, "shutdown": 1000}, m.byLabel(rsDropped, "reason"))
	assert.InDelta(t, 4926448.0, m.sum(expQueueSize, "exporter", "otlp_grpc"), 0)
	assert.InDelta(t, 1.0, m.sum("target_info"), 0)
	assert.True(t, m.has(rsDropped))
	assert.False(t, m.has("broken"))
}

func TestScrape(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, exposition)
	}))
	defer srv.Close()
	m, err := scrape(context.Background(), strings.TrimPrefix(srv.URL, "http://"))
	require.NoError(t, err)
	assert.InDelta(t, 125510.0, m.sum(acceptedMetric), 0)

	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	_, err = scrape(context.Background(), strings.TrimPrefix(down.URL, "http://"))
	require.ErrorContains(t, err, "status 503")
}
