// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The two gateways of the tiers case.
const (
	tiersRS = "resilientsink"
	tiersML = "memory_limiter"
)

// tiersOptions shape the tiers case (issue 19 item 6).
type tiersOptions struct {
	reps                  int
	workers, batch        int
	interval              time.Duration // between two requests of one worker
	slowFor, throttleFor  time.Duration // load phases: backend slow, then throttling
	slowDelay             time.Duration // backend answer time while slow
	drainMax              time.Duration
	queueSize, consumers  int // gateway budget in batches/requests, delivery concurrency
	retryAfterMax         time.Duration
	memLimitMiB, spikeMiB int // memory_limiter
	rsMemoryLimitMiB      int // resilientsink memory_limit_mib
	// agentIntervals: comma-separated agent retry initial_interval, one
	// scenario each; "default" is upstream's 5s.
	agentIntervals string
	agents         int // agent collectors in front of the gateway
}

// scenarios are the agent retry initial_intervals to run, in order.
func (o tiersOptions) scenarios() []string {
	var out []string
	for s := range strings.SplitSeq(o.agentIntervals, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// tiersRun is one run of the tiers case on one gateway.
type tiersRun struct {
	scenario   string // the agent's retry initial_interval
	gateway    string
	round      int
	sent       int64 // records the client offered the agent
	accepted   int64 // records the agent acknowledged
	d          delivery
	drain      time.Duration // from the backend's recovery to the last accepted record delivered
	drained    bool
	gwAccepted float64 // records the gateway's receiver accepted
	gwRefused  float64 // records the gateway's receiver refused
	gwCPU      time.Duration
	backendThr int64   // requests the backend throttled
	gwThrottle float64 // resilientsink's throttled_attempts
	// The gateway's receiver counts when the backend began throttling and
	// when the load ended (the progress log shows them per phase).
	atThrottle, atLoadEnd gwCounts
}

// gwCounts are records the gateway's receiver accepted and refused so far.
type gwCounts struct{ accepted, refused float64 }

// gwCountsNow scrapes the gateway's receiver counts; zero when the scrape fails.
func gwCountsNow(ctx context.Context, promAddr string) gwCounts {
	m, err := scrape(ctx, promAddr)
	if err != nil {
		return gwCounts{}
	}
	return gwCounts{accepted: m.sum(acceptedMetric), refused: m.sum(refusedMetric)}
}

// amplification is refused per accepted request at the gateway (every
// request holds the same number of records: the agent does not batch).
func (t *tiersRun) amplification() float64 {
	if t.gwAccepted == 0 {
		return 0
	}
	return t.gwRefused / t.gwAccepted
}

// cpuPerItem is the gateway's CPU time per delivered record.
func (t *tiersRun) cpuPerItem() time.Duration {
	if t.d.distinct == 0 {
		return 0
	}
	return t.gwCPU / time.Duration(t.d.distinct)
}

// gatewayConfig renders the gateway in front of the backend.
func (o tiersOptions) gatewayConfig(gw, grpcAddr, promAddr, backend string) string {
	exp := fmt.Sprintf("  otlp_grpc:\n    endpoint: %s\n    tls:\n      insecure: true\n    timeout: 5s\n", backend)
	if gw == tiersRS {
		exp += "    sending_queue:\n      enabled: false\n    retry_on_failure:\n      enabled: false\n"
		proc := fmt.Sprintf("  resilientsink:\n    queue_size: %d\n    memory_limit_mib: %d\n    overflow: reject\n    num_workers: %d\n    backpressure:\n      retry_after_max: %s\n",
			o.queueSize, o.rsMemoryLimitMiB, o.consumers, o.retryAfterMax)
		return collectorConfig(grpcAddr, promAddr, proc, exp, []string{"resilientsink"}, []string{"otlp_grpc"})
	}
	exp += fmt.Sprintf("    sending_queue:\n      enabled: true\n      queue_size: %d\n      num_consumers: %d\n", o.queueSize, o.consumers)
	proc := fmt.Sprintf("  memory_limiter:\n    check_interval: 1s\n    limit_mib: %d\n    spike_limit_mib: %d\n", o.memLimitMiB, o.spikeMiB)
	return collectorConfig(grpcAddr, promAddr, proc, exp, []string{"memory_limiter"}, []string{"otlp_grpc"})
}

// agentConfig is upstream's usual agent: the otlp exporter with its default
// sending_queue and retry_on_failure, but for initial_interval unless
// scenario is "default".
func agentConfig(grpcAddr, promAddr, gateway, scenario string) string {
	exp := fmt.Sprintf("  otlp_grpc:\n    endpoint: %s\n    tls:\n      insecure: true\n", gateway)
	if scenario != "default" {
		exp += fmt.Sprintf("    retry_on_failure:\n      enabled: true\n      initial_interval: %s\n", scenario)
	}
	return collectorConfig(grpcAddr, promAddr, "", exp, nil, []string{"otlp_grpc"})
}

// startTier writes cfg into dir and starts our distribution on it.
func (r *runner) startTier(ctx context.Context, dir, name string, cfg func(grpcAddr, promAddr string) string) (*collector, error) {
	gp, err1 := freePort()
	pp, err2 := freePort()
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("ports: %v %v", err1, err2)
	}
	grpcAddr, promAddr := fmt.Sprintf("127.0.0.1:%d", gp), fmt.Sprintf("127.0.0.1:%d", pp)
	path := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(path, []byte(cfg(grpcAddr, promAddr)), 0o600); err != nil {
		return nil, fmt.Errorf("write %s config: %w", name, err)
	}
	return startCollector(ctx, r.bins[oursBuild], path, filepath.Join(dir, name+".log"), grpcAddr, promAddr)
}

// tiersRun runs client -> agent -> gateway gw -> backend once.
func (r *runner) tiersRun(ctx context.Context, o tiersOptions, scenario, gw string, round int) (*tiersRun, error) {
	dir := filepath.Join(r.workDir, fmt.Sprintf("tiers-%s-%s-%d", scenario, gw, round))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("mkdir: %w", err)
	}
	b, err := startTiersBackend(o.slowDelay, time.Second)
	if err != nil {
		return nil, err
	}
	defer b.stop()
	g, err := r.startTier(ctx, dir, "gateway", func(ga, pa string) string { return o.gatewayConfig(gw, ga, pa, b.addr) })
	if err != nil {
		return nil, err
	}
	defer g.kill()
	var agents []string
	for i := range max(o.agents, 1) {
		a, err := r.startTier(ctx, dir, fmt.Sprintf("agent%d", i), func(ga, pa string) string { return agentConfig(ga, pa, g.grpcAddr, scenario) })
		if err != nil {
			return nil, err
		}
		defer a.kill()
		agents = append(agents, a.grpcAddr)
	}
	cpu0, err := g.cpu()
	if err != nil {
		return nil, err
	}
	atThrottle := make(chan gwCounts, 1)
	throttle := time.AfterFunc(o.slowFor, func() {
		b.setMode(backendThrottle)
		atThrottle <- gwCountsNow(ctx, g.promAddr)
	})
	l, err := runSeqLoad(ctx, agents, o.workers, o.batch, o.interval, o.slowFor+o.throttleFor)
	throttle.Stop()
	b.setMode(backendFast)
	if err != nil {
		return nil, err
	}
	res := &tiersRun{scenario: scenario, gateway: gw, round: round, sent: l.sent, accepted: int64(len(l.accepted))}
	res.atLoadEnd = gwCountsNow(ctx, g.promAddr)
	res.atThrottle = <-atThrottle // the load lasted past it
	res.drain, res.drained = waitDelivered(ctx, b, l.accepted, o.drainMax)
	res.d = b.delivery(l.accepted)
	cpu1, err := g.cpu()
	if err != nil {
		return nil, err
	}
	res.gwCPU = cpu1 - cpu0
	m, err := scrape(ctx, g.promAddr)
	if err != nil {
		return nil, err
	}
	res.gwAccepted, res.gwRefused = m.sum(acceptedMetric), m.sum(refusedMetric)
	res.gwThrottle = m.sum(rsPrefix + "throttled_attempts")
	res.backendThr = b.throttled.Load()
	return res, nil
}

// waitDelivered polls the backend until every accepted record arrived or
// limit passed, and returns how long it took.
func waitDelivered(ctx context.Context, b *tiersBackend, accepted map[int64]bool, limit time.Duration) (time.Duration, bool) {
	t0 := time.Now()
	for time.Since(t0) < limit {
		if b.delivery(accepted).missing == 0 {
			return time.Since(t0), true
		}
		select {
		case <-ctx.Done():
			return time.Since(t0), false
		case <-time.After(100 * time.Millisecond):
		}
	}
	return time.Since(t0), false
}

// tiersCase runs both gateways reps times per scenario, alternating (ML RS
// ML RS ...).
func (r *runner) tiersCase(ctx context.Context, o tiersOptions) ([]*tiersRun, error) {
	var runs []*tiersRun
	for _, sc := range o.scenarios() {
		for round := 1; round <= o.reps; round++ {
			for _, gw := range []string{tiersML, tiersRS} {
				res, err := r.tiersRun(ctx, o, sc, gw, round)
				if err != nil {
					return runs, fmt.Errorf("tiers %s %s round %d: %w", sc, gw, round, err)
				}
				runs = append(runs, res)
				s, t := res.atThrottle, res.atLoadEnd
				logf("tiers: agent initial_interval %s, %s round %d: accepted %d, missing %d, dup %d, amplification %.2f, drain %s; gateway records accepted/refused while slow %.0f/%.0f, while throttling %.0f/%.0f, after %.0f/%.0f",
					sc, gw, round, res.accepted, res.d.missing, res.d.duplicates, res.amplification(), res.drain.Round(time.Millisecond),
					s.accepted, s.refused, t.accepted-s.accepted, t.refused-s.refused, res.gwAccepted-t.accepted, res.gwRefused-t.refused)
			}
		}
	}
	return runs, nil
}
