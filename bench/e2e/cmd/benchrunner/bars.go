// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"fmt"
	"math"
	"strings"
)

// Bars of the issue, as ratios of marginal cost.
const (
	barFileRatio    = 0.65 // ours with resilientsink vs the anchor's fileexporter
	barConsoleRatio = 0.5  // ours consolesink vs the anchor's debug exporter
)

func verdict(ok bool) string {
	if ok {
		return "holds"
	}
	return "**misses**"
}

// nopAgree says whether the two nop pipelines agree within noise: their
// ranges overlap, or their medians are within 10% of each other.
func nopAgree(a, o summary) (bool, float64) {
	if a.n == 0 || o.n == 0 {
		return false, math.NaN()
	}
	ratio := o.median / a.median
	overlap := a.lo <= o.hi && o.lo <= a.hi
	return overlap || math.Abs(ratio-1) <= 0.10, ratio
}

// allCounted says whether every run of key counted back every accepted and
// every generated record.
func allCounted(rs []runResult) bool {
	if len(rs) == 0 {
		return false
	}
	for _, r := range rs {
		if r.failed != "" || r.counted != r.accepted || r.generated != r.accepted || r.badLines > 0 {
			return false
		}
	}
	return true
}

// nopNoise is half the range of every nop run (both builds) under one load:
// how much the CPU per record of identical code moved within the sitting.
func (s resultSet) nopNoise() float64 {
	var xs []float64
	for _, k := range []string{"anchor-nop", "ours-nop"} {
		xs = append(xs, pluck(s.runs[k], func(r runResult) float64 { return r.cpuPerRecUs })...)
	}
	sum := summarize(xs)
	if sum.n < 2 {
		return math.NaN()
	}
	return (sum.hi - sum.lo) / 2
}

// ratioVerdict judges ours/anchor marginal against bar; it is inconclusive
// when the anchor's marginal does not stand out of the nop noise, since the
// ratio of two figures inside the noise means nothing.
func ratioVerdict(ours, anchor, bar, noise float64, extraOK bool) string {
	if !(anchor > noise) {
		return fmt.Sprintf("inconclusive: the anchor's marginal (%.2f µs) is within the nop noise (±%.2f µs)", anchor, noise)
	}
	return verdict(ours/anchor <= bar && extraOK)
}

func (rep *report) bars(b *strings.Builder) {
	if len(rep.sets) == 0 {
		return
	}
	b.WriteString("### Bars, cases 1–3\n\n")
	b.WriteString("Nop noise is half the range of all nop runs of that load (identical code on both builds); a ratio of marginals is only judged when the anchor's marginal stands out of it.\n\n")
	b.WriteString("| load | case | bar | measured | verdict |\n|---|---|---|---|---|\n")
	for _, s := range rep.sets {
		ln := s.load.name
		noise := s.nopNoise()
		if ok, ratio := nopAgree(s.cpu("anchor-nop"), s.cpu("ours-nop")); !math.IsNaN(ratio) {
			fmt.Fprintf(b, "| %s | 1 | ours nop = anchor nop within noise | ours/anchor CPU per record %.2f (anchor %s, ours %s; nop noise ±%.2f µs) | %s |\n",
				ln, ratio, s.cpu("anchor-nop").format(2), s.cpu("ours-nop").format(2), noise, verdict(ok))
		}
		if len(s.runs["ours-rs-filesink"]) > 0 && len(s.runs["anchor-file"]) > 0 {
			a, o := s.marginal("anchor-file"), s.marginal("ours-rs-filesink")
			f := s.marginal("ours-filesink")
			counted := allCounted(s.runs["anchor-file"]) && allCounted(s.runs["ours-rs-filesink"])
			fmt.Fprintf(b, "| %s | 2 | resilientsink → filesink marginal ≤ %.2f× fileexporter's, every record counted back in both | %.2f× (%.2f vs %.2f µs/record; filesink alone %.2f µs, %.2f×; whole CPU per record %.2f×); counted back: %s | %s |\n",
				ln, barFileRatio, o.median/a.median, o.median, a.median, f.median, f.median/a.median,
				s.cpu("ours-rs-filesink").median/s.cpu("anchor-file").median, yesNo(counted),
				ratioVerdict(o.median, a.median, barFileRatio, noise, counted))
		}
		if len(s.runs["ours-console"]) > 0 && len(s.runs["anchor-debug"]) > 0 {
			a, o := s.marginal("anchor-debug"), s.marginal("ours-console")
			fmt.Fprintf(b, "| %s | 3 | consolesink marginal ≤ %.2f× debug's | %.2f× (%.2f vs %.2f µs/record; whole CPU per record %.2f×) | %s |\n",
				ln, barConsoleRatio, o.median/a.median, o.median, a.median,
				s.cpu("ours-console").median/s.cpu("anchor-debug").median,
				ratioVerdict(o.median, a.median, barConsoleRatio, noise, true))
		}
	}
	b.WriteString("\n")
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}
