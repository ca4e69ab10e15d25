//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPerInstanceTelemetry: with two resilientsink instances (the README's
// isolation pattern) and the collector's default telemetry settings (no
// feature gate), an operator tells their breakers apart in the Prometheus
// scrape: every series carries the processor's component ID and signal, so
// the remote sink's breaker reads open (2) while the file sink's reads closed
// (0), each on its own series.
func TestPerInstanceTelemetry(t *testing.T) {
	c := newCollector(t, "collector", isolationConfig(fmt.Sprintf("127.0.0.1:%d", freePort(t))))
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
		assert.Equal(t, "logs", smp.labels["signal"], "series %v", smp.labels)
		_, dup := byInstance[smp.labels["processor"]]
		assert.False(t, dup, "two breaker_state series for %q", smp.labels["processor"])
		byInstance[smp.labels["processor"]] = smp.value
	}
	require.Len(t, byInstance, 2, "one breaker_state series per instance, labelled with its component id: %v", byInstance)
	assert.InDelta(t, 2, byInstance["resilientsink/remote"], 0, "the remote sink's breaker is open")
	assert.InDelta(t, 0, byInstance["resilientsink/file"], 0, "the file sink's breaker is closed")
}
