// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"fmt"
	"math"
	"slices"
)

// summary is the median and the range of a few repeated measurements.
type summary struct {
	median, lo, hi float64
	n              int
}

// summarize returns the median, minimum and maximum of xs, ignoring NaNs.
// The zero summary (n == 0) stands for "no measurement".
func summarize(xs []float64) summary {
	v := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return summary{}
	}
	slices.Sort(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return summary{median: m, lo: v[0], hi: v[len(v)-1], n: len(v)}
}

// spreadPct is the range as a percentage of the median.
func (s summary) spreadPct() float64 {
	if s.n == 0 || s.median == 0 {
		return math.NaN()
	}
	return 100 * (s.hi - s.lo) / math.Abs(s.median)
}

// format renders "median (lo–hi)" with the given number of decimals.
func (s summary) format(decimals int) string {
	if s.n == 0 {
		return "n/a"
	}
	if s.n == 1 {
		return fmt.Sprintf("%.*f", decimals, s.median)
	}
	return fmt.Sprintf("%.*f (%.*f–%.*f)", decimals, s.median, decimals, s.lo, decimals, s.hi)
}
