package otlpfixtures

import (
	"math"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/xpdata/entity"
)

// BaseTime is the timestamp (2023-11-14T22:13:20Z) every fixture starts from.
const BaseTime pcommon.Timestamp = 1_700_000_000_000_000_000

// TraceID returns a deterministic, non-empty trace id derived from i.
func TraceID(i int) pcommon.TraceID {
	var id pcommon.TraceID
	for k := range id {
		id[k] = byte(i>>(8*(k%4))) ^ byte(0x5a+k)
	}
	return id
}

// SpanID returns a deterministic, non-empty span id derived from i.
func SpanID(i int) pcommon.SpanID {
	var id pcommon.SpanID
	for k := range id {
		id[k] = byte(i>>(8*(k%4))) ^ byte(0xa5-k)
	}
	return id
}

// putTelemetrygenResource fills the resource the way telemetrygen does.
func putTelemetrygenResource(r pcommon.Resource) {
	r.Attributes().PutStr("service.name", "telemetrygen")
}

// putTelemetrygenScope fills the scope the way telemetrygen does.
func putTelemetrygenScope(s pcommon.InstrumentationScope) {
	s.SetName("telemetrygen")
	s.SetVersion("v0.139.0")
}

// PutRichAttributes adds attributes of every AnyValue type to m: strings
// (empty, unicode, JSON metacharacters and control characters), booleans,
// integers (including the extremes), doubles (zero, extremes, subnormals,
// values that switch to exponent notation), bytes (empty and binary), arrays
// and kvlists (empty and nested), and an empty value. It adds no NaN or
// infinities, which fail equality checks; see PutSpecialDoubles for those.
func PutRichAttributes(m pcommon.Map) {
	m.PutStr("str", "hello")
	m.PutStr("str.empty", "")
	m.PutStr("str.unicode", "héllo wörld ✓ 日本語 🚀")
	m.PutStr("str.escapes", "quote\" backslash\\ slash/ nl\n cr\r tab\t bs\b ff\f nul\x00 us\x1f del\x7f <>&")
	m.PutStr("str.linesep", "a\u2028b\u2029c")
	m.PutStr("", "empty key")
	m.PutStr("key \"with\" \\escapes\n", "v")
	m.PutBool("bool.true", true)
	m.PutBool("bool.false", false)
	m.PutInt("int.zero", 0)
	m.PutInt("int.neg", -42)
	m.PutInt("int.max", math.MaxInt64)
	m.PutInt("int.min", math.MinInt64)
	m.PutDouble("double.zero", 0)
	m.PutDouble("double.pi", math.Pi)
	m.PutDouble("double.neg", -1.5e-300)
	m.PutDouble("double.big", 1.7976931348623157e308)
	m.PutDouble("double.small", 5e-324)
	m.PutDouble("double.int", 3)
	m.PutDouble("double.tiny", 1e-7)
	m.PutDouble("double.large", 1e21)
	m.PutEmptyBytes("bytes.empty")
	m.PutEmptyBytes("bytes").FromRaw([]byte{0, 1, 2, 0xfe, 0xff, 'a'})
	m.PutEmptySlice("array.empty")
	arr := m.PutEmptySlice("array")
	arr.AppendEmpty().SetStr("x")
	arr.AppendEmpty().SetInt(7)
	arr.AppendEmpty().SetDouble(2.5)
	arr.AppendEmpty().SetBool(true)
	arr.AppendEmpty() // empty value
	arr.AppendEmpty().SetEmptyBytes().FromRaw([]byte("abc"))
	arr.AppendEmpty().SetEmptySlice().AppendEmpty().SetStr("nested")
	arr.AppendEmpty().SetEmptyMap().PutStr("k", "v")
	m.PutEmptyMap("kvlist.empty")
	kv := m.PutEmptyMap("kvlist")
	kv.PutStr("a", "b")
	kv.PutInt("n", 1)
	inner := kv.PutEmptyMap("inner")
	inner.PutEmptySlice("list").AppendEmpty().SetBool(false)
	inner.PutEmpty("nothing")
	m.PutEmpty("empty")
}

// PutSpecialDoubles adds NaN, +Inf and -Inf double attributes to m. OTLP/JSON
// writes them as the strings "NaN", "Infinity" and "-Infinity".
func PutSpecialDoubles(m pcommon.Map) {
	m.PutDouble("double.nan", math.NaN())
	m.PutDouble("double.inf", math.Inf(1))
	m.PutDouble("double.neginf", math.Inf(-1))
}

// fillRichResource sets every resource and scope field.
func fillRichResource(r pcommon.Resource) {
	PutRichAttributes(r.Attributes())
	r.SetDroppedAttributesCount(3)
	fillEntityRefs(r)
}

// fillRichScope sets every instrumentation scope field.
func fillRichScope(s pcommon.InstrumentationScope) {
	s.SetName("rich-scope \"é\"")
	s.SetVersion("1.2.3")
	s.Attributes().PutStr("scope.attr", "v")
	s.Attributes().PutInt("scope.int", 9)
	s.SetDroppedAttributesCount(4)
}

// fillEntityRefs adds two entity refs to the resource (one with every field
// set, one empty).
func fillEntityRefs(r pcommon.Resource) {
	refs := entity.ResourceEntityRefs(r)
	ref := refs.AppendEmpty()
	ref.SetSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
	ref.SetType("service")
	ref.IdKeys().FromRaw([]string{"service.name", "service.namespace"})
	ref.DescriptionKeys().FromRaw([]string{"service.version"})
	refs.AppendEmpty()
}
