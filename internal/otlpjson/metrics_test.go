package otlpjson

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
)

func TestAppendMetricsRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		md   pmetric.Metrics
	}{
		{name: "empty", md: pmetric.NewMetrics()},
		{name: "rich", md: otlpfixtures.RichMetrics()},
		{name: "telemetrygen", md: otlpfixtures.TelemetrygenMetrics(10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireMetricsRoundTrip(t, tt.md, tt.md)
		})
	}
}

func TestAppendMetricsMatchesPdataBytes(t *testing.T) {
	for _, md := range []pmetric.Metrics{pmetric.NewMetrics(), otlpfixtures.TelemetrygenMetrics(9), minimalMetrics()} {
		want, err := (&pmetric.JSONMarshaler{}).MarshalMetrics(md)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(AppendMetrics(nil, md)))
	}
}

// minimalMetrics has one metric of each type with one all-default data point,
// where only the always-present objects are written.
func minimalMetrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	ms.AppendEmpty().SetEmptyGauge().DataPoints().AppendEmpty()
	ms.AppendEmpty().SetEmptySum().DataPoints().AppendEmpty()
	ms.AppendEmpty().SetEmptyHistogram().DataPoints().AppendEmpty()
	ms.AppendEmpty().SetEmptyExponentialHistogram().DataPoints().AppendEmpty()
	ms.AppendEmpty().SetEmptySummary().DataPoints().AppendEmpty().QuantileValues().AppendEmpty()
	ms.AppendEmpty().SetEmptySummary()
	ms.AppendEmpty()
	return md
}

func TestAppendMetricsMatchesPdataSemantically(t *testing.T) {
	md := otlpfixtures.RichMetrics()
	pj, err := (&pmetric.JSONMarshaler{}).MarshalMetrics(md)
	require.NoError(t, err)
	fromPdata, err := (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics(pj)
	require.NoError(t, err)
	fromOurs, err := (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics(AppendMetrics(nil, md))
	require.NoError(t, err)
	requireMetricsEqual(t, fromPdata, fromOurs)
}

func TestAppendMetricsExactOutput(t *testing.T) {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("h")
	dp := m.SetEmptyExponentialHistogram().DataPoints().AppendEmpty()
	dp.SetCount(2)
	dp.SetSum(math.Inf(-1))
	dp.SetScale(-1)
	dp.SetZeroCount(1)
	dp.Positive().SetOffset(-4)
	dp.Positive().BucketCounts().FromRaw([]uint64{0, 7})
	dp.SetZeroThreshold(0.5)
	want := `{"resourceMetrics":[{"resource":{},"scopeMetrics":[{"scope":{},"metrics":[{"name":"h",` +
		`"exponentialHistogram":{"dataPoints":[{"count":"2","sum":"-Infinity","scale":-1,"zeroCount":"1",` +
		`"positive":{"offset":-4,"bucketCounts":["0","7"]},"negative":{},"zeroThreshold":0.5}]}}]}]}]}`
	assert.Equal(t, want, string(AppendMetrics(nil, md)))
}

func TestAppendMetricsInvalidUTF8(t *testing.T) {
	build := func(clean func(string) string) pmetric.Metrics {
		md := pmetric.NewMetrics()
		m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		m.SetName(clean("m\xff"))
		m.SetDescription(clean("\xc0\xaf"))
		m.SetUnit(clean("\xf8"))
		m.Metadata().PutStr(clean("\xfe"), clean("\xfd"))
		dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
		dp.Attributes().PutStr(clean("a\x80b"), clean("c\x81d"))
		dp.Exemplars().AppendEmpty().FilteredAttributes().PutStr(clean("\xa0"), "ok")
		return md
	}
	requireMetricsRoundTrip(t, build(sanitize), build(func(s string) string { return s }))
}

// emptyPointMetrics has every metric type with no data points and every
// non-default field of the data-carrying object set, the shape that once
// came out as `"sum":{,"aggregationTemporality":2}`.
func emptyPointMetrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	ms.AppendEmpty().SetEmptyGauge()
	s := ms.AppendEmpty().SetEmptySum()
	s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	s.SetIsMonotonic(true)
	ms.AppendEmpty().SetEmptySum().SetIsMonotonic(true)
	ms.AppendEmpty().SetEmptyHistogram().SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	ms.AppendEmpty().SetEmptyExponentialHistogram().SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	ms.AppendEmpty().SetEmptySummary()
	return md
}

func TestAppendMetricsNoDataPoints(t *testing.T) {
	md := emptyPointMetrics()
	out := requireMetricsRoundTrip(t, md, md)
	want, err := (&pmetric.JSONMarshaler{}).MarshalMetrics(md)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(out))
}
