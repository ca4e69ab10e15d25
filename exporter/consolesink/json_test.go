// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// parseJSONLines decodes every line of out with encoding/json; each must be
// one JSON object.
func parseJSONLines(t *testing.T, out []byte) []map[string]any {
	t.Helper()
	var objs []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), "line %q", sc.Text())
		objs = append(objs, m)
	}
	require.NoError(t, sc.Err())
	return objs
}

// validUTF8 replaces each invalid byte with U+FFFD, as encoding/json does.
func validUTF8(s string) string {
	var b []byte
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\ufffd"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(b)
}

// plain is what encoding/json decodes a value written by the json format
// into, computed independently of the encoder.
func plain(v pcommon.Value) any {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return validUTF8(v.Str())
	case pcommon.ValueTypeInt:
		return float64(v.Int())
	case pcommon.ValueTypeDouble:
		return plainFloat(v.Double())
	case pcommon.ValueTypeBool:
		return v.Bool()
	case pcommon.ValueTypeBytes:
		return base64.StdEncoding.EncodeToString(v.Bytes().AsRaw())
	case pcommon.ValueTypeSlice:
		out := []any{}
		for _, e := range v.Slice().All() {
			out = append(out, plain(e))
		}
		return out
	case pcommon.ValueTypeMap:
		return plainMap(v.Map())
	}
	return nil
}

func plainFloat(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return f
}

func plainMap(m pcommon.Map) map[string]any {
	out := map[string]any{}
	for k, v := range m.All() {
		out[validUTF8(k)] = plain(v)
	}
	return out
}

// assertContext checks resource and scope fields.
func assertContext(t *testing.T, obj map[string]any, res pcommon.Resource, scope pcommon.InstrumentationScope) {
	t.Helper()
	assert.Equal(t, plainMap(res.Attributes()), obj["resource"])
	if scope.Name() != "" {
		assert.Equal(t, validUTF8(scope.Name()), obj["scope"])
	} else {
		assert.NotContains(t, obj, "scope")
	}
	if scope.Attributes().Len() > 0 {
		assert.Equal(t, plainMap(scope.Attributes()), obj["scope_attributes"])
	}
}

// assertID checks an optional hex id field.
func assertID(t *testing.T, obj map[string]any, key string, empty bool, id []byte) {
	t.Helper()
	if empty {
		assert.NotContains(t, obj, key)
		return
	}
	assert.Equal(t, hex.EncodeToString(id), obj[key])
}

func assertTime(t *testing.T, obj map[string]any, ts pcommon.Timestamp) {
	t.Helper()
	if ts == 0 {
		assert.NotContains(t, obj, "timestamp")
		return
	}
	assert.Equal(t, ts.AsTime().Format(timeLayout), obj["timestamp"])
}

func TestJSONLogsRoundTrip(t *testing.T) {
	ld := goldenLogs()
	objs := parseJSONLines(t, renderAll(t, testConfig(FormatJSON, VerbosityNormal), "logs", false))
	require.Len(t, objs, ld.LogRecordCount())
	i := 0
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				obj := objs[i]
				i++
				ts := lr.Timestamp()
				if ts == 0 {
					ts = lr.ObservedTimestamp()
				}
				assertTime(t, obj, ts)
				sev := lr.SeverityText()
				if sev == "" {
					sev = severityName(lr.SeverityNumber())
				}
				if sev != "" {
					assert.Equal(t, validUTF8(sev), obj["severity"])
				}
				if lr.SeverityNumber() != plog.SeverityNumberUnspecified {
					assert.InDelta(t, float64(lr.SeverityNumber()), obj["severity_number"], 0)
				}
				assert.Equal(t, plain(lr.Body()), obj["body"])
				assert.Equal(t, plainMap(lr.Attributes()), obj["attributes"])
				tid, sid := lr.TraceID(), lr.SpanID()
				assertID(t, obj, "trace_id", tid.IsEmpty(), tid[:])
				assertID(t, obj, "span_id", sid.IsEmpty(), sid[:])
				assertContext(t, obj, rl.Resource(), sl.Scope())
			}
		}
	}
}

func TestJSONTracesRoundTrip(t *testing.T) {
	td := goldenTraces()
	objs := parseJSONLines(t, renderAll(t, testConfig(FormatJSON, VerbosityNormal), "traces", false))
	require.Len(t, objs, td.SpanCount())
	i := 0
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				obj := objs[i]
				i++
				assertTime(t, obj, sp.StartTimestamp())
				assert.Equal(t, "span", obj["signal"])
				assert.Equal(t, validUTF8(sp.Name()), obj["name"])
				assert.Equal(t, sp.Kind().String(), obj["kind"])
				assert.InDelta(t, float64(int64(sp.EndTimestamp())-int64(sp.StartTimestamp())), obj["duration_ns"], 0)
				assert.Equal(t, sp.Status().Code().String(), obj["status"])
				if msg := sp.Status().Message(); msg != "" {
					assert.Equal(t, validUTF8(msg), obj["status_message"])
				}
				tid, sid, pid := sp.TraceID(), sp.SpanID(), sp.ParentSpanID()
				assertID(t, obj, "trace_id", tid.IsEmpty(), tid[:])
				assertID(t, obj, "span_id", sid.IsEmpty(), sid[:])
				assertID(t, obj, "parent_span_id", pid.IsEmpty(), pid[:])
				assert.Equal(t, plainMap(sp.Attributes()), obj["attributes"])
				assertContext(t, obj, rs.Resource(), ss.Scope())
			}
		}
	}
}

func TestJSONMetricsRoundTrip(t *testing.T) {
	md := goldenMetrics()
	objs := parseJSONLines(t, renderAll(t, testConfig(FormatJSON, VerbosityNormal), "metrics", false))
	require.Len(t, objs, md.DataPointCount())
	i := 0
	next := func(m pmetric.Metric, ts pcommon.Timestamp, attrs pcommon.Map) map[string]any {
		obj := objs[i]
		i++
		assertTime(t, obj, ts)
		assert.Equal(t, validUTF8(m.Name()), obj["name"])
		assert.Equal(t, metricTypeNames[m.Type()], obj["type"])
		assert.Equal(t, plainMap(attrs), obj["attributes"])
		return obj
	}
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				switch m.Type() {
				case pmetric.MetricTypeGauge, pmetric.MetricTypeSum:
					var dps pmetric.NumberDataPointSlice
					if m.Type() == pmetric.MetricTypeSum {
						dps = m.Sum().DataPoints()
					} else {
						dps = m.Gauge().DataPoints()
					}
					for _, dp := range dps.All() {
						obj := next(m, dp.Timestamp(), dp.Attributes())
						switch dp.ValueType() {
						case pmetric.NumberDataPointValueTypeInt:
							assert.Equal(t, float64(dp.IntValue()), obj["value"]) //nolint:testifylint // exact
						case pmetric.NumberDataPointValueTypeDouble:
							assert.Equal(t, plainFloat(dp.DoubleValue()), obj["value"])
						default:
							assert.NotContains(t, obj, "value")
						}
						assertContext(t, obj, rm.Resource(), sm.Scope())
					}
				case pmetric.MetricTypeHistogram:
					for _, dp := range m.Histogram().DataPoints().All() {
						obj := next(m, dp.Timestamp(), dp.Attributes())
						assert.Equal(t, float64(dp.Count()), obj["count"]) //nolint:testifylint // exact
						if dp.HasSum() {
							assert.Equal(t, plainFloat(dp.Sum()), obj["sum"])
						}
						if dp.HasMax() {
							assert.Equal(t, plainFloat(dp.Max()), obj["max"])
						}
					}
				case pmetric.MetricTypeExponentialHistogram:
					for _, dp := range m.ExponentialHistogram().DataPoints().All() {
						obj := next(m, dp.Timestamp(), dp.Attributes())
						assert.Equal(t, float64(dp.Count()), obj["count"]) //nolint:testifylint // exact
						assert.Equal(t, float64(dp.Scale()), obj["scale"]) //nolint:testifylint // exact
					}
				case pmetric.MetricTypeSummary:
					for _, dp := range m.Summary().DataPoints().All() {
						obj := next(m, dp.Timestamp(), dp.Attributes())
						assert.Equal(t, float64(dp.Count()), obj["count"]) //nolint:testifylint // exact
						assert.Equal(t, plainFloat(dp.Sum()), obj["sum"])
					}
				}
			}
		}
	}
	assert.Equal(t, len(objs), i)
}

func TestJSONBasicSummaryParses(t *testing.T) {
	var buf bytes.Buffer
	e := newTestExporter(t, testConfig(FormatJSON, VerbosityBasic), &buf, false, nil)
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	spans.AppendEmpty()
	spans.AppendEmpty()
	require.NoError(t, e.pushTraces(t.Context(), td))
	objs := parseJSONLines(t, buf.Bytes())
	require.Len(t, objs, 1)
	assert.Equal(t, map[string]any{"timestamp": fixedNow.Format(timeLayout), "signal": "traces", "resources": 1.0, "spans": 2.0}, objs[0])
}
