// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func keys(vs []variant) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.key
	}
	return out
}

func TestVariantsFor(t *testing.T) {
	unlimited, fixed := load{name: "unlimited"}, load{name: "fixed"}
	tests := []struct {
		cases string
		l     load
		want  []string
	}{
		{"repro,1,2,3,4", unlimited, []string{"anchor-nop", "ours-nop", "anchor-file", "ours-filesink", "ours-rs-filesink",
			"anchor-debug", "ours-console", "anchor-debug-basic", "anchor-debug-detailed"}},
		{"repro,1,2,3,4", fixed, []string{"anchor-nop", "ours-nop", "anchor-file", "ours-filesink", "ours-rs-filesink", "anchor-debug", "ours-console"}},
		{"2", fixed, []string{"anchor-nop", "ours-nop", "anchor-file", "ours-filesink", "ours-rs-filesink"}},
		{"3", unlimited, []string{"anchor-nop", "ours-nop", "anchor-debug", "ours-console"}},
		{"1", fixed, []string{"anchor-nop", "ours-nop"}},
		{"repro", unlimited, []string{"anchor-nop", "ours-nop", "anchor-file", "anchor-debug", "anchor-debug-basic", "anchor-debug-detailed"}},
		{"repro", fixed, nil},
		{"4", unlimited, nil},
		{"5", unlimited, []string{"anchor-nop", "ours-nop", "anchor-pq-fsync", "ours-wal-sync", "anchor-pq-nofsync", "ours-spill"}},
		{"5", fixed, nil},
		{"repro,1,2,3,4,5", fixed, []string{"anchor-nop", "ours-nop", "anchor-file", "ours-filesink", "ours-rs-filesink", "anchor-debug", "ours-console"}},
	}
	for _, tt := range tests {
		t.Run(tt.cases+"/"+tt.l.name, func(t *testing.T) {
			o := options{cases: tt.cases}
			if tt.want == nil {
				assert.Empty(t, o.variantsFor(tt.l))
				return
			}
			assert.Equal(t, tt.want, keys(o.variantsFor(tt.l)))
		})
	}
}

func TestParseFlags(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	require.NoError(t, os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755))
	o, err := parseFlags([]string{"-otelcol", bin, "-anchor", bin, "-telemetrygen", bin, "-duration", "3s", "-fixed-duration", "0", "-reps", "2", "-rates", "fixed"})
	require.NoError(t, err)
	assert.Equal(t, 3*time.Second, o.fixedDuration, "0 means -duration")
	assert.Equal(t, 2, o.reps)
	ls := o.loads()
	require.Len(t, ls, 1)
	assert.Equal(t, load{name: "fixed", workers: 20, rate: 1000, batch: 100, duration: 3 * time.Second}, ls[0])
	assert.InDelta(t, 20000.0, ls[0].total(), 0)

	_, err = parseFlags([]string{"-otelcol", bin, "-anchor", bin, "-telemetrygen", bin, "-reps", "0"})
	require.EqualError(t, err, "reps must be at least 1, got 0")
	_, err = parseFlags([]string{"-otelcol", filepath.Join(dir, "absent"), "-anchor", bin, "-telemetrygen", bin})
	require.ErrorContains(t, err, "binary: ")
}

func TestStarved(t *testing.T) {
	fixed := load{rate: 1000, workers: 20}
	assert.True(t, starved(fixed, runResult{recPerSec: 518}))
	assert.False(t, starved(fixed, runResult{recPerSec: 18000}))
	assert.False(t, starved(load{rate: 0, workers: 4}, runResult{recPerSec: 1}), "no rate to reach at unlimited")
}
