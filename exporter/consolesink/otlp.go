// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink // import "github.com/resilientsink/resilientsink/exporter/consolesink"

import (
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/resilientsink/resilientsink/internal/otlpjson"
)

// otlpSampling writes format otlp_json: one OTLP/JSON export request per
// batch on one line. Sampling is per record: with sampling on, a batch that
// loses some of its records is copied and the copy pruned (this allocates;
// batches printed whole, the steady state without sampling, do not).
type otlpSampling struct {
	sampler *sampler
	keep    []bool
}

// decide asks the sampler about n records and stores the answers in
// o.keep. It returns how many are kept.
func (o *otlpSampling) decide(n int) int {
	o.keep = o.keep[:0]
	kept := 0
	for range n {
		k := o.sampler.take()
		o.keep = append(o.keep, k)
		if k {
			kept++
		}
	}
	return kept
}

// next returns the stored decision for record *idx and advances idx.
func (o *otlpSampling) next(idx *int) bool {
	k := o.keep[*idx]
	*idx++
	return k
}

func (o *otlpSampling) appendLogs(dst []byte, ld plog.Logs) ([]byte, int, int) {
	total := ld.LogRecordCount()
	kept := total
	if o.sampler != nil && total > 0 {
		kept = o.decide(total)
	}
	switch kept {
	case 0:
		return dst, 0, total
	case total:
		return append(otlpjson.AppendLogs(dst, ld), '\n'), total, 0
	}
	out := plog.NewLogs()
	ld.CopyTo(out)
	idx := 0
	out.ResourceLogs().RemoveIf(func(rl plog.ResourceLogs) bool {
		rl.ScopeLogs().RemoveIf(func(sl plog.ScopeLogs) bool {
			sl.LogRecords().RemoveIf(func(plog.LogRecord) bool { return !o.next(&idx) })
			return sl.LogRecords().Len() == 0
		})
		return rl.ScopeLogs().Len() == 0
	})
	return append(otlpjson.AppendLogs(dst, out), '\n'), kept, total - kept
}

func (o *otlpSampling) appendTraces(dst []byte, td ptrace.Traces) ([]byte, int, int) {
	total := td.SpanCount()
	kept := total
	if o.sampler != nil && total > 0 {
		kept = o.decide(total)
	}
	switch kept {
	case 0:
		return dst, 0, total
	case total:
		return append(otlpjson.AppendTraces(dst, td), '\n'), total, 0
	}
	out := ptrace.NewTraces()
	td.CopyTo(out)
	idx := 0
	out.ResourceSpans().RemoveIf(func(rs ptrace.ResourceSpans) bool {
		rs.ScopeSpans().RemoveIf(func(ss ptrace.ScopeSpans) bool {
			ss.Spans().RemoveIf(func(ptrace.Span) bool { return !o.next(&idx) })
			return ss.Spans().Len() == 0
		})
		return rs.ScopeSpans().Len() == 0
	})
	return append(otlpjson.AppendTraces(dst, out), '\n'), kept, total - kept
}

func (o *otlpSampling) appendMetrics(dst []byte, md pmetric.Metrics) ([]byte, int, int) {
	total := md.DataPointCount()
	kept := total
	if o.sampler != nil && total > 0 {
		kept = o.decide(total)
	}
	switch kept {
	case 0:
		return dst, 0, total
	case total:
		return append(otlpjson.AppendMetrics(dst, md), '\n'), total, 0
	}
	out := pmetric.NewMetrics()
	md.CopyTo(out)
	idx := 0
	out.ResourceMetrics().RemoveIf(func(rm pmetric.ResourceMetrics) bool {
		rm.ScopeMetrics().RemoveIf(func(sm pmetric.ScopeMetrics) bool {
			sm.Metrics().RemoveIf(func(m pmetric.Metric) bool { return o.pruneMetric(m, &idx) == 0 })
			return sm.Metrics().Len() == 0
		})
		return rm.ScopeMetrics().Len() == 0
	})
	return append(otlpjson.AppendMetrics(dst, out), '\n'), kept, total - kept
}

// pruneMetric removes the data points of m that were not sampled and
// returns how many remain. A metric without data points (type empty) counts
// as none.
func (o *otlpSampling) pruneMetric(m pmetric.Metric, idx *int) int {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		m.Gauge().DataPoints().RemoveIf(func(pmetric.NumberDataPoint) bool { return !o.next(idx) })
		return m.Gauge().DataPoints().Len()
	case pmetric.MetricTypeSum:
		m.Sum().DataPoints().RemoveIf(func(pmetric.NumberDataPoint) bool { return !o.next(idx) })
		return m.Sum().DataPoints().Len()
	case pmetric.MetricTypeHistogram:
		m.Histogram().DataPoints().RemoveIf(func(pmetric.HistogramDataPoint) bool { return !o.next(idx) })
		return m.Histogram().DataPoints().Len()
	case pmetric.MetricTypeExponentialHistogram:
		dps := m.ExponentialHistogram().DataPoints()
		dps.RemoveIf(func(pmetric.ExponentialHistogramDataPoint) bool { return !o.next(idx) })
		return dps.Len()
	case pmetric.MetricTypeSummary:
		m.Summary().DataPoints().RemoveIf(func(pmetric.SummaryDataPoint) bool { return !o.next(idx) })
		return m.Summary().DataPoints().Len()
	}
	return 0
}
