//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
)

// exitMargin is how long past its own bound a collector may take to exit on
// this loaded machine (receivers, exporters, telemetry and the process).
const exitMargin = 3 * time.Second

// dropLogMsg is resilientsink's one log line for items dropped at shutdown.
const dropLogMsg = "Items dropped at shutdown"

// logEntries returns the JSON log lines of the current run whose msg is msg.
func (c *collector) logEntries(msg string) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(c.logs()))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// shutdownConfig overrides the forwarder's shutdown section.
func shutdownConfig(strategy string, timeout time.Duration) string {
	return fmt.Sprintf("processors:\n  resilientsink:\n    shutdown:\n      strategy: %s\n      timeout: %s\n", strategy, timeout)
}

// buildBacklog runs the load against a (whose downstream is down) until a
// holds at least n items, stops the load and waits until a's accounting is
// quiescent. It returns the load result and that accounting.
func buildBacklog(t *testing.T, a *collector, n int64) (loadResult, accounting) {
	t.Helper()
	l := startLoad(t, newLogClient(t, a.grpcEndpoint()), loadBatch, loadInterval)
	eventually(t, 30*time.Second, fmt.Sprintf("A to queue %d items", n), func() bool {
		s, err := a.tryScrape()
		return err == nil && s.int(mQueueItems) >= n && s.int(mBreaker) == 2
	})
	res := l.stop()
	var acc accounting
	eventually(t, 30*time.Second, "A's accounting to settle", func() bool {
		s, err := a.tryScrape()
		if err != nil {
			return false
		}
		acc = s.accounting()
		return acc.Incoming == res.Sent && acc.balanced()
	})
	require.Equal(t, int64(len(res.Accepted)), acc.Incoming)
	return res, acc
}

// sigterm sends SIGTERM to c and returns how long it took to exit, failing
// after limit.
func sigterm(t *testing.T, c *collector, limit time.Duration) (time.Duration, error) {
	t.Helper()
	start := time.Now()
	c.signal(syscall.SIGTERM)
	exitAt, err := c.waitExit(limit)
	return exitAt.Sub(start), err
}

// TestShutdownGracefulDrainsBacklog: A holds a backlog behind an open breaker;
// B comes up and A gets SIGTERM at once, with the load still running. A
// exits within shutdown.timeout, and everything it accepted is in B exactly
// once.
func TestShutdownGracefulDrainsBacklog(t *testing.T) {
	const timeout = 20 * time.Second
	b := newCollector(t, "B", sinkConfig)
	a := newCollector(t, "A", forwarderConfig(b.grpcEndpoint()), shutdownConfig("graceful", timeout))
	a.start()
	l := startLoad(t, newLogClient(t, a.grpcEndpoint()), loadBatch, loadInterval)
	eventually(t, 30*time.Second, "A to queue 2000 items with its breaker open", func() bool {
		s, err := a.tryScrape()
		return err == nil && s.int(mQueueItems) >= 2000 && s.int(mBreaker) == 2
	})
	b.start()
	took, err := sigterm(t, a, timeout+exitMargin)
	res := l.stop()
	t.Logf("graceful with B up: exit %s after SIGTERM (%v); client accepted %d of %d", took, err, len(res.Accepted), res.Sent)
	require.NoError(t, err, "exit status")
	assert.Empty(t, a.logEntries(dropLogMsg), "no items dropped at shutdown")

	fc := mustReadFile(t, b.outFile("logs"), "logs")
	requireExactlyOnce(t, fc, res.Accepted)
}

// TestShutdownGracefulDownstreamDown: with B down, graceful waits
// shutdown.timeout, then drops what is left; the exit log states the exact
// number, which matches A's telemetry just before the signal.
func TestShutdownGracefulDownstreamDown(t *testing.T) {
	const timeout = 3 * time.Second
	a := newCollector(t, "A", forwarderConfig(fmt.Sprintf("127.0.0.1:%d", freePort(t))), shutdownConfig("graceful", timeout))
	a.start()
	_, acc := buildBacklog(t, a, 1000)

	took, err := sigterm(t, a, timeout+exitMargin)
	t.Logf("graceful with B down: exit %s after SIGTERM (%v); before: %s", took, err, acc)
	assert.GreaterOrEqual(t, took, timeout*9/10-100*time.Millisecond, "graceful drains for shutdown.timeout, less its wind-down share")
	require.NoError(t, err, "exit status 0: the loss is in telemetry and the log, not a failed shutdown")
	requireDropLog(t, a, "graceful", acc.Queued)
}

// TestShutdownImmediate: immediate exits at once and drops the backlog,
// stating the exact number.
func TestShutdownImmediate(t *testing.T) {
	a := newCollector(t, "A", forwarderConfig(fmt.Sprintf("127.0.0.1:%d", freePort(t))), shutdownConfig("immediate", 10*time.Second))
	a.start()
	_, acc := buildBacklog(t, a, 1000)

	took, err := sigterm(t, a, exitMargin)
	t.Logf("immediate with B down: exit %s after SIGTERM (%v); before: %s", took, err, acc)
	require.NoError(t, err, "exit status 0: the loss is in telemetry and the log, not a failed shutdown")
	requireDropLog(t, a, "immediate", acc.Queued)
}

// TestShutdownFlushWaitsForDownstream: flush has no deadline of its own: with
// B down A keeps running after SIGTERM, and once B is up it delivers the whole
// backlog and exits, having dropped nothing.
func TestShutdownFlushWaitsForDownstream(t *testing.T) {
	b := newCollector(t, "B", sinkConfig)
	a := newCollector(t, "A", forwarderConfig(b.grpcEndpoint()), shutdownConfig("flush", 2*time.Second))
	a.start()
	res, acc := buildBacklog(t, a, 1000)

	a.signal(syscall.SIGTERM)
	select {
	case <-a.proc.done:
		t.Fatalf("flush exited while its downstream was down (%v)", a.proc.err)
	case <-time.After(4 * time.Second): // longer than shutdown.timeout, which flush ignores
	}
	b.start()
	up := time.Now()
	exitAt, err := a.waitExit(60 * time.Second)
	t.Logf("flush: exit %s after B was up (%v); before: %s", exitAt.Sub(up).Round(time.Millisecond), err, acc)
	require.NoError(t, err, "exit status")
	assert.Empty(t, a.logEntries(dropLogMsg), "no items dropped at shutdown")

	fc := mustReadFile(t, b.outFile("logs"), "logs")
	requireExactlyOnce(t, fc, res.Accepted)
}

// requireDropLog checks resilientsink's one shutdown log line: the strategy
// and exactly want items dropped with reason shutdown.
func requireDropLog(t *testing.T, c *collector, strategy string, want int64) {
	t.Helper()
	entries := c.logEntries(dropLogMsg)
	require.Len(t, entries, 1, "one %q line", dropLogMsg)
	e := entries[0]
	assert.Equal(t, "error", e["level"])
	assert.Equal(t, strategy, e["strategy"])
	got, ok := e["dropped_shutdown"].(float64)
	require.True(t, ok, "dropped_shutdown field in %v", e)
	assert.Equal(t, want, int64(got), "items dropped at shutdown = queue_items just before SIGTERM")
	assert.Positive(t, want)
	assert.InDelta(t, float64(want), e["dropped_items"], 0, "dropped_items sums every reason")
}

// TestReloadWithQueuedDataKeepsServing: a config reload (SIGHUP) shuts the old
// pipelines down. With data queued for a dead downstream that Shutdown drops
// it, counts it and logs it, and the collector keeps serving: before, Shutdown
// returned an error and the collector exited, turning a reload into an outage.
func TestReloadWithQueuedDataKeepsServing(t *testing.T) {
	a := newCollector(t, "A", forwarderConfig(fmt.Sprintf("127.0.0.1:%d", freePort(t))), shutdownConfig("graceful", time.Second))
	a.start()
	_, acc := buildBacklog(t, a, 500)

	a.signal(syscall.SIGHUP)
	eventually(t, 20*time.Second, "the reload's shutdown line", func() bool {
		return len(a.logEntries(dropLogMsg)) == 1
	})
	requireDropLog(t, a, "graceful", acc.Queued)
	select {
	case <-a.proc.done:
		t.Fatalf("the collector exited on SIGHUP (%v)\n%s", a.proc.err, a.logs())
	case <-time.After(2 * time.Second):
	}
	// The new pipelines serve: a fresh batch is accepted and counted.
	cl := newLogClient(t, a.grpcEndpoint())
	eventually(t, 20*time.Second, "the reloaded collector to accept and count data", func() bool {
		if a.proc.exited() {
			t.Fatalf("the collector exited after SIGHUP (%v)\n%s", a.proc.err, a.logs())
		}
		if cl.send(1_000_000, 10) != codes.OK {
			return false
		}
		s, err := a.tryScrape()
		return err == nil && s.int(mIncoming) >= 10
	})
	a.stop(30 * time.Second)
}
