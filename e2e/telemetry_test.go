//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// perInstanceTelemetry turns on what the collector needs at v0.165.0 to label
// component telemetry with the component and pipeline ids: the
// telemetry.newPipelineTelemetry gate (added to the command line by the test)
// and scope info in the Prometheus exposition.
const perInstanceTelemetry = `service:
  telemetry:
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: @METRICS@
                without_scope_info: false
`

// TestPerInstanceTelemetry: with two resilientsink instances (the README's
// isolation pattern) and the gate on, an operator tells their breakers apart in
// the Prometheus scrape: the remote sink's breaker reads open (2) while the
// file sink's reads closed (0), each on its own series. Without the gate the
// service adds no component attributes at this release and the two instances
// share one series (see the processor README).
func TestPerInstanceTelemetry(t *testing.T) {
	c := newCollector(t, "collector", isolationConfig(fmt.Sprintf("127.0.0.1:%d", freePort(t))), perInstanceTelemetry)
	c.args = append(c.args, "--feature-gates=telemetry.newPipelineTelemetry")
	c.start()
	l := startLoad(t, newLogClient(t, c.grpcEndpoint()), loadBatch, loadInterval)
	eventually(t, 30*time.Second, "the remote breaker to open", func() bool {
		s, err := c.tryScrape()
		return err == nil && s.int(mTransitions, "state", "open") >= 1
	})
	l.stop()
	byInstance := map[string]float64{}
	for _, smp := range c.scrape() {
		if smp.name != mBreaker {
			continue
		}
		for _, v := range smp.labels {
			if v == "resilientsink/remote" || v == "resilientsink/file" {
				byInstance[v] = smp.value
			}
		}
	}
	require.Len(t, byInstance, 2, "one breaker_state series per instance, labelled with its component id")
	assert.InDelta(t, 2, byInstance["resilientsink/remote"], 0, "the remote sink's breaker is open")
	assert.InDelta(t, 0, byInstance["resilientsink/file"], 0, "the file sink's breaker is closed")
}
