// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// freePort returns a TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestLiveBreakerKeepsPodHealthy runs the base configuration, with its
// container args, on loopback ports against a backend that refuses
// connections: the backend logs pipeline's breaker opens, the health check
// that liveness and readiness probe keeps answering 200 (no restart, the queue
// survives), the file pipeline still writes, each instance has its own metric
// series without any feature gate (labelled processor and signal), and on SIGTERM the health check turns unready at once and the
// collector exits within the grace period minus preStop. The batch the dead
// backend never took is spilled to the instance's folder under
// persistence.directory, not dropped, and the next collector on that folder
// (the pod's next start, with its volume) finds it.
func TestLiveBreakerKeepsPodHealthy(t *testing.T) {
	bin := otelcolBin(t)
	s := subject(t, render(t, baseDir))
	dir := t.TempDir()
	grpcPort, httpPort, hcPort, metricsPort := freePort(t), freePort(t), freePort(t), freePort(t)
	cfg := string(s.ConfigYAML)
	for from, to := range map[string]string{
		"0.0.0.0:4317":                fmt.Sprintf("127.0.0.1:%d", grpcPort),
		"0.0.0.0:4318":                fmt.Sprintf("127.0.0.1:%d", httpPort),
		"0.0.0.0:13133":               fmt.Sprintf("127.0.0.1:%d", hcPort),
		"host: 0.0.0.0":               "host: 127.0.0.1",
		"port: 8888":                  fmt.Sprintf("port: %d", metricsPort),
		"otel-backend:4317":           "127.0.0.1:1", // connection refused
		"/var/lib/otelcol-resilient/": dir + "/",
	} {
		require.Contains(t, cfg, from)
		cfg = strings.ReplaceAll(cfg, from, to)
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))
	args := []string{"--config=" + cfgPath}
	for _, a := range s.Container.Args {
		if !strings.HasPrefix(a, "--config") {
			args = append(args, a)
		}
	}
	logPath := filepath.Join(dir, "collector.log")
	cmd, exited := startCollector(t, bin, args, logPath)

	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	status := func() int {
		resp, getErr := client.Get(fmt.Sprintf("http://127.0.0.1:%d/", hcPort))
		if getErr != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Eventually(t, func() bool { return status() == http.StatusOK }, 30*time.Second, 50*time.Millisecond, "health_check ready")

	logs := `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"live"}}]}]}]}`
	resp, err := client.Post(fmt.Sprintf("http://127.0.0.1:%d/v1/logs", httpPort), "application/json", strings.NewReader(logs))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// gauge returns the value of one instance's gauge, "" unless exactly one
	// series carries its processor and signal labels.
	gauge := func(name, processor, signal string) string {
		resp, getErr := client.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort))
		if getErr != nil {
			return ""
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		var values []string
		for sc.Scan() {
			l := sc.Text()
			if strings.HasPrefix(l, name+"{") &&
				strings.Contains(l, `processor="`+processor+`"`) && strings.Contains(l, `signal="`+signal+`"`) {
				values = append(values, l[strings.LastIndexByte(l, ' ')+1:])
			}
		}
		if len(values) != 1 {
			return ""
		}
		return values[0]
	}
	breaker := func(processor, signal string) string {
		return gauge("otelcol_processor_resilientsink_breaker_state", processor, signal)
	}
	require.Eventually(t, func() bool { return breaker("resilientsink/backend", "logs") == "2" }, 30*time.Second, 100*time.Millisecond, "breaker of logs/backend opens")
	assert.Equal(t, "0", breaker("resilientsink/file", "logs"), "the file pipeline's breaker stays closed")
	assert.Equal(t, "0", breaker("resilientsink/backend", "traces"), "the traces/backend breaker, another series, stays closed")
	assert.Equal(t, http.StatusOK, status(), "an open breaker must not fail liveness or readiness")
	// The dead-letter folders are open (locked) on the queue volume, next to the queues.
	for _, f := range []string{"resilientsink_backend-logs", "resilientsink_file-traces"} {
		assert.FileExists(t, filepath.Join(dir, "queue", "dead-letters", f, "LOCK"), "dead letters of %s kept on the queue volume", f)
	}
	require.Eventually(t, func() bool {
		b, readErr := os.ReadFile(filepath.Join(dir, "logs.jsonl"))
		return readErr == nil && bytes.Contains(b, []byte(`"live"`))
	}, 10*time.Second, 50*time.Millisecond, "the file pipeline delivers while the backend is down")

	assert.Equal(t, "1.073741824e+09", gauge("otelcol_processor_resilientsink_disk_limit_bytes", "resilientsink/backend", "logs"),
		"persistence on, max_megabytes 1024")

	start := time.Now()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	budget := time.Duration(*s.Workload.Template.Spec.TerminationGracePeriodSeconds)*time.Second -
		time.Duration(s.Container.Lifecycle.PreStop.Sleep.Seconds)*time.Second
	sawUnready := false
	require.Eventually(t, func() bool {
		select {
		case <-exited:
			return true
		default:
			sawUnready = sawUnready || status() != http.StatusOK
			return false
		}
	}, budget, 50*time.Millisecond, "collector exits within the grace period")
	t.Logf("shutdown took %s (budget %s)", time.Since(start), budget)
	assert.True(t, sawUnready, "health_check turns unready while draining")
	out, err := os.ReadFile(logPath)
	require.NoError(t, err)
	// persistence.directory moved with /var/lib/otelcol-resilient/ above.
	folder := filepath.Join(dir, "queue", "resilientsink_backend-logs")
	assert.Positive(t, treeBytes(t, folder), "the undeliverable batch is spilled to %s", folder)
	assert.NotContains(t, string(out), "Items dropped at shutdown", "spilled, not dropped")

	// The pod's next start, on the same folder, finds the spilled record.
	_, _ = startCollector(t, bin, args, filepath.Join(dir, "collector-2.log"))
	require.Eventually(t, func() bool {
		return gauge("otelcol_processor_resilientsink_replayed_items", "resilientsink/backend", "logs") == "1"
	},
		30*time.Second, 100*time.Millisecond, "the next start replays the spilled record")
}

// startCollector runs bin with args, its output to logPath, and kills it at
// the end of the test; exited closes when it has exited.
func startCollector(t *testing.T, bin string, args []string, logPath string) (*exec.Cmd, <-chan struct{}) {
	t.Helper()
	logFile, err := os.Create(logPath)
	require.NoError(t, err)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); _ = logFile.Close(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	return cmd, exited
}

// treeBytes returns the bytes of the regular files below root (0 if it is missing).
func treeBytes(t *testing.T, root string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(root, func(_ string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	if !os.IsNotExist(err) {
		require.NoError(t, err)
	}
	return n
}
