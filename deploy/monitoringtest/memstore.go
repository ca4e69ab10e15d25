// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package monitoringtest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/util/annotations"
)

// MemStore is an in-memory storage.Queryable of float samples, enough for the
// promql engine to evaluate expressions over a few scrapes. It avoids the tsdb
// package, whose dependencies (remote-write auth for three clouds) would
// multiply the compile time of this module. The zero MemStore is empty and
// ready; it is safe for concurrent use.
type MemStore struct {
	mu     sync.Mutex
	series map[string]*memSeries
}

type memSeries struct {
	lset    labels.Labels
	samples []chunks.Sample
}

// Append adds one sample; timestamps of a series must increase.
func (m *MemStore) Append(lset labels.Labels, tsMillis int64, v float64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.series == nil {
		m.series = map[string]*memSeries{}
	}
	key := lset.String()
	s, ok := m.series[key]
	if !ok {
		s = &memSeries{lset: lset}
		m.series[key] = s
	}
	if n := len(s.samples); n > 0 && s.samples[n-1].T() >= tsMillis {
		return fmt.Errorf("sample of %s at %d is not after %d", key, tsMillis, s.samples[n-1].T())
	}
	s.samples = append(s.samples, fSample{t: tsMillis, f: v})
	return nil
}

// Querier implements storage.Queryable.
func (m *MemStore) Querier(mint, maxt int64) (storage.Querier, error) {
	return &memQuerier{m: m, mint: mint, maxt: maxt}, nil
}

type memQuerier struct {
	m          *MemStore
	mint, maxt int64
}

func (q *memQuerier) Select(_ context.Context, _ bool, _ *storage.SelectHints, ms ...*labels.Matcher) storage.SeriesSet {
	q.m.mu.Lock()
	defer q.m.mu.Unlock()
	var out []storage.Series
	for _, s := range q.m.series {
		if !matches(s.lset, ms) {
			continue
		}
		// Samples are in time order: find the window by binary search, so
		// a long replay does not scan every sample at each evaluation.
		lo := sort.Search(len(s.samples), func(i int) bool { return s.samples[i].T() >= q.mint })
		hi := sort.Search(len(s.samples), func(i int) bool { return s.samples[i].T() > q.maxt })
		in := slices.Clone(s.samples[lo:hi])
		if len(in) > 0 {
			out = append(out, storage.NewListSeries(s.lset, in))
		}
	}
	// Always sorted: the engine relies on it for some operations.
	slices.SortFunc(out, func(a, b storage.Series) int { return labels.Compare(a.Labels(), b.Labels()) })
	return &sliceSeriesSet{series: out, i: -1}
}

func matches(lset labels.Labels, ms []*labels.Matcher) bool {
	for _, m := range ms {
		if !m.Matches(lset.Get(m.Name)) {
			return false
		}
	}
	return true
}

func (q *memQuerier) LabelValues(_ context.Context, name string, _ *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	q.m.mu.Lock()
	defer q.m.mu.Unlock()
	seen := map[string]bool{}
	for _, s := range q.m.series {
		if v := s.lset.Get(name); v != "" && matches(s.lset, ms) {
			seen[v] = true
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	slices.Sort(out)
	return out, nil, nil
}

func (q *memQuerier) LabelNames(_ context.Context, _ *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	q.m.mu.Lock()
	defer q.m.mu.Unlock()
	seen := map[string]bool{}
	for _, s := range q.m.series {
		if matches(s.lset, ms) {
			s.lset.Range(func(l labels.Label) { seen[l.Name] = true })
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	slices.Sort(out)
	return out, nil, nil
}

func (*memQuerier) Close() error { return nil }

type sliceSeriesSet struct {
	series []storage.Series
	i      int
}

func (s *sliceSeriesSet) Next() bool                      { s.i++; return s.i < len(s.series) }
func (s *sliceSeriesSet) At() storage.Series              { return s.series[s.i] }
func (*sliceSeriesSet) Err() error                        { return nil }
func (*sliceSeriesSet) Warnings() annotations.Annotations { return nil }

// fSample is one float sample (chunks.Sample).
type fSample struct {
	t int64
	f float64
}

func (s fSample) T() int64                    { return s.t }
func (fSample) ST() int64                     { return 0 }
func (s fSample) F() float64                  { return s.f }
func (fSample) H() *histogram.Histogram       { return nil }
func (fSample) FH() *histogram.FloatHistogram { return nil }
func (fSample) Type() chunkenc.ValueType      { return chunkenc.ValFloat }
func (s fSample) Copy() chunks.Sample         { return s }
