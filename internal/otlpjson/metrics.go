package otlpjson

import (
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// AppendMetrics appends the OTLP/JSON encoding of md, an
// ExportMetricsServiceRequest ({"resourceMetrics":[...]}), to dst and returns
// the extended buffer. No trailing newline is written.
func AppendMetrics(dst []byte, md pmetric.Metrics) []byte {
	rms := md.ResourceMetrics()
	if rms.Len() == 0 {
		return append(dst, '{', '}')
	}
	dst = append(dst, `{"resourceMetrics":[`...)
	for i := range rms.Len() {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendResourceMetrics(dst, rms.At(i))
	}
	return append(dst, ']', '}')
}

func appendResourceMetrics(dst []byte, rm pmetric.ResourceMetrics) []byte {
	dst = append(dst, `{"resource":`...)
	dst = appendResource(dst, rm.Resource())
	if sms := rm.ScopeMetrics(); sms.Len() > 0 {
		dst = append(dst, `,"scopeMetrics":[`...)
		for i := range sms.Len() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendScopeMetrics(dst, sms.At(i))
		}
		dst = append(dst, ']')
	}
	dst = appendStringField(dst, `,"schemaUrl":`, rm.SchemaUrl())
	return append(dst, '}')
}

func appendScopeMetrics(dst []byte, sm pmetric.ScopeMetrics) []byte {
	dst = append(dst, `{"scope":`...)
	dst = appendScope(dst, sm.Scope())
	if ms := sm.Metrics(); ms.Len() > 0 {
		dst = append(dst, `,"metrics":[`...)
		for i := range ms.Len() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendMetric(dst, ms.At(i))
		}
		dst = append(dst, ']')
	}
	dst = appendStringField(dst, `,"schemaUrl":`, sm.SchemaUrl())
	return append(dst, '}')
}

func appendMetric(dst []byte, m pmetric.Metric) []byte {
	start := len(dst)
	dst = appendStringField(dst, `,"name":`, m.Name())
	dst = appendStringField(dst, `,"description":`, m.Description())
	dst = appendStringField(dst, `,"unit":`, m.Unit())
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		dst = append(dst, `,"gauge":`...)
		body := len(dst)
		dst = appendNumberDataPoints(dst, m.Gauge().DataPoints())
		dst = closeObject(dst, body)
	case pmetric.MetricTypeSum:
		s := m.Sum()
		dst = append(dst, `,"sum":`...)
		body := len(dst)
		dst = appendNumberDataPoints(dst, s.DataPoints())
		dst = appendTemporality(dst, s.AggregationTemporality())
		if s.IsMonotonic() {
			dst = append(dst, `,"isMonotonic":true`...)
		}
		dst = closeObject(dst, body)
	case pmetric.MetricTypeHistogram:
		h := m.Histogram()
		dst = append(dst, `,"histogram":`...)
		body := len(dst)
		dst = appendHistogramDataPoints(dst, h.DataPoints())
		dst = appendTemporality(dst, h.AggregationTemporality())
		dst = closeObject(dst, body)
	case pmetric.MetricTypeExponentialHistogram:
		h := m.ExponentialHistogram()
		dst = append(dst, `,"exponentialHistogram":`...)
		body := len(dst)
		dst = appendExpHistogramDataPoints(dst, h.DataPoints())
		dst = appendTemporality(dst, h.AggregationTemporality())
		dst = closeObject(dst, body)
	case pmetric.MetricTypeSummary:
		dst = append(dst, `,"summary":`...)
		body := len(dst)
		dst = appendSummaryDataPoints(dst, m.Summary().DataPoints())
		dst = closeObject(dst, body)
	}
	if md := m.Metadata(); md.Len() > 0 {
		dst = append(dst, `,"metadata":`...)
		dst = appendKeyValues(dst, md)
	}
	return closeObject(dst, start)
}

// appendTemporality appends `,"aggregationTemporality":n` unless n is 0.
func appendTemporality(dst []byte, t pmetric.AggregationTemporality) []byte {
	if t == 0 {
		return dst
	}
	dst = append(dst, `,"aggregationTemporality":`...)
	return appendInt32(dst, int32(t))
}

// The appendXDataPoints functions write `,"dataPoints":[...]`, or nothing
// when there are no data points; the caller writes the other fields of the
// data-carrying object, each led by a comma, and closes it with closeObject.

// dataPointSlice is what the pdata data point slices have in common.
type dataPointSlice[P any] interface {
	Len() int
	At(i int) P
}

func appendDataPoints[P any, S dataPointSlice[P]](dst []byte, dps S, appendPoint func([]byte, P) []byte) []byte {
	if dps.Len() == 0 {
		return dst
	}
	dst = append(dst, `,"dataPoints":[`...)
	for i := range dps.Len() {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendPoint(dst, dps.At(i))
	}
	return append(dst, ']')
}

func appendNumberDataPoints(dst []byte, dps pmetric.NumberDataPointSlice) []byte {
	return appendDataPoints(dst, dps, appendNumberDataPoint)
}

func appendHistogramDataPoints(dst []byte, dps pmetric.HistogramDataPointSlice) []byte {
	return appendDataPoints(dst, dps, appendHistogramDataPoint)
}

func appendExpHistogramDataPoints(dst []byte, dps pmetric.ExponentialHistogramDataPointSlice) []byte {
	return appendDataPoints(dst, dps, appendExpHistogramDataPoint)
}

func appendSummaryDataPoints(dst []byte, dps pmetric.SummaryDataPointSlice) []byte {
	return appendDataPoints(dst, dps, appendSummaryDataPoint)
}
