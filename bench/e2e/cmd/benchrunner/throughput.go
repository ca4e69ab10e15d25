// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const (
	acceptedMetric = "otelcol_receiver_accepted_log_records"
	refusedMetric  = "otelcol_receiver_refused_log_records"
	sentMetric     = "otelcol_exporter_sent_log_records"
	sendFailMetric = "otelcol_exporter_send_failed_log_records"
)

// runResult is one measured run of one variant under one load.
type runResult struct {
	generated   int64   // records telemetrygen produced
	accepted    int64   // records the receiver accepted
	counted     int64   // records found in the output (file) or reported sent
	countedHow  string  // "file", "exporter sent" or "receiver accepted"
	badLines    int64   // output lines that did not decode
	recPerSec   float64 // accepted / load wall time
	cpuPerRecUs float64 // collector CPU from ready to exit, per accepted record
	maxRSSMiB   float64
	bytesPerRec float64 // output bytes per counted record; NaN without a file
	stopTook    time.Duration
	spilled     int64  // resilientsink's spilled_items (written to disk) when drained
	failed      string // why the run produced no figures; "" when it did
}

// failedRun stands for a run that produced no figures; summaries skip its NaNs.
func failedRun(why string) runResult {
	nan := math.NaN()
	return runResult{recPerSec: nan, cpuPerRecUs: nan, maxRSSMiB: nan, bytesPerRec: nan, failed: why, countedHow: "failed"}
}

// runner holds what every run needs.
type runner struct {
	bins     map[build]string
	telgen   string
	workDir  string
	drainMax time.Duration
	logf     func(format string, args ...any)
}

// runVariant starts the collector of v, drives it with l, waits for the
// pipeline to drain, stops it with SIGTERM and measures.
func (r *runner) runVariant(ctx context.Context, v variant, l load, tag string) (runResult, error) {
	var res runResult
	dir := filepath.Join(r.workDir, tag+"-"+v.key)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, fmt.Errorf("mkdir: %w", err)
	}
	gp, err1 := freePort()
	pp, err2 := freePort()
	if err1 != nil || err2 != nil {
		return res, fmt.Errorf("ports: %w", errors.Join(err1, err2))
	}
	grpcAddr, promAddr := fmt.Sprintf("127.0.0.1:%d", gp), fmt.Sprintf("127.0.0.1:%d", pp)
	out := filepath.Join(dir, "logs.jsonl")
	defer os.Remove(out) // hundreds of MB; configs and logs stay for -workdir
	storeDir := filepath.Join(dir, "store")
	if err := os.MkdirAll(storeDir, 0o755); err != nil {
		return res, fmt.Errorf("mkdir: %w", err)
	}
	defer os.RemoveAll(storeDir)
	fill := strings.NewReplacer("{{out}}", out, "{{dir}}", storeDir)
	cfg := withExtensions(collectorConfig(grpcAddr, promAddr, fill.Replace(v.processors), fill.Replace(v.exporters), v.procIDs, v.expIDs),
		fill.Replace(v.extensions), v.extIDs)
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return res, fmt.Errorf("write config: %w", err)
	}
	c, err := startCollector(ctx, r.bins[v.build], cfgPath, filepath.Join(dir, "collector.log"), grpcAddr, promAddr)
	if err != nil {
		return res, err
	}
	cpu0, err := c.cpu()
	if err != nil {
		c.kill()
		return res, err
	}
	lr, err := runLoad(ctx, r.telgen, grpcAddr, l, false, filepath.Join(dir, "telemetrygen.log"))
	if err != nil {
		c.kill()
		return res, err
	}
	res.generated = lr.generated
	m, err := r.drain(ctx, c, v, lr.generated)
	if err != nil {
		c.kill()
		return res, err
	}
	res.accepted = int64(m.sum(acceptedMetric))
	res.spilled = int64(m.sum(rsSpilled))
	st, err := c.stop(30 * time.Second)
	if err != nil {
		return res, err
	}
	if st.killed {
		return res, fmt.Errorf("%s did not exit within 30 s of SIGTERM", v.key)
	}
	res.stopTook = st.stopTook
	res.maxRSSMiB = float64(st.maxRSSKiB) / 1024
	res.recPerSec = float64(res.accepted) / lr.wall.Seconds()
	res.cpuPerRecUs = math.NaN()
	if res.accepted > 0 {
		res.cpuPerRecUs = float64((st.cpu - cpu0).Nanoseconds()) / 1e3 / float64(res.accepted)
	}
	res.bytesPerRec = math.NaN()
	switch {
	case v.writesFile:
		fc, err := countJSONLines(out)
		if err != nil {
			return res, err
		}
		res.counted, res.badLines, res.countedHow = fc.records, fc.bad, "file"
		if fc.records > 0 {
			res.bytesPerRec = float64(fc.bytes) / float64(fc.records)
		}
	case v.reportsSent:
		res.counted, res.countedHow = int64(m.sum(sentMetric)), "exporter sent"
	default:
		res.counted, res.countedHow = res.accepted, "receiver accepted"
	}
	return res, nil
}

// drain waits until the receiver has accounted for every generated record
// and, where the exporter reports it, the exporter has sent or failed them
// all; it returns the last scrape.
func (r *runner) drain(ctx context.Context, c *collector, v variant, generated int64) (metrics, error) {
	deadline := time.Now().Add(r.drainMax)
	var m metrics
	for {
		var err error
		m, err = scrape(ctx, c.promAddr)
		if err != nil {
			return nil, err
		}
		acc := int64(m.sum(acceptedMetric))
		seen := acc + int64(m.sum(refusedMetric))
		done := seen >= generated
		if done && v.reportsSent {
			done = int64(m.sum(sentMetric)+m.sum(sendFailMetric)) >= acc
		}
		if done {
			return m, nil
		}
		if time.Now().After(deadline) {
			r.logf("  %s: not drained after %s (generated %d, accepted %d, sent %.0f); measuring anyway",
				v.key, r.drainMax, generated, acc, m.sum(sentMetric))
			return m, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
}
