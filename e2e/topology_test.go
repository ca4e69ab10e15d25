//go:build e2e

package e2e

import (
	"fmt"
	"path/filepath"
)

// sinkConfig is a collector that writes every signal with filesink:
// otlp -> filesink, each signal in @DIR@/out/<signal>.jsonl.
const sinkConfig = `exporters:
  filesink:
    path: "@DIR@/out/{signal}.jsonl"
    format: json
    durability: flushed
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [filesink]
    traces:
      receivers: [otlp]
      exporters: [filesink]
    metrics:
      receivers: [otlp]
      exporters: [filesink]
`

// forwarderConfig is a collector that forwards logs through resilientsink to
// the OTLP/gRPC endpoint downstream, with the exporter's own queue and retry
// off so that failures reach the breaker. Retry and breaker timings are short
// so that an outage of a few seconds opens and closes the breaker.
func forwarderConfig(downstream string) string {
	return fmt.Sprintf(`processors:
  resilientsink:
    queue_size: 10000
    memory_limit_mib: 64
    overflow: drop_oldest
    num_workers: 1
    timeout: 5s
    retry:
      enabled: true
      initial_interval: 50ms
      max_interval: 500ms
      max_elapsed_time: 0s
    circuit_breaker:
      enabled: true
      failure_threshold: 3
      open_timeout: 300ms
      max_open_timeout: 1s
      half_open_probes: 1
      success_threshold: 1
    shutdown:
      strategy: graceful
      timeout: 20s
exporters:
  otlp_grpc:
    endpoint: %s
    tls:
      insecure: true
    timeout: 5s
    sending_queue:
      enabled: false
    retry_on_failure:
      enabled: false
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [resilientsink]
      exporters: [otlp_grpc]
`, downstream)
}

// outFile is the filesink file of signal in a collector run with sinkConfig.
func (c *collector) outFile(signal string) string {
	return filepath.Join(c.dir, "out", signal+".jsonl")
}
