//go:build e2e

package e2e

import (
	"testing"
	"time"
)

// TestAgentFilelogCrash kills the agent (SIGKILL, as an OOM kill or a node
// crash does) while the gateway is down, so that what the agent has read sits
// in its resilientsink queue, past the offsets file_storage already holds.
// After the gateway and the agent come back, every line must reach the sink:
// resilientsink/podlogs is write_ahead (with spill, the lines held in memory
// were lost: 6,002 of 10,004). Duplicates: what filelog read after its last
// checkpoint, at least once.
func TestAgentFilelogCrash(t *testing.T) {
	root := t.TempDir()
	pods := []*podLog{
		newPodLog(t, root, "shop", "checkout-7d9f-abcde", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "app"),
		newPodLog(t, root, "shop", "cart-5c8b-fghij", "1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809", "app"),
	}
	for _, p := range pods {
		p.write(2000)
	}
	agent, gateway, sink := agentTiers(t, root)
	out := sink.outFile("logs")
	waitAllLines(t, 30*time.Second, out, pods)

	gateway.stop(90 * time.Second)
	for _, p := range pods {
		p.write(3000)
	}
	// Two more lines per pod, twice, each read in a later poll than the
	// last: filelog has then saved the offsets past the queued lines.
	queued := 10000
	for range 2 {
		eventually(t, 30*time.Second, "the agent to queue the new lines", func() bool {
			return agent.scrape().int(mIncoming, "processor", "resilientsink/podlogs") >= int64(queued)
		})
		for _, p := range pods {
			p.write(1)
		}
		queued += len(pods)
	}
	agent.kill()
	gateway.start()
	agent.start()
	waitAllLines(t, 60*time.Second, out, pods)
	total, dups := requireEveryLine(t, out, pods)
	t.Logf("lines %d, duplicates %d", total, dups)
}
