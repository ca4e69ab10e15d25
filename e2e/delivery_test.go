//go:build e2e

package e2e

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deliveryConfig sends each signal through its own resilientsink instance
// into filesink: otlp -> resilientsink -> filesink.
const deliveryConfig = `processors:
  resilientsink:
    queue_size: 10000
    memory_limit_mib: 64
    overflow: drop_oldest
    shutdown:
      strategy: graceful
      timeout: 10s
exporters:
  filesink:
    path: "@DIR@/out/{signal}.jsonl"
    format: json
    durability: flushed
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [resilientsink]
      exporters: [filesink]
    traces:
      receivers: [otlp]
      processors: [resilientsink]
      exporters: [filesink]
    metrics:
      receivers: [otlp]
      processors: [resilientsink]
      exporters: [filesink]
`

// TestDeliveryCountExact sends N logs, N spans and N metric data points with
// telemetrygen over gRPC and over HTTP, and finds exactly N of each in
// filesink's files, decoded with pdata's JSON unmarshalers.
func TestDeliveryCountExact(t *testing.T) {
	const (
		workers = 2
		logs    = 5000 // per worker
		traces  = 1000 // per worker, each a root span and one child
		metrics = 3000 // per worker, one gauge data point each
	)
	want := map[string]int{
		"logs":    workers * logs,
		"traces":  workers * traces * 2,
		"metrics": workers * metrics,
	}
	for _, transport := range []string{"grpc", "http"} {
		t.Run(transport, func(t *testing.T) {
			telemetrygenBin(t)
			c := newCollector(t, "collector", deliveryConfig)
			c.start()
			common := []string{"--otlp-insecure", "--workers", strconv.Itoa(workers)}
			if transport == "http" {
				common = append(common, "--otlp-http", "--otlp-endpoint", c.httpEndpoint())
			} else {
				common = append(common, "--otlp-endpoint", c.grpcEndpoint())
			}
			start := time.Now()
			runTelemetrygen(t, append([]string{"logs", "--logs", strconv.Itoa(logs), "--rate", "0"}, common...)...)
			// A fixed rate: unthrottled, telemetrygen's trace mode drops spans itself.
			runTelemetrygen(t, append([]string{"traces", "--traces", strconv.Itoa(traces), "--child-spans", "1", "--rate", "1000"}, common...)...)
			runTelemetrygen(t, append([]string{"metrics", "--metrics", strconv.Itoa(metrics), "--rate", "0"}, common...)...)

			for signal, n := range want {
				eventually(t, 60*time.Second, fmt.Sprintf("%d %s in the file", n, signal), func() bool {
					return mustReadFile(t, c.outFile(signal), signal).Records >= n
				})
			}
			t.Logf("%s: all records in the files %s after the first was sent", transport, time.Since(start).Round(time.Millisecond))
			s := c.scrape()
			c.stop(30 * time.Second)

			for signal, n := range want {
				fc := mustReadFile(t, c.outFile(signal), signal)
				require.Zero(t, fc.BadN, "%s: unparseable lines: %v", signal, fc.Bad)
				assert.Zero(t, fc.Tail, "%s: torn tail", signal)
				assert.Equal(t, n, fc.Records, "%s: records in the file", signal)
			}
			acc := s.accounting()
			t.Logf("resilientsink (all pipelines): %s", acc)
			total := int64(want["logs"] + want["traces"] + want["metrics"])
			assert.Equal(t, total, acc.Incoming, "incoming items, all signals")
			assert.Equal(t, total, acc.Sent, "sent items, all signals")
			assert.Zero(t, acc.Dropped, "dropped: %v", acc.DroppedBy)
			assert.Zero(t, acc.Refused)
			assert.Equal(t, int64(want["logs"]), s.int("otelcol_receiver_accepted_log_records", "transport", transport))
			assert.Equal(t, int64(want["traces"]), s.int("otelcol_receiver_accepted_spans", "transport", transport))
			assert.Equal(t, int64(want["metrics"]), s.int("otelcol_receiver_accepted_metric_points", "transport", transport))
		})
	}
}
