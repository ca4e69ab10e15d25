//go:build e2e

// Package e2e is the end-to-end suite of the otelcol-resilient distribution:
// it runs the binary built by ocb as a child process, drives it with real
// OTLP clients (telemetrygen and a small pdata gRPC client) and checks what
// lands in filesink's files and in the collector's own telemetry.
package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const (
	// startTimeout bounds how long a collector may take to report healthy.
	startTimeout = 60 * time.Second
	// processLifetime bounds the life of every child process.
	processLifetime = 5 * time.Minute
)

// requireBin returns the path in the environment variable env, failing the
// test (never skipping it) when it is unset or not an executable file.
func requireBin(t *testing.T, env string) string {
	t.Helper()
	p := os.Getenv(env)
	if p == "" {
		t.Fatalf("%s is not set: run the suite with `make e2e`, or set %s to the binary's path", env, env)
	}
	st, err := os.Stat(p)
	require.NoErrorf(t, err, "%s=%s", env, p)
	require.Falsef(t, st.IsDir(), "%s=%s is a directory", env, p)
	require.NotZerof(t, st.Mode()&0o111, "%s=%s is not executable", env, p)
	return p
}

func otelcolBin(t *testing.T) string { return requireBin(t, "OTELCOL_BIN") }

func telemetrygenBin(t *testing.T) string { return requireBin(t, "TELEMETRYGEN_BIN") }

// Test ports come from below Linux's ephemeral range (32768-60999 by
// default). A port the kernel hands out for ":0" is an ephemeral one, and a
// collector that keeps dialing a stopped downstream on such a port can be given
// that very port as its own source port (or connect to itself), so the
// downstream cannot bind it again when the test restarts it.
const (
	firstTestPort = 20000
	lastTestPort  = 32767
)

var (
	portsMu   sync.Mutex
	portsUsed = map[int]bool{}
)

// freePort returns a 127.0.0.1 TCP port below the ephemeral range that was
// free a moment ago and that no other test of this process was given.
func freePort(t *testing.T) int {
	t.Helper()
	portsMu.Lock()
	defer portsMu.Unlock()
	for range 1000 {
		port := firstTestPort + rand.IntN(lastTestPort-firstTestPort+1)
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

// eventually polls cond every 50ms until it returns true, failing the test
// after timeout. cond runs in the test goroutine.
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

// ports are the endpoints of one collector.
type ports struct {
	GRPC, HTTP, Health, Metrics int
}

func newPorts(t *testing.T) ports {
	return ports{GRPC: freePort(t), HTTP: freePort(t), Health: freePort(t), Metrics: freePort(t)}
}

// baseConfig is merged under every test's own config: the OTLP receiver, the
// health check, JSON logs and the Prometheus telemetry endpoint.
// The @...@ placeholders are the collector's ports.
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

// collector is one otelcol-resilient child process, restartable on the same
// ports, config and files.
type collector struct {
	t     *testing.T
	name  string
	dir   string
	ports ports
	args  []string
	runs  int
	proc  *process
}

// process is one run of the collector binary.
type process struct {
	cmd     *exec.Cmd
	cancel  context.CancelFunc
	logPath string
	done    chan struct{} // closed when the process has exited
	err     error         // cmd.Wait's result, set before done closes
	exitAt  time.Time     // set before done closes
}

// newCollector writes the base config and the test's configs into a temp
// dir; the collector merges them in order, so a later one overrides keys of an
// earlier one. They typically hold processors, exporters and
// service.pipelines; "@DIR@" in them stands for the collector's directory.
func newCollector(t *testing.T, name string, configs ...string) *collector {
	t.Helper()
	return newCollectorRaw(t, name, append([]string{baseConfig}, configs...)...)
}

// newCollectorRaw is newCollector without the base config, which the caller
// places itself.
func newCollectorRaw(t *testing.T, name string, configs ...string) *collector {
	t.Helper()
	c := &collector{t: t, name: name, dir: t.TempDir(), ports: newPorts(t)}
	p := c.ports
	expand := strings.NewReplacer("@DIR@", c.dir, "@HEALTH@", strconv.Itoa(p.Health),
		"@GRPC@", strconv.Itoa(p.GRPC), "@HTTP@", strconv.Itoa(p.HTTP), "@METRICS@", strconv.Itoa(p.Metrics))
	for i, cfg := range configs {
		own := filepath.Join(c.dir, fmt.Sprintf("config-%d.yaml", i))
		require.NoError(t, os.WriteFile(own, []byte(expand.Replace(cfg)), 0o600))
		c.args = append(c.args, "--config=file:"+own)
	}
	t.Cleanup(func() {
		if t.Failed() {
			c.dumpLogs()
		}
	})
	return c
}

// start runs the collector and waits until its health check answers 200.
func (c *collector) start() {
	c.t.Helper()
	c.startNoWait()
	c.waitHealthy()
}

// startNoWait runs the collector without waiting for it to be healthy.
func (c *collector) startNoWait() {
	t := c.t
	t.Helper()
	require.True(t, c.proc == nil || c.proc.exited(), "%s: already running", c.name)
	c.runs++
	logPath := filepath.Join(c.dir, fmt.Sprintf("%s-run%d.log", c.name, c.runs))
	f, err := os.Create(logPath)
	require.NoError(t, err)
	stdout, err := os.Create(strings.TrimSuffix(logPath, ".log") + ".stdout")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), processLifetime)
	cmd := exec.CommandContext(ctx, otelcolBin(t), c.args...)
	cmd.Stdout, cmd.Stderr = stdout, f
	cmd.Dir = c.dir
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		_ = f.Close()
		_ = stdout.Close()
		t.Fatalf("%s: start: %v", c.name, err)
	}
	p := &process{cmd: cmd, cancel: cancel, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		p.exitAt = time.Now()
		_ = f.Close()
		_ = stdout.Close()
		close(p.done)
	}()
	c.proc = p
	t.Cleanup(func() {
		if !p.exited() {
			_ = p.cmd.Process.Kill()
		}
		<-p.done
		p.cancel()
	})
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitHealthy polls the health check until it answers 200.
func (c *collector) waitHealthy() {
	t := c.t
	t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/", c.ports.Health)
	client := &http.Client{Timeout: 2 * time.Second}
	eventually(t, startTimeout, c.name+" to report healthy", func() bool {
		if c.proc.exited() {
			t.Fatalf("%s exited before it was healthy: %v\n%s", c.name, c.proc.err, c.logs())
		}
		resp, err := client.Get(url)
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// grpcEndpoint is the OTLP/gRPC receiver's host:port.
func (c *collector) grpcEndpoint() string { return fmt.Sprintf("127.0.0.1:%d", c.ports.GRPC) }

// httpEndpoint is the OTLP/HTTP receiver's host:port.
func (c *collector) httpEndpoint() string { return fmt.Sprintf("127.0.0.1:%d", c.ports.HTTP) }
