// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package monitoringtest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// targetLabels are the labels every alert keeps: what a PodMonitor (or a
// scrape config) attaches, and the cluster label of a multi-cluster setup.
var targetLabels = []string{"cluster", "namespace", "job", "pod", "instance"}

// TestAlertsKeepLabels: every aggregation at the top of an alert's expression
// (outside any other aggregation) groups by the target labels and by its
// component labels (processor and signal, or exporter and signal), so no
// alert drops namespace or pod while another keeps them. absent() cannot
// keep labels: CollectorAbsent is the one exception.
func TestAlertsKeepLabels(t *testing.T) {
	alerts, err := LoadRules(rulesFile)
	require.NoError(t, err)
	for _, a := range alerts {
		if a.Name == "ResilientSinkCollectorAbsent" {
			continue
		}
		want := slices.Clone(targetLabels)
		switch {
		case strings.Contains(a.Expr, "otelcol_processor_resilientsink_"):
			want = append(want, "processor", "signal")
		case strings.Contains(a.Expr, "otelcol_exporter_"):
			want = append(want, "exporter", "signal")
		}
		e, perr := Parser.ParseExpr(a.Expr)
		require.NoError(t, perr, a.Name)
		n := 0
		parser.Inspect(e, func(node parser.Node, path []parser.Node) error {
			agg, ok := node.(*parser.AggregateExpr)
			if !ok || slices.ContainsFunc(path, func(p parser.Node) bool { _, in := p.(*parser.AggregateExpr); return in }) {
				return nil
			}
			n++
			assert.False(t, agg.Without, "%s: aggregates by, not without", a.Name)
			for _, l := range want {
				assert.Contains(t, agg.Grouping, l, "%s: %s keeps %s", a.Name, agg.Op, l)
			}
			return nil
		})
		assert.Positive(t, n, "%s aggregates by its labels", a.Name)
	}
}

// TestCollectorAbsentFires: with no up series at all (every collector gone,
// or none discovered), CollectorAbsent fires after its for, and
// CollectorDown cannot (it needs an up series at 0).
func TestCollectorAbsentFires(t *testing.T) {
	alerts, err := LoadRules(rulesFile)
	require.NoError(t, err)
	ev := NewRuleEvaluator(NewEngine(), &MemStore{}, alerts)
	t0 := time.Unix(1_800_000_000, 0)
	var fired []string
	for i := range 21 {
		f, eerr := ev.Eval(t.Context(), t0.Add(time.Duration(i)*30*time.Second))
		require.NoError(t, eerr)
		for _, x := range f {
			fired = append(fired, x.Alert)
		}
		if i < 20 {
			assert.Empty(t, f, "nothing fires before 10 minutes (evaluation %d)", i)
		}
	}
	assert.Equal(t, []string{"ResilientSinkCollectorAbsent"}, fired)
}
