//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"google.golang.org/grpc/codes"
)

// deleteReplayConfig: replay of deadDir with on_done: delete -> otlp_http.
func deleteReplayConfig(deadDir, backend string) string {
	return fmt.Sprintf(`receivers:
  replay:
    include: ["%s"]
    checkpoint: "@DIR@/replay.checkpoint"
    on_done: delete
exporters:
`, deadDir) + otlpHTTPExporter("otlp_http", backend+"/v1/logs") + `service:
  pipelines:
    logs:
      receivers: [replay]
      exporters: [otlp_http]
`
}

// segments lists the segment files of a spool folder.
func segments(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".seg") {
			out = append(out, e.Name())
		}
	}
	return out
}

// deadLetterRound sends n marked batches of per records from first on to a
// dead-lettering forwarder, waits until they are kept, and adds them to want.
func deadLetterRound(t *testing.T, a *collector, first int64, n, per int, want map[int64]plog.Logs) {
	t.Helper()
	client := newLogClient(t, a.grpcEndpoint())
	for i := range n {
		ld := markLogs(makeLogs(first+int64(i*per), per))
		kept := plog.NewLogs()
		ld.CopyTo(kept)
		want[first+int64(i*per)] = kept
		require.Equal(t, codes.OK, client.exportLogs(ld))
	}
	eventually(t, 30*time.Second, "the round dead-lettered", func() bool {
		return a.scrape().int(mDeadLettered) == int64(n*per)
	})
}

// TestDeadLetterReplayDeleteThenNewLetters: a replay with on_done: delete
// empties the folder; the processor, restarted on it, keeps new dead letters
// there; the same replay (same checkpoint), run again, delivers the new ones.
func TestDeadLetterReplayDeleteThenNewLetters(t *testing.T) {
	const n, per = 8, 10
	bad := startBackend(t, true, nil)
	a := newCollector(t, "forwarder", deadLetterForwarderConfig(bad.url()))
	deadDir := instanceDir(filepath.Join(a.dir, "dead"), "resilientsink", "logs")
	good := startBackend(t, false, nil)
	r := newCollector(t, "replay", deleteReplayConfig(deadDir, good.url()))
	want := map[int64]plog.Logs{}

	for round := range 2 {
		a.start()
		deadLetterRound(t, a, int64(round*n*per), n, per, want)
		a.stop(30 * time.Second)
		r.start()
		eventually(t, 30*time.Second, fmt.Sprintf("round %d replayed", round), func() bool {
			return len(good.seqs("/v1/logs")) == (round+1)*n*per
		})
		eventually(t, 15*time.Second, "the replay to finish", func() bool {
			return len(r.logEntries("Replay finished")) > 0
		})
		r.stop(30 * time.Second)
		t.Logf("round %d: segments left after the replay: %v", round, segments(t, deadDir))
		assert.Empty(t, segments(t, deadDir), "on_done: delete, and no processor holds the folder")
	}
	dups := requireDeliveredEqual(t, want, good.batches("/v1/logs"))
	assert.Zero(t, dups)
}
