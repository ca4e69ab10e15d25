package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/resilientsink/resilientsink/exporter/filesink/internal/metadata"
)

var errNotStarted = errors.New("filesink exporter is not started")

// fileExporter is one exporter instance for one signal. It encodes each
// batch into one record and hands it to the process-wide writer of its path.
type fileExporter struct {
	cfg    *Config
	signal string
	logger *zap.Logger
	tb     *metadata.TelemetryBuilder
	obs    *observer
	fs     fileSystem

	mu       sync.Mutex // guards w and shutdown; held for Start and Shutdown only
	w        *writer
	shutdown bool

	bufs sync.Pool // *[]byte, reused record buffers
}

func newFileExporter(cfg *Config, set exporter.Settings, signal string) (*fileExporter, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("create telemetry: %w", err)
	}
	return &fileExporter{
		cfg: cfg, signal: signal, logger: set.Logger,
		tb: tb, obs: newObserver(tb, set.ID, signal), fs: defaultFileSystem(),
	}, nil
}

// settings resolves the configuration for this signal: the expanded,
// absolute path and the parsed file mode.
func (e *fileExporter) settings() (writerSettings, error) {
	mode, err := parseFileMode(e.cfg.FileMode)
	if err != nil {
		return writerSettings{}, err
	}
	p, err := filepath.Abs(strings.ReplaceAll(e.cfg.Path, "{signal}", e.signal))
	if err != nil {
		return writerSettings{}, fmt.Errorf("resolve path %q: %w", e.cfg.Path, err)
	}
	set := writerSettings{
		path: p, format: e.cfg.Format, durability: e.cfg.Durability,
		flushInterval: e.cfg.FlushInterval, mode: os.FileMode(mode),
	}
	if r := e.cfg.Rotation.Get(); r != nil {
		rc := *r
		set.rotation = &rc
	}
	return set, nil
}

func (e *fileExporter) start(_ context.Context, _ component.Host) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.w != nil || e.shutdown {
		return nil
	}
	set, err := e.settings()
	if err != nil {
		return err
	}
	w, err := registry.acquire(set, e.fs, e.logger, e.obs)
	if err != nil {
		return err
	}
	e.w = w
	e.logger.Info("Writing to file", zap.String("path", set.path), zap.String("format", string(set.format)),
		zap.String("durability", string(set.durability)))
	return nil
}

// stop flushes, fsyncs (unless buffered), unlocks and closes the file when
// this is its last exporter. Safe without Start and idempotent.
func (e *fileExporter) stop(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.shutdown {
		return nil
	}
	e.shutdown = true
	var err error
	if e.w != nil {
		err = registry.release(ctx, e.w, e.obs)
	}
	e.tb.Shutdown()
	return err
}

func (e *fileExporter) writer() *writer {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.w
}

// push builds one record with appendRecord and writes it.
func (e *fileExporter) push(ctx context.Context, appendRecord func([]byte) ([]byte, error)) error {
	w := e.writer()
	if w == nil {
		return errNotStarted
	}
	bp, _ := e.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	rec, err := appendRecord((*bp)[:0])
	if err == nil {
		err = w.write(ctx, rec, e.obs)
	}
	if cap(rec) <= 4<<20 { // do not pin huge buffers
		*bp = rec
		e.bufs.Put(bp)
	}
	return err
}

// The push functions write nothing for a request without resources: it
// holds no data, and in proto it would be an empty frame, which start-up
// repair reads as a zero-filled tail.

func (e *fileExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	if ld.ResourceLogs().Len() == 0 {
		return nil
	}
	return e.push(ctx, func(dst []byte) ([]byte, error) { return appendLogsRecord(dst, e.cfg.Format, ld) })
}

func (e *fileExporter) pushTraces(ctx context.Context, td ptrace.Traces) error {
	if td.ResourceSpans().Len() == 0 {
		return nil
	}
	return e.push(ctx, func(dst []byte) ([]byte, error) { return appendTracesRecord(dst, e.cfg.Format, td) })
}

func (e *fileExporter) pushMetrics(ctx context.Context, md pmetric.Metrics) error {
	if md.ResourceMetrics().Len() == 0 {
		return nil
	}
	return e.push(ctx, func(dst []byte) ([]byte, error) { return appendMetricsRecord(dst, e.cfg.Format, md) })
}
