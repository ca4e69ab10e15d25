// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package monitoringtest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql"
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

// replayRun drives collector A and feeds each scrape to every replay.
type replayRun struct {
	t       *testing.T
	a       *collector
	replays []*Replay
	tick    *time.Ticker
	last    *Scrape
	// firing[i] is what replay i fired at the last step, as "alert who".
	firing []map[string]bool
}

// step takes one scrape (or records a failed one once A is gone) and
// evaluates the rules in every replay.
func (r *replayRun) step() {
	r.t.Helper()
	<-r.tick.C
	s, err := r.a.tryScrape()
	if err != nil {
		s = nil
	}
	r.last = s
	for i, rp := range r.replays {
		_, fs, aerr := rp.Add(r.t.Context(), s, r.a.target())
		require.NoError(r.t, aerr)
		r.firing[i] = map[string]bool{}
		for _, f := range fs {
			r.firing[i][f.Alert+" "+f.Labels.Get("processor")+f.Labels.Get("exporter")] = true
			if f.Alert == "ResilientSinkItemsDropped" {
				r.firing[i][f.Alert+" "+f.Labels.Get("processor")+" "+f.Labels.Get("reason")] = true
			}
		}
	}
}

// until steps until cond holds for every replay, at most n steps; it
// reports whether it did, and logs after how many scrapes.
func (r *replayRun) until(what string, n int, cond func(firing map[string]bool) bool) bool {
	for i := range n {
		r.step()
		if !slices.ContainsFunc(r.firing, func(f map[string]bool) bool { return !cond(f) }) {
			r.t.Logf("%s after %d scrapes (%s at 15 s, %s at 30 s)", what, i+1,
				time.Duration(i+1)*15*time.Second, time.Duration(i+1)*30*time.Second)
			return true
		}
	}
	return false
}

func fires(key string) func(map[string]bool) bool {
	return func(f map[string]bool) bool { return f[key] }
}

// TestAlertsReplayedAtScrapeIntervals runs the rules, unchanged, on real
// scrapes replayed at 15 s and 30 s intervals: nothing fires on a healthy
// run; a single burst of drops fires ResilientSinkItemsDropped; the breaker
// alert of a pipeline that went idle after its downstream failed resolves
// once the downstream is back; a collector that stops answering fires
// ResilientSinkCollectorDown.
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

	// Healthy: 30 scrapes (7.5 and 15 virtual minutes, longer than every for).
	for _, port := range []int{burstPort, idlePort} {
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

	// One burst: a request larger than the burst pipeline's whole budget.
	postLogs(t, burstPort, 10_000)
	assert.True(t, r.until("burst dropped: ItemsDropped fires", 10, fires("ResilientSinkItemsDropped resilientsink/burst too_large")),
		"a single burst of drops fires ResilientSinkItemsDropped at 15 s and 30 s intervals; fired: %v", r.firing)
	assert.Positive(t, value(r.last, "otelcol_processor_resilientsink_dropped_items", "processor", "resilientsink/burst", "reason", "too_large"))

	// B dies; one request to the idle pipeline opens its breaker. B comes
	// back once the alert fired; nothing is sent to the idle pipeline after.
	b.kill()
	opened := time.Now()
	require.Equal(t, http.StatusOK, postLogs(t, idlePort, 5))
	fired := r.until("idle breaker open: BreakerOpen fires", int(idleOpenWait/replayScrapeEvery), fires("ResilientSinkBreakerOpen resilientsink/idle"))
	assert.True(t, fired, "the idle pipeline's breaker alert fires while it is open; fired: %v", r.firing)
	if fired {
		startCollectorOn(t, "downstream-back", downstreamConfig, bPort)
		resolved := r.until("downstream back: BreakerOpen resolves", int((idleOpenWait-time.Since(opened))/replayScrapeEvery)+40, func(f map[string]bool) bool {
			return !f["ResilientSinkBreakerOpen resilientsink/idle"]
		})
		assert.True(t, resolved, "the idle pipeline's breaker alert resolves after its open wait once the downstream is back; breaker_state %v",
			value(r.last, "otelcol_processor_resilientsink_breaker_state", "processor", "resilientsink/idle"))
		assert.Equal(t, 1.0, value(r.last, "otelcol_processor_resilientsink_breaker_state", "processor", "resilientsink/idle"),
			"half-open: the next batch is the probe")
	}
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

// tryScrape is scrape without failing the test: a dead collector's scrape fails.
func (c *collector) tryScrape() (*Scrape, error) {
	resp, err := scrapeClient.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", c.metric))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape: %s", resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return ParseScrape(b, time.Now(), c.target())
}

// postLogs sends one OTLP/HTTP logs request of n records to 127.0.0.1:port
// and returns the status code.
func postLogs(t *testing.T, port, n int) int {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Post(fmt.Sprintf("http://127.0.0.1:%d/v1/logs", port), "application/json", bytes.NewReader(logsBody(n)))
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())
	return resp.StatusCode
}

// value returns the value of the series of name whose labels include kv
// (pairs), or -1 when s is nil or has none.
func value(s *Scrape, name string, kv ...string) float64 {
	if s == nil {
		return -1
	}
	for _, smp := range s.Series {
		if smp.Labels.Get("__name__") != name {
			continue
		}
		ok := true
		for i := 0; i+1 < len(kv); i += 2 {
			ok = ok && smp.Labels.Get(kv[i]) == kv[i+1]
		}
		if ok {
			return smp.Value
		}
	}
	return -1
}

// accountingExpr is the accounting panel's query with the variables on All.
func accountingExpr(t *testing.T) string {
	t.Helper()
	d, err := LoadDashboard(dashboardFile)
	require.NoError(t, err)
	for _, p := range d.Panels {
		if strings.HasPrefix(p.Title, "Accounting") {
			expr, serr := Substitute(p.Targets[0].Expr, evalVars)
			require.NoError(t, serr)
			return expr
		}
	}
	t.Fatal("no accounting panel")
	return ""
}

// accountingZero reports whether expr returns 0 for each of the replay's
// three resilientsink instances at its last scrape.
func accountingZero(t *testing.T, rp *Replay, expr string) bool {
	t.Helper()
	vec, err := Instant(t.Context(), NewEngine(), rp.Store, expr, rp.Last)
	require.NoError(t, err)
	return len(vec) == 3 && !slices.ContainsFunc(vec, func(s promql.Sample) bool { return s.F != 0 })
}
