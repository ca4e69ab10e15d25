// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink // import "github.com/resilientsink/resilientsink/exporter/consolesink"

import "github.com/resilientsink/resilientsink/internal/otlpjson"

// appendJSONString appends s as a JSON string (invalid UTF-8 becomes
// \ufffd), using the shared OTLP/JSON encoder's escaping.
func appendJSONString(dst []byte, s string) []byte {
	return otlpjson.AppendString(dst, s)
}
