//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"google.golang.org/grpc/codes"
)

// measureEnv turns on TestMeasureReplayMillion, a measurement kept out of
// `make test`: RS_MEASURE_REPLAY=1 (and RS_MEASURE_REPLAY_BATCH, records per
// dead letter, 100 by default).
const measureEnv = "RS_MEASURE_REPLAY"

// seqCounter counts the records a backend accepted by sequence number.
type seqCounter struct {
	mu       sync.Mutex
	counts   []uint16
	distinct int
	records  int
}

func (c *seqCounter) add(_ string, ld plog.Logs) {
	seqs := map[int64]int{}
	countSeqs(ld, seqs)
	c.mu.Lock()
	defer c.mu.Unlock()
	for s, n := range seqs {
		if s < 0 || s >= int64(len(c.counts)) {
			continue
		}
		if c.counts[s] == 0 {
			c.distinct++
		}
		c.counts[s] += uint16(n)
		c.records += n
	}
}

func (c *seqCounter) snapshot() (distinct, records int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.distinct, c.records
}

// fillDeadLetters has a collector dead-letter letters batches of per records
// (a backend refusing them all with HTTP 400) and returns the folder.
func fillDeadLetters(t *testing.T, letters, per int) string {
	bad := startBackend(t, true, nil)
	a := newCollector(t, "filler", deadLetterForwarderConfig(bad.url()), `processors:
  resilientsink:
    overflow: reject
`)
	a.start()
	client := newLogClient(t, a.grpcEndpoint())
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for i := range letters {
		ld := markLogs(makeLogs(int64(i*per), per))
		for client.exportLogs(ld) != codes.OK { // a full queue refuses: try again
			<-tick.C
		}
	}
	total := int64(letters * per)
	eventually(t, 5*time.Minute, "every record dead-lettered", func() bool {
		s := a.scrape()
		return s.int(mDeadLettered) == total && s.int(mQueueItems) == 0
	})
	require.Zero(t, a.scrape().int(mDropped))
	a.stop(30 * time.Second)
	return instanceDir(filepath.Join(a.dir, "dead"), "resilientsink", "logs")
}

// logLine is a JSON log entry as a person reads it: its message and own
// fields, without the resource and the component's identity.
func logLine(e map[string]any) string {
	own := map[string]any{}
	for k, v := range e {
		switch {
		case k == "resource", k == "caller", k == "level", strings.HasPrefix(k, "otelcol."):
		default:
			own[k] = v
		}
	}
	b, _ := json.Marshal(own)
	return string(b)
}

// cpuSeconds is the user+system CPU time of the collector's process so far.
func (c *collector) cpuSeconds() float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(c.proc.cmd.Process.Pid) + "/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ
}

// TestMeasureReplayMillion replays 1,000,000 dead-lettered records, killed
// with SIGKILL at about 40% and restarted, and logs the throughput, the
// progress lines and the duplicates. Not part of `make test`: a measurement.
func TestMeasureReplayMillion(t *testing.T) {
	if os.Getenv(measureEnv) == "" {
		t.Skipf("a measurement, not a test: set %s=1 to run it", measureEnv)
	}
	per := 100 // records per letter: a typical batch
	if v, err := strconv.Atoi(os.Getenv(measureEnv + "_BATCH")); err == nil && v > 0 {
		per = v
	}
	letters := 1_000_000 / per
	start := time.Now()
	deadDir := fillDeadLetters(t, letters, per)
	t.Logf("filled %s with %d letters of %d records in %s", deadDir, letters, per, time.Since(start).Round(time.Millisecond))
	for _, pipeline := range []string{"write_ahead", "direct"} {
		t.Run(pipeline, func(t *testing.T) { measureReplay(t, deadDir, pipeline, letters*per) })
	}
}

// measureReplay replays deadDir through pipeline (write_ahead: replay ->
// resilientsink with a synced write-ahead queue -> otlp_http; direct:
// replay -> otlp_http), with a SIGKILL at about 40%.
func measureReplay(t *testing.T, deadDir, pipeline string, total int) {
	counter := &seqCounter{counts: make([]uint16, total)}
	good := startBackend(t, false, counter.add)
	cfg := replayConfig(deadDir, 0, good.url())
	if pipeline == "direct" {
		cfg = `receivers:
  replay:
    include: ["` + deadDir + `"]
    checkpoint: "@DIR@/replay.checkpoint"
exporters:
` + otlpHTTPExporter("otlp_http", good.url()+"/v1/logs") + `service:
  pipelines:
    logs:
      receivers: [replay]
      exporters: [otlp_http]
`
	}
	r := newCollector(t, "replay", cfg)
	r.start()
	t0 := time.Now()
	eventually(t, 5*time.Minute, "40% replayed", func() bool {
		d, _ := counter.snapshot()
		return d >= total*4/10
	})
	cpu1 := r.cpuSeconds()
	r.kill()
	d1 := time.Since(t0)
	n1, _ := counter.snapshot()
	progress1 := r.logEntries("Replay progress")

	r.start()
	t2 := time.Now()
	eventually(t, 5*time.Minute, "every record replayed", func() bool {
		d, _ := counter.snapshot()
		return d == total
	})
	d2 := time.Since(t2)
	eventually(t, time.Minute, "the Replay finished line", func() bool {
		return len(r.logEntries("Replay finished")) > 0
	})
	cpu2 := r.cpuSeconds()
	progress2, finished := r.logEntries("Replay progress"), r.logEntries("Replay finished")
	r.stop(30 * time.Second)

	distinct, records := counter.snapshot()
	require.Equal(t, total, distinct, "records missing after the SIGKILL")
	t.Logf("%s: run 1 (SIGKILL): %d records in %s = %.0f records/s, CPU %.1fs",
		pipeline, n1, d1.Round(time.Millisecond), float64(n1)/d1.Seconds(), cpu1)
	t.Logf("%s: run 2 (restart): %d records in %s = %.0f records/s, CPU %.1fs",
		pipeline, total-n1, d2.Round(time.Millisecond), float64(total-n1)/d2.Seconds(), cpu2)
	t.Logf("%s: overall %.0f records/s, %.2f µs CPU per record; %d duplicate records after the SIGKILL",
		pipeline, float64(total)/(d1+d2).Seconds(), (cpu1+cpu2)*1e6/float64(total), records-distinct)
	for _, e := range append(append(progress1, progress2...), finished...) {
		t.Logf("%s: %s", pipeline, logLine(e))
	}
}
