//go:build e2e

package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Names of the persistence telemetry (counters without _total at this
// release, like the others in metrics_test.go).
const (
	mSpilled   = "otelcol_processor_resilientsink_spilled_items"
	mReplayed  = "otelcol_processor_resilientsink_replayed_items"
	mDiskItems = "otelcol_processor_resilientsink_disk_items"
	mDiskBytes = "otelcol_processor_resilientsink_disk_bytes"
	mDiskLimit = "otelcol_processor_resilientsink_disk_limit_bytes"
)

// spoolSubdir is where persistForwarderConfig keeps the spool, below the
// collector's directory.
const spoolSubdir = "spool"

// persistForwarderConfig is a collector that forwards traces through
// resilientsink (persistence on, in mode, below @DIR@/spool) to the
// OTLP/gRPC endpoint downstream. The memory queue is small (20 batches) so
// that a few seconds of outage fill it and the disk tier takes the rest.
// Retry and breaker timings are short, as in forwarderConfig.
func persistForwarderConfig(downstream, mode string) string {
	return fmt.Sprintf(`processors:
  resilientsink:
    queue_size: 20
    memory_limit_mib: 1
    overflow: drop_oldest
    num_workers: 1
    timeout: 5s
    retry:
      enabled: true
      initial_interval: 50ms
      max_interval: 500ms
      max_elapsed_time: 0s
    circuit_breaker:
      enabled: true
      failure_threshold: 3
      open_timeout: 300ms
      max_open_timeout: 1s
      half_open_probes: 1
      success_threshold: 1
    shutdown:
      strategy: graceful
      timeout: 2s
    persistence:
      directory: "@DIR@/%s"
      mode: %s
      max_megabytes: 256
      sync: true
exporters:
  otlp_grpc:
    endpoint: %s
    tls:
      insecure: true
    timeout: 5s
    sending_queue:
      enabled: false
    retry_on_failure:
      enabled: false
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [resilientsink]
      exporters: [otlp_grpc]
`, spoolSubdir, mode, downstream)
}

// instanceDir is the folder of one resilientsink instance below the
// persistence directory: the component ID with "/" replaced by "_", a dash
// and the signal.
func instanceDir(directory, id, signal string) string {
	return filepath.Join(directory, strings.ReplaceAll(id, "/", "_")+"-"+signal)
}

// tracesSpoolDir is the instance folder of persistForwarderConfig's traces
// pipeline in collector c.
func (c *collector) tracesSpoolDir() string {
	return instanceDir(filepath.Join(c.dir, spoolSubdir), "resilientsink", "traces")
}

// persistAccounting is resilientsink's accounting including the disk tier.
type persistAccounting struct {
	accounting
	Spilled, Replayed, DiskItems, DiskBytes, DiskLimit int64
}

func (s scrapeResult) persistAccounting() persistAccounting {
	return persistAccounting{
		accounting: s.accounting(),
		Spilled:    s.int(mSpilled),
		Replayed:   s.int(mReplayed),
		DiskItems:  s.int(mDiskItems),
		DiskBytes:  s.int(mDiskBytes),
		DiskLimit:  s.int(mDiskLimit),
	}
}

// balanced reports whether incoming + replayed = sent + dropped + refused +
// queued, where queued is what memory and disk hold.
func (a persistAccounting) balanced() bool {
	return a.Incoming+a.Replayed == a.Sent+a.Dropped+a.Refused+a.Queued+a.DiskItems
}

func (a persistAccounting) String() string {
	return fmt.Sprintf("%s spilled=%d replayed=%d disk_items=%d disk_bytes=%d disk_limit=%d",
		a.accounting, a.Spilled, a.Replayed, a.DiskItems, a.DiskBytes, a.DiskLimit)
}

// shutdownDropped is the dropped_items of the run's shutdown log line, or 0
// when there is none.
func shutdownDropped(t *testing.T, c *collector) int64 {
	t.Helper()
	entries := c.logEntries(dropLogMsg)
	require.LessOrEqual(t, len(entries), 1, "at most one %q line", dropLogMsg)
	if len(entries) == 0 {
		return 0
	}
	t.Logf("shutdown line: %v", entries[0])
	n, ok := entries[0]["dropped_items"].(float64)
	require.True(t, ok, "dropped_items in %v", entries[0])
	return int64(n)
}

// waitAccounting scrapes a until its persistence accounting meets cond, and
// returns that accounting; it fails the test after timeout.
func waitAccounting(t *testing.T, a *collector, timeout time.Duration, what string, cond func(persistAccounting) bool) persistAccounting {
	t.Helper()
	var acc persistAccounting
	eventually(t, timeout, what, func() bool {
		s, err := a.tryScrape()
		if err != nil {
			return false
		}
		acc = s.persistAccounting()
		return cond(acc)
	})
	return acc
}

// waitSettled waits until a has counted every one of sent items and its
// accounting balances.
func waitSettled(t *testing.T, a *collector, sent int64) persistAccounting {
	t.Helper()
	return waitAccounting(t, a, 30*time.Second, "A's accounting to settle", func(acc persistAccounting) bool {
		return acc.Incoming == sent && acc.balanced()
	})
}
