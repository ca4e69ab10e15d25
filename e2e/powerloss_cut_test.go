//go:build e2e && linux

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
)

const (
	// powerLossClients is how many OTLP/HTTP clients send to each collector at once.
	powerLossClients = 4
	// powerLossAcked is how many spans each collector must have acknowledged
	// before the power is cut (the load goes on until then, and through it).
	powerLossAcked = 3000
)

// TestPowerLoss cuts the power, for real, under two collectors whose data
// lives on an ext4 file system on a loop device: A forwards traces through
// resilientsink in write_ahead mode to a dead downstream, F writes them with
// filesink. Four clients send to each; once each has acknowledged
// powerLossAcked spans, FS_IOC_SHUTDOWN with NOLOGFLUSH drops everything not
// fsynced, both collectors are SIGKILLed, the file system is mounted afresh,
// and they are restarted, A with its downstream B up.
//
// synced (persistence sync: true, filesink durability: synced): every span
// a client was told was accepted is delivered after the restart. unsynced
// (sync: false, durability: flushed) is the same run, and shows that the
// check can fail: both lose acknowledged spans, which is also the proof that
// the ioctl drops what was not fsynced.
func TestPowerLoss(t *testing.T) {
	t.Run("synced", func(t *testing.T) { testPowerLoss(t, true) })
	t.Run("unsynced", func(t *testing.T) { testPowerLoss(t, false) })
}

// powerLossResult is what one collector's clients were told and what
// survived the power cut.
type powerLossResult struct {
	acked      int // spans acknowledged
	requests   int64
	delivered  int // distinct acknowledged spans found after the restart
	lost       int // acknowledged spans not found
	duplicates int // extra copies found
	unacked    int // spans found that were never acknowledged
}

func (r powerLossResult) String() string {
	return fmt.Sprintf("%d requests, %d spans acknowledged, %d of them delivered, %d lost, %d duplicates, %d never acknowledged",
		r.requests, r.acked, r.delivered, r.lost, r.duplicates, r.unacked)
}

func newPowerLossResult(l *ackLoad, acked map[int64]bool, got map[int64]int) powerLossResult {
	lost := missingFrom(got, acked)
	return powerLossResult{
		acked: len(acked), requests: l.requests.Load(), delivered: len(acked) - lost, lost: lost,
		duplicates: duplicates(got), unacked: extraIn(got, acked),
	}
}

func testPowerLoss(t *testing.T, synced bool) {
	begin := time.Now()
	disk := newLossyDisk(t, 64)
	t.Logf("%s", disk)
	b := newCollector(t, "B", sinkConfig) // the downstream, dead until after the power cut
	a := newCollector(t, "A", persistForwarderConfig(b.grpcEndpoint(), "write_ahead"), powerLossSpoolConfig(disk.dir, synced))
	f := newCollector(t, "F", powerLossFileConfig(disk.dir, synced))
	a.start()
	f.start()

	la := startAckLoad(t, newSpanClient(t, a.httpEndpoint(), 0), powerLossClients, 20, 2*time.Millisecond)
	lf := startAckLoad(t, newSpanClient(t, f.httpEndpoint(), 0), powerLossClients, 20, 2*time.Millisecond)
	eventually(t, 30*time.Second, fmt.Sprintf("A and F to acknowledge %d spans each", powerLossAcked), func() bool {
		return la.ackedCount() >= powerLossAcked && lf.ackedCount() >= powerLossAcked
	})
	cut := time.Now()
	disk.powerCut() // under load: the clients keep sending until both collectors are dead
	a.kill()
	f.kill()
	ackedA, ackedF := la.stop(), lf.stop()
	t.Logf("power cut %s after the start of the load; A and F killed", cut.Sub(begin).Round(time.Millisecond))
	disk.powerOn()

	b.start()
	a.start()
	acc := waitDiskDrained(t, a)
	resA := newPowerLossResult(la, ackedA, mustReadSpans(t, b.outFile("traces")))
	t.Logf("A (resilientsink write_ahead, sync %v): %s; after the restart: %s", synced, resA, acc)

	f.start() // repairs the file at start
	f.stop(30 * time.Second)
	out := filepath.Join(disk.dir, "out", "traces.jsonl")
	resF := newPowerLossResult(lf, ackedF, mustReadSpans(t, out))
	t.Logf("F (filesink durability %s): %s; set aside at start: %v", fileDurability(synced), resF, setAside(t, filepath.Dir(out)))
	t.Logf("total %s", time.Since(begin).Round(time.Millisecond))

	require.Positive(t, resA.acked, "A acknowledged nothing")
	require.Positive(t, resF.acked, "F acknowledged nothing")
	if synced {
		assert.Zero(t, resA.lost, "A: acknowledged spans lost in the power cut with write_ahead and sync")
		assert.Zero(t, resF.lost, "F: acknowledged spans lost in the power cut with durability synced")
		assert.Zero(t, acc.Dropped, "A dropped after the restart: %v", acc.DroppedBy)
		return
	}
	assert.Positive(t, resA.lost, "A lost no acknowledged span with sync off: the power cut did not drop unsynced data")
	assert.Positive(t, resF.lost, "F lost no acknowledged span with durability flushed: the power cut did not drop unsynced data")
}

// powerLossSpoolConfig puts persistForwarderConfig's spool on the lossy disk
// at dir, with sync as given and a disk budget the 64 MiB volume holds.
func powerLossSpoolConfig(dir string, sync bool) string {
	return fmt.Sprintf(`processors:
  resilientsink:
    persistence:
      directory: %q
      max_megabytes: 32
      sync: %v
`, filepath.Join(dir, "spool"), sync)
}

// powerLossFileConfig is a collector that writes traces with filesink to
// dir/out/traces.jsonl, durability synced or flushed.
func powerLossFileConfig(dir string, synced bool) string {
	return fmt.Sprintf(`exporters:
  filesink:
    path: %q
    format: json
    durability: %s
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [filesink]
`, filepath.Join(dir, "out", "{signal}.jsonl"), fileDurability(synced))
}

func fileDurability(synced bool) string {
	if synced {
		return "synced"
	}
	return "flushed"
}

// setAside lists the files of dir that filesink's repair moved aside.
func setAside(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if strings.Contains(e.Name(), ".corrupt") {
			names = append(names, e.Name())
		}
	}
	return names
}
