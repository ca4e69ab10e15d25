// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package monitoringtest

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// downstreamConfig is collector B: OTLP in, nothing out.
const downstreamConfig = `exporters:
  nop:
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [nop]
`

// senderConfig is collector A: one receiver feeding three pipelines, each
// behind its own resilientsink, and two replay receivers.
//   - logs/remote: OTLP to B. drop_newest within 2 MiB, no retry time limit:
//     with B dead its breaker opens, its queue fills and the oldest batch
//     ages; new batches are kept as dead letters (reason overflow) until the
//     folder's 1 MiB budget is full, then dropped (overflow).
//   - logs/file: filesink, synced, rotating at 1 MiB. The test removes its
//     folder when B dies, so the next rotation fails (write_errors); reject
//     within 100 batches (the count fills before the 4 MiB) then refuses.
//   - logs/console: consolesink sampling 5 records a second (suppressed),
//     with dead letters on (nothing is given up on, so its series read 0).
//   - logs/replay: replay/dead follows logs/remote's dead-letter folder
//     (polling) into nop, so every letter kept is replayed as it comes.
//   - logs/rejected: replay/rejected replays the filesink file rejected (the
//     test writes it) into an OTLP/HTTP exporter to rejectTo, which answers
//     400: every record is refused permanently (failed_items).
func senderConfig(downstream, rejected, rejectTo string) string {
	return fmt.Sprintf(`receivers:
  replay/dead:
    include: ["@DIR@/dead/resilientsink_remote-logs"]
    poll_interval: 200ms
    checkpoint: "@DIR@/replay/dead.checkpoint"
  replay/rejected:
    include: [%q]
    checkpoint: "@DIR@/replay/rejected.checkpoint"
processors:
  resilientsink/remote:
    queue_size: 1000
    memory_limit_mib: 2
    overflow: drop_newest
    retry:
      initial_interval: 50ms
      max_interval: 500ms
      max_elapsed_time: 0s
    circuit_breaker:
      failure_threshold: 3
      open_timeout: 300ms
      max_open_timeout: 1s
    dead_letter:
      directory: "@DIR@/dead"
      reasons: [overflow]
      max_megabytes: 1
  resilientsink/file:
    queue_size: 100
    memory_limit_mib: 4
    overflow: reject
    retry:
      initial_interval: 50ms
      max_interval: 500ms
    circuit_breaker:
      failure_threshold: 3
      open_timeout: 300ms
      max_open_timeout: 1s
  resilientsink/console:
    queue_size: 1000
    dead_letter:
      directory: "@DIR@/dead"
exporters:
  nop:
  otlp_http/rejected:
    endpoint: %s
    sending_queue:
      enabled: false
    retry_on_failure:
      enabled: false
  otlp_grpc:
    endpoint: %s
    tls:
      insecure: true
    sending_queue:
      enabled: false
    retry_on_failure:
      enabled: false
  filesink:
    path: "@DIR@/out/{signal}.jsonl"
    durability: synced
    rotation:
      max_megabytes: 1
      max_backups: 2
      compression: none
  consolesink:
    format: json
    sampling:
      initial: 5
      thereafter: 0
service:
  pipelines:
    logs/remote:
      receivers: [otlp]
      processors: [resilientsink/remote]
      exporters: [otlp_grpc]
    logs/file:
      receivers: [otlp]
      processors: [resilientsink/file]
      exporters: [filesink]
    logs/console:
      receivers: [otlp]
      processors: [resilientsink/console]
      exporters: [consolesink]
    logs/replay:
      receivers: [replay/dead]
      exporters: [nop]
    logs/rejected:
      receivers: [replay/rejected]
      exporters: [otlp_http/rejected]
`, rejected, rejectTo, downstream)
}

// rejectedRecords and rejectedItems: the filesink file replay/rejected
// replays holds rejectedRecords records (each one batch, one request) of
// rejectedItems/rejectedRecords log records.
const (
	rejectedRecords = 3
	rejectedItems   = 6
)

// writeRejected writes a filesink json file of rejectedRecords records into
// a temporary folder and returns its path.
func writeRejected(t *testing.T) string {
	t.Helper()
	var b []byte
	for range rejectedRecords {
		b = append(b, logsBody(rejectedItems/rejectedRecords)...)
		b = append(b, '\n')
	}
	p := filepath.Join(t.TempDir(), "logs.jsonl")
	require.NoError(t, os.WriteFile(p, b, 0o600))
	return p
}

// startRejecter is an OTLP/HTTP endpoint that answers every request 400 Bad
// Request (a permanent error for the exporter), counting the requests.
func startRejecter(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	n := &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		n.Add(1)
		http.Error(w, "rejected by the test", http.StatusBadRequest)
	}))
	t.Cleanup(srv.Close)
	return srv, n
}

const (
	// scrapeEvery is the scrape and rule evaluation interval of the test.
	scrapeEvery = time.Second
	// testFor replaces every rule's for: a minute-scale hold in a test that
	// lasts seconds (the only time change; see testThresholds for values).
	testFor = 2 * time.Second
	// testRateInterval is what Grafana's $__rate_interval becomes: four
	// scrape intervals, as Grafana computes it, plus one.
	testRateInterval = "5s"
)

// testThresholds rewrites thresholds that depend on wall time, per alert: the
// oldest age (60 s in the file) must be reachable within the test. Each
// "from" must occur in the expression, so the rules and this table cannot
// drift apart unnoticed.
var testThresholds = map[string][2]string{
	"ResilientSinkQueueOldestAgeHigh": {") > 60", ") > 3"},
}

// shortened returns the alerts with testFor and testThresholds applied.
func shortened(t *testing.T, alerts []Alert) []Alert {
	t.Helper()
	out := slices.Clone(alerts)
	for i := range out {
		if out[i].For > 0 {
			out[i].For = testFor
		}
		if sub, ok := testThresholds[out[i].Name]; ok {
			require.Contains(t, out[i].Expr, sub[0], "%s: threshold to shorten", out[i].Name)
			out[i].Expr = strings.Replace(out[i].Expr, sub[0], sub[1], 1)
		}
	}
	return out
}

// metadataFiles are the metadata.yaml files of the components the pack watches.
var metadataFiles = []string{
	"../../processor/resilientsink/metadata.yaml",
	"../../exporter/filesink/metadata.yaml",
	"../../exporter/consolesink/metadata.yaml",
	"../../receiver/replay/metadata.yaml",
}

// run is what one scenario recorded.
type run struct {
	store   *MemStore
	scrapes []*Scrape
	first   map[string]time.Duration // "alert instance" (and "alert ") -> first firing after the fault
}

// TestAlertsOnDeadDownstream runs A in front of B under load. While B is up,
// no alert fires. Then B is killed (and A's filesink folder removed): the
// breaker, oldest-age, dead-letter, dropped, memory, refusal and write-error
// alerts must fire. The scrapes of the whole run then check every metric name
// of the dashboard and the rules against the exported names and
// metadata.yaml, every panel query for data, the accounting panel for 0, and
// the replay receivers' counts (checkReplay).
func TestAlertsOnDeadDownstream(t *testing.T) {
	ctx := t.Context()
	alerts, err := LoadRules(rulesFile)
	require.NoError(t, err)
	md, err := LoadMetadata(metadataFiles...)
	require.NoError(t, err)

	b := startCollector(t, "downstream", downstreamConfig)
	rejecter, rejectedRequests := startRejecter(t)
	a := startCollector(t, "sender", senderConfig(fmt.Sprintf("127.0.0.1:%d", b.grpc), writeRejected(t), rejecter.URL))
	l := startLoad(fmt.Sprintf("127.0.0.1:%d", a.http), 50, 20*time.Millisecond)
	t.Cleanup(l.stop)

	r := &run{store: &MemStore{}, first: map[string]time.Duration{}}
	eng := NewEngine()
	ev := NewRuleEvaluator(eng, r.store, shortened(t, alerts))
	tick := time.NewTicker(scrapeEvery)
	defer tick.Stop()
	step := func() (*Scrape, []Firing) {
		<-tick.C
		s := a.scrape()
		require.NoError(t, s.Load(r.store))
		require.NoError(t, r.store.Append(labels.NewBuilder(a.target()).Set(model.MetricNameLabel, "up").Labels(), s.Time.UnixMilli(), 1))
		r.scrapes = append(r.scrapes, s)
		f, err := ev.Eval(ctx, s.Time)
		require.NoError(t, err)
		return s, f
	}

	// Healthy: at least 6 evaluations (three times testFor), and until the
	// file has rotated and the console has suppressed records.
	healthyUntil := time.Now().Add(45 * time.Second)
	for i := 0; ; i++ {
		s, f := step()
		require.Empty(t, f, "no alert fires while the downstream is up (scrape %d)", i)
		if i >= 5 && has(s, "otelcol_exporter_filesink_rotations") && has(s, "otelcol_exporter_consolesink_records_suppressed") {
			break
		}
		require.True(t, time.Now().Before(healthyUntil), "the file to rotate and the console to suppress while healthy")
	}

	// The downstream dies; the file sink's folder goes away.
	b.kill()
	died := time.Now()
	require.NoError(t, os.RemoveAll(filepath.Join(a.dir, "out")))
	// The instances each alert must fire for: the remote one (dead
	// downstream, drop_newest) and the file one (failing writes, reject);
	// never the console one, which stays healthy. The filesink exporter
	// alert fires for the exporter "filesink".
	want := map[string][]string{
		"ResilientSinkBreakerOpen":          {"resilientsink/remote", "resilientsink/file"},
		"ResilientSinkQueueOldestAgeHigh":   {"resilientsink/remote", "resilientsink/file"},
		"ResilientSinkItemsDropped":         {"resilientsink/remote"},
		"ResilientSinkQueueNearMemoryLimit": {"resilientsink/remote"},
		"ResilientSinkQueueNearCapacity":    {"resilientsink/file"},
		"ResilientSinkSendFailureRate":      {"resilientsink/remote", "resilientsink/file"},
		"ResilientSinkRefusing":             {"resilientsink/file"},
		"FileSinkWriteErrors":               {"filesink"},
		"ResilientSinkDeadLetters":          {"resilientsink/remote"},
	}
	deadUntil := died.Add(60 * time.Second)
	for !allFired(r.first, want) {
		require.True(t, time.Now().Before(deadUntil), "alerts %v fire within 60s of the downstream dying; fired: %v", want, r.first)
		s, f := step()
		for _, x := range f {
			for _, l := range []string{"cluster", "namespace", "job", "pod", "instance"} {
				assert.NotEmpty(t, x.Labels.Get(l), "%s keeps the target label %s: %s", x.Alert, l, x.Labels)
			}
			who := x.Labels.Get("processor") + x.Labels.Get("exporter")
			for _, key := range []string{x.Alert + " " + who, x.Alert + " "} {
				if _, ok := r.first[key]; !ok {
					r.first[key] = s.Time.Sub(died).Round(time.Millisecond)
				}
			}
		}
	}
	// A few more scrapes, so that every panel's rate window holds the new
	// series (refusals, write errors) more than once.
	for range 5 {
		step()
	}
	for _, key := range slices.Sorted(maps.Keys(r.first)) {
		assert.NotContains(t, key, "resilientsink/console", "the healthy pipeline raises no alert")
		t.Logf("fired %s %s after the downstream died (for %s, scrapes every %s)", key, r.first[key], testFor, scrapeEvery)
	}
	l.stop()

	checkNames(t, r, alerts, md)
	checkPanels(t, r, eng)
	checkAccounting(t, a, r, eng)
	checkReplay(t, a, rejectedRequests)
}

func has(s *Scrape, name string) bool {
	for _, smp := range s.Series {
		if smp.Labels.Get("__name__") == name {
			return true
		}
	}
	return false
}

// allFired reports whether every alert in want fired for each of its instances.
func allFired(first map[string]time.Duration, want map[string][]string) bool {
	for alert, whos := range want {
		for _, who := range whos {
			if _, ok := first[alert+" "+who]; !ok {
				return false
			}
		}
	}
	return true
}
