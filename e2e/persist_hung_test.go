//go:build e2e

package e2e

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hungServer accepts TCP connections and never answers: an exporter's
// request to it hangs until its own timeout.
type hungServer struct {
	l     net.Listener
	mu    sync.Mutex
	conns []net.Conn
	done  chan struct{}
}

func startHungServer(t *testing.T) *hungServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	h := &hungServer{l: l, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		for {
			c, err := l.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				continue
			}
			h.mu.Lock()
			h.conns = append(h.conns, c)
			h.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		<-h.done
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, c := range h.conns {
			_ = c.Close()
		}
	})
	return h
}

func (h *hungServer) addr() string { return h.l.Addr().String() }

// TestPersistSpillHungDownstream: the downstream accepts connections and
// never answers, so at SIGTERM a batch is in flight in the exporter (its
// timeout, 60s, is far beyond the 2s graceful drain). Everything else held
// goes to disk; the batch in flight is either written to disk too or counted
// as dropped (reason shutdown), never lost silently: after a restart with a
// working downstream, every accepted span is delivered or counted.
func TestPersistSpillHungDownstream(t *testing.T) {
	hung := startHungServer(t)
	b := newCollector(t, "B", sinkConfig)
	a := newCollector(t, "A", persistForwarderConfig(hung.addr(), "spill"),
		"processors:\n  resilientsink:\n    timeout: 60s\nexporters:\n  otlp_grpc:\n    timeout: 60s\n")
	a.start()
	l := startLoad(t, newSpanClient(t, a.httpEndpoint(), 0), loadBatch, loadInterval)
	eventually(t, 30*time.Second, "A to spill 1000 items", func() bool {
		s, err := a.tryScrape()
		return err == nil && s.int(mSpilled) >= 1000
	})
	res := l.stop()
	s := a.scrape()
	before := s.persistAccounting()
	t.Logf("before SIGTERM: %s", before)
	require.Zero(t, s.int(mFailures), "no delivery attempt has ended: the first one hangs")

	took, err := sigterm(t, a, 2*time.Second+exitMargin)
	t.Logf("SIGTERM: exit after %s (%v)", took, err)
	require.NoError(t, err, "exit status")
	atShutdown := shutdownDropped(t, a)
	disk := readSpool(t, a.tracesSpoolDir())
	t.Logf("on disk after SIGTERM: %d frames, %d items; dropped at shutdown %d", disk.Frames, disk.Items, atShutdown)
	assert.Zero(t, extraIn(disk.Seqs, res.Accepted), "spans on disk the client was not told were accepted")
	assert.Equal(t, int64(len(res.Accepted)), disk.Items+atShutdown, "accepted = on disk + dropped at shutdown")

	// Restart on the same folder against a working downstream (B).
	b.start()
	a.rewriteConfigs(hung.addr(), b.grpcEndpoint())
	a.start()
	onDisk := map[int64]bool{}
	for seq := range disk.Seqs {
		onDisk[seq] = true
	}
	got := waitAllDelivered(t, b, onDisk, 60*time.Second)
	after := waitDiskDrained(t, a)
	t.Logf("after restart: %s; B holds %d spans (%d duplicates)", after, len(got), duplicates(got))
	assert.Equal(t, int(atShutdown), missingFrom(got, res.Accepted), "accepted spans missing from B = dropped at shutdown")
	assert.Zero(t, after.Dropped, "dropped after the restart: %v", after.DroppedBy)
	a.stop(30 * time.Second)
}

// rewriteConfigs replaces from with to in c's config files, for its next run.
func (c *collector) rewriteConfigs(from, to string) {
	c.t.Helper()
	paths, err := filepath.Glob(filepath.Join(c.dir, "config-*.yaml"))
	require.NoError(c.t, err)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(c.t, err)
		require.NoError(c.t, os.WriteFile(p, bytes.ReplaceAll(b, []byte(from), []byte(to)), 0o600))
	}
}
