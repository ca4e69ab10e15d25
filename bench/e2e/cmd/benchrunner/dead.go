// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

const (
	rsPrefix         = "otelcol_processor_resilientsink_"
	rsIncoming       = rsPrefix + "incoming_items"
	rsSent           = rsPrefix + "sent_items"
	rsDropped        = rsPrefix + "dropped_items"
	rsRefused        = rsPrefix + "refused_items"
	rsQueueItems     = rsPrefix + "queue_items"
	expQueueSize     = "otelcol_exporter_queue_size"
	expEnqueueFailed = "otelcol_exporter_enqueue_failed_log_records"
)

// deadRun is case 4 on one build.
type deadRun struct {
	build  build
	config string // the exporter side of the pipeline, for the table

	rssReadyMiB, rssDeadPeakMiB, rssPeakMiB float64

	// dead phase (downstream down for -dead)
	deadLoad          loadResult
	deadAccepted      int64
	deadRefused       int64
	deadDropped       map[string]float64 // ours: by reason; anchor: send failed
	deadQueued        float64            // ours: items; anchor: queue size in its sizer's unit (bytes)
	deadLogLines      int                // warn/error log lines written in the dead phase
	deadEnqueueFailed int64              // anchor: batches' records its queue turned away

	// recovery (downstream back)
	arrived     int64
	drainTook   time.Duration
	drained     bool
	afterQueued float64

	// SIGTERM with the downstream dead again
	fillLoad       loadResult
	totalAccepted  int64
	droppedBefore  int64 // items counted as dropped before SIGTERM
	queuedAtTerm   int64 // accepted − arrived − dropped before SIGTERM
	stopTook       time.Duration
	killed         bool
	lostCounted    int64 // items the logs after SIGTERM account for
	termLogLines   int   // log lines after SIGTERM that report drops
	shutdownErrMsg string
}

type deadReport struct {
	runs []*deadRun
	load load
	err  map[build]error
}

// deadCase runs case 4 on both builds at once, each with its own downstream,
// so that both see the same machine conditions.
func (r *runner) deadCase(ctx context.Context, o options) (*deadReport, error) {
	l := load{name: "fixed", workers: o.fixedWorkers, rate: o.fixedRate, batch: o.batch, duration: o.dead}
	rep := &deadReport{load: l, err: map[build]error{}}
	logf("case 4: downstream dead for %s under %s; both builds at once", o.dead, l)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, b := range []build{anchorBuild, oursBuild} {
		d := &deadRun{build: b}
		rep.runs = append(rep.runs, d)
		wg.Go(func() {
			err := r.deadRun(ctx, o, l, d)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				rep.err[b] = err
				logf("case 4 %s: %v", b, err)
			}
		})
	}
	wg.Wait()
	return rep, ctx.Err()
}

func (r *runner) deadConfig(o options, b build, grpcAddr, promAddr, downstream string) (string, string) {
	exp := fmt.Sprintf("  otlp_grpc:\n    endpoint: %s\n    tls:\n      insecure: true\n", downstream)
	if b == anchorBuild {
		exp += fmt.Sprintf("    sending_queue:\n      enabled: true\n      sizer: bytes\n      queue_size: %d\n    retry_on_failure:\n      enabled: true\n      max_interval: 5s\n", o.deadMemMiB<<20)
		return collectorConfig(grpcAddr, promAddr, "", exp, nil, []string{"otlp_grpc"}),
			fmt.Sprintf("otlp_grpc exporter, sending_queue bytes sizer %d MiB, retry max_interval 5s", o.deadMemMiB)
	}
	exp += "    sending_queue:\n      enabled: false\n    retry_on_failure:\n      enabled: false\n"
	proc := fmt.Sprintf("  resilientsink:\n    memory_limit_mib: %d\n    overflow: drop_oldest\n    retry:\n      max_interval: 5s\n    circuit_breaker:\n      max_open_timeout: 5s\n    shutdown:\n      strategy: graceful\n      timeout: %s\n",
		o.deadMemMiB, o.shutdownTimeout)
	return collectorConfig(grpcAddr, promAddr, proc, exp, []string{"resilientsink"}, []string{"otlp_grpc"}),
		fmt.Sprintf("resilientsink memory_limit_mib %d (drop_oldest, retry max_interval 5s, breaker max_open_timeout 5s, graceful %s) → otlp_grpc exporter, no queue, no retry", o.deadMemMiB, o.shutdownTimeout)
}

func (r *runner) deadRun(ctx context.Context, o options, l load, d *deadRun) error {
	dir := filepath.Join(r.workDir, "dead-"+string(d.build))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("mkdir: %w", err)
	}
	addrs := make([]string, 4)
	for i := range addrs {
		p, err := freePort()
		if err != nil {
			return err
		}
		addrs[i] = fmt.Sprintf("127.0.0.1:%d", p)
	}
	grpcAddr, promAddr, downstream, sinkProm := addrs[0], addrs[1], addrs[2], addrs[3]
	cfg, desc := r.deadConfig(o, d.build, grpcAddr, promAddr, downstream)
	d.config = desc
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	logPath := filepath.Join(dir, "collector.log")
	c, err := startCollector(ctx, r.bins[d.build], cfgPath, logPath, grpcAddr, promAddr)
	if err != nil {
		return err
	}
	defer func() {
		select {
		case <-c.done:
		default:
			c.kill()
		}
	}()
	rss, _ := c.rssKiB()
	d.rssReadyMiB = float64(rss) / 1024
	sampler := newRSSSampler(c)

	// Phase 1: downstream dead under load.
	d.deadLoad, err = runLoad(ctx, r.telgen, grpcAddr, l, true, filepath.Join(dir, "telemetrygen-dead.log"))
	if err != nil {
		return err
	}
	d.rssDeadPeakMiB = sampler.peakMiB()
	m, err := scrape(ctx, promAddr)
	if err != nil {
		return err
	}
	d.deadAccepted, d.deadRefused = int64(m.sum(acceptedMetric)), int64(m.sum(refusedMetric))
	if d.build == oursBuild {
		d.deadDropped = m.byLabel(rsDropped, "reason")
		d.deadQueued = m.sum(rsQueueItems)
	} else {
		d.deadDropped = map[string]float64{"send_failed": m.sum(sendFailMetric)}
		d.deadEnqueueFailed = int64(m.sum(expEnqueueFailed))
		d.deadQueued = m.sum(expQueueSize)
	}
	lines, _ := scanLogs(logPath, 0)
	d.deadLogLines = lines.warnOrError

	// Phase 2: the downstream comes back.
	sink, err := r.startSink(ctx, filepath.Join(dir, "sink"), downstream, sinkProm)
	if err != nil {
		return err
	}
	t0 := time.Now()
	for {
		sm, err1 := scrape(ctx, sinkProm)
		cm, err2 := scrape(ctx, promAddr)
		if err1 == nil && err2 == nil {
			d.arrived = int64(sm.sum(acceptedMetric))
			dropped := d.droppedNow(cm)
			if d.build == oursBuild {
				d.afterQueued = cm.sum(rsQueueItems)
			} else {
				d.afterQueued = cm.sum(expQueueSize)
			}
			if d.arrived+dropped >= int64(cm.sum(acceptedMetric)) {
				d.drained = true
				break
			}
		}
		if time.Since(t0) > o.recoverMax {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	d.drainTook = time.Since(t0)
	if sm, serr := scrape(ctx, sinkProm); serr == nil {
		d.arrived = int64(sm.sum(acceptedMetric))
	}
	if _, err = sink.stop(30 * time.Second); err != nil {
		return err
	}

	// Phase 3: downstream dead again, load, then SIGTERM.
	fl := l
	fl.duration = o.fill
	d.fillLoad, err = runLoad(ctx, r.telgen, grpcAddr, fl, true, filepath.Join(dir, "telemetrygen-fill.log"))
	if err != nil {
		return err
	}
	m, err = scrape(ctx, promAddr)
	if err != nil {
		return err
	}
	d.totalAccepted = int64(m.sum(acceptedMetric))
	d.droppedBefore = d.droppedNow(m)
	d.queuedAtTerm = d.totalAccepted - d.arrived - d.droppedBefore
	offset := fileSize(logPath)
	st, err := c.stop(60 * time.Second)
	if err != nil {
		return err
	}
	sampler.stop()
	d.stopTook, d.killed = st.stopTook, st.killed
	d.rssPeakMiB = float64(st.maxRSSKiB) / 1024
	after, err := scanLogs(logPath, offset)
	if err != nil {
		return err
	}
	d.lostCounted, d.termLogLines, d.shutdownErrMsg = after.droppedSum, after.dropLines, after.shutdownMsg
	logf("case 4 %s: peak RSS %.0f MiB dead, arrived %d, queued at SIGTERM %d, exit in %s, counted %d",
		d.build, d.rssDeadPeakMiB, d.arrived, d.queuedAtTerm, d.stopTook.Round(time.Millisecond), d.lostCounted)
	return nil
}

// droppedNow is what the collector's telemetry counts as dropped so far.
func (d *deadRun) droppedNow(m metrics) int64 {
	if d.build == oursBuild {
		return int64(m.sum(rsDropped))
	}
	return int64(m.sum(sendFailMetric))
}

// startSink starts the downstream: the anchor build with otlp → nop.
func (r *runner) startSink(ctx context.Context, dir, grpcAddr, promAddr string) (*collector, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("mkdir: %w", err)
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	cfg := collectorConfig(grpcAddr, promAddr, "", "  nop:\n", nil, []string{"nop"})
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, fmt.Errorf("write sink config: %w", err)
	}
	return startCollector(ctx, r.bins[anchorBuild], cfgPath, filepath.Join(dir, "collector.log"), grpcAddr, promAddr)
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
