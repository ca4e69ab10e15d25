package otlpjson

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestAppendAnyValue(t *testing.T) {
	tests := []struct {
		name string
		set  func(v pcommon.Value)
		want string
	}{
		{name: "empty", set: func(pcommon.Value) {}, want: `{}`},
		{name: "string", set: func(v pcommon.Value) { v.SetStr("a\"b") }, want: `{"stringValue":"a\"b"}`},
		{name: "empty string", set: func(v pcommon.Value) { v.SetStr("") }, want: `{"stringValue":""}`},
		{name: "true", set: func(v pcommon.Value) { v.SetBool(true) }, want: `{"boolValue":true}`},
		{name: "false", set: func(v pcommon.Value) { v.SetBool(false) }, want: `{"boolValue":false}`},
		{name: "int", set: func(v pcommon.Value) { v.SetInt(math.MinInt64) }, want: `{"intValue":"-9223372036854775808"}`},
		{name: "double", set: func(v pcommon.Value) { v.SetDouble(1.5) }, want: `{"doubleValue":1.5}`},
		{name: "double exp small", set: func(v pcommon.Value) { v.SetDouble(1e-7) }, want: `{"doubleValue":1e-07}`},
		{name: "double exp large", set: func(v pcommon.Value) { v.SetDouble(-1e21) }, want: `{"doubleValue":-1e+21}`},
		{name: "double below exp", set: func(v pcommon.Value) { v.SetDouble(1e20) }, want: `{"doubleValue":100000000000000000000}`},
		{name: "nan", set: func(v pcommon.Value) { v.SetDouble(math.NaN()) }, want: `{"doubleValue":"NaN"}`},
		{name: "inf", set: func(v pcommon.Value) { v.SetDouble(math.Inf(1)) }, want: `{"doubleValue":"Infinity"}`},
		{name: "-inf", set: func(v pcommon.Value) { v.SetDouble(math.Inf(-1)) }, want: `{"doubleValue":"-Infinity"}`},
		{name: "bytes empty", set: func(v pcommon.Value) { v.SetEmptyBytes() }, want: `{"bytesValue":""}`},
		{name: "bytes padded", set: func(v pcommon.Value) { v.SetEmptyBytes().FromRaw([]byte{0xff, 0xfe, 'a', 'b'}) }, want: `{"bytesValue":"//5hYg=="}`},
		{name: "array empty", set: func(v pcommon.Value) { v.SetEmptySlice() }, want: `{"arrayValue":{}}`},
		{name: "array", set: func(v pcommon.Value) {
			s := v.SetEmptySlice()
			s.AppendEmpty().SetInt(1)
			s.AppendEmpty()
		}, want: `{"arrayValue":{"values":[{"intValue":"1"},{}]}}`},
		{name: "kvlist empty", set: func(v pcommon.Value) { v.SetEmptyMap() }, want: `{"kvlistValue":{}}`},
		{name: "kvlist", set: func(v pcommon.Value) {
			m := v.SetEmptyMap()
			m.PutStr("k", "v")
			m.PutEmptyMap("")
		}, want: `{"kvlistValue":{"values":[{"key":"k","value":{"stringValue":"v"}},{"value":{"kvlistValue":{}}}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := pcommon.NewValueEmpty()
			tt.set(v)
			assert.Equal(t, "x"+tt.want, string(AppendAnyValue([]byte("x"), v)))
		})
	}
}

func TestAppendAnyValueLongBytes(t *testing.T) {
	// Longer than one encoding chunk, and not a multiple of 3.
	raw := []byte(strings.Repeat("0123456789", 100) + "x")
	v := pcommon.NewValueEmpty()
	v.SetEmptyBytes().FromRaw(raw)
	want := `{"bytesValue":"` + base64Std(raw) + `"}`
	assert.Equal(t, want, string(AppendAnyValue(nil, v)))
}
