// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		name   string
		in     []float64
		want   summary
		format string
	}{
		{"empty", nil, summary{}, "n/a"},
		{"only NaN", []float64{math.NaN()}, summary{}, "n/a"},
		{"one", []float64{2.5}, summary{median: 2.5, lo: 2.5, hi: 2.5, n: 1}, "2.50"},
		{"odd, unsorted", []float64{3, 1, 2}, summary{median: 2, lo: 1, hi: 3, n: 3}, "2.00 (1.00–3.00)"},
		{"even", []float64{4, 1, 3, 2}, summary{median: 2.5, lo: 1, hi: 4, n: 4}, "2.50 (1.00–4.00)"},
		{"NaN ignored", []float64{1, math.NaN(), 5}, summary{median: 3, lo: 1, hi: 5, n: 2}, "3.00 (1.00–5.00)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summarize(tt.in)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.format, got.format(2))
		})
	}
}

func TestSpreadPct(t *testing.T) {
	require.InDelta(t, 50.0, summary{median: 4, lo: 3, hi: 5, n: 3}.spreadPct(), 1e-9)
	require.True(t, math.IsNaN(summary{}.spreadPct()))
}

func TestNopAgree(t *testing.T) {
	ok, ratio := nopAgree(summary{median: 3, lo: 2.9, hi: 3.1, n: 3}, summary{median: 3.5, lo: 3.4, hi: 3.6, n: 3})
	assert.False(t, ok, "disjoint ranges 17% apart")
	assert.InDelta(t, 3.5/3, ratio, 1e-9)
	ok, _ = nopAgree(summary{median: 3, lo: 2.5, hi: 3.5, n: 3}, summary{median: 3.4, lo: 3.2, hi: 3.6, n: 3})
	assert.True(t, ok, "overlapping ranges")
	ok, _ = nopAgree(summary{median: 3, lo: 3, hi: 3, n: 1}, summary{median: 3.2, lo: 3.2, hi: 3.2, n: 1})
	assert.True(t, ok, "within 10%")
	ok, ratio = nopAgree(summary{}, summary{median: 1, n: 1})
	assert.False(t, ok)
	assert.True(t, math.IsNaN(ratio))
}

func TestMarginalPairsRounds(t *testing.T) {
	s := resultSet{runs: map[string][]runResult{
		"anchor-nop":  {{cpuPerRecUs: 2}, {cpuPerRecUs: 3}, {cpuPerRecUs: 2.5}},
		"ours-nop":    {{cpuPerRecUs: 2}, {cpuPerRecUs: 3}, {cpuPerRecUs: math.NaN()}},
		"anchor-file": {{cpuPerRecUs: 4}, {cpuPerRecUs: 6}, {cpuPerRecUs: 4.1}},
		"ours-file":   {{cpuPerRecUs: 3}, {cpuPerRecUs: 5}, {cpuPerRecUs: 3}, {cpuPerRecUs: 9}},
	}}
	m := s.marginal("anchor-file")
	assert.Equal(t, 3, m.n)
	assert.InDelta(t, 2.0, m.median, 1e-9) // per round: 2, 3, 1.6 (round 3: anchor nop only)
	assert.InDelta(t, 1.6, m.lo, 1e-9)
	assert.InDelta(t, 3.0, m.hi, 1e-9)
	m = s.marginal("ours-file")
	assert.Equal(t, 3, m.n, "a round without any nop is left out")
	assert.InDelta(t, 1.0, m.median, 1e-9) // 1, 2, 0.5
}

func TestAllCounted(t *testing.T) {
	ok := runResult{generated: 10, accepted: 10, counted: 10}
	assert.True(t, allCounted([]runResult{ok, ok}))
	assert.False(t, allCounted(nil))
	assert.False(t, allCounted([]runResult{ok, {generated: 10, accepted: 10, counted: 9}}))
	assert.False(t, allCounted([]runResult{{generated: 11, accepted: 10, counted: 10}}))
	assert.False(t, allCounted([]runResult{{generated: 10, accepted: 10, counted: 10, badLines: 1}}))
}

func TestRatioVerdict(t *testing.T) {
	assert.Equal(t, "holds", ratioVerdict(0.5, 2, 0.65, 0.3, true))
	assert.Equal(t, "**misses**", ratioVerdict(1.5, 2, 0.65, 0.3, true))
	assert.Equal(t, "**misses**", ratioVerdict(0.5, 2, 0.65, 0.3, false), "a bar with a failed side condition misses")
	assert.Equal(t, "inconclusive: the anchor's marginal (0.40 µs) is within the nop noise (±0.50 µs)", ratioVerdict(0.1, 0.4, 0.5, 0.5, true))
	assert.Contains(t, ratioVerdict(0.1, 0.4, 0.5, math.NaN(), true), "inconclusive")
}

func TestNopNoise(t *testing.T) {
	s := resultSet{runs: map[string][]runResult{
		"anchor-nop": {{cpuPerRecUs: 3}, {cpuPerRecUs: 3.4}},
		"ours-nop":   {{cpuPerRecUs: 3.2}, {cpuPerRecUs: 4}},
	}}
	assert.InDelta(t, 0.5, s.nopNoise(), 1e-9)
	assert.True(t, math.IsNaN(resultSet{}.nopNoise()))
}

func TestFailedRunIsSkippedAndNotCounted(t *testing.T) {
	ok := runResult{generated: 10, accepted: 10, counted: 10, cpuPerRecUs: 3, countedHow: "file"}
	rs := []runResult{ok, failedRun("anchor-file: collector not ready"), ok}
	assert.False(t, allCounted(rs))
	assert.Equal(t, 2, summarize(pluck(rs, func(r runResult) float64 { return r.cpuPerRecUs })).n)
	assert.Equal(t, "20 / 20 (file) **missing**", countedCell(rs))
}
