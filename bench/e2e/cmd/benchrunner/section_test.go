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

func TestReplaceSection(t *testing.T) {
	tests := []struct {
		name, doc, want, err string
	}{
		{name: "replaces between markers, keeps the rest",
			doc:  "# B\n\nbefore\n<!-- bench-e2e:start -->\nold\n<!-- bench-e2e:end -->\nafter\n",
			want: "# B\n\nbefore\n<!-- bench-e2e:start -->\nnew\n<!-- bench-e2e:end -->\nafter\n"},
		{name: "empty section",
			doc:  "<!-- bench-e2e:start -->\n<!-- bench-e2e:end -->\n",
			want: "<!-- bench-e2e:start -->\nnew\n<!-- bench-e2e:end -->\n"},
		{name: "appends markers when absent",
			doc:  "# B\n\ntext",
			want: "# B\n\ntext\n\n<!-- bench-e2e:start -->\nnew\n<!-- bench-e2e:end -->\n"},
		{name: "start without end", doc: "<!-- bench-e2e:start -->\nold\n", err: "start marker without end marker"},
		{name: "end without start", doc: "old\n<!-- bench-e2e:end -->\n", err: "end marker without start marker"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := replaceSection(tt.doc, "new\n\n")
			if tt.err != "" {
				require.EqualError(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestWriteSectionCreatesAndRewrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	require.NoError(t, writeSection(path, "one"))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "# Benchmarks\n\n<!-- bench-e2e:start -->\none\n<!-- bench-e2e:end -->\n", string(b))
	require.NoError(t, writeSection(path, "two"))
	b, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "# Benchmarks\n\n<!-- bench-e2e:start -->\ntwo\n<!-- bench-e2e:end -->\n", string(b))
}
