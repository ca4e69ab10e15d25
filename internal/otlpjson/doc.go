// Package otlpjson is a fast OTLP/JSON encoder. It appends the OTLP/JSON
// encoding of pdata straight into a caller-owned byte slice, so a caller that
// reuses its buffer encodes with zero allocations in steady state.
//
// The output follows the protobuf JSON mapping that OTLP specifies and mirrors
// the field set and order of pdata's own JSON marshaler (plog.JSONMarshaler
// and friends): lowerCamelCase keys; trace and span ids as lowercase hex;
// 64-bit integers as decimal strings; enums as numbers; bytes as padded
// standard base64; NaN and infinities as "NaN", "Infinity" and "-Infinity";
// default values omitted, except the always-present resource, scope, body,
// value and status objects that pdata also writes.
//
// Unlike pdata's marshaler, strings are always valid JSON: invalid UTF-8 is
// replaced with U+FFFD (as encoding/json does) and U+2028/U+2029 are escaped.
//
// All functions are safe for concurrent use as long as callers do not share
// a dst buffer or mutate the pdata being encoded.
package otlpjson // import "github.com/resilientsink/resilientsink/internal/otlpjson"
