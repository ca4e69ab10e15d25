// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeCollectorEnv makes the test binary act as a collector: it serves
// /metrics on FAKE_PROM and accepts TCP on FAKE_GRPC until SIGTERM.
const fakeCollectorEnv = "BENCHRUNNER_FAKE_COLLECTOR"

func init() {
	if os.Getenv(fakeCollectorEnv) == "" {
		return
	}
	os.Exit(fakeCollector(os.Getenv("FAKE_GRPC"), os.Getenv("FAKE_PROM"), os.Getenv(fakeCollectorEnv)))
}

func fakeCollector(grpcAddr, promAddr, mode string) int {
	if mode == "fail" {
		fmt.Fprintln(os.Stderr, "cannot bind")
		return 3
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	pl, err := net.Listen("tcp", promAddr)
	if err != nil {
		return 4
	}
	go func() {
		_ = http.Serve(pl, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprintln(w, "otelcol_receiver_accepted_log_records{receiver=\"otlp\"} 42")
		}))
	}()
	gl, err := net.Listen("tcp", grpcAddr)
	if err != nil {
		return 5
	}
	go func() {
		for {
			c, err := gl.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	<-term
	fmt.Fprintln(os.Stderr, `{"level":"error","msg":"Items dropped at shutdown","dropped_shutdown":7}`)
	return 0
}

func fakeAddrs(t *testing.T) (string, string) {
	gp, err := freePort()
	require.NoError(t, err)
	pp, err := freePort()
	require.NoError(t, err)
	return fmt.Sprintf("127.0.0.1:%d", gp), fmt.Sprintf("127.0.0.1:%d", pp)
}

func TestCollectorLifecycle(t *testing.T) {
	grpcAddr, promAddr := fakeAddrs(t)
	t.Setenv(fakeCollectorEnv, "serve")
	t.Setenv("FAKE_GRPC", grpcAddr)
	t.Setenv("FAKE_PROM", promAddr)
	logPath := filepath.Join(t.TempDir(), "collector.log")

	c, err := startCollector(context.Background(), os.Args[0], "unused.yaml", logPath, grpcAddr, promAddr)
	require.NoError(t, err)
	m, err := scrape(context.Background(), promAddr)
	require.NoError(t, err)
	assert.InDelta(t, 42.0, m.sum(acceptedMetric), 0)
	cpu, err := c.cpu()
	require.NoError(t, err)
	assert.GreaterOrEqual(t, cpu, time.Duration(0))
	rss, err := c.rssKiB()
	require.NoError(t, err)
	assert.Positive(t, rss)

	st, err := c.stop(10 * time.Second)
	require.NoError(t, err)
	assert.False(t, st.killed)
	assert.Positive(t, st.maxRSSKiB)
	assert.Positive(t, st.cpu)
	assert.Less(t, st.stopTook, 10*time.Second)
	s, err := scanLogs(logPath, 0)
	require.NoError(t, err)
	assert.Equal(t, int64(7), s.droppedSum)
}

func TestCollectorThatExitsAtStartIsReported(t *testing.T) {
	grpcAddr, promAddr := fakeAddrs(t)
	t.Setenv(fakeCollectorEnv, "fail")
	_, err := startCollector(context.Background(), os.Args[0], "unused.yaml",
		filepath.Join(t.TempDir(), "collector.log"), grpcAddr, promAddr)
	require.ErrorContains(t, err, "collector exited during start")
	require.ErrorContains(t, err, "cannot bind")
}
