package otlpjson

// The fuzz tests build pdata from the fuzz input, encode it, decode it with
// pdata's own unmarshaler and require the result to equal the input (with
// invalid UTF-8 replaced by U+FFFD). Their seeds run in plain `go test`.
// To fuzz longer, run one target at a time, for example:
//
//	go test -run '^$' -fuzz '^FuzzLogs$' -fuzztime 60s ./internal/otlpjson
//	go test -run '^$' -fuzz '^FuzzTraces$' -fuzztime 60s ./internal/otlpjson
//	go test -run '^$' -fuzz '^FuzzMetrics$' -fuzztime 60s ./internal/otlpjson
//	go test -run '^$' -fuzz '^FuzzAppendString$' -fuzztime 60s ./internal/otlpjson

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// fuzzInput is what every fuzz target draws its data from.
type fuzzInput struct {
	s1, s2 string
	i      int64
	d      float64
	u      uint64
	raw    []byte
}

func addSeeds(f *testing.F) {
	f.Add("service", "value", int64(0), 0.0, uint64(0), []byte{})
	f.Add("héllo ✓", "quote\" back\\ nl\n", int64(-1), 3.14, uint64(1700000000000000000), []byte{0, 1, 2, 3})
	f.Add("\xff\xfe", "a\xc3(", int64(math.MinInt64), math.Inf(1), uint64(math.MaxUint64), []byte{6, 0xff})
	f.Add("\x00\x1f\u2028", "", int64(math.MaxInt64), math.NaN(), uint64(1), []byte{5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18})
	f.Add("k", "v", int64(42), 1e-300, uint64(7), []byte{4, 'x'})
	f.Add("k", "v", int64(42), math.Copysign(0, -1), uint64(7), []byte{2})
}

// canonical returns d as it comes back from OTLP/JSON: any NaN, whatever its
// payload, decodes to math.NaN(). Everything else, -0 included, is exact.
func canonical(d float64) float64 {
	if math.IsNaN(d) {
		return math.NaN()
	}
	return d
}

// putValue sets v to a value whose type is chosen by in.raw.
func putValue(v pcommon.Value, in fuzzInput, clean func(string) string) {
	sel := byte(0)
	if len(in.raw) > 0 {
		sel = in.raw[0]
	}
	switch sel % 8 {
	case 0:
		v.SetStr(clean(in.s1))
	case 1:
		v.SetInt(in.i)
	case 2:
		v.SetDouble(canonical(in.d))
	case 3:
		v.SetBool(in.i%2 == 0)
	case 4:
		v.SetEmptyBytes().FromRaw(in.raw)
	case 5:
		s := v.SetEmptySlice()
		s.AppendEmpty().SetStr(clean(in.s2))
		s.AppendEmpty().SetEmptyBytes().FromRaw(in.raw)
		s.AppendEmpty()
	case 6:
		m := v.SetEmptyMap()
		m.PutStr("a."+clean(in.s1), clean(in.s2))
		m.PutDouble("b."+clean(in.s2), canonical(in.d))
		m.PutEmptyMap("c").PutInt(clean(in.s1), in.i)
	default:
		// empty
	}
}

func putAttrs(m pcommon.Map, in fuzzInput, clean func(string) string) {
	m.PutStr("a."+clean(in.s1), clean(in.s2))
	m.PutInt("b."+clean(in.s2), in.i)
	putValue(m.PutEmpty("c."+clean(in.s1)), in, clean)
}

func ids(raw []byte) (pcommon.TraceID, pcommon.SpanID) {
	var tid pcommon.TraceID
	var sid pcommon.SpanID
	n := copy(tid[:], raw)
	copy(sid[:], raw[n:])
	return tid, sid
}

func identity(s string) string { return s }

func buildFuzzLogs(in fuzzInput, clean func(string) string) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.SetSchemaUrl(clean(in.s1))
	putAttrs(rl.Resource().Attributes(), in, clean)
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(clean(in.s2))
	sl.Scope().SetVersion(clean(in.s1))
	sl.SetSchemaUrl(clean(in.s2))
	lr := sl.LogRecords().AppendEmpty()
	lr.SetTimestamp(pcommon.Timestamp(in.u))
	lr.SetObservedTimestamp(pcommon.Timestamp(uint64(in.i)))
	lr.SetSeverityNumber(plog.SeverityNumber(int32(in.i)))
	lr.SetSeverityText(clean(in.s1))
	putValue(lr.Body(), in, clean)
	putAttrs(lr.Attributes(), in, clean)
	lr.SetDroppedAttributesCount(uint32(in.u))
	lr.SetFlags(plog.LogRecordFlags(uint32(in.u >> 32)))
	tid, sid := ids(in.raw)
	lr.SetTraceID(tid)
	lr.SetSpanID(sid)
	lr.SetEventName(clean(in.s2))
	return ld
}

func FuzzLogs(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, s1, s2 string, i int64, d float64, u uint64, raw []byte) {
		in := fuzzInput{s1: s1, s2: s2, i: i, d: d, u: u, raw: raw}
		requireLogsRoundTrip(t, buildFuzzLogs(in, sanitize), buildFuzzLogs(in, identity))
	})
}

func buildFuzzTraces(in fuzzInput, clean func(string) string) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	putAttrs(rs.Resource().Attributes(), in, clean)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(clean(in.s1))
	sp := ss.Spans().AppendEmpty()
	tid, sid := ids(in.raw)
	sp.SetTraceID(tid)
	sp.SetSpanID(sid)
	sp.SetParentSpanID(pcommon.SpanID(tid[8:]))
	sp.TraceState().FromRaw(clean(in.s2))
	sp.SetFlags(uint32(in.u))
	sp.SetName(clean(in.s1))
	sp.SetKind(ptrace.SpanKind(int32(in.i)))
	sp.SetStartTimestamp(pcommon.Timestamp(in.u))
	sp.SetEndTimestamp(pcommon.Timestamp(uint64(in.i)))
	putAttrs(sp.Attributes(), in, clean)
	ev := sp.Events().AppendEmpty()
	ev.SetName(clean(in.s2))
	ev.SetTimestamp(pcommon.Timestamp(in.u))
	putAttrs(ev.Attributes(), in, clean)
	ln := sp.Links().AppendEmpty()
	ln.SetTraceID(tid)
	ln.TraceState().FromRaw(clean(in.s1))
	ln.SetFlags(uint32(in.i))
	sp.Status().SetMessage(clean(in.s2))
	sp.Status().SetCode(ptrace.StatusCode(int32(in.u)))
	return td
}

func FuzzTraces(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, s1, s2 string, i int64, d float64, u uint64, raw []byte) {
		in := fuzzInput{s1: s1, s2: s2, i: i, d: d, u: u, raw: raw}
		requireTracesRoundTrip(t, buildFuzzTraces(in, sanitize), buildFuzzTraces(in, identity))
	})
}

func buildFuzzMetrics(in fuzzInput, clean func(string) string) pmetric.Metrics {
	d := canonical(in.d)
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	putAttrs(rm.Resource().Attributes(), in, clean)
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()

	g := ms.AppendEmpty()
	g.SetName(clean(in.s1))
	g.SetDescription(clean(in.s2))
	g.Metadata().PutStr("m."+clean(in.s1), clean(in.s2))
	gdp := g.SetEmptyGauge().DataPoints().AppendEmpty()
	gdp.SetDoubleValue(d)
	putAttrs(gdp.Attributes(), in, clean)
	ex := gdp.Exemplars().AppendEmpty()
	ex.SetIntValue(in.i)
	tid, sid := ids(in.raw)
	ex.SetTraceID(tid)
	ex.SetSpanID(sid)
	putAttrs(ex.FilteredAttributes(), in, clean)

	s := ms.AppendEmpty().SetEmptySum()
	s.SetAggregationTemporality(pmetric.AggregationTemporality(int32(in.i)))
	s.SetIsMonotonic(in.u%2 == 1)
	sdp := s.DataPoints().AppendEmpty()
	sdp.SetIntValue(in.i)
	sdp.SetFlags(pmetric.DataPointFlags(uint32(in.u)))

	h := ms.AppendEmpty().SetEmptyHistogram()
	hdp := h.DataPoints().AppendEmpty()
	hdp.SetCount(in.u)
	hdp.SetSum(d)
	hdp.SetMin(d)
	hdp.SetMax(canonical(-in.d))
	bounds := make([]float64, 0, len(in.raw))
	counts := make([]uint64, 0, len(in.raw))
	for k, b := range in.raw {
		bounds = append(bounds, canonical(float64(b)*d))
		counts = append(counts, uint64(b)<<(k%64))
	}
	hdp.ExplicitBounds().FromRaw(bounds)
	hdp.BucketCounts().FromRaw(counts)

	e := ms.AppendEmpty().SetEmptyExponentialHistogram()
	edp := e.DataPoints().AppendEmpty()
	edp.SetScale(int32(in.i))
	edp.SetZeroCount(in.u)
	edp.SetZeroThreshold(d)
	edp.Positive().SetOffset(int32(in.u))
	edp.Positive().BucketCounts().FromRaw(counts)
	edp.Negative().SetOffset(int32(in.i >> 32))

	su := ms.AppendEmpty().SetEmptySummary()
	qdp := su.DataPoints().AppendEmpty()
	qdp.SetSum(d)
	qdp.SetCount(in.u)
	q := qdp.QuantileValues().AppendEmpty()
	q.SetQuantile(d)
	q.SetValue(float64(in.i))
	return md
}

func FuzzMetrics(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, s1, s2 string, i int64, d float64, u uint64, raw []byte) {
		in := fuzzInput{s1: s1, s2: s2, i: i, d: d, u: u, raw: raw}
		requireMetricsRoundTrip(t, buildFuzzMetrics(in, sanitize), buildFuzzMetrics(in, identity))
	})
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\\n\x00", "\xff", "✓\u2028", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := AppendString(nil, s)
		var decoded string
		require.NoErrorf(t, json.Unmarshal(out, &decoded), "output %q", out)
		require.Equal(t, sanitize(s), decoded)
	})
}
