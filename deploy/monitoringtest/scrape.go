// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package monitoringtest

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"
)

// Scrape is one /metrics response, parsed as Prometheus ingests it.
type Scrape struct {
	// Time is when the response arrived; its samples are stored at this time.
	Time time.Time
	// Series holds every sample with its labels, including __name__.
	Series []Sample
	// Types maps each metric family name (a histogram's name without
	// _bucket/_sum/_count) to its TYPE line.
	Types map[string]model.MetricType
}

// Sample is one float sample of a scrape.
type Sample struct {
	// Labels are the series labels, __name__ included.
	Labels labels.Labels
	// Value is the sample value.
	Value float64
}

// ParseScrape parses a Prometheus text exposition (format 0.0.4) with the
// parser Prometheus itself scrapes with, and adds the target labels
// (job, instance) a scrape by Prometheus would attach (a clashing scraped
// label becomes exported_<name>, as with honor_labels: false).
func ParseScrape(body []byte, at time.Time, target labels.Labels) (*Scrape, error) {
	s := &Scrape{Time: at, Types: map[string]model.MetricType{}}
	p := textparse.NewPromParser(body, labels.NewSymbolTable(), false)
	for {
		e, err := p.Next()
		if errors.Is(err, io.EOF) {
			return s, nil
		}
		if err != nil {
			return nil, fmt.Errorf("parse scrape: %w", err)
		}
		switch e {
		case textparse.EntryType:
			name, typ := p.Type()
			s.Types[string(name)] = typ
		case textparse.EntrySeries:
			_, _, v := p.Series()
			var lset labels.Labels
			p.Labels(&lset)
			// As Prometheus does without honor_labels: a scraped label that
			// clashes with a target label is kept as exported_<name>.
			b := labels.NewBuilder(lset)
			target.Range(func(l labels.Label) {
				if v := lset.Get(l.Name); v != "" {
					b.Set("exported_"+l.Name, v)
				}
				b.Set(l.Name, l.Value)
			})
			s.Series = append(s.Series, Sample{Labels: b.Labels(), Value: v})
		default:
		}
	}
}

// Load appends every sample of s to the store at s.Time.
func (s *Scrape) Load(m *MemStore) error {
	for _, smp := range s.Series {
		if err := m.Append(smp.Labels, s.Time.UnixMilli(), smp.Value); err != nil {
			return err
		}
	}
	return nil
}

// Family returns the metric family a sample name belongs to and whether the
// scrape declared it: the name itself, or for a histogram the name without
// _bucket, _sum or _count.
func (s *Scrape) Family(name string) (string, model.MetricType, bool) {
	if t, ok := s.Types[name]; ok {
		return name, t, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := trimSuffix(name, suffix); ok {
			if t, ok := s.Types[base]; ok && t == model.MetricTypeHistogram {
				return base, t, true
			}
		}
	}
	return "", "", false
}

func trimSuffix(s, suffix string) (string, bool) {
	if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)], true
	}
	return "", false
}
