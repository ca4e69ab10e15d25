//go:build e2e

package e2e

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"google.golang.org/grpc/codes"
)

// followReplayConfig: replay polling deadDir every 100ms (dead letter
// attributes on) -> otlp_http to backend.
func followReplayConfig(deadDir, backend string) string {
	return fmt.Sprintf(`receivers:
  replay:
    include: ["%s"]
    checkpoint: "@DIR@/replay.checkpoint"
    poll_interval: 100ms
    dead_letter_attributes: true
exporters:
`, deadDir) + otlpHTTPExporter("otlp_http", backend+"/v1/logs") + `service:
  pipelines:
    logs:
      receivers: [replay]
      exporters: [otlp_http]
`
}

// TestDeadLetterReplayFollowsLiveFolder: a polling replay reads the
// dead-letter folder while the processor keeps writing to it, and delivers
// each letter exactly once, carrying its reason and the backend's message
// as resource attributes (dead_letter_attributes).
func TestDeadLetterReplayFollowsLiveFolder(t *testing.T) {
	const rounds, per = 40, 10
	bad := startBackend(t, true, nil)
	a := newCollector(t, "forwarder", deadLetterForwarderConfig(bad.url()))
	a.start()
	deadDir := instanceDir(filepath.Join(a.dir, "dead"), "resilientsink", "logs")
	good := startBackend(t, false, nil)
	r := newCollector(t, "replay", followReplayConfig(deadDir, good.url()))

	client := newLogClient(t, a.grpcEndpoint())
	want := map[int64]plog.Logs{}
	for i := range rounds {
		if i == 5 { // the replay starts on a folder the processor holds and writes
			r.start()
		}
		first := int64(i * per)
		ld := markLogs(makeLogs(first, per))
		kept := plog.NewLogs()
		ld.CopyTo(kept)
		want[first] = kept
		require.Equal(t, codes.OK, client.exportLogs(ld), "batch %d", i)
		if i%10 == 9 { // let the replay catch up now and then
			eventually(t, 30*time.Second, "the replay to catch up", func() bool {
				return len(good.seqs("/v1/logs")) == (i+1)*per
			})
		}
	}
	eventually(t, 30*time.Second, "every dead letter replayed", func() bool {
		return len(good.seqs("/v1/logs")) == rounds*per
	})
	acc := a.scrape().accounting()
	assert.Zero(t, acc.Dropped, "forwarder: %s", acc)
	r.stop(30 * time.Second)
	a.stop(30 * time.Second)

	got := good.batches("/v1/logs")
	for _, ld := range got {
		res := ld.ResourceLogs().At(0).Resource().Attributes()
		reason, ok := res.Get("resilientsink.dead_letter.reason")
		require.True(t, ok, "resource without the reason attribute")
		assert.Equal(t, "permanent_error", reason.Str())
		msg, ok := res.Get("resilientsink.dead_letter.error")
		require.True(t, ok, "resource without the error attribute")
		assert.Contains(t, msg.Str(), rejectMessage, "error attribute")
		res.Remove("resilientsink.dead_letter.reason")
		res.Remove("resilientsink.dead_letter.error")
	}
	dups := requireDeliveredEqual(t, want, got)
	assert.Zero(t, dups, "no stop, so no letter twice")
}
