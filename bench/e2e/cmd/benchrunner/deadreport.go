// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

func (d *deadReport) run(b build) *deadRun {
	for _, r := range d.runs {
		if r.build == b {
			return r
		}
	}
	return nil
}

func (d *deadReport) markdown(b *strings.Builder, o options) {
	a, u := d.run(anchorBuild), d.run(oursBuild)
	fmt.Fprintf(b, "### Case 4: dead downstream for %s under %s\n\n", o.dead, d.load)
	b.WriteString("Both builds run at once, each with its own downstream (an anchor collector otlp → nop on a port that stays closed until it is brought back). ")
	fmt.Fprintf(b, "Then the downstream comes back until the queue has drained (at most %s); then it is stopped again, the same load runs for %s, and the collector gets SIGTERM.\n\n", o.recoverMax, o.fill)
	for b2, err := range d.err {
		fmt.Fprintf(b, "**%s failed:** %v\n\n", b2, err)
	}
	row := func(name string, f func(r *deadRun) string) {
		fmt.Fprintf(b, "| %s | %s | %s |\n", name, f(a), f(u))
	}
	b.WriteString("| | anchor | ours |\n|---|---|---|\n")
	row("pipeline", func(r *deadRun) string { return r.config })
	row("RSS when ready, MiB", func(r *deadRun) string { return fmt.Sprintf("%.0f", r.rssReadyMiB) })
	row("peak RSS while dead, MiB", func(r *deadRun) string { return fmt.Sprintf("%.0f", r.rssDeadPeakMiB) })
	row("records generated / accepted / refused to the client while dead (refusals count every client retry)", func(r *deadRun) string {
		s := fmt.Sprintf("%d / %d / %d (client logged %d export errors)", r.deadLoad.generated, r.deadAccepted, r.deadRefused, r.deadLoad.errors)
		if r.deadRefused > 0 {
			s += "; in telemetry: `" + refusedMetric + "`"
			if r.deadEnqueueFailed > 0 {
				s += fmt.Sprintf(", `%s` %d", expEnqueueFailed, r.deadEnqueueFailed)
			}
		}
		return s
	})
	row("dropped while dead, as the collector's telemetry counts it", droppedCell)
	row("held at the end of the dead phase", func(r *deadRun) string {
		if r.build == oursBuild {
			return fmt.Sprintf("%.0f records (`%s`)", r.deadQueued, rsQueueItems)
		}
		return fmt.Sprintf("%.0f bytes (`%s`, bytes sizer)", r.deadQueued, expQueueSize)
	})
	row("warn/error log lines while dead", func(r *deadRun) string { return fmt.Sprint(r.deadLogLines) })
	row("downstream back: records arrived", func(r *deadRun) string {
		s := fmt.Sprintf("%d in %s", r.arrived, r.drainTook.Round(100*time.Millisecond))
		if !r.drained {
			s += fmt.Sprintf(" (not drained within %s)", o.recoverMax)
		}
		return s
	})
	row("SIGTERM, downstream dead: records held (accepted − arrived − counted drops)", func(r *deadRun) string { return fmt.Sprint(r.queuedAtTerm) })
	row("time from SIGTERM to exit", func(r *deadRun) string {
		s := r.stopTook.Round(10 * time.Millisecond).String()
		if r.killed {
			s += " (SIGKILLed)"
		}
		return s
	})
	row("lost at shutdown, with a count in the logs", func(r *deadRun) string {
		return fmt.Sprintf("%d (in %d log lines)", min(r.lostCounted, r.queuedAtTerm), r.termLogLines)
	})
	row("lost at shutdown without a count", func(r *deadRun) string { return fmt.Sprint(max(r.queuedAtTerm-r.lostCounted, 0)) })
	row("peak RSS over the whole run, MiB", func(r *deadRun) string { return fmt.Sprintf("%.0f", r.rssPeakMiB) })
	b.WriteString("\n")
	if u == nil || d.err[oursBuild] != nil {
		return
	}
	rssLimit := float64(o.deadMemMiB + o.sizingOverheadMiB)
	exitLimit := o.shutdownTimeout + time.Second
	b.WriteString("| bar (case 4, ours) | measured | verdict |\n|---|---|---|\n")
	fmt.Fprintf(b, "| exits within shutdown.timeout + 1 s (%s) | %s | %s |\n", exitLimit, u.stopTook.Round(10*time.Millisecond), verdict(!u.killed && u.stopTook <= exitLimit))
	fmt.Fprintf(b, "| counts every lost item | %d held at SIGTERM, %d counted | %s |\n", u.queuedAtTerm, u.lostCounted, verdict(u.lostCounted == u.queuedAtTerm))
	fmt.Fprintf(b, "| RSS within the sizing guide (memory_limit_mib %d + %d MiB overhead = %.0f MiB) | peak %.0f MiB (%+.0f MiB over ready; the anchor %+.0f MiB) | %s |\n",
		o.deadMemMiB, o.sizingOverheadMiB, rssLimit, u.rssPeakMiB, u.rssPeakMiB-u.rssReadyMiB, anchorGrowth(a), verdict(u.rssPeakMiB <= rssLimit))
	b.WriteString("\n")
}

func droppedCell(r *deadRun) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(r.deadDropped)) {
		if v := r.deadDropped[k]; v > 0 {
			parts = append(parts, fmt.Sprintf("%s %.0f", k, v))
		}
	}
	if len(parts) == 0 {
		return "0"
	}
	name := "`" + rsDropped + "{reason}`"
	if r.build == anchorBuild {
		name = "`" + sendFailMetric + "`"
	}
	return strings.Join(parts, ", ") + " (" + name + ")"
}

func anchorGrowth(a *deadRun) float64 {
	if a == nil {
		return math.NaN()
	}
	return a.rssPeakMiB - a.rssReadyMiB
}
