package otlpjson

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/xpdata/entity"
)

// appendResource appends a Resource message.
func appendResource(dst []byte, r pcommon.Resource) []byte {
	start := len(dst)
	dst = appendAttributesField(dst, r.Attributes())
	dst = appendDroppedAttributesCount(dst, r.DroppedAttributesCount())
	if refs := entity.ResourceEntityRefs(r); refs.Len() > 0 {
		dst = append(dst, `,"entityRefs":[`...)
		for i := range refs.Len() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendEntityRef(dst, refs.At(i))
		}
		dst = append(dst, ']')
	}
	return closeObject(dst, start)
}

// appendEntityRef appends an EntityRef message.
func appendEntityRef(dst []byte, ref entity.EntityRef) []byte {
	start := len(dst)
	dst = appendStringField(dst, `,"schemaUrl":`, ref.SchemaUrl())
	dst = appendStringField(dst, `,"type":`, ref.Type())
	dst = appendStringSliceField(dst, `,"idKeys":`, ref.IdKeys())
	dst = appendStringSliceField(dst, `,"descriptionKeys":`, ref.DescriptionKeys())
	return closeObject(dst, start)
}

// appendStringSliceField appends `<prefix>["a","b"]` unless s is empty.
func appendStringSliceField(dst []byte, prefix string, s pcommon.StringSlice) []byte {
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
		dst = AppendString(dst, s.At(i))
	}
	return append(dst, ']')
}

// appendScope appends an InstrumentationScope message.
func appendScope(dst []byte, s pcommon.InstrumentationScope) []byte {
	start := len(dst)
	dst = appendStringField(dst, `,"name":`, s.Name())
	dst = appendStringField(dst, `,"version":`, s.Version())
	dst = appendAttributesField(dst, s.Attributes())
	dst = appendDroppedAttributesCount(dst, s.DroppedAttributesCount())
	return closeObject(dst, start)
}
