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

// deadLetterForwarderConfig: OTLP -> resilientsink (dead letters on, below
// @DIR@/dead) -> otlp_http to backend.
func deadLetterForwarderConfig(backend string) string {
	return `processors:
  resilientsink:
    retry:
      initial_interval: 50ms
      max_interval: 500ms
    dead_letter:
      directory: "@DIR@/dead"
exporters:
` + otlpHTTPExporter("otlp_http", backend+"/v1/logs") + `service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [resilientsink]
      exporters: [otlp_http]
`
}

// replayConfig: replay of the dead-letter folder deadDir, paced at rate
// items/s -> resilientsink (write_ahead, so what the replay was told is
// accepted survives SIGKILL) -> otlp_http to backend.
func replayConfig(deadDir string, rate int, backend string) string {
	return fmt.Sprintf(`receivers:
  replay:
    include: ["%s"]
    checkpoint: "@DIR@/replay.checkpoint"
    rate_limit: %d
processors:
  resilientsink:
    overflow: block
    retry:
      initial_interval: 50ms
      max_interval: 500ms
    persistence:
      directory: "@DIR@/spool"
      mode: write_ahead
      max_megabytes: 256
      sync: true
exporters:
`, deadDir, rate) + otlpHTTPExporter("otlp_http", backend+"/v1/logs") + `service:
  pipelines:
    logs:
      receivers: [replay]
      processors: [resilientsink]
      exporters: [otlp_http]
`
}

// TestDeadLetterReplayEndToEnd: batches a backend refuses with HTTP 400 land
// in the dead-letter folder with reason permanent_error and the backend's
// message, dropped_items stays 0; a replay pipeline to a fixed backend, killed
// with SIGKILL halfway and restarted, delivers exactly them (pdata-equal),
// repeating at most the batches in flight.
func TestDeadLetterReplayEndToEnd(t *testing.T) {
	const batches, per = 45, 20
	bad := startBackend(t, true, nil)
	a := newCollector(t, "forwarder", deadLetterForwarderConfig(bad.url()))
	a.start()
	client := newLogClient(t, a.grpcEndpoint())
	want := map[int64]plog.Logs{}
	for i := range batches {
		first := int64(i * per)
		ld := makeLogs(first, per)
		if i%3 == 1 {
			markLogs(ld)
			kept := plog.NewLogs()
			ld.CopyTo(kept)
			want[first] = kept
		}
		require.Equal(t, codes.OK, client.exportLogs(ld), "batch %d", i)
	}
	total := int64(batches * per)
	var s scrapeResult
	var acc accounting
	var dead int64
	eventually(t, 30*time.Second, "every record sent or dead-lettered", func() bool {
		s = a.scrape()
		acc, dead = s.accounting(), s.int(mDeadLettered, "reason", "permanent_error")
		return acc.Incoming == total && acc.Queued == 0 && acc.Sent+dead == total
	})
	t.Logf("forwarder: %s dead_lettered=%d dead_letter_bytes=%d", acc, dead, s.int(mDeadLetterBytes))
	assert.Zero(t, acc.Dropped, "dropped_items must stay 0: everything kept is dead_lettered")
	assert.Equal(t, int64(len(want)*per), dead)
	assert.Equal(t, dead, s.int(mDeadLettered), "no other reason")
	assert.Positive(t, s.int(mDeadLetterBytes), "the folder's size")
	assert.Equal(t, int64(1024<<20), s.int(mDeadLetterLimit), "max_megabytes defaults to 1024")
	assert.Equal(t, total-dead, int64(len(bad.seqs("/v1/logs"))), "unmarked records reach the backend")
	a.stop(30 * time.Second)

	deadDir := instanceDir(filepath.Join(a.dir, "dead"), "resilientsink", "logs")
	letters := readLetters(t, deadDir)
	require.Len(t, letters, len(want))
	for _, l := range letters {
		assert.Equal(t, "logs", l.Signal)
		assert.Equal(t, "permanent_error", l.Reason)
		assert.Contains(t, l.Error, rejectMessage)
		assert.Contains(t, l.Error, "400")
		assert.Equal(t, per, l.Items)
		assert.Positive(t, l.Attempts)
		assert.False(t, l.Dropped.Before(l.Arrived), "dropped %s before arrived %s", l.Dropped, l.Arrived)
		ld := letterLogs(t, l)
		exp, ok := want[firstSeq(ld)]
		require.True(t, ok, "a dead letter starting at seq %d was not refused", firstSeq(ld))
		requireLogsEqual(t, exp, ld, "dead letter")
	}
	t.Logf("letter: reason=%s attempts=%d error=%q", letters[0].Reason, letters[0].Attempts, letters[0].Error)

	replayKilledMidway(t, deadDir, want)
}

// replayKilledMidway replays deadDir to a fixed backend, kills the replaying
// collector once part of it arrived, restarts it and checks that exactly want
// arrives in the end.
func replayKilledMidway(t *testing.T, deadDir string, want map[int64]plog.Logs) {
	good := startBackend(t, false, nil)
	const rate = 80 // items/s: 300 records take about 3.75 s
	r := newCollector(t, "replay", replayConfig(deadDir, rate, good.url()))
	r.start()
	var n int
	wantRecords := 0
	for _, ld := range want {
		wantRecords += ld.LogRecordCount()
	}
	eventually(t, 30*time.Second, "part of the replay delivered", func() bool {
		n = len(good.seqs("/v1/logs"))
		return n >= wantRecords/3
	})
	require.Less(t, n, wantRecords, "the replay finished before the kill; lower the rate")
	r.kill()
	before := len(good.batches("/v1/logs"))
	t.Logf("SIGKILL after %d of %d records delivered (%d requests)", n, wantRecords, before)

	r.start()
	eventually(t, 30*time.Second, "every dead letter delivered after the restart", func() bool {
		return len(good.seqs("/v1/logs")) >= wantRecords
	})
	eventually(t, 15*time.Second, "the replay receiver to report its progress", func() bool {
		return len(r.logEntries("Replay finished")) > 0
	})
	s := r.scrape()
	acc := s.accounting()
	r.stop(30 * time.Second)

	got := good.batches("/v1/logs")
	dups := requireDeliveredEqual(t, want, got)
	t.Logf("replay: %d requests for %d batches, %d duplicate records after SIGKILL; restart run: replay_items=%d %s",
		len(got), len(want), dups, s.int(mReplayItems), acc)
	per := wantRecords / len(want)
	// The replay's batch in flight (in the write-ahead queue, not yet
	// checkpointed) and the exporter's (delivered, not yet acknowledged on
	// disk) can each come twice.
	assert.LessOrEqual(t, dups, 2*per, "duplicates beyond the batches in flight")
	assert.Zero(t, acc.Dropped, "the replay pipeline drops nothing")
	assert.Zero(t, s.int(mReplayRemaining), "nothing left to replay")
}
