// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package monitoringtest

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
)

// NewEngine returns a promql engine with Prometheus' default lookback (5m).
func NewEngine() *promql.Engine {
	return promql.NewEngine(promql.EngineOpts{
		Logger:     slog.New(slog.DiscardHandler),
		MaxSamples: 10_000_000,
		Timeout:    30 * time.Second,
		Parser:     Parser,
	})
}

// Instant evaluates expr at ts.
func Instant(ctx context.Context, eng *promql.Engine, st *MemStore, expr string, ts time.Time) (promql.Vector, error) {
	q, err := eng.NewInstantQuery(ctx, st, nil, expr, ts)
	if err != nil {
		return nil, err
	}
	defer q.Close()
	res := q.Exec(ctx)
	if res.Err != nil {
		return nil, res.Err
	}
	return res.Vector()
}

// Firing is one alert instance that fires.
type Firing struct {
	// Alert is the rule's name.
	Alert string
	// Labels are the result labels of the expression, without __name__.
	Labels labels.Labels
	// Value is the expression's value at the evaluation.
	Value float64
	// ActiveAt is the first evaluation at which the expression returned this series.
	ActiveAt time.Time
}

// RuleEvaluator evaluates alerting rules the way Prometheus' rule manager
// does, one evaluation at a time: a series of an alert's expression becomes
// pending when it first appears, fires once it has been returned at every
// evaluation for the rule's For, and is forgotten when an evaluation no longer
// returns it. (keep_firing_for is not supported; LoadRules' callers check it is
// unused.)
type RuleEvaluator struct {
	eng    *promql.Engine
	st     *MemStore
	alerts []Alert
	active map[string]map[string]time.Time // alert -> series -> ActiveAt
}

// NewRuleEvaluator evaluates alerts against st.
func NewRuleEvaluator(eng *promql.Engine, st *MemStore, alerts []Alert) *RuleEvaluator {
	return &RuleEvaluator{eng: eng, st: st, alerts: alerts, active: map[string]map[string]time.Time{}}
}

// Eval evaluates every alert at ts (which must not go back in time) and
// returns the instances that fire.
func (r *RuleEvaluator) Eval(ctx context.Context, ts time.Time) ([]Firing, error) {
	var out []Firing
	for _, a := range r.alerts {
		vec, err := Instant(ctx, r.eng, r.st, a.Expr, ts)
		if err != nil {
			return nil, fmt.Errorf("alert %s: %w", a.Name, err)
		}
		prev := r.active[a.Name]
		next := make(map[string]time.Time, len(vec))
		for _, s := range vec {
			// An alert's labels are the series' without its name, as in Prometheus.
			lset := labels.NewBuilder(s.Metric).Del(model.MetricNameLabel).Labels()
			key := lset.String()
			at, ok := prev[key]
			if !ok {
				at = ts
			}
			next[key] = at
			if ts.Sub(at) >= a.For {
				out = append(out, Firing{Alert: a.Name, Labels: lset, Value: s.F, ActiveAt: at})
			}
		}
		r.active[a.Name] = next
	}
	return out, nil
}
