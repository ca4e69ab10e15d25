//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// recipeReplayConfig is the receiver README's recipe "Resend the dead
// letters after the backend is fixed" (rate_limit aside): replay ->
// resilientsink with overflow: block and write_ahead persistence -> otlp_http.
func recipeReplayConfig(deadDir, backend string) string {
	return fmt.Sprintf(`receivers:
  replay/dead:
    include: ["%s"]
    checkpoint: "@DIR@/replay-dead-logs.checkpoint"
processors:
  resilientsink:
    overflow: block
    persistence:
      directory: "@DIR@/replay-queue"
      mode: write_ahead
      sync: true
exporters:
`, deadDir) + otlpHTTPExporter("otlp_http", backend+"/v1/logs") + `service:
  pipelines:
    logs:
      receivers: [replay/dead]
      processors: [resilientsink]
      exporters: [otlp_http]
`
}

// TestDeadLetterReplayRecipeSurvivesSIGKILL: the documented way to resend
// dead letters, killed with SIGKILL while a slow (just recovered) backend
// works through the replay and restarted, must deliver every dead letter.
// It failed with the recipe's first version (no persistence): the replay
// checkpoints a batch once resilientsink has queued it in memory, so the
// batches queued at the SIGKILL were gone, and the restarted replay, past
// them in its checkpoint, never sent them again (520 of 600 lost).
func TestDeadLetterReplayRecipeSurvivesSIGKILL(t *testing.T) {
	const letters, per = 30, 20
	deadDir := fillDeadLetters(t, letters, per)
	good := serveBackend(t, &otlpBackend{delay: 100 * time.Millisecond})
	r := newCollector(t, "replay", recipeReplayConfig(deadDir, good.url()))
	r.start()
	eventually(t, 30*time.Second, "a few batches delivered", func() bool {
		return len(good.batches("/v1/logs")) >= 3
	})
	before := r.scrape()
	r.kill()
	t.Logf("SIGKILL: backend had %d batches; replay_items=%d, resilientsink queued %d items",
		len(good.batches("/v1/logs")), before.int(mReplayItems), before.int(mQueueItems))

	r.start()
	eventually(t, 30*time.Second, "the restarted replay to finish and its queue to drain", func() bool {
		return len(r.logEntries("Replay finished")) > 0 && r.scrape().int(mQueueItems) == 0
	})
	r.stop(30 * time.Second)
	missing := 0
	seqs := good.seqs("/v1/logs")
	for s := range int64(letters * per) {
		if seqs[s] == 0 {
			missing++
		}
	}
	assert.Zero(t, missing, "of %d dead-lettered records, %d never reached the backend after the SIGKILL and restart: "+
		"the replay checkpointed them once resilientsink held them in memory", letters*per, missing)
}
