// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package monitoringtest

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// replayConfig is collector A of the replay test: three pipelines, each with
// its own receiver, so that a request reaches one of them only.
//   - logs/steady: steady load into filesink and consolesink, persistence
//     on (spill); never alerts.
//   - logs/burst: memory_limit_mib 1 and drop_newest: one large request is
//     dropped at once (too_large), a single burst and nothing after it.
//   - logs/idle: OTLP to B with retries off and a 10 s open wait: one failed
//     delivery opens the breaker and drops the batch, and the pipeline stays
//     idle (nothing queued, nothing sent).
func replayConfig(downstream, burstPort, idlePort int) string {
	return fmt.Sprintf(`receivers:
  otlp/burst:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
  otlp/idle:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
processors:
  resilientsink/steady:
    queue_size: 1000
    persistence:
      directory: "@DIR@/queue"
      mode: spill
      max_megabytes: 64
  resilientsink/burst:
    memory_limit_mib: 1
    overflow: drop_newest
  resilientsink/idle:
    retry:
      enabled: false
    circuit_breaker:
      failure_threshold: 1
      open_timeout: %s
      max_open_timeout: %s
exporters:
  nop:
  otlp_grpc/idle:
    endpoint: 127.0.0.1:%d
    tls:
      insecure: true
    sending_queue:
      enabled: false
    retry_on_failure:
      enabled: false
  filesink:
    path: "@DIR@/out/{signal}.jsonl"
  consolesink:
    format: json
    sampling:
      initial: 5
      thereafter: 0
service:
  pipelines:
    logs/steady:
      receivers: [otlp]
      processors: [resilientsink/steady]
      exporters: [filesink, consolesink]
    logs/burst:
      receivers: [otlp/burst]
      processors: [resilientsink/burst]
      exporters: [nop]
    logs/idle:
      receivers: [otlp/idle]
      processors: [resilientsink/idle]
      exporters: [otlp_grpc/idle]
`, burstPort, idlePort, idleOpenWait, idleOpenWait, downstream)
}

const (
	// replayScrapeEvery is the real time between two scrapes of the replay
	// test; each is stored 15 s and 30 s after the previous one.
	replayScrapeEvery = 200 * time.Millisecond
	// idleOpenWait is the open wait of logs/idle: long enough for 25 real
	// scrapes, i.e. more than the alert's for (5m) at a 15 s interval.
	idleOpenWait = 10 * time.Second
)

// TestAlertsReplayedAtScrapeIntervals runs the rules, unchanged, on real
// scrapes replayed at 15 s and 30 s intervals: nothing fires on a healthy
// run; a single burst of drops fires ResilientSinkItemsDropped; the breaker
// alert of a pipeline that went idle after its downstream failed resolves
// once the downstream is back; the accounting panel reads 0 once the load
// stops; a collector that stops answering fires ResilientSinkCollectorDown.
func TestAlertsReplayedAtScrapeIntervals(t *testing.T) {
	alerts, err := LoadRules(rulesFile)
	require.NoError(t, err)
	bPort, burstPort, idlePort := freePort(t), freePort(t), freePort(t)
	b := startCollectorOn(t, "downstream", downstreamConfig, bPort)
	a := startCollector(t, "sender", replayConfig(bPort, burstPort, idlePort))
	l := startLoad(fmt.Sprintf("127.0.0.1:%d", a.http), 20, 50*time.Millisecond)
	t.Cleanup(l.stop)
	r := &replayRun{t: t, a: a, replays: []*Replay{NewReplay(alerts, 15*time.Second), NewReplay(alerts, 30*time.Second)},
		tick: time.NewTicker(replayScrapeEvery), firing: make([]map[string]bool, 2)}
	defer r.tick.Stop()

	r.healthy(burstPort, idlePort)
	r.burst(burstPort)
	r.idleBreaker(b, bPort, idlePort)
	for i, f := range r.firing {
		for k := range f {
			assert.NotContains(t, k, "resilientsink/steady", "the steady pipeline never alerts (every %s)", r.replays[i].Every)
		}
	}

	// The load stops: the accounting panel, persistence terms included,
	// reads 0 for every instance.
	l.stop()
	expr := accountingExpr(t)
	assert.True(t, r.until("load stopped: the accounting panel reads 0", 25, func(map[string]bool) bool {
		return slices.IndexFunc(r.replays, func(rp *Replay) bool { return !accountingZero(t, rp, expr) }) < 0
	}), "the accounting panel reads 0 once the load stopped, with persistence on")

	// A stops answering: its scrapes fail.
	a.kill()
	assert.True(t, r.until("sender killed: CollectorDown fires", 20, fires("ResilientSinkCollectorDown ")),
		"a collector whose scrapes fail fires ResilientSinkCollectorDown; fired: %v", r.firing)
}

// healthy: a few requests to every pipeline, then 30 scrapes (7.5 and 15
// virtual minutes, longer than every for) in which nothing fires.
func (r *replayRun) healthy(ports ...int) {
	t := r.t
	for _, port := range ports {
		for range 3 {
			require.Equal(t, http.StatusOK, postLogs(t, port, 5))
		}
	}
	for i := range 30 {
		r.step()
		for j, f := range r.firing {
			assert.Empty(t, f, "nothing fires on a healthy run (scrape %d, every %s)", i, r.replays[j].Every)
		}
	}
}

// burst: one request larger than the burst pipeline's whole budget is
// dropped at once (too_large), and nothing after it.
func (r *replayRun) burst(port int) {
	t := r.t
	postLogs(t, port, 10_000)
	assert.True(t, r.until("burst dropped: ItemsDropped fires", 10, fires("ResilientSinkItemsDropped resilientsink/burst too_large")),
		"a single burst of drops fires ResilientSinkItemsDropped at 15 s and 30 s intervals; fired: %v", r.firing)
	assert.Positive(t, value(r.last, "otelcol_processor_resilientsink_dropped_items", "processor", "resilientsink/burst", "reason", "too_large"))
}

// idleBreaker: B dies and one request to the idle pipeline opens its
// breaker; B comes back once the alert fired, and nothing is sent to the
// idle pipeline after. The alert must resolve after the open wait.
func (r *replayRun) idleBreaker(b *collector, bPort, idlePort int) {
	t := r.t
	b.kill()
	opened := time.Now()
	require.Equal(t, http.StatusOK, postLogs(t, idlePort, 5))
	fired := r.until("idle breaker open: BreakerOpen fires", int(idleOpenWait/replayScrapeEvery), fires("ResilientSinkBreakerOpen resilientsink/idle"))
	if !assert.True(t, fired, "the idle pipeline's breaker alert fires while it is open; fired: %v", r.firing) {
		return
	}
	startCollectorOn(t, "downstream-back", downstreamConfig, bPort)
	steps := int((idleOpenWait-time.Since(opened))/replayScrapeEvery) + 40
	resolved := r.until("downstream back: BreakerOpen resolves", steps, func(f map[string]bool) bool {
		return !f["ResilientSinkBreakerOpen resilientsink/idle"]
	})
	state := value(r.last, "otelcol_processor_resilientsink_breaker_state", "processor", "resilientsink/idle")
	assert.True(t, resolved, "the idle pipeline's breaker alert resolves after its open wait once the downstream is back; breaker_state %v", state)
	assert.InDelta(t, 1.0, state, 0, "half-open: the next batch is the probe")
}
