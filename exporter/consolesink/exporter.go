// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink // import "github.com/resilientsink/resilientsink/exporter/consolesink"

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/resilientsink/resilientsink/exporter/consolesink/internal/metadata"
)

// maxRetainedBuffer is the largest buffer kept between batches; a larger one
// (after an unusually large batch) is released so it does not pin memory.
const maxRetainedBuffer = 4 << 20

// consoleExporter formats batches into a reused buffer and writes each batch
// with one Write call. It is safe for concurrent use: mu serializes
// encoding and writing.
type consoleExporter struct {
	mu       sync.Mutex
	w        io.Writer
	buf      []byte
	lines    lineWriter // text, json, logfmt
	otlpJSON bool       // format otlp_json
	basic    bool       // verbosity basic (not for otlp_json)
	now      func() time.Time
	tel      *metadata.TelemetryBuilder
	midLine  bool         // the last write failed part-way through a line
	otlp     otlpSampling // otlp_json encoding and its sampling

	stop     chan struct{}
	wg       sync.WaitGroup
	started  bool
	shutdown bool
}

// newConsoleExporter builds an exporter writing to w; color is the already
// decided color setting (see useColor).
func newConsoleExporter(cfg *Config, w io.Writer, color bool, tel *metadata.TelemetryBuilder) *consoleExporter {
	e := &consoleExporter{
		w:        w,
		otlpJSON: cfg.Format == FormatOTLPJSON,
		basic:    cfg.Verbosity == VerbosityBasic && cfg.Format != FormatOTLPJSON,
		now:      time.Now,
		tel:      tel,
		stop:     make(chan struct{}),
	}
	e.lines.sampler = newSampler(cfg.Sampling.Initial, cfg.Sampling.Thereafter)
	e.otlp.sampler = e.lines.sampler
	switch cfg.Format {
	case FormatJSON:
		e.lines.enc = &jsonEncoder{}
		e.lines.context = true
	case FormatOTLPJSON:
		// Used only for the sampling report line: a flat JSON object.
		e.lines.enc = &jsonEncoder{}
	case FormatLogfmt:
		e.lines.enc = &kvEncoder{}
		e.lines.context = cfg.Verbosity == VerbosityDetailed
	default:
		e.lines.enc = &kvEncoder{text: true, color: color}
		e.lines.context = cfg.Verbosity == VerbosityDetailed
	}
	return e
}

// start launches the sampling reporter, which writes the "suppressed" line
// once a second has passed even when no further batch arrives.
func (e *consoleExporter) start(context.Context, component.Host) error { //nolint:contextcheck // the reporter must outlive start's ctx (collector contract); e.stop ends it
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.lines.sampler == nil || e.started || e.shutdown {
		return nil
	}
	e.started = true
	// The reporter outlives start's ctx (collector contract) and stops on
	// e.stop, so its telemetry is recorded on a detached context.
	ctx := context.Background()
	e.wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-e.stop:
				return
			case <-t.C:
				_ = e.reportSuppressed(ctx, false)
			}
		}
	})
	return nil
}

// shutdownFunc stops the reporter and writes any pending suppressed count.
// Safe before start and safe to call twice.
func (e *consoleExporter) shutdownFunc(ctx context.Context) error {
	e.mu.Lock()
	if e.shutdown {
		e.mu.Unlock()
		return nil
	}
	e.shutdown = true
	close(e.stop)
	e.mu.Unlock()
	e.wg.Wait()
	err := e.reportSuppressed(ctx, true)
	e.tel.Shutdown()
	return err
}

// reportSuppressed writes the sampling report for a finished window (or,
// when final is set, for the current one).
func (e *consoleExporter) reportSuppressed(ctx context.Context, final bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.lines.sampler == nil {
		return nil
	}
	sec := e.now().Unix()
	if final {
		sec = e.lines.sampler.window + 1
	}
	buf := e.appendReport(e.buf[:0], sec)
	return e.write(ctx, buf, 0, 0)
}

// appendReport rolls the sampler to Unix second sec and, if the previous
// window suppressed records, appends the line that says how many.
func (e *consoleExporter) appendReport(dst []byte, sec int64) []byte {
	if e.lines.sampler == nil {
		return dst
	}
	if n, window := e.lines.sampler.roll(sec); n > 0 {
		dst = e.lines.appendSuppressed(dst, n, window)
	}
	return dst
}

func (e *consoleExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	if ld.LogRecordCount() == 0 {
		return nil // an empty batch writes nothing, at every verbosity
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	buf := e.appendReport(e.buf[:0], now.Unix())
	var printed, suppressed int
	switch {
	case e.otlpJSON:
		buf, printed, suppressed = e.otlp.appendLogs(buf, ld)
	case e.basic:
		buf = e.lines.appendLogSummary(buf, ld, pcommon.NewTimestampFromTime(now))
	default:
		buf, printed, suppressed = e.lines.appendLogLines(buf, ld)
	}
	return e.write(ctx, buf, printed, suppressed)
}

func (e *consoleExporter) pushTraces(ctx context.Context, td ptrace.Traces) error {
	if td.SpanCount() == 0 {
		return nil // an empty batch writes nothing, at every verbosity
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	buf := e.appendReport(e.buf[:0], now.Unix())
	var printed, suppressed int
	switch {
	case e.otlpJSON:
		buf, printed, suppressed = e.otlp.appendTraces(buf, td)
	case e.basic:
		buf = e.lines.appendSpanSummary(buf, td, pcommon.NewTimestampFromTime(now))
	default:
		buf, printed, suppressed = e.lines.appendSpanLines(buf, td)
	}
	return e.write(ctx, buf, printed, suppressed)
}

func (e *consoleExporter) pushMetrics(ctx context.Context, md pmetric.Metrics) error {
	if md.DataPointCount() == 0 {
		return nil // an empty batch writes nothing, at every verbosity
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	buf := e.appendReport(e.buf[:0], now.Unix())
	var printed, suppressed int
	switch {
	case e.otlpJSON:
		buf, printed, suppressed = e.otlp.appendMetrics(buf, md)
	case e.basic:
		buf = e.lines.appendPointSummary(buf, md, pcommon.NewTimestampFromTime(now))
	default:
		buf, printed, suppressed = e.lines.appendPointLines(buf, md)
	}
	return e.write(ctx, buf, printed, suppressed)
}

// write writes buf with one Write call and records telemetry on ctx. A failed
// write is counted and returned; the next batch simply tries again. If a
// failed write stopped part-way through a line, the next write starts on a
// fresh line. Callers MUST hold e.mu.
func (e *consoleExporter) write(ctx context.Context, buf []byte, printed, suppressed int) error {
	if suppressed > 0 {
		e.tel.ExporterConsolesinkRecordsSuppressed.Add(ctx, int64(suppressed))
	}
	if len(buf) == 0 {
		e.keep(buf)
		return nil
	}
	wasMidLine := e.midLine
	if wasMidLine {
		// Shift in a newline so the torn line from the failed write ends.
		buf = append(buf, 0)
		copy(buf[1:], buf)
		buf[0] = '\n'
	}
	n, err := e.w.Write(buf)
	if err == nil && n < len(buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		if n > 0 {
			e.midLine = buf[min(n, len(buf))-1] != '\n'
		} else {
			e.midLine = wasMidLine // nothing written: still mid-line or not
		}
		e.keep(buf)
		e.tel.ExporterConsolesinkWriteErrors.Add(ctx, 1)
		return fmt.Errorf("write console output: %w", err)
	}
	e.midLine = false
	e.keep(buf)
	if printed > 0 {
		e.tel.ExporterConsolesinkRecordsPrinted.Add(ctx, int64(printed))
	}
	return nil
}

// keep retains buf for the next batch unless it grew too large.
func (e *consoleExporter) keep(buf []byte) {
	if cap(buf) > maxRetainedBuffer {
		buf = nil
	}
	e.buf = buf[:0]
}
