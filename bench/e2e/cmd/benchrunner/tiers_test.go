// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The fake backend throttles with RetryInfo, and counts what it accepted by
// sequence number: missing and duplicate records come out of delivery.
func TestTiersBackendThrottlesAndCounts(t *testing.T) {
	b := &tiersBackend{throttle: 2 * time.Second, seqs: map[int64]int32{}}
	ctx := context.Background()
	b.setMode(backendThrottle)
	_, err := b.Export(ctx, plogotlp.NewExportRequestFromLogs(makeSeqLogs(0, 3)))
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted {
		t.Fatalf("code %v, want ResourceExhausted", st.Code())
	}
	var delay time.Duration
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			delay = ri.GetRetryDelay().AsDuration()
		}
	}
	if delay != 2*time.Second {
		t.Fatalf("RetryInfo delay %s, want 2s", delay)
	}
	b.setMode(backendFast)
	for _, first := range []int64{0, 2} { // record 2 twice
		if _, err := b.Export(ctx, plogotlp.NewExportRequestFromLogs(makeSeqLogs(first, 3))); err != nil {
			t.Fatal(err)
		}
	}
	accepted := map[int64]bool{0: true, 1: true, 2: true, 3: true, 4: true, 5: true}
	got := b.delivery(accepted)
	want := delivery{missing: 1, duplicates: 1, distinct: 5}
	if got != want || b.throttled.Load() != 1 {
		t.Fatalf("delivery %+v throttled %d, want %+v and 1", got, b.throttled.Load(), want)
	}
}

// The agent keeps upstream's retry defaults unless a scenario sets
// initial_interval; scenarios come from a comma-separated flag.
func TestTiersAgentScenarios(t *testing.T) {
	o := tiersOptions{agentIntervals: "default, 500ms,"}
	if got := strings.Join(o.scenarios(), "|"); got != "default|500ms" {
		t.Fatalf("scenarios %q", got)
	}
	if cfg := agentConfig("127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "default"); strings.Contains(cfg, "retry_on_failure") {
		t.Fatalf("default scenario overrides retry_on_failure:\n%s", cfg)
	}
	if cfg := agentConfig("127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "500ms"); !strings.Contains(cfg, "initial_interval: 500ms") {
		t.Fatalf("500ms scenario without initial_interval:\n%s", cfg)
	}
}

// The gateways differ only in what refuses: resilientsink (reject) with the
// exporter's queue and retry off, or memory_limiter with the exporter's queue.
func TestTiersGatewayConfigs(t *testing.T) {
	o := tiersOptions{queueSize: 7, consumers: 3, retryAfterMax: 5 * time.Second, memLimitMiB: 64, spikeMiB: 16, rsMemoryLimitMiB: 16}
	rs := o.gatewayConfig(tiersRS, "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3")
	for _, want := range []string{"overflow: reject", "queue_size: 7", "num_workers: 3", "retry_after_max: 5s", "processors: [resilientsink]", "enabled: false"} {
		if !strings.Contains(rs, want) {
			t.Errorf("resilientsink gateway lacks %q:\n%s", want, rs)
		}
	}
	ml := o.gatewayConfig(tiersML, "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3")
	for _, want := range []string{"limit_mib: 64", "queue_size: 7", "num_consumers: 3", "processors: [memory_limiter]"} {
		if !strings.Contains(ml, want) {
			t.Errorf("memory_limiter gateway lacks %q:\n%s", want, ml)
		}
	}
}

// The report states the target plainly, per scenario.
func TestTiersReportVerdict(t *testing.T) {
	o := tiersOptions{agentIntervals: "default", agents: 1}
	rep := &tiersReport{o: o, command: "benchrunner -cases tiers", runs: []*tiersRun{
		{scenario: "default", gateway: tiersML, round: 1, gwAccepted: 100, gwRefused: 40, drained: true},
		{scenario: "default", gateway: tiersRS, round: 1, gwAccepted: 100, gwRefused: 10, drained: true},
	}}
	md := rep.markdown()
	if !strings.Contains(md, "**met** (at most 0 in any round); amplification at most half of memory_limiter's: **met** (0.10 against 0.40") {
		t.Fatalf("verdict missing:\n%s", md)
	}
	rep.runs[1].gwRefused = 30
	rep.runs[1].d.missing = 5
	md = rep.markdown()
	if !strings.Contains(md, "**not met** (at most 5 in any round); amplification at most half of memory_limiter's: **not met** (0.30 against 0.40") {
		t.Fatalf("verdict missing:\n%s", md)
	}
}
