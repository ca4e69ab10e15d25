// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package consolesink // import "github.com/resilientsink/resilientsink/exporter/consolesink"

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"
)

// acquire takes e.lock, or returns ctx's error if ctx ends first.
func (e *consoleExporter) acquire(ctx context.Context) error {
	select {
	case e.lock <- struct{}{}:
		return nil
	default:
	}
	select {
	case e.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for console output: %w", ctx.Err())
	}
}

// release gives e.lock back.
func (e *consoleExporter) release() {
	<-e.lock
}

// start launches the sampling reporter, which writes the "suppressed" line
// once a second has passed even when no further batch arrives.
func (e *consoleExporter) start(context.Context, component.Host) error {
	e.state.Lock()
	defer e.state.Unlock()
	if e.lines.sampler == nil || e.started || e.shutdown {
		return nil
	}
	e.started = true
	go e.report()
	return nil
}

// report is the reporter goroutine. It outlives start's ctx (collector
// contract) and ends when Shutdown cancels e.stopped, which also ends its
// wait for e.lock, so its telemetry is recorded on that detached context.
func (e *consoleExporter) report() {
	defer close(e.reporter)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-e.stopped.Done():
			return
		case <-t.C:
			_ = e.reportSuppressed(e.stopped)
		}
	}
}

// shutdownFunc stops the reporter, waits for the write in progress and
// writes any pending suppressed count. Every wait in it ends with ctx: when
// ctx ends while a write is blocked (a reader that stopped reading), the
// write is abandoned (abort.go) and Shutdown returns. What could not be
// written is counted as a write error (the blocked batch also returns its
// error to its caller) and logged; Shutdown still returns nil, since the
// collector treats a Shutdown error as fatal, even on a config reload. Safe
// before start and safe to call twice.
func (e *consoleExporter) shutdownFunc(ctx context.Context) error {
	e.state.Lock()
	if e.shutdown {
		e.state.Unlock()
		return nil
	}
	e.shutdown = true
	started := e.started
	e.state.Unlock()
	e.stop()

	// Cuts short the final report's own write, should that block.
	cancelAbort := context.AfterFunc(ctx, e.abandon)
	defer cancelAbort()
	if started {
		select {
		case <-e.reporter:
		case <-ctx.Done():
		}
	}
	if err := e.finish(ctx); err != nil {
		e.logger.Error("Console output lost at shutdown", zap.Error(err))
	}
	e.tel.Shutdown()
	return nil
}

// finish waits for the write in progress, then writes the final sampling
// report. If ctx ends first, the blocked write is abandoned and the report,
// if one is due, is lost: counted as a write error and returned.
func (e *consoleExporter) finish(ctx context.Context) error {
	if err := e.acquire(ctx); err != nil {
		e.abandon()
		if e.lines.sampler == nil {
			return fmt.Errorf("abandon blocked output: %w", err)
		}
		e.tel.ExporterConsolesinkWriteErrors.Add(context.WithoutCancel(ctx), 1, e.attrs...)
		return fmt.Errorf("final sampling report: %w", err)
	}
	defer e.release()
	if e.lines.sampler == nil {
		return nil
	}
	buf := e.appendReport(e.buf[:0], e.lines.sampler.window+1)
	return e.write(ctx, buf, 0, 0)
}

// reportSuppressed writes the sampling report for a window that has
// passed. The reporter calls it; a wait for e.lock ends with ctx.
func (e *consoleExporter) reportSuppressed(ctx context.Context) error {
	if e.lines.sampler == nil {
		return nil
	}
	if err := e.acquire(ctx); err != nil {
		return err
	}
	defer e.release()
	buf := e.appendReport(e.buf[:0], e.now().Unix())
	return e.write(ctx, buf, 0, 0)
}
