// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package monitoringtest

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// MetricNames returns the sorted metric names an expression selects (by name
// or by an equality matcher on __name__).
func MetricNames(expr string) ([]string, error) {
	e, err := Parser.ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		if vs.Name != "" {
			seen[vs.Name] = true
		}
		for _, m := range vs.LabelMatchers {
			if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
				seen[m.Value] = true
			}
		}
		return nil
	})
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

// MetadataMetric is one telemetry.metrics entry of an mdatagen metadata.yaml.
type MetadataMetric struct {
	// Name is the key, e.g. processor_resilientsink_incoming_items.
	Name string
	// Unit is the UCUM unit.
	Unit string
	// Kind is sum, gauge or histogram.
	Kind string
	// Monotonic is set for a monotonic sum.
	Monotonic bool
}

type metadataFile struct {
	Telemetry struct {
		Metrics map[string]struct {
			Unit string `yaml:"unit"`
			Sum  *struct {
				Monotonic bool `yaml:"monotonic"`
			} `yaml:"sum"`
			Gauge     *struct{} `yaml:"gauge"`
			Histogram *struct{} `yaml:"histogram"`
		} `yaml:"metrics"`
	} `yaml:"telemetry"`
}

// LoadMetadata reads the telemetry metrics of metadata.yaml files.
func LoadMetadata(paths ...string) (map[string]MetadataMetric, error) {
	out := map[string]MetadataMetric{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var f metadataFile
		if err := yaml.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		for name, m := range f.Telemetry.Metrics {
			mm := MetadataMetric{Name: name, Unit: m.Unit}
			switch {
			case m.Sum != nil:
				mm.Kind, mm.Monotonic = "sum", m.Sum.Monotonic
			case m.Gauge != nil:
				mm.Kind = "gauge"
			case m.Histogram != nil:
				mm.Kind = "histogram"
			default:
				return nil, fmt.Errorf("%s: metric %s has no sum, gauge or histogram", p, name)
			}
			out[name] = mm
		}
	}
	return out, nil
}

// MatchMetadata maps an exported metric family (as scraped, with its TYPE) to
// its metadata.yaml entry. At v0.165 the collector's Prometheus exporter adds
// the otelcol_ prefix and nothing else (no unit suffix, no _total), so the
// family must be exactly otelcol_ + the entry's name; a release that starts
// adding suffixes fails here, and the dashboard and rules must follow it. The
// Prometheus type must be the one the entry's kind exports as (monotonic sum:
// counter, gauge or non-monotonic sum: gauge, histogram: histogram).
func MatchMetadata(family string, typ model.MetricType, md map[string]MetadataMetric) (MetadataMetric, error) {
	rest, ok := strings.CutPrefix(family, "otelcol_")
	if !ok {
		return MetadataMetric{}, fmt.Errorf("%s has no otelcol_ prefix", family)
	}
	m, ok := md[rest]
	if !ok {
		return MetadataMetric{}, fmt.Errorf("%s is not otelcol_ + a metadata.yaml metric", family)
	}
	want := model.MetricTypeGauge
	switch {
	case m.Kind == "histogram":
		want = model.MetricTypeHistogram
	case m.Kind == "sum" && m.Monotonic:
		want = model.MetricTypeCounter
	}
	if typ != want {
		return MetadataMetric{}, fmt.Errorf("%s is a %s in the scrape, but metadata.yaml %s is a %s (want %s)", family, typ, m.Name, m.Kind, want)
	}
	return m, nil
}
