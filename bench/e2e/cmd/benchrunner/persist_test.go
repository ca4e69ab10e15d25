// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWithExtensions(t *testing.T) {
	base := collectorConfig("127.0.0.1:4317", "127.0.0.1:8888", "", "  debug:\n", nil, []string{"debug"})
	assert.Equal(t, base, withExtensions(base, "", nil), "no extensions: unchanged")

	got := withExtensions(base, "  file_storage:\n    directory: /d\n", []string{"file_storage"})
	assert.Contains(t, got, "exporters:\n  debug:\nextensions:\n  file_storage:\n    directory: /d\nservice:\n  extensions: [file_storage]\n  telemetry:\n")
	assert.Equal(t, 1, strings.Count(got, "extensions:\n"), "one extensions section")
}

func TestPersistVariants(t *testing.T) {
	vs := persistVariants()
	assert.Equal(t, []string{"anchor-pq-fsync", "ours-wal-sync", "anchor-pq-nofsync", "ours-spill"}, keys(vs))
	for _, v := range vs {
		assert.Equal(t, 5, v.cs, v.key)
		assert.True(t, v.reportsSent, "%s: drained on the exporter's sent count", v.key)
		all := v.processors + v.exporters + v.extensions
		assert.Contains(t, all, "{{dir}}", "%s: keeps its files in the run's directory", v.key)
	}
	assert.Contains(t, vs[0].extensions, "fsync: true")
	assert.Contains(t, vs[2].extensions, "fsync: false")
	assert.Contains(t, vs[1].processors, "mode: write_ahead\n      sync: true\n")
	assert.Contains(t, vs[3].processors, "mode: spill\n")
	assert.Contains(t, vs[1].exporters, "enabled: false", "ours: no second queue behind resilientsink")
}

func TestAllOnDisk(t *testing.T) {
	assert.False(t, allOnDisk(nil))
	assert.True(t, allOnDisk([]runResult{{accepted: 100, spilled: 100}, {accepted: 7, spilled: 7}}))
	assert.False(t, allOnDisk([]runResult{{accepted: 100, spilled: 100}, {accepted: 7, spilled: 0}}), "persistence not wired")
	assert.False(t, allOnDisk([]runResult{failedRun("x")}))
}
