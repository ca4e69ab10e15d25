// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package monitoringtest

import (
	"context"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
)

// Replay feeds real scrapes to a MemStore at virtual times Every apart, as
// Prometheus would store them at that scrape interval, and evaluates the
// rules after each one (rule evaluation at the scrape interval). A test can
// so take scrapes a fraction of a second apart and still check the rules, with
// their windows and for durations unchanged, at a 15 s or 30 s interval. The
// zero Replay is not usable; use NewReplay.
type Replay struct {
	// Every is the virtual scrape interval.
	Every time.Duration
	// Store holds what was fed.
	Store *MemStore
	// Last is the virtual time of the last Add.
	Last  time.Time
	ev    *RuleEvaluator
	start time.Time
	n     int
}

// NewReplay starts a replay of alerts at the virtual interval every.
func NewReplay(alerts []Alert, every time.Duration) *Replay {
	st := &MemStore{}
	return &Replay{Every: every, Store: st, ev: NewRuleEvaluator(NewEngine(), st, alerts),
		start: time.Unix(1_800_000_000, 0)}
}

// Add stores s at the next virtual time with the series up = 1 for target, or
// only up = 0 when s is nil (a failed scrape), as Prometheus records every
// scrape; then it evaluates the rules at that time. (A failed scrape leaves
// the target's other series as they were; Prometheus would mark them stale.)
func (r *Replay) Add(ctx context.Context, s *Scrape, target labels.Labels) (time.Time, []Firing, error) {
	ts := r.start.Add(time.Duration(r.n) * r.Every)
	r.n++
	r.Last = ts
	up := 0.0
	if s != nil {
		up = 1
		for _, smp := range s.Series {
			if err := r.Store.Append(smp.Labels, ts.UnixMilli(), smp.Value); err != nil {
				return ts, nil, err
			}
		}
	}
	b := labels.NewBuilder(target).Set(model.MetricNameLabel, "up")
	if err := r.Store.Append(b.Labels(), ts.UnixMilli(), up); err != nil {
		return ts, nil, err
	}
	f, err := r.ev.Eval(ctx, ts)
	return ts, f, err
}
