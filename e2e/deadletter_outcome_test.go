//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// mReplayFailed counts the items the replay's pipeline refused permanently.
const mReplayFailed = "otelcol_receiver_replay_failed_items"

// directReplayConfig: replay of deadDir -> otlp_http to backend.
func directReplayConfig(deadDir, backend string) string {
	return fmt.Sprintf(`receivers:
  replay:
    include: ["%s"]
    checkpoint: "@DIR@/replay.checkpoint"
exporters:
`, deadDir) + otlpHTTPExporter("otlp_http", backend+"/v1/logs") + `service:
  pipelines:
    logs:
      receivers: [replay]
      exporters: [otlp_http]
`
}

// TestDeadLetterReplayRetriesUnavailable: a backend answering 503 to the
// first requests makes the replay wait and send the same batch again: every
// letter arrives once, in the order kept, none counted as failed.
func TestDeadLetterReplayRetriesUnavailable(t *testing.T) {
	const letters, per = 10, 10
	deadDir := fillDeadLetters(t, letters, per)
	good := serveBackend(t, &otlpBackend{unavailable: 4})
	r := newCollector(t, "replay", directReplayConfig(deadDir, good.url()))
	r.start()
	eventually(t, 30*time.Second, "every letter replayed", func() bool {
		return len(good.seqs("/v1/logs")) == letters*per && len(r.logEntries("Replay finished")) > 0
	})
	s := r.scrape()
	r.stop(30 * time.Second)
	got := good.batches("/v1/logs")
	require.Len(t, got, letters, "each letter once")
	for i, ld := range got {
		assert.Equal(t, int64(i*per), firstSeq(ld), "letter %d out of order", i)
	}
	assert.Equal(t, int64(letters*per), s.int(mReplayItems))
	assert.Zero(t, s.int(mReplayFailed))
	good.mu.Lock()
	requests := good.requests
	good.mu.Unlock()
	assert.Equal(t, letters+4, requests, "the 4 refused requests were each tried again")
}

// TestDeadLetterReplayPermanentRefusal: a backend that still refuses the
// letters (HTTP 400) has them counted as failed and the replay moves on; its
// checkpoint is past them, so a restart sends none of them again.
func TestDeadLetterReplayPermanentRefusal(t *testing.T) {
	const letters, per = 6, 10
	deadDir := fillDeadLetters(t, letters, per)
	bad := startBackend(t, true, nil)
	r := newCollector(t, "replay", directReplayConfig(deadDir, bad.url()))
	r.start()
	eventually(t, 30*time.Second, "the replay finished", func() bool {
		return len(r.logEntries("Replay finished")) > 0
	})
	s := r.scrape()
	assert.Equal(t, int64(letters*per), s.int(mReplayFailed), "every letter refused, counted")
	assert.Zero(t, s.int(mReplayItems))
	r.stop(30 * time.Second)
	bad.mu.Lock()
	first := bad.rejected
	bad.mu.Unlock()
	assert.Equal(t, letters, first, "each letter tried once")

	r.start()
	eventually(t, 30*time.Second, "the restarted replay finished", func() bool {
		return len(r.logEntries("Replay finished")) > 0
	})
	r.stop(30 * time.Second)
	bad.mu.Lock()
	again := bad.rejected - first
	bad.mu.Unlock()
	assert.Zero(t, again, "the checkpoint moved past the refused letters")
	var none []plog.Logs
	assert.Equal(t, none, bad.batches("/v1/logs"))
}
