package otlpjson

import "go.opentelemetry.io/collector/pdata/pcommon"

// AppendAnyValue appends v as an OTLP/JSON AnyValue object
// ({"stringValue":"..."}, {"intValue":"42"}, {"arrayValue":{"values":[...]}},
// ..., or {} for an empty value) and returns the extended buffer.
func AppendAnyValue(dst []byte, v pcommon.Value) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		dst = append(dst, `{"stringValue":`...)
		dst = AppendString(dst, v.Str())
	case pcommon.ValueTypeInt:
		dst = append(dst, `{"intValue":`...)
		dst = appendQuotedInt(dst, v.Int())
	case pcommon.ValueTypeDouble:
		dst = append(dst, `{"doubleValue":`...)
		dst = appendFloat(dst, v.Double())
	case pcommon.ValueTypeBool:
		if v.Bool() {
			return append(dst, `{"boolValue":true}`...)
		}
		return append(dst, `{"boolValue":false}`...)
	case pcommon.ValueTypeBytes:
		dst = append(dst, `{"bytesValue":`...)
		dst = appendBytes(dst, v.Bytes())
	case pcommon.ValueTypeSlice:
		dst = append(dst, `{"arrayValue":`...)
		dst = appendArrayValue(dst, v.Slice())
	case pcommon.ValueTypeMap:
		dst = append(dst, `{"kvlistValue":`...)
		dst = appendKVList(dst, v.Map())
	default: // pcommon.ValueTypeEmpty
		return append(dst, '{', '}')
	}
	return append(dst, '}')
}

// appendArrayValue appends an ArrayValue message: {"values":[...]}.
func appendArrayValue(dst []byte, s pcommon.Slice) []byte {
	n := s.Len()
	if n == 0 {
		return append(dst, '{', '}')
	}
	dst = append(dst, `{"values":[`...)
	for i := range n {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendAnyValue(dst, s.At(i))
	}
	return append(dst, ']', '}')
}

// appendKVList appends a KeyValueList message: {"values":[...]}.
func appendKVList(dst []byte, m pcommon.Map) []byte {
	if m.Len() == 0 {
		return append(dst, '{', '}')
	}
	dst = append(dst, `{"values":`...)
	dst = appendKeyValues(dst, m)
	return append(dst, '}')
}

// appendKeyValues appends m as a JSON array of KeyValue messages. m must not
// be empty.
func appendKeyValues(dst []byte, m pcommon.Map) []byte {
	dst = append(dst, '[')
	first := true
	for k, v := range m.All() {
		if first {
			first = false
		} else {
			dst = append(dst, ',')
		}
		if k == "" {
			dst = append(dst, `{"value":`...)
		} else {
			dst = append(dst, `{"key":`...)
			dst = AppendString(dst, k)
			dst = append(dst, `,"value":`...)
		}
		dst = AppendAnyValue(dst, v)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// appendAttributesField appends `,"attributes":[...]` unless m is empty.
func appendAttributesField(dst []byte, m pcommon.Map) []byte {
	if m.Len() == 0 {
		return dst
	}
	dst = append(dst, `,"attributes":`...)
	return appendKeyValues(dst, m)
}

// appendDroppedAttributesCount appends `,"droppedAttributesCount":n` unless
// n is 0.
func appendDroppedAttributesCount(dst []byte, n uint32) []byte {
	if n == 0 {
		return dst
	}
	dst = append(dst, `,"droppedAttributesCount":`...)
	return appendUint32(dst, n)
}

// appendStringField appends `<prefix>"s"` unless s is empty. prefix is the
// comma-led key, such as `,"name":`.
func appendStringField(dst []byte, prefix, s string) []byte {
	if s == "" {
		return dst
	}
	dst = append(dst, prefix...)
	return AppendString(dst, s)
}

// appendTimeField appends `<prefix>"t"` unless t is 0.
func appendTimeField(dst []byte, prefix string, t pcommon.Timestamp) []byte {
	if t == 0 {
		return dst
	}
	dst = append(dst, prefix...)
	return appendQuotedUint(dst, uint64(t))
}

// appendUint32Field appends `<prefix>n` unless n is 0.
func appendUint32Field(dst []byte, prefix string, n uint32) []byte {
	if n == 0 {
		return dst
	}
	dst = append(dst, prefix...)
	return appendUint32(dst, n)
}

// closeObject finishes a JSON object whose fields were all written with a
// leading comma starting at dst[start]: the first comma becomes the opening
// brace, or "{}" is written when no field was.
func closeObject(dst []byte, start int) []byte {
	if len(dst) == start {
		return append(dst, '{', '}')
	}
	dst[start] = '{'
	return append(dst, '}')
}
