//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"google.golang.org/grpc/codes"
)

// isolationConfig is the README's isolation pattern: one receiver feeds two
// pipelines, each with its own resilientsink instance; one sink is a file,
// the other a remote collector that is down.
func isolationConfig(remote string) string {
	return fmt.Sprintf(`processors:
  resilientsink/file:
    queue_size: 1000
  resilientsink/remote:
    queue_size: 20
    overflow: drop_oldest
    retry:
      initial_interval: 50ms
      max_interval: 500ms
    circuit_breaker:
      failure_threshold: 3
      open_timeout: 300ms
      max_open_timeout: 1s
exporters:
  filesink:
    path: "@DIR@/out/{signal}.jsonl"
  otlp_grpc:
    endpoint: %s
    tls:
      insecure: true
    sending_queue:
      enabled: false
    retry_on_failure:
      enabled: false
service:
  pipelines:
    logs/file:
      receivers: [otlp]
      processors: [resilientsink/file]
      exporters: [filesink]
    logs/remote:
      receivers: [otlp]
      processors: [resilientsink/remote]
      exporters: [otlp_grpc]
`, remote)
}

// TestBrokenSinkDoesNotStallOthers: with the remote sink down, the file
// pipeline still gets every record, and the client never sees an error.
func TestBrokenSinkDoesNotStallOthers(t *testing.T) {
	c := newCollector(t, "collector", isolationConfig(fmt.Sprintf("127.0.0.1:%d", freePort(t))))
	c.start()
	l := startLoad(t, newLogClient(t, c.grpcEndpoint()), loadBatch, loadInterval)
	eventually(t, 30*time.Second, "the remote pipeline's breaker to open and the load to go on", func() bool {
		s, err := c.tryScrape()
		_, acc, _ := l.snapshot()
		return err == nil && s.int(mTransitions, "state", "open") >= 1 && acc >= 3000
	})
	res := l.stop()
	assert.Equal(t, map[codes.Code]int{codes.OK: res.Codes[codes.OK]}, res.Codes, "the client never sees the broken sink")

	var fc fileContent
	eventually(t, 30*time.Second, "every accepted record in the file", func() bool {
		fc = mustReadFile(t, c.outFile("logs"), "logs")
		return fc.Records >= len(res.Accepted)
	})
	requireExactlyOnce(t, fc, res.Accepted)

	// Counters of both instances add up in the scrape (see the report on
	// per-instance telemetry): each record entered both.
	s := c.scrape()
	assert.Equal(t, 2*int64(len(res.Accepted)), s.int(mIncoming), "incoming over both instances")
	assert.Equal(t, int64(len(res.Accepted)), s.int(mSent), "only the file pipeline delivers")
	assert.Positive(t, s.int(mDropped, "reason", "overflow"), "the remote pipeline's 20-batch queue overflows")
}
