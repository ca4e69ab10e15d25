//go:build e2e

package e2e

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // the otlp exporter compresses with gzip by default
	"google.golang.org/grpc/status"
)

// rejectingBackend is an OTLP/gRPC logs server that answers InvalidArgument
// (a permanent error, as a backend that cannot index an attribute does) while
// rejecting is set, and keeps every request it accepts.
type rejectingBackend struct {
	plogotlp.UnimplementedGRPCServer
	rejecting atomic.Bool
	mu        sync.Mutex
	got       []plog.Logs
	addr      string
}

func (b *rejectingBackend) Export(_ context.Context, req plogotlp.ExportRequest) (plogotlp.ExportResponse, error) {
	if b.rejecting.Load() {
		return plogotlp.NewExportResponse(), status.Error(codes.InvalidArgument, "attribute app cannot be indexed")
	}
	ld := plog.NewLogs()
	req.Logs().CopyTo(ld)
	b.mu.Lock()
	b.got = append(b.got, ld)
	b.mu.Unlock()
	return plogotlp.NewExportResponse(), nil
}

func (b *rejectingBackend) batches() []plog.Logs {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]plog.Logs(nil), b.got...)
}

func startRejectingBackend(t *testing.T) *rejectingBackend {
	t.Helper()
	b := &rejectingBackend{}
	b.rejecting.Store(true)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	b.addr = l.Addr().String()
	s := grpc.NewServer()
	plogotlp.RegisterGRPCServer(s, b)
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Serve(l) }()
	t.Cleanup(func() { s.Stop(); <-done })
	return b
}

// TestShippedReplayJobResendsDeadLetters runs the Kubernetes manifests'
// collector configurations as they ship: the gateway (base/config.yaml)
// against a backend that rejects every logs batch as permanent keeps them as
// dead letters on its queue volume (dead_lettered_items, dropped_items 0);
// once the backend is fixed, the replay Job's configuration
// (jobs/replay-dead-letters), on the same volume while the gateway keeps
// running, delivers exactly those batches, pdata-equal, and reports nothing
// left to replay.
func TestShippedReplayJobResendsDeadLetters(t *testing.T) {
	const batches, per = 20, 25
	backend := startRejectingBackend(t)
	volume := t.TempDir()
	// The pod's volumes: the Job mounts the gateway pod's claim at the same path.
	onVolume := []string{"otel-backend:4317", backend.addr, "/var/lib/otelcol-resilient/", volume + "/"}
	gw := newCollectorRaw(t, "gateway", shippedConfig(t, "base/config.yaml", onVolume...))
	gw.start()
	client := newLogClient(t, gw.grpcEndpoint())
	want := map[int64]plog.Logs{}
	for i := range batches {
		ld := makeLogs(int64(i*per), per)
		want[int64(i*per)] = ld
		require.Equal(t, codes.OK, client.exportLogs(ld), "batch %d accepted by the gateway", i)
	}
	eventually(t, 60*time.Second, "every rejected record kept as a dead letter", func() bool {
		return gw.scrape().int(mDeadLettered, "processor", "resilientsink/backend", "signal", "logs", "reason", "permanent_error") == batches*per
	})
	s := gw.scrape()
	assert.Zero(t, s.int(mDropped, "processor", "resilientsink/backend"), "nothing dropped: everything kept is dead_lettered")
	assert.Empty(t, backend.batches(), "the rejecting backend took nothing")
	letters := readLetters(t, filepath.Join(volume, "queue", "dead-letters", "resilientsink_backend-logs"))
	require.Len(t, letters, batches)
	assert.Contains(t, letters[0].Error, "attribute app cannot be indexed", "the backend's message is kept")

	backend.rejecting.Store(false)
	// newCollector adds the health check (the Job has no probes) to wait on.
	job := newCollector(t, "replay-job", rewriteShipped(t, "jobs/replay-dead-letters/config.yaml", onVolume...))
	job.start()
	eventually(t, 60*time.Second, "the Job to deliver every dead letter", func() bool {
		return len(backend.batches()) >= batches && job.scrape().int(mReplayRemaining, "receiver", "replay/logs") == 0
	})
	dups := requireDeliveredEqual(t, want, backend.batches())
	assert.Zero(t, dups, "no batch twice without a restart")
	js := job.scrape()
	assert.Equal(t, int64(batches*per), js.int(mReplayItems, "receiver", "replay/logs"))
	assert.Zero(t, js.int(mDropped), "the Job dropped nothing")
	assert.Zero(t, js.int(mDeadLettered), "the fixed backend took every batch")
	eventually(t, 30*time.Second, "the Replay finished log line", func() bool {
		return strings.Contains(job.logs(), "Replay finished")
	})
	assert.FileExists(t, filepath.Join(volume, "queue", "replay", "backend-logs.checkpoint"), "checkpoint on the shared volume")
}
