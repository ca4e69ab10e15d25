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
	"go.opentelemetry.io/collector/pdata/plog"
)

func logsWith(n int) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for i := range n {
		lrs.AppendEmpty().Body().SetInt(int64(i))
	}
	return ld
}

func TestCountJSONLines(t *testing.T) {
	var m plog.JSONMarshaler
	var content []byte
	for _, n := range []int{3, 100, 1} {
		b, err := m.MarshalLogs(logsWith(n))
		require.NoError(t, err)
		content = append(append(content, b...), '\n')
	}
	content = append(content, []byte("{torn\n\n")...)
	path := filepath.Join(t.TempDir(), "logs.jsonl")
	require.NoError(t, os.WriteFile(path, content, 0o600))

	fc, err := countJSONLines(path)
	require.NoError(t, err)
	assert.Equal(t, fileCount{records: 104, lines: 4, bad: 1, bytes: int64(len(content))}, fc)
}

func TestCountJSONLinesWithoutTrailingNewline(t *testing.T) {
	b, err := (&plog.JSONMarshaler{}).MarshalLogs(logsWith(7))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "logs.jsonl")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	fc, err := countJSONLines(path)
	require.NoError(t, err)
	assert.Equal(t, int64(7), fc.records)
	assert.Equal(t, int64(1), fc.lines)
}

func TestCountJSONLinesMissingFileIsEmpty(t *testing.T) {
	fc, err := countJSONLines(filepath.Join(t.TempDir(), "absent.jsonl"))
	require.NoError(t, err)
	assert.Equal(t, fileCount{}, fc)
}
