package otlpjson

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

func appendNumberDataPoint(dst []byte, dp pmetric.NumberDataPoint) []byte {
	start := len(dst)
	dst = appendAttributesField(dst, dp.Attributes())
	dst = appendTimeField(dst, `,"startTimeUnixNano":`, dp.StartTimestamp())
	dst = appendTimeField(dst, `,"timeUnixNano":`, dp.Timestamp())
	switch dp.ValueType() {
	case pmetric.NumberDataPointValueTypeDouble:
		dst = append(dst, `,"asDouble":`...)
		dst = appendFloat(dst, dp.DoubleValue())
	case pmetric.NumberDataPointValueTypeInt:
		dst = append(dst, `,"asInt":`...)
		dst = appendQuotedInt(dst, dp.IntValue())
	}
	dst = appendExemplars(dst, dp.Exemplars())
	dst = appendUint32Field(dst, `,"flags":`, uint32(dp.Flags()))
	return closeObject(dst, start)
}

func appendHistogramDataPoint(dst []byte, dp pmetric.HistogramDataPoint) []byte {
	start := len(dst)
	dst = appendAttributesField(dst, dp.Attributes())
	dst = appendTimeField(dst, `,"startTimeUnixNano":`, dp.StartTimestamp())
	dst = appendTimeField(dst, `,"timeUnixNano":`, dp.Timestamp())
	dst = appendUint64Field(dst, `,"count":`, dp.Count())
	if dp.HasSum() {
		dst = append(dst, `,"sum":`...)
		dst = appendFloat(dst, dp.Sum())
	}
	dst = appendUint64SliceField(dst, `,"bucketCounts":`, dp.BucketCounts())
	if b := dp.ExplicitBounds(); b.Len() > 0 {
		dst = append(dst, `,"explicitBounds":[`...)
		for i := range b.Len() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendFloat(dst, b.At(i))
		}
		dst = append(dst, ']')
	}
	dst = appendExemplars(dst, dp.Exemplars())
	dst = appendUint32Field(dst, `,"flags":`, uint32(dp.Flags()))
	if dp.HasMin() {
		dst = append(dst, `,"min":`...)
		dst = appendFloat(dst, dp.Min())
	}
	if dp.HasMax() {
		dst = append(dst, `,"max":`...)
		dst = appendFloat(dst, dp.Max())
	}
	return closeObject(dst, start)
}

func appendExpHistogramDataPoint(dst []byte, dp pmetric.ExponentialHistogramDataPoint) []byte {
	start := len(dst)
	dst = appendAttributesField(dst, dp.Attributes())
	dst = appendTimeField(dst, `,"startTimeUnixNano":`, dp.StartTimestamp())
	dst = appendTimeField(dst, `,"timeUnixNano":`, dp.Timestamp())
	dst = appendUint64Field(dst, `,"count":`, dp.Count())
	if dp.HasSum() {
		dst = append(dst, `,"sum":`...)
		dst = appendFloat(dst, dp.Sum())
	}
	if scale := dp.Scale(); scale != 0 {
		dst = append(dst, `,"scale":`...)
		dst = appendInt32(dst, scale)
	}
	dst = appendUint64Field(dst, `,"zeroCount":`, dp.ZeroCount())
	dst = append(dst, `,"positive":`...)
	dst = appendBuckets(dst, dp.Positive())
	dst = append(dst, `,"negative":`...)
	dst = appendBuckets(dst, dp.Negative())
	dst = appendUint32Field(dst, `,"flags":`, uint32(dp.Flags()))
	dst = appendExemplars(dst, dp.Exemplars())
	if dp.HasMin() {
		dst = append(dst, `,"min":`...)
		dst = appendFloat(dst, dp.Min())
	}
	if dp.HasMax() {
		dst = append(dst, `,"max":`...)
		dst = appendFloat(dst, dp.Max())
	}
	if zt := dp.ZeroThreshold(); zt != 0 {
		dst = append(dst, `,"zeroThreshold":`...)
		dst = appendFloat(dst, zt)
	}
	dst[start] = '{' // positive and negative are always written
	return append(dst, '}')
}

func appendBuckets(dst []byte, b pmetric.ExponentialHistogramDataPointBuckets) []byte {
	start := len(dst)
	if off := b.Offset(); off != 0 {
		dst = append(dst, `,"offset":`...)
		dst = appendInt32(dst, off)
	}
	dst = appendUint64SliceField(dst, `,"bucketCounts":`, b.BucketCounts())
	return closeObject(dst, start)
}

func appendSummaryDataPoint(dst []byte, dp pmetric.SummaryDataPoint) []byte {
	start := len(dst)
	dst = appendAttributesField(dst, dp.Attributes())
	dst = appendTimeField(dst, `,"startTimeUnixNano":`, dp.StartTimestamp())
	dst = appendTimeField(dst, `,"timeUnixNano":`, dp.Timestamp())
	dst = appendUint64Field(dst, `,"count":`, dp.Count())
	dst = appendFloatField(dst, `,"sum":`, dp.Sum())
	if qs := dp.QuantileValues(); qs.Len() > 0 {
		dst = append(dst, `,"quantileValues":[`...)
		for i := range qs.Len() {
			if i > 0 {
				dst = append(dst, ',')
			}
			q := qs.At(i)
			qstart := len(dst)
			dst = appendFloatField(dst, `,"quantile":`, q.Quantile())
			dst = appendFloatField(dst, `,"value":`, q.Value())
			dst = closeObject(dst, qstart)
		}
		dst = append(dst, ']')
	}
	dst = appendUint32Field(dst, `,"flags":`, uint32(dp.Flags()))
	return closeObject(dst, start)
}

func appendExemplars(dst []byte, es pmetric.ExemplarSlice) []byte {
	if es.Len() == 0 {
		return dst
	}
	dst = append(dst, `,"exemplars":[`...)
	for i := range es.Len() {
		if i > 0 {
			dst = append(dst, ',')
		}
		e := es.At(i)
		start := len(dst)
		if fa := e.FilteredAttributes(); fa.Len() > 0 {
			dst = append(dst, `,"filteredAttributes":`...)
			dst = appendKeyValues(dst, fa)
		}
		dst = appendTimeField(dst, `,"timeUnixNano":`, e.Timestamp())
		switch e.ValueType() {
		case pmetric.ExemplarValueTypeDouble:
			dst = append(dst, `,"asDouble":`...)
			dst = appendFloat(dst, e.DoubleValue())
		case pmetric.ExemplarValueTypeInt:
			dst = append(dst, `,"asInt":`...)
			dst = appendQuotedInt(dst, e.IntValue())
		}
		if id := e.TraceID(); !id.IsEmpty() {
			dst = append(dst, `,"traceId":`...)
			dst = appendTraceID(dst, id)
		}
		if id := e.SpanID(); !id.IsEmpty() {
			dst = append(dst, `,"spanId":`...)
			dst = appendSpanID(dst, id)
		}
		dst = closeObject(dst, start)
	}
	return append(dst, ']')
}

// appendUint64Field appends `<prefix>"n"` unless n is 0.
func appendUint64Field(dst []byte, prefix string, n uint64) []byte {
	if n == 0 {
		return dst
	}
	dst = append(dst, prefix...)
	return appendQuotedUint(dst, n)
}

// appendFloatField appends `<prefix>f` unless f is 0 (proto3 default).
func appendFloatField(dst []byte, prefix string, f float64) []byte {
	if f == 0 {
		return dst
	}
	dst = append(dst, prefix...)
	return appendFloat(dst, f)
}

// appendUint64SliceField appends `<prefix>["1","2"]` unless s is empty.
func appendUint64SliceField(dst []byte, prefix string, s pcommon.UInt64Slice) []byte {
	if s.Len() == 0 {
		return dst
	}
	dst = append(dst, prefix...)
	for i := range s.Len() {
		if i == 0 {
			dst = append(dst, '[')
		} else {
			dst = append(dst, ',')
		}
		dst = appendQuotedUint(dst, s.At(i))
	}
	return append(dst, ']')
}
