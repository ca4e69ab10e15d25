// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink // import "github.com/resilientsink/resilientsink/exporter/consolesink"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// lineWriter turns batches into lines for the text, json and logfmt formats:
// the per-signal walkers (logs.go, traces.go, metrics.go) pick the fields,
// enc formats them. Not safe for concurrent use.
type lineWriter struct {
	enc lineEncoder
	// context adds resource attributes and scope to every record line
	// (verbosity detailed, and always for json).
	context bool
	// sampler, when not nil, decides which records are printed.
	sampler *sampler
}

// appendIDs writes trace_id and span_id when they are set.
func (l *lineWriter) appendIDs(dst []byte, tid pcommon.TraceID, sid pcommon.SpanID) []byte {
	if !tid.IsEmpty() {
		dst = l.enc.traceID(dst, "trace_id", tid)
	}
	if !sid.IsEmpty() {
		dst = l.enc.spanID(dst, "span_id", sid)
	}
	return dst
}

// appendContext writes the resource attributes and the scope (name,
// version, attributes) when l.context is set. Empty parts are left out.
func (l *lineWriter) appendContext(dst []byte, res pcommon.Resource, scope pcommon.InstrumentationScope) []byte {
	if !l.context {
		return dst
	}
	dst = l.enc.attrs(dst, "resource", "resource.", res.Attributes())
	if name := scope.Name(); name != "" {
		dst = l.enc.str(dst, "scope", name)
	}
	if v := scope.Version(); v != "" {
		dst = l.enc.str(dst, "scope_version", v)
	}
	if scope.Attributes().Len() > 0 {
		dst = l.enc.attrs(dst, "scope_attributes", "scope.", scope.Attributes())
	}
	return dst
}

// appendSuppressed writes the line reporting n records suppressed by
// sampling in the one-second window starting at Unix second window.
func (l *lineWriter) appendSuppressed(dst []byte, n, window int64) []byte {
	dst = l.enc.begin(dst)
	dst = l.enc.time(dst, "timestamp", pcommon.Timestamp(window*1e9))
	dst = l.enc.label(dst, "signal", "SAMPLING", "sampling")
	dst = l.enc.int(dst, "suppressed", n)
	dst = l.enc.str(dst, "window", "1s")
	return l.enc.end(dst)
}
