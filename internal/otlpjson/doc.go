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
// The output is byte for byte what pdata's marshaler writes (a differential
// fuzz test, FuzzDifferential, holds the two together), except in strings:
//   - each byte of invalid UTF-8 is written as \ufffd (U+FFFD, as
//     encoding/json does); pdata copies it raw, which is not valid JSON;
//   - the C1 controls U+0080-U+009F, the bidirectional controls U+061C,
//     U+200E, U+200F, U+202A-U+202E and U+2066-U+2069, and U+2028/U+2029 are
//     written as \uXXXX escapes (see EscapesRune), so a file or console line
//     shown in a terminal cannot carry a control sequence (U+009B is a
//     one-character CSI) or reorder text; pdata writes them raw. The escapes
//     decode to the same string.
//
// and in two fields that index a profiles string table, meaningless in
// logs, traces and metrics, and not exposed by pdata's public API: a
// KeyValue's key_strindex is not written, and an AnyValue holding only
// string_value_strindex is written as an empty value ({}), which is what
// pcommon.Value reports it as. pdata writes them ("keyStrindex",
// "stringValueStrindex") when a sender set them.
//
// All functions are safe for concurrent use as long as callers do not share
// a dst buffer or mutate the pdata being encoded.
package otlpjson // import "github.com/resilientsink/resilientsink/internal/otlpjson"
