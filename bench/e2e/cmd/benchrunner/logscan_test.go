// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScanLogs(t *testing.T) {
	head := `{"level":"info","msg":"Everything is ready."}` + "\n"
	body := `plain text line
{"level":"error","msg":"Exporting failed. Dropping data.","dropped_items":100}
{"level":"error","msg":"Exporting failed. Dropping data.","dropped_items":200}
{"level":"warn","msg":"something"}
{"level":"error","msg":"Items dropped at shutdown","strategy":"graceful","dropped_shutdown":35154,"dropped_overflow":6}
{"level":"error","msg":"failed to shutdown","error":"shutdown: 35154 items dropped: shutdown timeout"}
Error: shutdown: 35154 items dropped
`
	path := filepath.Join(t.TempDir(), "collector.log")
	require.NoError(t, os.WriteFile(path, []byte(head+body), 0o600))

	s, err := scanLogs(path, int64(len(head)))
	require.NoError(t, err)
	assert.Equal(t, logScan{
		warnOrError: 5,
		dropLines:   3,
		droppedSum:  100 + 200 + 35154 + 6,
		shutdownMsg: "shutdown: 35154 items dropped: shutdown timeout",
	}, s)

	_, err = scanLogs(filepath.Join(t.TempDir(), "absent.log"), 0)
	require.ErrorContains(t, err, "open log")
}

func TestCollectorConfig(t *testing.T) {
	got := collectorConfig("127.0.0.1:4317", "127.0.0.1:8888", "  resilientsink:\n", "  nop:\n", []string{"resilientsink"}, []string{"nop"})
	assert.Equal(t, `receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:4317
processors:
  resilientsink:
exporters:
  nop:
service:
  telemetry:
    logs:
      encoding: json
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: 8888
  pipelines:
    logs:
      receivers: [otlp]
      processors: [resilientsink]
      exporters: [nop]
`, got)
}
