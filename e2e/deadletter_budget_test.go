//go:build e2e

package e2e

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
)

// followDeleteReplayConfig: replay polling deadDir, deleting what it
// replayed -> otlp_http to backend.
func followDeleteReplayConfig(deadDir, backend string) string {
	return fmt.Sprintf(`receivers:
  replay:
    include: ["%s"]
    checkpoint: "@DIR@/replay.checkpoint"
    poll_interval: 100ms
    on_done: delete
exporters:
`, deadDir) + otlpHTTPExporter("otlp_http", backend+"/v1/logs") + `service:
  pipelines:
    logs:
      receivers: [replay]
      exporters: [otlp_http]
`
}

// sendMarkedPadded sends n marked batches of 5 records of 20 KiB (about
// 100 KiB each) from seq first on.
func sendMarkedPadded(t *testing.T, client *logClient, first int64, n int) {
	t.Helper()
	for i := range n {
		ld := markLogs(padLogs(first+int64(i*5), 5, 20<<10))
		require.Equal(t, codes.OK, client.exportLogs(ld))
	}
}

// TestDeadLetterBudgetFreedByReplay: a dead-letter folder at its budget
// (max_megabytes: 1) drops with a count; a replay with on_done: delete,
// run while the processor keeps running, must give the budget back: the
// folder's size gauge falls and new dead letters are kept again.
func TestDeadLetterBudgetFreedByReplay(t *testing.T) {
	bad := startBackend(t, true, nil)
	a := newCollector(t, "forwarder", deadLetterForwarderConfig(bad.url()), `processors:
  resilientsink:
    dead_letter:
      max_megabytes: 1
`)
	a.start()
	client := newLogClient(t, a.grpcEndpoint())
	settled := func(in int64) func() bool {
		return func() bool {
			acc := a.scrape().accounting()
			return acc.Incoming == in && acc.Queued == 0
		}
	}
	sendMarkedPadded(t, client, 0, 14) // about 1.4 MiB for a 1 MiB budget
	eventually(t, 30*time.Second, "the first round settled", settled(70))
	s := a.scrape()
	kept, dropped := s.int(mDeadLettered), s.int(mDropped, "reason", "permanent_error")
	t.Logf("full folder: dead_lettered=%d dropped=%d dead_letter_bytes=%d of %d",
		kept, dropped, s.int(mDeadLetterBytes), s.int(mDeadLetterLimit))
	require.Positive(t, dropped, "a full folder drops, counted with the original reason")
	require.Equal(t, int64(70), kept+dropped)

	deadDir := instanceDir(filepath.Join(a.dir, "dead"), "resilientsink", "logs")
	good := startBackend(t, false, nil)
	r := newCollector(t, "replay", followDeleteReplayConfig(deadDir, good.url()))
	r.start()
	eventually(t, 30*time.Second, "the kept letters replayed", func() bool {
		return int64(len(good.seqs("/v1/logs"))) == kept && len(r.logEntries("Replay finished")) > 0
	})
	t.Logf("after the replay: segments %v, dead_letter_bytes=%d", segments(t, deadDir), a.scrape().int(mDeadLetterBytes))

	sendMarkedPadded(t, client, 1000, 5) // about 0.5 MiB: fits a freed budget
	eventually(t, 30*time.Second, "the second round settled", settled(95))
	s = a.scrape()
	t.Logf("second round: dead_lettered=%d dropped=%d dead_letter_bytes=%d, segments %v",
		s.int(mDeadLettered)-kept, s.int(mDropped)-dropped, s.int(mDeadLetterBytes), segments(t, deadDir))
	assert.Equal(t, kept+25, s.int(mDeadLettered), "new dead letters kept in the budget the replay freed")
	assert.Equal(t, dropped, s.int(mDropped), "nothing more dropped")
	r.stop(30 * time.Second)
	a.stop(30 * time.Second)
}

// TestDeadLetterGaugeFallsAfterReplay: with the default budget, a replay
// with on_done: delete, run while the processor keeps running, deletes the
// fully replayed 8 MiB segments; dead_letter_bytes, "bytes of the instance's
// dead-letter segment files", must fall with them.
func TestDeadLetterGaugeFallsAfterReplay(t *testing.T) {
	bad := startBackend(t, true, nil)
	a := newCollector(t, "forwarder", deadLetterForwarderConfig(bad.url()))
	a.start()
	client := newLogClient(t, a.grpcEndpoint())
	sendMarkedPadded(t, client, 0, 100) // about 10 MiB: two segments
	eventually(t, 30*time.Second, "every batch dead-lettered", func() bool {
		return a.scrape().int(mDeadLettered) == 500
	})
	deadDir := instanceDir(filepath.Join(a.dir, "dead"), "resilientsink", "logs")
	full := a.scrape().int(mDeadLetterBytes)
	t.Logf("before the replay: dead_letter_bytes=%d, segments %v", full, segments(t, deadDir))

	good := startBackend(t, false, nil)
	r := newCollector(t, "replay", followDeleteReplayConfig(deadDir, good.url()))
	r.start()
	eventually(t, 30*time.Second, "every letter replayed and a segment deleted", func() bool {
		return len(good.seqs("/v1/logs")) == 500 && len(segments(t, deadDir)) == 1
	})
	onDisk := segmentBytes(t, filepath.Dir(deadDir))
	gauge := a.scrape().int(mDeadLetterBytes)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(5 * time.Second); gauge != onDisk && time.Now().Before(deadline); <-tick.C {
		gauge = a.scrape().int(mDeadLetterBytes) // the gauge may follow a moment later
	}
	t.Logf("after the replay: dead_letter_bytes=%d, segment files hold %d bytes (%v)", gauge, onDisk, segments(t, deadDir))
	assert.Equal(t, onDisk, gauge, "the gauge follows the segment files a replay deleted")
	r.stop(30 * time.Second)
	a.stop(30 * time.Second)
}
