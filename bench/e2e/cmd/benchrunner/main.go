// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

// Command benchrunner is the side-by-side end-to-end benchmark of
// otelcol-resilient against an anchor distribution built from upstream
// components only (bench/e2e/builder-anchor.yaml). It starts each collector
// on 127.0.0.1 ports, drives it with telemetrygen, alternating anchor and ours
// (A B A B ...), and writes a markdown table between the bench-e2e markers of
// BENCHMARKS.md. See bench/e2e/README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// options are the command-line flags.
type options struct {
	otelcol, anchor, telgen, out, workDir string

	duration, fixedDuration time.Duration
	reps                    int
	workers, batch          int
	fixedWorkers            int
	fixedRate               float64
	drainMax                time.Duration

	cases string
	rates string

	dead, fill, recoverMax time.Duration
	deadMemMiB             int
	shutdownTimeout        time.Duration
	sizingOverheadMiB      int
	reproTolerancePct      float64

	tiers tiersOptions
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("benchrunner", flag.ContinueOnError)
	fs.StringVar(&o.otelcol, "otelcol", "_build/otelcol-resilient", "our distribution (make otelcol)")
	fs.StringVar(&o.anchor, "anchor", "_build/anchor/otelcol-anchor", "anchor distribution (bench/e2e/builder-anchor.yaml)")
	fs.StringVar(&o.telgen, "telemetrygen", ".tools/telemetrygen-v0.161.0/telemetrygen", "telemetrygen binary")
	fs.StringVar(&o.out, "out", "BENCHMARKS.md", "markdown file whose bench-e2e section is rewritten; - prints to stdout")
	fs.StringVar(&o.workDir, "workdir", "", "scratch directory (default: a new temporary directory, removed at the end)")
	fs.DurationVar(&o.duration, "duration", 15*time.Second, "load duration of each unlimited-rate run")
	fs.DurationVar(&o.fixedDuration, "fixed-duration", 10*time.Second, "load duration of each fixed-rate run; 0 = -duration")
	fs.IntVar(&o.reps, "reps", 3, "repetitions (rounds) of every variant per load")
	fs.IntVar(&o.workers, "workers", 4, "telemetrygen workers at the unlimited rate")
	fs.IntVar(&o.batch, "batch", 100, "log records per export request")
	fs.IntVar(&o.fixedWorkers, "fixed-workers", 20, "telemetrygen workers at the fixed rate")
	fs.Float64Var(&o.fixedRate, "fixed-rate", 1000, "records per second per worker at the fixed rate (telemetrygen undershoots above about 1000)")
	fs.DurationVar(&o.drainMax, "drain-max", 20*time.Second, "longest wait for a pipeline to drain after the load")
	fs.StringVar(&o.cases, "cases", "repro,1,2,3,4,5,tiers", "comma-separated subset of repro,1,2,3,4,5,tiers (5, persistence, runs at the unlimited rate only; tiers, issue 19, has its own section)")
	fs.StringVar(&o.rates, "rates", "unlimited,fixed", "comma-separated subset of unlimited,fixed for cases 1-3")
	fs.DurationVar(&o.dead, "dead", 60*time.Second, "case 4: how long the downstream stays dead under load")
	fs.DurationVar(&o.fill, "fill", 10*time.Second, "case 4: load with the downstream dead again before SIGTERM")
	fs.DurationVar(&o.recoverMax, "recover-max", 60*time.Second, "case 4: longest wait for the queue to drain once the downstream is back")
	fs.IntVar(&o.deadMemMiB, "dead-mem-mib", 8, "case 4: byte limit of both queues, MiB")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 5*time.Second, "case 4: resilientsink shutdown.timeout")
	fs.IntVar(&o.sizingOverheadMiB, "sizing-overhead-mib", 128, "case 4: the sizing guide's overhead over memory_limit_mib (deploy/kubernetes)")
	fs.Float64Var(&o.reproTolerancePct, "repro-tolerance", 25, "largest deviation, in percent, of the anchor's ratios from the reference ratios that counts as reproduced")
	tiersFlags(fs, &o.tiers)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.fixedDuration == 0 {
		o.fixedDuration = o.duration
	}
	if o.reps < 1 {
		return o, fmt.Errorf("reps must be at least 1, got %d", o.reps)
	}
	bins := []*string{&o.otelcol}
	if o.wantsMain() { // the tiers case runs our distribution only
		bins = append(bins, &o.anchor, &o.telgen)
	}
	for _, p := range bins {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return o, fmt.Errorf("resolve %s: %w", *p, err)
		}
		if _, err := os.Stat(abs); err != nil {
			return o, fmt.Errorf("binary: %w", err)
		}
		*p = abs
	}
	return o, nil
}

func (o options) want(list, item string) bool {
	for s := range strings.SplitSeq(list, ",") {
		if strings.TrimSpace(s) == item {
			return true
		}
	}
	return false
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrunner:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrunner:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
}

func run(ctx context.Context, o options) error {
	started := time.Now()
	if o.workDir == "" {
		d, err := os.MkdirTemp("", "bench-e2e-")
		if err != nil {
			return fmt.Errorf("workdir: %w", err)
		}
		defer os.RemoveAll(d)
		o.workDir = d
	}
	r := &runner{
		bins:     map[build]string{anchorBuild: o.anchor, oursBuild: o.otelcol},
		telgen:   o.telgen,
		workDir:  o.workDir,
		drainMax: o.drainMax,
		logf:     logf,
	}
	if o.want(o.cases, "tiers") {
		if err := runTiers(ctx, r, o); err != nil {
			return err
		}
	}
	if !o.wantsMain() {
		return nil
	}
	rep := &report{opts: o, started: started.UTC(), loadAtStart: loadAvg()}
	for _, l := range o.loads() {
		vs := o.variantsFor(l)
		if len(vs) == 0 {
			continue
		}
		res, err := r.rounds(ctx, vs, l, o.reps)
		if err != nil {
			return err
		}
		rep.sets = append(rep.sets, resultSet{load: l, variants: vs, runs: res})
	}
	if o.want(o.cases, "4") {
		d, err := r.deadCase(ctx, o)
		if err != nil {
			return err
		}
		rep.dead = d
	}
	rep.took = time.Since(started)
	md := rep.markdown()
	if o.out == "-" {
		fmt.Print(md)
		return nil
	}
	if err := writeSection(o.out, md); err != nil {
		return err
	}
	logf("wrote %s in %s", o.out, rep.took.Round(time.Second))
	return nil
}

// loads are the workloads of cases 1 to 3 that were asked for.
func (o options) loads() []load {
	var ls []load
	if o.want(o.rates, "unlimited") {
		ls = append(ls, load{name: "unlimited", workers: o.workers, rate: 0, batch: o.batch, duration: o.duration})
	}
	if o.want(o.rates, "fixed") {
		ls = append(ls, load{name: "fixed", workers: o.fixedWorkers, rate: o.fixedRate, batch: o.batch, duration: o.fixedDuration})
	}
	return ls
}

// variantsFor lists what runs under load l (case 5 under the unlimited load
// only). Both nop pipelines always run,
// since every case is measured against nop of the same sitting; the
// reproduction of the reference figures runs at the unlimited rate only, as
// they were measured.
func (o options) variantsFor(l load) []variant {
	repro := l.name == "unlimited" && o.want(o.cases, "repro")
	reproKeys := map[string]bool{"anchor-nop": true, "anchor-file": true, "anchor-debug": true}
	var vs []variant
	all := throughputVariants()
	if l.name == "unlimited" {
		all = append(all, persistVariants()...)
	}
	for _, v := range all {
		if v.cs == 1 || o.want(o.cases, fmt.Sprint(v.cs)) || (repro && reproKeys[v.key]) {
			vs = append(vs, v)
		}
	}
	if repro {
		vs = append(vs, reproVariants()...)
	}
	if len(vs) == 2 && !o.want(o.cases, "1") {
		return nil
	}
	return vs
}

// rounds runs every variant once per round, in order, reps times.
func (r *runner) rounds(ctx context.Context, vs []variant, l load, reps int) (map[string][]runResult, error) {
	out := map[string][]runResult{}
	logf("load: %s; %d variants × %d rounds", l, len(vs), reps)
	// A short warm-up of both nop pipelines, not recorded: the first run of a
	// sitting pays for cold page cache and CPU caches.
	warm := l
	warm.duration = min(l.duration, 3*time.Second)
	for _, v := range vs[:2] {
		if _, err := r.runVariant(ctx, v, warm, "warmup-"+l.name); err != nil {
			return nil, fmt.Errorf("%s warm-up %s: %w", l.name, v.key, err)
		}
	}
	for round := 1; round <= reps; round++ {
		for _, v := range vs {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			tag := fmt.Sprintf("%s-r%d", l.name, round)
			res, err := r.runVariant(ctx, v, l, tag)
			if err != nil && ctx.Err() == nil {
				// A port taken in between, a collector that did not come up:
				// try once more before giving the round up.
				logf("  r%d %s failed, retrying: %v", round, v.key, err)
				res, err = r.runVariant(ctx, v, l, tag+"-retry")
			}
			if err == nil && starved(l, res) && ctx.Err() == nil {
				// The load generator shares the CPUs; when something else
				// starves it, the run is not at the fixed rate. Once more.
				logf("  r%d %s reached %.0f of %.0f records/s: load generator starved, running it again", round, v.key, res.recPerSec, l.total())
				res, err = r.runVariant(ctx, v, l, tag+"-rerun")
			}
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				logf("  r%d %s failed: %v", round, v.key, err)
				res = failedRun(fmt.Sprintf("%s round %d %s: %v", l.name, round, v.key, err))
			}
			logf("  r%d %-22s %9.0f rec/s %6.2f µs/rec rss %5.1f MiB counted %d/%d (%s)",
				round, v.key, res.recPerSec, res.cpuPerRecUs, res.maxRSSMiB, res.counted, res.accepted, res.countedHow)
			out[v.key] = append(out[v.key], res)
		}
	}
	return out, nil
}

// starved reports whether a fixed-rate run fell below half its rate.
func starved(l load, r runResult) bool {
	return l.rate > 0 && r.recPerSec < l.total()/2
}

// wantsMain reports whether a case of the bench-e2e section was asked for.
func (o options) wantsMain() bool {
	for _, c := range []string{"repro", "1", "2", "3", "4", "5"} {
		if o.want(o.cases, c) {
			return true
		}
	}
	return false
}
