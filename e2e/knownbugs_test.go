//go:build e2e && knownbugs

package e2e

import (
	"fmt"
	"testing"
	"time"
)

// TestPerInstanceTelemetry (known bug, run with -tags e2e,knownbugs): with
// two resilientsink instances (the README's isolation pattern), an operator
// must be able to tell their breakers and queues apart in the Prometheus
// scrape. At core v0.165.0 with default feature gates the service adds no
// component attributes, and resilientsink adds none itself, so both
// instances export the same unlabeled series: counters are summed and each
// gauge shows one instance only. (With --feature-gates=telemetry.newPipelineTelemetry
// the Prometheus endpoint fails with "collected before with the same name and
// label values", for the upstream batch processor too.)
func TestPerInstanceTelemetry(t *testing.T) {
	c := newCollector(t, "collector", isolationConfig(fmt.Sprintf("127.0.0.1:%d", freePort(t))))
	c.start()
	l := startLoad(t, newLogClient(t, c.grpcEndpoint()), loadBatch, loadInterval)
	eventually(t, 30*time.Second, "one breaker to open", func() bool {
		s, err := c.tryScrape()
		return err == nil && s.int(mTransitions, "state", "open") >= 1
	})
	l.stop()
	var states []sample
	for _, smp := range c.scrape() {
		if smp.name == mBreaker {
			states = append(states, smp)
		}
	}
	t.Logf("breaker_state series: %+v", states)
	var open, closed bool
	for _, smp := range states {
		open = open || smp.value == 2
		closed = closed || smp.value == 0
	}
	if len(states) != 2 || !open || !closed {
		t.Fatalf("want one breaker_state series per instance (resilientsink/remote open = 2, resilientsink/file closed = 0), got %d series: %+v", len(states), states)
	}
}
