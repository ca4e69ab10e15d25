//go:build e2e && linux

package e2e

import (
	"fmt"
	"io/fs"
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
// whose acknowledgement reached its client before the ioctl began is
// delivered after the restart. unsynced (sync: false, durability: flushed) is
// the same run, and shows that the check can fail: both lose acknowledged
// spans, which is also the proof that the ioctl drops what was not fsynced.
//
// Spans acknowledged while the ioctl ran or after it returned are counted
// and logged, not checked: a real power cut takes the collector down with
// the disk, so no client gets those answers; here the process outlives the
// cut, and an fsync under way when the journal is aborted can report success
// for data that is then gone. That is the kernel, not the collector: plain
// concurrent write+fsync on one file, with no collector code, shows it too
// (fsyncs that returned during or after the ioctl were lost now and then, in
// 60 cuts; none that returned before it began).
func TestPowerLoss(t *testing.T) {
	t.Run("synced", func(t *testing.T) { testPowerLoss(t, true) })
	t.Run("unsynced", func(t *testing.T) { testPowerLoss(t, false) })
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
	sa, sf := cutUnderLoad(t, disk, a, f)
	t.Logf("power cut %s after the start; A and F killed; after power on the volume's files hold %d bytes",
		time.Since(begin).Round(time.Millisecond), fileBytes(disk.dir))

	b.start()
	a.start()
	acc := waitDiskDrained(t, a)
	resA := sa.result(mustReadSpans(t, b.outFile("traces")))
	t.Logf("A (resilientsink write_ahead, sync %v): %s; after the restart: %s", synced, resA, acc)

	// F repairs its file at start, before it reports healthy; the file is
	// read while F runs idle (a SIGTERM this early could come before the
	// collector handles signals, and kill it).
	f.start()
	out := filepath.Join(disk.dir, "out", "traces.jsonl")
	resF := sf.result(mustReadSpans(t, out))
	t.Logf("F (filesink durability %s): %s; set aside at start: %v", fileDurability(synced), resF, setAside(t, filepath.Dir(out)))
	t.Logf("total %s", time.Since(begin).Round(time.Millisecond))

	require.Positive(t, resA.before, "A acknowledged nothing before the cut")
	require.Positive(t, resF.before, "F acknowledged nothing before the cut")
	if synced {
		assert.Zero(t, resA.lostBefore, "A: spans acknowledged before the power cut lost with write_ahead and sync")
		assert.Zero(t, resF.lostBefore, "F: spans acknowledged before the power cut lost with durability synced")
		assert.Zero(t, acc.Dropped, "A dropped after the restart: %v", acc.DroppedBy)
		return
	}
	assert.Positive(t, resA.lostBefore, "A lost no acknowledged span with sync off: the power cut did not drop unsynced data")
	assert.Positive(t, resF.lostBefore, "F lost no acknowledged span with durability flushed: the power cut did not drop unsynced data")
}

// cutSide is one collector under load through a power cut.
type cutSide struct {
	s    *timedSender
	l    *ackLoad
	acks ackWindows
}

func (c *cutSide) result(got map[int64]int) powerLossResult {
	return newPowerLossResult(c.l.requests.Load(), c.acks, got)
}

// cutUnderLoad runs powerLossClients clients against each of a and f until
// both acknowledged powerLossAcked spans, cuts the disk's power with the
// clients still sending, SIGKILLs a and f, stops the clients and powers the
// disk on again.
func cutUnderLoad(t *testing.T, disk *lossyDisk, a, f *collector) (sa, sf *cutSide) {
	t.Helper()
	sa = &cutSide{s: &timedSender{sender: newSpanClient(t, a.httpEndpoint(), 0)}}
	sf = &cutSide{s: &timedSender{sender: newSpanClient(t, f.httpEndpoint(), 0)}}
	for _, c := range []*cutSide{sa, sf} {
		c.l = startAckLoad(t, c.s, powerLossClients, 20, 2*time.Millisecond)
	}
	eventually(t, 30*time.Second, fmt.Sprintf("A and F to acknowledge %d spans each", powerLossAcked), func() bool {
		return sa.l.ackedCount() >= powerLossAcked && sf.l.ackedCount() >= powerLossAcked
	})
	before := fileBytes(disk.dir)
	from := time.Now()
	disk.powerCut()
	to := time.Now()
	a.kill()
	f.kill()
	for _, c := range []*cutSide{sa, sf} {
		acked := c.l.stop()
		c.acks = c.s.split(from, to)
		require.Len(t, acked, len(c.acks.before)+len(c.acks.during)+len(c.acks.after))
	}
	t.Logf("at the cut (the ioctl took %s) the volume's files held %d bytes", to.Sub(from), before)
	disk.powerOn()
	return sa, sf
}

// fileBytes is the total size of the regular files below dir; files that
// vanish while it walks are skipped.
func fileBytes(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			if info, ierr := e.Info(); ierr == nil {
				n += info.Size()
			}
		}
		return nil // keep walking past what vanished
	})
	return n
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
