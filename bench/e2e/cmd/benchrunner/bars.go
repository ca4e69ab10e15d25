// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

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
		if r.counted != r.accepted || r.generated != r.accepted || r.badLines > 0 {
			return false
		}
	}
	return true
}

func (rep *report) bars(b *strings.Builder) {
	if len(rep.sets) == 0 {
		return
	}
	b.WriteString("### Bars, cases 1–3\n\n| load | case | bar | measured | verdict |\n|---|---|---|---|---|\n")
	for _, s := range rep.sets {
		ln := s.load.name
		if ok, ratio := nopAgree(s.cpu("anchor-nop"), s.cpu("ours-nop")); !math.IsNaN(ratio) {
			fmt.Fprintf(b, "| %s | 1 | ours nop = anchor nop within noise | ours/anchor CPU per record %.2f (anchor %s, ours %s) | %s |\n",
				ln, ratio, s.cpu("anchor-nop").format(2), s.cpu("ours-nop").format(2), verdict(ok))
		}
		if len(s.runs["ours-rs-filesink"]) > 0 && len(s.runs["anchor-file"]) > 0 {
			a, o := s.marginal("anchor-file"), s.marginal("ours-rs-filesink")
			f := s.marginal("ours-filesink")
			ratio := o.median / a.median
			counted := allCounted(s.runs["anchor-file"]) && allCounted(s.runs["ours-rs-filesink"])
			fmt.Fprintf(b, "| %s | 2 | resilientsink → filesink marginal ≤ %.2f× fileexporter's, every record counted back in both | %.2f× (%.2f vs %.2f µs/record; filesink alone %.2f µs, %.2f×); counted back: %s | %s |\n",
				ln, barFileRatio, ratio, o.median, a.median, f.median, f.median/a.median, yesNo(counted), verdict(ratio <= barFileRatio && counted))
		}
		if len(s.runs["ours-console"]) > 0 && len(s.runs["anchor-debug"]) > 0 {
			a, o := s.marginal("anchor-debug"), s.marginal("ours-console")
			ratio := o.median / a.median
			fmt.Fprintf(b, "| %s | 3 | consolesink marginal ≤ %.2f× debug's | %.2f× (%.2f vs %.2f µs/record) | %s |\n",
				ln, barConsoleRatio, ratio, o.median, a.median, verdict(ratio <= barConsoleRatio))
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
