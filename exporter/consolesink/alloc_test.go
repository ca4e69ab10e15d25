// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink

import (
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/resilientsink/resilientsink/internal/testdata/otlpfixtures"
)

// TestSteadyStateAllocs checks that, once the buffer has grown, encoding
// and writing a batch allocates nothing, for every format and signal. The
// rich fixtures cover every value type (maps and slices go through the
// scratch buffer).
func TestSteadyStateAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Log("coverage instrumentation may allocate; counts still checked")
	}
	ld := goldenLogs()
	td := goldenTraces()
	md := goldenMetrics()
	ctx := context.Background()
	for _, f := range []Format{FormatText, FormatJSON, FormatLogfmt, FormatOTLPJSON} {
		for _, v := range []Verbosity{VerbosityBasic, VerbosityNormal, VerbosityDetailed} {
			cfg := testConfig(f, v)
			e := newTestExporter(t, cfg, nil, f == FormatText, nil)
			e.w = io.Discard
			push := func() {
				_ = e.pushLogs(ctx, ld)
				_ = e.pushTraces(ctx, td)
				_ = e.pushMetrics(ctx, md)
			}
			push() // warm up: grow buffer and scratch
			allocs := testing.AllocsPerRun(50, push)
			assert.Zero(t, allocs, "format=%s verbosity=%s", f, v)
		}
	}
}

// TestSteadyStateAllocsSampling checks the sampled path of the line
// formats (otlp_json prunes a copy when it samples, by design).
func TestSteadyStateAllocsSampling(t *testing.T) {
	ld := otlpfixtures.TelemetrygenLogs(100)
	for _, f := range []Format{FormatText, FormatJSON, FormatLogfmt} {
		cfg := testConfig(f, VerbosityNormal)
		cfg.Sampling = SamplingConfig{Initial: 10, Thereafter: 7}
		e := newTestExporter(t, cfg, nil, false, nil)
		e.w = io.Discard
		_ = e.pushLogs(context.Background(), ld)
		allocs := testing.AllocsPerRun(100, func() { _ = e.pushLogs(context.Background(), ld) })
		assert.Zero(t, allocs, "format=%s", f)
	}
}

// TestSteadyStateAllocsTelemetrygen is the benchmark batch: 100
// telemetrygen-shaped log records.
func TestSteadyStateAllocsTelemetrygen(t *testing.T) {
	ld := otlpfixtures.TelemetrygenLogs(100)
	for _, f := range []Format{FormatText, FormatJSON, FormatLogfmt, FormatOTLPJSON} {
		e := newTestExporter(t, testConfig(f, VerbosityNormal), nil, false, nil)
		e.w = io.Discard
		_ = e.pushLogs(context.Background(), ld)
		allocs := testing.AllocsPerRun(100, func() { _ = e.pushLogs(context.Background(), ld) })
		assert.Zero(t, allocs, "format=%s", f)
	}
}
