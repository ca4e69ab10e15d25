// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package monitoringtest

import (
	"maps"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// evalVars are the Grafana variable values for evaluating panel queries on
// the test's scrapes (All everywhere; a rate window of a few scrapes).
var evalVars = map[string]string{
	"__rate_interval": testRateInterval, "__interval": "1s", "__range": "1m",
	"cluster": ".*", "namespace": ".*", "job": ".*", "instance": ".*",
	"pipeline": ".*", "processor": ".*", "reason": ".*", "gomemlimit_mib": "320",
}

// checkNames: every metric name the rules and the dashboard use is a family
// of the real scrapes (or a histogram series of one), and every such family,
// like every otelcol_ family of our components in the scrape, maps to its
// metadata.yaml entry with the matching type.
func checkNames(t *testing.T, r *run, alerts []Alert, md map[string]MetadataMetric) {
	t.Helper()
	merged := &Scrape{Types: map[string]model.MetricType{}}
	for _, s := range r.scrapes {
		for k, v := range s.Types {
			merged.Types[k] = v
		}
	}
	var exprs []string
	for _, a := range alerts {
		exprs = append(exprs, a.Expr)
	}
	d, err := LoadDashboard(dashboardFile)
	require.NoError(t, err)
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range d.Templating.List {
		if v.Type == "query" {
			sel, _, lerr := v.LabelValues()
			require.NoError(t, lerr)
			exprs = append(exprs, sel)
		}
	}
	checkUsedNames(t, merged, exprs, md)
	for fam, typ := range merged.Types {
		if ourName(fam) {
			_, merr := MatchMetadata(fam, typ, md)
			require.NoError(t, merr, "scraped family %s", fam)
		}
	}
}

// checkUsedNames: every metric name exprs use is a family of the merged
// scrapes (ours with their metadata.yaml entry), up, or a firstErrorOnly counter.
func checkUsedNames(t *testing.T, merged *Scrape, exprs []string, md map[string]MetadataMetric) {
	t.Helper()
	used := map[string]bool{}
	for _, e := range exprs {
		sub, serr := Substitute(e, evalVars)
		require.NoError(t, serr)
		names, nerr := MetricNames(sub)
		require.NoError(t, nerr, sub)
		for _, n := range names {
			used[n] = true
		}
	}
	for _, n := range slices.Sorted(maps.Keys(used)) {
		if n == "up" {
			continue // Prometheus records it per scrape; the tests add it the same way
		}
		if m, ok := firstErrorOnly[n]; ok {
			// In no scrape of a run without that error: its metadata.yaml
			// entry must say what the pack expects.
			_, merr := MatchMetadata(n, m, md)
			require.NoError(t, merr, "%s (appears at its first error)", n)
			continue
		}
		fam, typ, ok := merged.Family(n)
		if !assert.True(t, ok, "%s is used by the pack but is in no scrape of the run; families: %v", n, ourFamilies(merged)) {
			continue
		}
		if !ourName(fam) {
			continue // collector core (process, receiver, exporterhelper): in the scrape is enough
		}
		_, merr := MatchMetadata(fam, typ, md)
		require.NoError(t, merr, "%s", n)
	}
}

// firstErrorOnly are the counters the pack uses that appear at their first
// error (exporter counters are not exported at 0), with their type: the
// dead-downstream run has neither a corrupt output file nor a console write
// error, so their panels may stay empty there.
var firstErrorOnly = map[string]model.MetricType{
	"otelcol_exporter_filesink_corrupt_files":   model.MetricTypeCounter,
	"otelcol_exporter_consolesink_write_errors": model.MetricTypeCounter,
}

func ourName(fam string) bool {
	for _, prefix := range []string{"otelcol_processor_resilientsink_", "otelcol_exporter_filesink_", "otelcol_exporter_consolesink_", "otelcol_receiver_replay_"} {
		if strings.HasPrefix(fam, prefix) {
			return true
		}
	}
	return false
}

// checkPanels: every panel query returns at least one number (not NaN) over
// the run (but those on firstErrorOnly counters), and every query variable
// finds its label.
func checkPanels(t *testing.T, r *run, eng *promql.Engine) {
	t.Helper()
	ctx := t.Context()
	start, end := r.scrapes[0].Time, r.scrapes[len(r.scrapes)-1].Time
	d, err := LoadDashboard(dashboardFile)
	require.NoError(t, err)
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			expr, serr := Substitute(tg.Expr, evalVars)
			require.NoError(t, serr)
			m := rangeQuery(t, eng, r.store, expr, start, end)
			names, nerr := MetricNames(expr)
			require.NoError(t, nerr)
			if len(names) == 1 && firstErrorOnly[names[0]] != "" {
				continue
			}
			assert.True(t, hasNumber(m), "panel %q target %s returns data in the run: %s", p.Title, tg.RefID, expr)
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		sel, label, lerr := v.LabelValues()
		require.NoError(t, lerr)
		sel, lerr = Substitute(sel, evalVars)
		require.NoError(t, lerr)
		if v.Name == "reason" {
			continue // its series exist only once something was dropped; checked by the dropped panel
		}
		vec, ierr := Instant(ctx, eng, r.store, sel, end)
		require.NoError(t, ierr)
		found := slices.ContainsFunc(vec, func(s promql.Sample) bool { return s.Metric.Get(label) != "" })
		assert.True(t, found, "variable %s: %s has series with label %s", v.Name, sel, label)
	}
}

// checkAccounting: once the load has stopped, the accounting panel reads 0
// for every group.
func checkAccounting(t *testing.T, a *collector, r *run, eng *promql.Engine) {
	t.Helper()
	d, err := LoadDashboard(dashboardFile)
	require.NoError(t, err)
	var expr string
	for _, p := range d.Panels {
		if strings.HasPrefix(p.Title, "Accounting") {
			expr, err = Substitute(p.Targets[0].Expr, evalVars)
			require.NoError(t, err)
		}
	}
	require.NotEmpty(t, expr, "the accounting panel")
	var last promql.Vector
	eventually(t, 15*time.Second, "the accounting panel to read 0 once the load stopped", func() bool {
		s := a.scrape()
		require.NoError(t, s.Load(r.store))
		vec, ierr := Instant(t.Context(), eng, r.store, expr, s.Time)
		require.NoError(t, ierr)
		last = vec
		return len(vec) > 0 && !slices.ContainsFunc(vec, func(s promql.Sample) bool { return s.F != 0 })
	})
	t.Logf("accounting panel: %v", last)
}

// checkReplay: once the load has stopped, replay/dead has replayed every
// dead letter logs/remote kept (its replay_items equal the remote's
// dead_lettered_items, none left), and replay/rejected's records were each
// sent once and refused permanently: all counted in failed_items, none in
// replay_items.
func checkReplay(t *testing.T, a *collector, rejectedRequests *atomic.Int64) {
	t.Helper()
	var kept, replayed, remaining float64
	eventually(t, 20*time.Second, "replay/dead to replay every dead letter of resilientsink/remote", func() bool {
		s := a.scrape()
		kept = sum(s, "otelcol_processor_resilientsink_dead_lettered_items", "processor", "resilientsink/remote")
		replayed = value(s, "otelcol_receiver_replay_items", "receiver", "replay/dead")
		remaining = value(s, "otelcol_receiver_replay_remaining_items", "receiver", "replay/dead")
		return kept > 0 && replayed == kept && remaining == 0
	})
	t.Logf("replay/dead replayed %v of %v dead letters kept, %v remaining", replayed, kept, remaining)
	s := a.scrape()
	assert.Positive(t, value(s, "otelcol_processor_resilientsink_dead_letter_bytes", "processor", "resilientsink/remote"), "the remote's dead-letter folder holds the letters (on_done: keep)")
	assert.Positive(t, sum(s, "otelcol_processor_resilientsink_dropped_items", "processor", "resilientsink/remote", "reason", "overflow"),
		"past the folder's budget the remote's overflow is a plain drop again")
	assert.InDelta(t, float64(rejectedItems), value(s, "otelcol_receiver_replay_failed_items", "receiver", "replay/rejected"), 0,
		"replay/rejected: every item refused permanently")
	assert.InDelta(t, 0.0, value(s, "otelcol_receiver_replay_items", "receiver", "replay/rejected"), 0,
		"replay/rejected: nothing accepted (the series exists from Start, at 0)")
	assert.InDelta(t, 0.0, value(s, "otelcol_receiver_replay_remaining_items", "receiver", "replay/rejected"), 0,
		"replay/rejected: nothing left")
	assert.Equal(t, int64(rejectedRecords), rejectedRequests.Load(), "each rejected record was sent once (permanent errors are not retried)")
}

// sum adds the values of the series of name whose labels include kv (pairs);
// 0 when s has none.
func sum(s *Scrape, name string, kv ...string) float64 {
	total := 0.0
	for _, smp := range s.Series {
		if smp.Labels.Get("__name__") != name {
			continue
		}
		ok := true
		for i := 0; i+1 < len(kv); i += 2 {
			ok = ok && smp.Labels.Get(kv[i]) == kv[i+1]
		}
		if ok {
			total += smp.Value
		}
	}
	return total
}

func rangeQuery(t *testing.T, eng *promql.Engine, st *MemStore, expr string, start, end time.Time) promql.Matrix {
	t.Helper()
	ctx := t.Context()
	q, err := eng.NewRangeQuery(ctx, st, nil, expr, start, end, time.Second)
	require.NoError(t, err, expr)
	defer q.Close()
	res := q.Exec(ctx)
	require.NoError(t, res.Err, expr)
	m, err := res.Matrix()
	require.NoError(t, err, expr)
	return m
}

func hasNumber(m promql.Matrix) bool {
	for _, s := range m {
		for _, p := range s.Floats {
			if !math.IsNaN(p.F) {
				return true
			}
		}
	}
	return false
}

// ourFamilies lists the scraped families of our components with their types.
func ourFamilies(s *Scrape) []string {
	var out []string
	for fam, typ := range s.Types {
		if strings.Contains(fam, "resilientsink") || strings.Contains(fam, "filesink") || strings.Contains(fam, "consolesink") || strings.Contains(fam, "replay") {
			out = append(out, fam+":"+string(typ))
		}
	}
	slices.Sort(out)
	return out
}
