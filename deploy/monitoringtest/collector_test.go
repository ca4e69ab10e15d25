// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package monitoringtest

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/require"
)

// otelcolBin returns the binary OTELCOL_BIN names; the test fails (never
// skips) without it, as the e2e suite does.
func otelcolBin(t *testing.T) string {
	t.Helper()
	p := os.Getenv("OTELCOL_BIN")
	if p == "" {
		t.Fatal("OTELCOL_BIN must name the otelcol-resilient binary (make otelcol builds _build/otelcol-resilient), got unset")
	}
	st, err := os.Stat(p)
	require.NoError(t, err, "OTELCOL_BIN")
	require.NotZero(t, st.Mode()&0o111, "OTELCOL_BIN=%s is not executable", p)
	return p
}

var (
	portsMu   sync.Mutex
	portsUsed = map[int]bool{}
)

// freePort returns a free 127.0.0.1 port below Linux's ephemeral range, so a
// collector dialing a dead downstream cannot be handed it as a source port
// (see e2e/harness_test.go).
func freePort(t *testing.T) int {
	t.Helper()
	portsMu.Lock()
	defer portsMu.Unlock()
	for range 1000 {
		port := 20000 + rand.IntN(12768)
		if portsUsed[port] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		require.NoError(t, l.Close())
		portsUsed[port] = true
		return port
	}
	t.Fatal("no free port below the ephemeral range")
	return 0
}

// collector is one otelcol-resilient child process on 127.0.0.1 ports.
type collector struct {
	t                          *testing.T
	name, dir                  string
	grpc, http, health, metric int
	cmd                        *exec.Cmd
	done                       chan struct{}
}

// baseConfig is merged under each test config: OTLP receiver, health check and
// the Prometheus telemetry endpoint (as deploy/kubernetes configures it).
const baseConfig = `extensions:
  health_check:
    endpoint: 127.0.0.1:@HEALTH@
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:@GRPC@
      http:
        endpoint: 127.0.0.1:@HTTP@
service:
  extensions: [health_check]
  telemetry:
    logs:
      encoding: json
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: @METRICS@
`

// startCollector writes baseConfig and cfg ("@DIR@" is the collector's
// directory) and runs the binary with the collector's default settings (no
// feature gates, as users and the Kubernetes manifests run it), until it
// reports healthy.
func startCollector(t *testing.T, name, cfg string) *collector {
	t.Helper()
	return startCollectorOn(t, name, cfg, freePort(t))
}

// startCollectorOn is startCollector with the OTLP/gRPC receiver on grpcPort,
// so that a downstream can be restarted where its clients dial.
func startCollectorOn(t *testing.T, name, cfg string, grpcPort int) *collector {
	t.Helper()
	c := &collector{t: t, name: name, dir: t.TempDir(), grpc: grpcPort, http: freePort(t),
		health: freePort(t), metric: freePort(t), done: make(chan struct{})}
	r := strings.NewReplacer("@DIR@", c.dir, "@HEALTH@", strconv.Itoa(c.health), "@GRPC@", strconv.Itoa(c.grpc),
		"@HTTP@", strconv.Itoa(c.http), "@METRICS@", strconv.Itoa(c.metric))
	var args []string
	for i, s := range []string{baseConfig, cfg} {
		p := filepath.Join(c.dir, fmt.Sprintf("config-%d.yaml", i))
		require.NoError(t, os.WriteFile(p, []byte(r.Replace(s)), 0o600))
		args = append(args, "--config=file:"+p)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	c.cmd = exec.CommandContext(ctx, otelcolBin(t), args...)
	logs, err := os.Create(filepath.Join(c.dir, "collector.log"))
	require.NoError(t, err)
	c.cmd.Stdout, c.cmd.Stderr = io.Discard, logs
	c.cmd.WaitDelay = 5 * time.Second
	require.NoError(t, c.cmd.Start())
	go func() {
		_ = c.cmd.Wait()
		_ = logs.Close()
		close(c.done)
	}()
	t.Cleanup(func() {
		c.kill()
		cancel()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(c.dir, "collector.log"))
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			t.Logf("%s log (last 20 lines):\n%s", name, strings.Join(lines[max(0, len(lines)-20):], "\n"))
		}
	})
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	eventually(t, 60*time.Second, name+" to report healthy", func() bool {
		select {
		case <-c.done:
			t.Fatalf("%s exited before it was healthy", name)
		default:
		}
		resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/", c.health))
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return c
}

// kill ends the process at once (SIGKILL: a downstream that dies) and waits for it.
func (c *collector) kill() {
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// target is the label set Prometheus would attach to this collector's
// samples: job and instance, and the namespace and pod a PodMonitor adds (and
// the cluster label a Thanos or Mimir setup adds), so that the checks see
// whether the rules and panels keep them.
func (c *collector) target() labels.Labels {
	return labels.FromStrings("job", "monitoring/otelcol-resilient", "instance", fmt.Sprintf("127.0.0.1:%d", c.metric),
		"namespace", "monitoring", "pod", c.name+"-0", "cluster", "test")
}

var scrapeClient = &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// scrape fetches /metrics and parses it as Prometheus would.
func (c *collector) scrape() *Scrape {
	c.t.Helper()
	resp, err := scrapeClient.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", c.metric))
	require.NoError(c.t, err)
	defer resp.Body.Close()
	require.Equal(c.t, http.StatusOK, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	s, err := ParseScrape(b, time.Now(), c.target())
	require.NoError(c.t, err)
	return s
}

// eventually polls cond every 50ms until it holds, failing the test after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		<-tick.C
	}
}
