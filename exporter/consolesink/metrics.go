// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink // import "github.com/resilientsink/resilientsink/exporter/consolesink"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// metricTypeNames maps metric types to the type= value.
var metricTypeNames = [...]string{
	pmetric.MetricTypeEmpty:                "empty",
	pmetric.MetricTypeGauge:                "gauge",
	pmetric.MetricTypeSum:                  "sum",
	pmetric.MetricTypeHistogram:            "histogram",
	pmetric.MetricTypeExponentialHistogram: "exponential_histogram",
	pmetric.MetricTypeSummary:              "summary",
}

// pointWriter carries what every data point line of one metric shares.
type pointWriter struct {
	l      *lineWriter
	res    pcommon.Resource
	scope  pcommon.InstrumentationScope
	svc    pcommon.Value
	hasSvc bool
	metric pmetric.Metric
}

// head writes the fields before a data point's value. Text layout:
//
//	<time> METRIC [<service>] <name> type=.. [unit=..] <value fields> <attrs> [<resource and scope>]
func (p *pointWriter) head(dst []byte, ts pcommon.Timestamp) []byte {
	enc := p.l.enc
	dst = enc.begin(dst)
	dst = enc.time(dst, "timestamp", ts)
	dst = enc.label(dst, "signal", "METRIC", "metric")
	if p.hasSvc {
		dst = enc.service(dst, p.svc)
	}
	dst = enc.posStr(dst, "name", p.metric.Name())
	dst = enc.str(dst, "type", metricTypeNames[p.metric.Type()])
	if u := p.metric.Unit(); u != "" {
		dst = enc.str(dst, "unit", u)
	}
	return dst
}

// tail writes the fields after a data point's value and ends the line.
func (p *pointWriter) tail(dst []byte, attrs pcommon.Map) []byte {
	dst = p.l.enc.attrs(dst, "attributes", "", attrs)
	dst = p.l.appendContext(dst, p.res, p.scope)
	return p.l.enc.end(dst)
}

// number writes a gauge or sum data point.
func (p *pointWriter) number(dst []byte, dp pmetric.NumberDataPoint) []byte {
	dst = p.head(dst, dp.Timestamp())
	switch dp.ValueType() {
	case pmetric.NumberDataPointValueTypeInt:
		dst = p.l.enc.int(dst, "value", dp.IntValue())
	case pmetric.NumberDataPointValueTypeDouble:
		dst = p.l.enc.float(dst, "value", dp.DoubleValue())
	}
	return p.tail(dst, dp.Attributes())
}

// histogram writes a histogram data point: count, sum, min, max.
func (p *pointWriter) histogram(dst []byte, dp pmetric.HistogramDataPoint) []byte {
	enc := p.l.enc
	dst = p.head(dst, dp.Timestamp())
	dst = enc.uint(dst, "count", dp.Count())
	if dp.HasSum() {
		dst = enc.float(dst, "sum", dp.Sum())
	}
	if dp.HasMin() {
		dst = enc.float(dst, "min", dp.Min())
	}
	if dp.HasMax() {
		dst = enc.float(dst, "max", dp.Max())
	}
	return p.tail(dst, dp.Attributes())
}

// expHistogram writes an exponential histogram data point: count, sum, min,
// max, scale, zero_count.
func (p *pointWriter) expHistogram(dst []byte, dp pmetric.ExponentialHistogramDataPoint) []byte {
	enc := p.l.enc
	dst = p.head(dst, dp.Timestamp())
	dst = enc.uint(dst, "count", dp.Count())
	if dp.HasSum() {
		dst = enc.float(dst, "sum", dp.Sum())
	}
	if dp.HasMin() {
		dst = enc.float(dst, "min", dp.Min())
	}
	if dp.HasMax() {
		dst = enc.float(dst, "max", dp.Max())
	}
	dst = enc.int(dst, "scale", int64(dp.Scale()))
	dst = enc.uint(dst, "zero_count", dp.ZeroCount())
	return p.tail(dst, dp.Attributes())
}

// summary writes a summary data point: count and sum.
func (p *pointWriter) summary(dst []byte, dp pmetric.SummaryDataPoint) []byte {
	dst = p.head(dst, dp.Timestamp())
	dst = p.l.enc.uint(dst, "count", dp.Count())
	dst = p.l.enc.float(dst, "sum", dp.Sum())
	return p.tail(dst, dp.Attributes())
}
