// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink // import "github.com/resilientsink/resilientsink/exporter/consolesink"

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

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
// with one Write call. It is safe for concurrent use: lock serializes
// encoding and writing.
type consoleExporter struct {
	// lock is held while encoding and writing a batch. It is a channel so
	// that waiting for it can end with a context (see acquire): a write
	// blocked behind a stalled reader must not hold Shutdown forever.
	lock     chan struct{}
	w        io.Writer
	buf      []byte
	lines    lineWriter // text, json, logfmt
	otlpJSON bool       // format otlp_json
	basic    bool       // verbosity basic (not for otlp_json)
	now      func() time.Time
	tel      *metadata.TelemetryBuilder
	attrs    []metric.AddOption // exporter and signal, on every measurement
	logger   *zap.Logger
	midLine  bool         // the last write failed part-way through a line
	otlp     otlpSampling // otlp_json encoding and its sampling

	// abort guards writing and aborted, the hand-over between a write and
	// Shutdown abandoning it (abort.go).
	abort    sync.Mutex
	writing  bool // a Write call is in progress
	aborted  bool // Shutdown's context ended: write nothing more
	state    sync.Mutex
	started  bool // under state
	shutdown bool // under state
	stop     context.CancelFunc
	stopped  context.Context // done when Shutdown begins; ends the reporter
	reporter chan struct{}   // closed when the reporter goroutine returns
}

// newConsoleExporter builds an exporter writing to w; color is the already
// decided color setting (see useColor).
func newConsoleExporter(cfg *Config, w io.Writer, color bool, tel *metadata.TelemetryBuilder) *consoleExporter {
	stopped, stop := context.WithCancel(context.Background())
	e := &consoleExporter{
		lock:     make(chan struct{}, 1),
		w:        w,
		otlpJSON: cfg.Format == FormatOTLPJSON,
		basic:    cfg.Verbosity == VerbosityBasic && cfg.Format != FormatOTLPJSON,
		now:      time.Now,
		tel:      tel,
		logger:   zap.NewNop(),
		stopped:  stopped,
		stop:     stop,
		reporter: make(chan struct{}),
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
	if err := e.acquire(ctx); err != nil {
		return err
	}
	defer e.release()
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
	if err := e.acquire(ctx); err != nil {
		return err
	}
	defer e.release()
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
	if err := e.acquire(ctx); err != nil {
		return err
	}
	defer e.release()
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
// fresh line. After Shutdown has abandoned the output (abort.go), nothing
// more is written and the batch is returned as an error. Callers MUST hold
// e.lock.
func (e *consoleExporter) write(ctx context.Context, buf []byte, printed, suppressed int) error {
	if suppressed > 0 {
		e.tel.ExporterConsolesinkRecordsSuppressed.Add(ctx, int64(suppressed), e.attrs...)
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
	n, err := e.writeOut(buf)
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
		e.tel.ExporterConsolesinkWriteErrors.Add(ctx, 1, e.attrs...)
		return fmt.Errorf("write console output: %w", err)
	}
	e.midLine = false
	e.keep(buf)
	if printed > 0 {
		e.tel.ExporterConsolesinkRecordsPrinted.Add(ctx, int64(printed), e.attrs...)
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
