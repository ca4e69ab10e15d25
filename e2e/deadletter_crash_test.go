//go:build e2e

package e2e

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"google.golang.org/grpc/codes"
)

// TestDeadLetterSurvivesForwarderSIGKILL: a forwarder killed with SIGKILL
// while it keeps dead letters leaves a folder that holds at least every
// letter it had counted as kept, each equal to a batch that was sent, and
// that a replay (with on_done: delete, the killed processor's lock being
// free) delivers and empties.
func TestDeadLetterSurvivesForwarderSIGKILL(t *testing.T) {
	const per = 10
	bad := startBackend(t, true, nil)
	a := newCollector(t, "forwarder", deadLetterForwarderConfig(bad.url()))
	a.start()
	client := newLogClient(t, a.grpcEndpoint())
	sent := map[int64]plog.Logs{}
	var counted int64
	for i := 0; counted < 200; i++ { // until 20 letters are counted as kept
		require.Less(t, i, 10000, "the forwarder keeps no dead letters")
		ld := markLogs(makeLogs(int64(i*per), per))
		kept := plog.NewLogs()
		ld.CopyTo(kept)
		sent[int64(i*per)] = kept
		require.Equal(t, codes.OK, client.exportLogs(ld))
		if i%5 == 4 {
			counted = a.scrape().int(mDeadLettered)
		}
	}
	a.kill()
	deadDir := instanceDir(filepath.Join(a.dir, "dead"), "resilientsink", "logs")
	letters := readLetters(t, deadDir)
	var onDisk int64
	want := map[int64]plog.Logs{}
	for _, l := range letters {
		onDisk += int64(l.Items)
		ld := letterLogs(t, l)
		exp, ok := sent[firstSeq(ld)]
		require.True(t, ok, "a letter starting at seq %d was never sent", firstSeq(ld))
		requireLogsEqual(t, exp, ld, "dead letter after SIGKILL")
		want[firstSeq(ld)] = exp
	}
	t.Logf("SIGKILL: %d records counted as dead-lettered at the last scrape, %d in %d letters on disk (%d sent)",
		counted, onDisk, len(letters), len(sent)*per)
	assert.GreaterOrEqual(t, onDisk, counted, "a letter counted as kept must be on disk")

	good := startBackend(t, false, nil)
	r := newCollector(t, "replay", deleteReplayConfig(deadDir, good.url()))
	r.start()
	eventually(t, 30*time.Second, "the letters replayed", func() bool {
		return int64(len(good.seqs("/v1/logs"))) == onDisk && len(r.logEntries("Replay finished")) > 0
	})
	r.stop(30 * time.Second)
	assert.Zero(t, requireDeliveredEqual(t, want, good.batches("/v1/logs")))
	assert.Empty(t, segments(t, deadDir), "on_done: delete, and the killed processor holds no lock")
}
