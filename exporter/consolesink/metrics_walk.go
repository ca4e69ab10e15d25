// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink // import "github.com/resilientsink/resilientsink/exporter/consolesink"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// appendPointLines appends one line per sampled metric data point. It
// returns the grown buffer and the numbers of printed and suppressed points.
func (l *lineWriter) appendPointLines(dst []byte, md pmetric.Metrics) ([]byte, int, int) {
	printed, suppressed := 0, 0
	p := pointWriter{l: l}
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		p.res = rm.Resource()
		p.svc, p.hasSvc = p.res.Attributes().Get(serviceNameKey)
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			sm := sms.At(j)
			p.scope = sm.Scope()
			ms := sm.Metrics()
			for k := 0; k < ms.Len(); k++ {
				p.metric = ms.At(k)
				switch p.metric.Type() {
				case pmetric.MetricTypeGauge:
					dps := p.metric.Gauge().DataPoints()
					for n := 0; n < dps.Len(); n++ {
						if l.take(&printed, &suppressed) {
							dst = p.number(dst, dps.At(n))
						}
					}
				case pmetric.MetricTypeSum:
					dps := p.metric.Sum().DataPoints()
					for n := 0; n < dps.Len(); n++ {
						if l.take(&printed, &suppressed) {
							dst = p.number(dst, dps.At(n))
						}
					}
				case pmetric.MetricTypeHistogram:
					dps := p.metric.Histogram().DataPoints()
					for n := 0; n < dps.Len(); n++ {
						if l.take(&printed, &suppressed) {
							dst = p.histogram(dst, dps.At(n))
						}
					}
				case pmetric.MetricTypeExponentialHistogram:
					dps := p.metric.ExponentialHistogram().DataPoints()
					for n := 0; n < dps.Len(); n++ {
						if l.take(&printed, &suppressed) {
							dst = p.expHistogram(dst, dps.At(n))
						}
					}
				case pmetric.MetricTypeSummary:
					dps := p.metric.Summary().DataPoints()
					for n := 0; n < dps.Len(); n++ {
						if l.take(&printed, &suppressed) {
							dst = p.summary(dst, dps.At(n))
						}
					}
				}
			}
		}
	}
	return dst, printed, suppressed
}

// take asks the sampler about one record and counts the answer.
func (l *lineWriter) take(printed, suppressed *int) bool {
	if l.sampler != nil && !l.sampler.take() {
		*suppressed++
		return false
	}
	*printed++
	return true
}

// appendPointSummary appends the basic-verbosity line for a batch of metrics.
func (l *lineWriter) appendPointSummary(dst []byte, md pmetric.Metrics, now pcommon.Timestamp) []byte {
	dst = l.enc.begin(dst)
	dst = l.enc.time(dst, "timestamp", now)
	dst = l.enc.label(dst, "signal", "METRICS", "metrics")
	dst = l.enc.int(dst, "resources", int64(md.ResourceMetrics().Len()))
	dst = l.enc.int(dst, "metrics", int64(md.MetricCount()))
	dst = l.enc.int(dst, "data_points", int64(md.DataPointCount()))
	return l.enc.end(dst)
}
