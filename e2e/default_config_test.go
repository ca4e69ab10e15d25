//go:build e2e

package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
)

// TestDefaultConfig runs the distribution on config/default.yaml (what `make
// run` uses), with only its ports moved: telemetrygen's logs and spans land in
// ./data/*.jsonl and, one text line per log record, on stdout; every
// resilientsink instance keeps its persistence folder under ./data/queue,
// relative to the working directory.
func TestDefaultConfig(t *testing.T) {
	telemetrygenBin(t)
	def, err := os.ReadFile(filepath.Join("..", "config", "default.yaml"))
	require.NoError(t, err)
	c := newCollectorRaw(t, "default", string(def), baseConfig)
	c.start()
	const workers, logs, traces = 2, 2000, 500
	common := []string{"--otlp-insecure", "--otlp-endpoint", c.grpcEndpoint(), "--workers", strconv.Itoa(workers)}
	runTelemetrygen(t, append([]string{"logs", "--logs", strconv.Itoa(logs), "--rate", "0"}, common...)...)
	runTelemetrygen(t, append([]string{"traces", "--traces", strconv.Itoa(traces), "--rate", "1000"}, common...)...)

	want := map[string]int{"logs": workers * logs, "traces": workers * traces * 2}
	path := func(signal string) string { return filepath.Join(c.dir, "data", signal+".jsonl") }
	for signal, n := range want {
		eventually(t, 60*time.Second, strconv.Itoa(n)+" "+signal+" in ./data", func() bool {
			return mustReadFile(t, path(signal), signal).Records >= n
		})
	}
	c.stop(30 * time.Second)
	for signal, n := range want {
		fc := mustReadFile(t, path(signal), signal)
		require.Zero(t, fc.BadN, "%s: %v", signal, fc.Bad)
		assert.Equal(t, n, fc.Records, signal)
	}
	assert.Equal(t, want["logs"], bytes.Count(c.stdout(), []byte("the message")), "one consolesink text line per log record")
	for _, id := range []string{"console", "file"} {
		for _, signal := range []string{"logs", "traces", "metrics"} {
			assert.DirExists(t, filepath.Join(c.dir, "data", "queue", "resilientsink_"+id+"-"+signal))
		}
	}
}

// TestBufferedFlushedAtShutdown: with durability buffered and a flush
// interval far beyond the test, nothing needs to reach the file before
// SIGTERM, and everything is in it after.
func TestBufferedFlushedAtShutdown(t *testing.T) {
	c := newCollector(t, "collector", deliveryConfig,
		"exporters:\n  filesink:\n    durability: buffered\n    flush_interval: 1h\n")
	c.start()
	client := newLogClient(t, c.grpcEndpoint())
	const n = 1000
	for i := int64(0); i < n; i += 100 {
		require.Equal(t, codes.OK, client.send(i, 100))
	}
	eventually(t, 30*time.Second, "resilientsink to hand every record to filesink", func() bool {
		s, err := c.tryScrape()
		return err == nil && s.int(mSent) == n
	})
	c.stop(30 * time.Second)
	fc := mustReadFile(t, c.outFile("logs"), "logs")
	require.Zero(t, fc.BadN, "%v", fc.Bad)
	assert.Zero(t, fc.Tail)
	assert.Equal(t, n, fc.Records)
}
