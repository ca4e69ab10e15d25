package otlpfixtures

import (
	"math"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// TelemetrygenMetrics returns one resource and one scope holding three
// metrics (a gauge, a monotonic cumulative sum and a delta histogram with
// five explicit bounds) that share n data points round-robin. Each data point
// has start and end timestamps and two attributes.
func TelemetrygenMetrics(n int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	putTelemetrygenResource(rm.Resource())
	sm := rm.ScopeMetrics().AppendEmpty()
	putTelemetrygenScope(sm.Scope())

	gauge := sm.Metrics().AppendEmpty()
	gauge.SetName("gen.gauge")
	gauge.SetUnit("1")
	gdps := gauge.SetEmptyGauge().DataPoints()

	sum := sm.Metrics().AppendEmpty()
	sum.SetName("gen.sum")
	sum.SetDescription("a monotonic counter")
	sum.SetUnit("{request}")
	s := sum.SetEmptySum()
	s.SetIsMonotonic(true)
	s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	sdps := s.DataPoints()

	hist := sm.Metrics().AppendEmpty()
	hist.SetName("gen.histogram")
	hist.SetUnit("ms")
	h := hist.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	hdps := h.DataPoints()

	for i := range n {
		start := BaseTime + pcommon.Timestamp(i)*1_000_000
		end := start + 1_000_000_000
		switch i % 3 {
		case 0:
			dp := gdps.AppendEmpty()
			dp.SetStartTimestamp(start)
			dp.SetTimestamp(end)
			dp.SetDoubleValue(float64(i) * 1.25)
			putDataPointAttrs(dp.Attributes(), i)
		case 1:
			dp := sdps.AppendEmpty()
			dp.SetStartTimestamp(start)
			dp.SetTimestamp(end)
			dp.SetIntValue(int64(i) * 10)
			putDataPointAttrs(dp.Attributes(), i)
		default:
			dp := hdps.AppendEmpty()
			dp.SetStartTimestamp(start)
			dp.SetTimestamp(end)
			dp.SetCount(15)
			dp.SetSum(float64(i) + 0.5)
			dp.SetMin(0.25)
			dp.SetMax(float64(i) + 100)
			dp.ExplicitBounds().FromRaw([]float64{1, 5, 10, 50, 100})
			dp.BucketCounts().FromRaw([]uint64{1, 2, 3, 4, 5, 0})
			putDataPointAttrs(dp.Attributes(), i)
		}
	}
	return md
}

func putDataPointAttrs(m pcommon.Map, i int) {
	m.EnsureCapacity(2)
	m.PutStr("host", "worker-1")
	m.PutInt("shard", int64(i%4))
}

// RichMetrics returns metrics that set every field of the OTLP metrics data
// model: schema URLs, rich resource and scope attributes, entity refs, metric
// metadata, every metric type (gauge, sum, histogram, exponential histogram
// with positive and negative buckets, summary with quantiles), int and double
// values, exemplars, flags, min/max/sum presence, plus empty metrics, an empty
// scope and an empty resource.
func RichMetrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.SetSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
	fillRichResource(rm.Resource())
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.SetSchemaUrl("https://example.com/scope-schema")
	fillRichScope(sm.Scope())
	ms := sm.Metrics()

	g := ms.AppendEmpty()
	g.SetName("rich.gauge")
	g.SetDescription("desc \"quoted\" ✓")
	g.SetUnit("By")
	g.Metadata().PutStr("meta", "data")
	gdps := g.SetEmptyGauge().DataPoints()
	dp := gdps.AppendEmpty()
	PutRichAttributes(dp.Attributes())
	dp.SetStartTimestamp(BaseTime)
	dp.SetTimestamp(BaseTime + 1)
	dp.SetDoubleValue(-0.5)
	dp.SetFlags(pmetric.DefaultDataPointFlags.WithNoRecordedValue(true))
	putExemplars(dp.Exemplars())
	gdps.AppendEmpty().SetIntValue(math.MinInt64)
	gdps.AppendEmpty().SetDoubleValue(0)
	gdps.AppendEmpty() // no value

	s := ms.AppendEmpty()
	s.SetName("rich.sum")
	sum := s.SetEmptySum()
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	sum.SetIsMonotonic(true)
	sdp := sum.DataPoints().AppendEmpty()
	sdp.SetIntValue(math.MaxInt64)
	sdp.Attributes().PutStr("k", "v")
	putExemplars(sdp.Exemplars())

	h := ms.AppendEmpty()
	h.SetName("rich.histogram")
	hist := h.SetEmptyHistogram()
	hist.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	hdp := hist.DataPoints().AppendEmpty()
	hdp.Attributes().PutStr("k", "v")
	hdp.SetStartTimestamp(BaseTime)
	hdp.SetTimestamp(BaseTime + 2)
	hdp.SetCount(math.MaxUint64)
	hdp.SetSum(0) // present but zero
	hdp.SetMin(-1e-9)
	hdp.SetMax(1e300)
	hdp.ExplicitBounds().FromRaw([]float64{-1, 0, 0.5, 1e22})
	hdp.BucketCounts().FromRaw([]uint64{0, 1, math.MaxUint64, 3, 4})
	hdp.SetFlags(pmetric.DefaultDataPointFlags.WithNoRecordedValue(true))
	putExemplars(hdp.Exemplars())
	hist.DataPoints().AppendEmpty() // no sum, min, max

	e := ms.AppendEmpty()
	e.SetName("rich.exphistogram")
	eh := e.SetEmptyExponentialHistogram()
	eh.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	edp := eh.DataPoints().AppendEmpty()
	edp.Attributes().PutBool("b", true)
	edp.SetStartTimestamp(BaseTime)
	edp.SetTimestamp(BaseTime + 3)
	edp.SetCount(30)
	edp.SetSum(12.5)
	edp.SetScale(-3)
	edp.SetZeroCount(4)
	edp.SetZeroThreshold(1e-6)
	edp.Positive().SetOffset(-2)
	edp.Positive().BucketCounts().FromRaw([]uint64{1, 0, 5})
	edp.Negative().SetOffset(7)
	edp.Negative().BucketCounts().FromRaw([]uint64{9})
	edp.SetFlags(1)
	edp.SetMin(-3)
	edp.SetMax(8)
	putExemplars(edp.Exemplars())
	eh.DataPoints().AppendEmpty() // defaults

	su := ms.AppendEmpty()
	su.SetName("rich.summary")
	sdps := su.SetEmptySummary().DataPoints()
	qdp := sdps.AppendEmpty()
	qdp.Attributes().PutStr("k", "v")
	qdp.SetStartTimestamp(BaseTime)
	qdp.SetTimestamp(BaseTime + 4)
	qdp.SetCount(10)
	qdp.SetSum(99.9)
	qdp.SetFlags(1)
	q := qdp.QuantileValues()
	q0 := q.AppendEmpty()
	q0.SetQuantile(0)
	q0.SetValue(1)
	q1 := q.AppendEmpty()
	q1.SetQuantile(0.99)
	q1.SetValue(0)
	q2 := q.AppendEmpty()
	q2.SetQuantile(1)
	q2.SetValue(123.456)
	sdps.AppendEmpty() // defaults

	ms.AppendEmpty().SetName("rich.empty") // metric without data
	ms.AppendEmpty().SetEmptyGauge()       // gauge without points
	ms.AppendEmpty().SetEmptySum()         // sum without points
	rm.ScopeMetrics().AppendEmpty()        // empty scope

	md.ResourceMetrics().AppendEmpty() // empty resource
	return md
}

func putExemplars(es pmetric.ExemplarSlice) {
	e := es.AppendEmpty()
	e.FilteredAttributes().PutStr("filtered", "yes")
	e.SetTimestamp(BaseTime + 5)
	e.SetDoubleValue(2.5)
	e.SetTraceID(TraceID(3))
	e.SetSpanID(SpanID(3))
	e2 := es.AppendEmpty()
	e2.SetIntValue(-9)
	es.AppendEmpty() // empty exemplar
}
