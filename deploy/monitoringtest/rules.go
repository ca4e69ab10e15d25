// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package monitoringtest

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// Parser is the PromQL parser every check uses: Prometheus' defaults
// (no experimental functions).
var Parser = parser.NewParser(parser.Options{})

// Alert is one alerting rule of a rules file.
type Alert struct {
	// Group is the name of the rule group.
	Group string
	// Name is the alert name.
	Name string
	// Expr is the PromQL expression.
	Expr string
	// For is how long the expression must hold before the alert fires.
	For time.Duration
	// Labels and Annotations are the rule's own.
	Labels, Annotations map[string]string
}

// LoadRules reads a Prometheus rules file and validates it the way Prometheus
// (and promtool check rules) does: strict YAML, every expression parsed,
// every label and annotation template parsed. Recording rules are an error:
// the file holds alerts only.
func LoadRules(path string) ([]Alert, error) {
	rgs, errs := rulefmt.ParseFile(path, false, model.UTF8Validation, Parser, slog.New(slog.DiscardHandler))
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var out []Alert
	for _, g := range rgs.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				return nil, fmt.Errorf("%s: group %s: recording rule %s: only alerting rules expected", path, g.Name, r.Record)
			}
			out = append(out, Alert{
				Group: g.Name, Name: r.Alert, Expr: r.Expr, For: time.Duration(r.For),
				Labels: r.Labels, Annotations: r.Annotations,
			})
		}
	}
	return out, nil
}
