//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
)

// TestPersistFolderPerInstance: one resilientsink ID ("resilientsink/a") in a
// traces and a logs pipeline makes two instances, each with its own folder
// named from the ID ("/" as "_") and the signal, and its own telemetry series
// labelled with both. Under write_ahead an acknowledged batch is in its
// instance's folder at once.
func TestPersistFolderPerInstance(t *testing.T) {
	dead := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cfg := strings.ReplaceAll(persistForwarderConfig(dead, "write_ahead"), "resilientsink", "resilientsink/a")
	c := newCollector(t, "collector", cfg,
		"service:\n  pipelines:\n    logs:\n      receivers: [otlp]\n      processors: [resilientsink/a]\n      exporters: [otlp_grpc]\n")
	c.start()
	require.Equal(t, codes.OK, newSpanClient(t, c.httpEndpoint(), 0).send(0, 10), "spans accepted")
	require.Equal(t, codes.OK, newLogClient(t, c.grpcEndpoint()).send(0, 7), "logs accepted")

	base := filepath.Join(c.dir, spoolSubdir)
	entries, err := os.ReadDir(base)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"resilientsink_a-logs", "resilientsink_a-traces"}, names, "folders below the persistence directory")
	traces := readSpool(t, instanceDir(base, "resilientsink/a", "traces"))
	assert.Equal(t, int64(10), traces.Items, "items in the traces instance's folder")
	assert.Len(t, traces.Seqs, 10, "spans in the traces instance's folder")
	assert.Positive(t, segmentBytes(t, instanceDir(base, "resilientsink/a", "logs")), "bytes in the logs instance's folder")

	s := c.scrape()
	for _, signal := range []string{"traces", "logs"} {
		for _, name := range []string{mDiskItems, mDiskBytes, mDiskLimit} {
			var n int
			for _, smp := range s {
				if smp.name == name && smp.labels["processor"] == "resilientsink/a" && smp.labels["signal"] == signal {
					n++
				}
			}
			assert.Equal(t, 1, n, "series of %s{processor=resilientsink/a, signal=%s}", name, signal)
		}
		assert.Equal(t, int64(256<<20), s.int(mDiskLimit, "signal", signal), "disk_limit_bytes = max_megabytes in bytes (%s)", signal)
	}
	assert.Equal(t, int64(17), s.int(mIncoming), "incoming over both instances")
}
